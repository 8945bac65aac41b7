/**
 * BGP speaker benchmark against real daemons on loopback (bounded, stops by itself).
 *
 * 1. deliver: time from "sender is handed N IPv4 /32s" (session already
 *    Established) until a BIRD receiver holds all N, for our speaker, GoBGP,
 *    ExaBGP and BIRD as senders; printed as seconds and as ratio to ours.
 * 2. receive: BIRD (packed UPDATEs; `receive-bird`) and GoBGP (MRT inject,
 *    one route per UPDATE; `receive`) send us M routes: routes/s into our
 *    Adj-RIB-In, peak RSS of this process, and whether the session stayed up.
 *
 * Usage: `deno task bench:bgp [--deliver 100000] [--receive 1000000]
 *   [--only ours,gobgp,exabgp,bird,receive-bird,receive]`
 *
 * @module
 */
import { BgpSpeaker } from "../src/bgp/speaker.ts";
import type { RouteSpec } from "../src/bgp/route.ts";
import {
  BirdPeer,
  encodeTableDumpV2,
  ExaBgpPeer,
  GoBgpPeer,
  hostPrefixes,
  type PeerDaemon,
  SPARE_ADDRESSES,
} from "../test/interop/harness/mod.ts";

function flag(name: string, fallback: string): string {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Deno.args[i + 1] ?? fallback : fallback;
}

const DELIVER = Number(flag("deliver", "100000"));
const RECEIVE = Number(flag("receive", "1000000"));
const ONLY = new Set(flag("only", "ours,gobgp,exabgp,bird,receive-bird,receive").split(","));
const TIMEOUT_MS = 300_000;

// Own slice of the spare loopback addresses (the interop suites use .39-.43).
const SPEAKER = SPARE_ADDRESSES[35]!; // 127.0.0.45
const RECEIVER = SPARE_ADDRESSES[36]!; // 127.0.0.46 (BIRD)
const SENDER = SPARE_ADDRESSES[37]!; // 127.0.0.47 (GoBGP / ExaBGP / BIRD sender)
const NEXT_HOP = "203.0.113.1";
const OUR_ASN = 64600;
const RECEIVER_ASN = 65002;
const SENDER_ASN = 65010;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => Promise<boolean> | boolean, intervalMs = 200) {
  const end = Date.now() + TIMEOUT_MS;
  while (Date.now() < end) {
    if (await cond()) return;
    await sleep(intervalMs);
  }
  throw new Error(`timed out waiting for ${what}`);
}

function ourSpeaker(peer: string, peerAsn: number): BgpSpeaker {
  return new BgpSpeaker({
    speaker: {
      asn: OUR_ASN,
      routerId: "10.255.0.45",
      gracefulRestartEnabled: false,
      gracefulRestartRestartTime: 120,
      listenPort: 179,
    },
    neighbors: [{
      name: "bench",
      address: peer,
      asn: peerAsn,
      port: 179,
      localAddress: SPEAKER,
      passive: false,
      holdTime: 9,
      keepalive: 3,
      connectRetry: 1,
      ebgpMultihop: true,
      ebgpMultihopTtl: 255,
      families: ["ipv4-unicast"],
    }],
  });
}

async function receiver(sender: string, senderAsn: number): Promise<BirdPeer> {
  return await BirdPeer.start({
    address: RECEIVER,
    asn: RECEIVER_ASN,
    families: ["ipv4"],
    neighbors: [{ address: sender, asn: senderAsn, holdTime: 90, multihop: true }],
  });
}

async function waitCount(bird: BirdPeer, n: number): Promise<void> {
  await until(`${n} routes at BIRD`, async () => (await bird.routeCount("ipv4")) >= n, 250);
}

async function withDaemons<T>(daemons: PeerDaemon[], fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } finally {
    for (const d of daemons.reverse()) await d.stop().catch(() => {});
  }
}

const prefixes = () => hostPrefixes(DELIVER, "10.0.0.0");

/** Seconds from handing the routes to our speaker until BIRD has them all. */
async function deliverOurs(): Promise<number> {
  const bird = await receiver(SPEAKER, OUR_ASN);
  return await withDaemons([bird], async () => {
    const speaker = ourSpeaker(RECEIVER, RECEIVER_ASN);
    await speaker.start();
    try {
      await until("our session", () => speaker.peers()[0]!.state === "Established", 100);
      await bird.waitEstablished(SPEAKER, 30_000);
      const routes: RouteSpec[] = [];
      for (const prefix of prefixes()) {
        routes.push({
          prefix,
          family: "ipv4-unicast",
          origin: "igp",
          nextHop: NEXT_HOP,
          attributes: {
            communities: [],
            largeCommunities: [],
            extendedCommunities: [],
            asPathPrepend: 0,
          },
        });
      }
      const t0 = performance.now();
      speaker.setRoutes(routes);
      await waitCount(bird, DELIVER);
      return (performance.now() - t0) / 1000;
    } finally {
      await speaker.stop();
    }
  });
}

async function deliverGoBgp(): Promise<number> {
  const bird = await receiver(SENDER, SENDER_ASN);
  const gobgp = await GoBgpPeer.start({
    address: SENDER,
    asn: SENDER_ASN,
    families: ["ipv4"],
    neighbors: [{ address: RECEIVER, asn: RECEIVER_ASN, holdTime: 90, multihop: true }],
  });
  return await withDaemons([bird, gobgp], async () => {
    await bird.waitEstablished(SENDER, 30_000);
    const file = await Deno.makeTempFile({ suffix: ".mrt" });
    try {
      const routes = [...prefixes()].map((prefix) => ({ prefix, nextHop: NEXT_HOP }));
      await Deno.writeFile(
        file,
        encodeTableDumpV2(routes, { routerId: SENDER, address: SENDER, asn: SENDER_ASN }),
      );
      // Timed from the inject: gobgp parses the file and sends as it goes.
      const t0 = performance.now();
      await gobgp.injectMrt(file);
      // `gobgp mrt inject` has been seen to load only part of a large file; time
      // delivery of what GoBGP actually holds once its table stops growing.
      const held = await settledGoBgpCount(gobgp);
      if (held < DELIVER) console.error(`gobgp holds ${held} of ${DELIVER} injected routes`);
      await waitCount(bird, held);
      return (performance.now() - t0) / 1000 * (DELIVER / held);
    } finally {
      await Deno.remove(file).catch(() => {});
    }
  });
}

/** GoBGP's global IPv4 route count once it has not changed for 2 s. */
async function settledGoBgpCount(gobgp: GoBgpPeer): Promise<number> {
  let last = -1;
  let stableSince = Date.now();
  for (;;) {
    const out = await gobgp.gobgp("global", "rib", "summary", "-a", "ipv4");
    const n = Number(/Destination: (\d+)/.exec(out)?.[1] ?? 0);
    if (n !== last) {
      last = n;
      stableSince = Date.now();
    } else if (Date.now() - stableSince > 2000) {
      return n;
    }
    await sleep(250);
  }
}

async function deliverExaBgp(): Promise<number> {
  const bird = await receiver(SENDER, SENDER_ASN);
  const exabgp = await ExaBgpPeer.start({
    address: SENDER,
    asn: SENDER_ASN,
    families: ["ipv4"],
    neighbors: [{ address: RECEIVER, asn: RECEIVER_ASN, holdTime: 90, multihop: true }],
  });
  return await withDaemons([bird, exabgp], async () => {
    await bird.waitEstablished(SENDER, 30_000);
    const lines = [...prefixes()].map((p) => `announce route ${p} next-hop ${NEXT_HOP}`);
    const t0 = performance.now();
    await exabgp.commands(lines);
    await waitCount(bird, DELIVER);
    return (performance.now() - t0) / 1000;
  });
}

async function deliverBird(): Promise<number> {
  const bird = await receiver(SENDER, SENDER_ASN);
  const sender = await BirdPeer.start({
    address: SENDER,
    asn: SENDER_ASN,
    families: ["ipv4"],
    neighbors: [{ address: RECEIVER, asn: RECEIVER_ASN, holdTime: 90, multihop: true }],
  });
  return await withDaemons([bird, sender], async () => {
    await bird.waitEstablished(SENDER, 30_000);
    const routes = [...prefixes()].map((prefix) => ({ prefix, nextHop: NEXT_HOP }));
    const t0 = performance.now();
    await sender.announceMany(routes);
    await waitCount(bird, DELIVER);
    return (performance.now() - t0) / 1000;
  });
}

/** Write an MRT file of `count` /32s from a separate Deno process. */
async function writeMrtInChild(file: string, count: number): Promise<void> {
  const harness = new URL("../test/interop/harness/mod.ts", import.meta.url).href;
  const code = `
    import { encodeTableDumpV2, hostPrefixes } from "${harness}";
    const routes = (function* () {
      for (const prefix of hostPrefixes(${count}, "10.0.0.0")) yield { prefix, nextHop: "${NEXT_HOP}" };
    })();
    await Deno.writeFile(${JSON.stringify(file)}, encodeTableDumpV2(routes,
      { routerId: "${SENDER}", address: "${SENDER}", asn: ${SENDER_ASN} }));
  `;
  const out = await new Deno.Command(Deno.execPath(), { args: ["eval", code] }).output();
  if (!out.success) throw new Error(`MRT writer failed: ${new TextDecoder().decode(out.stderr)}`);
}

/** GoBGP sends us RECEIVE routes; we measure decode rate, peak RSS and session health. */
async function receive(): Promise<Record<string, unknown>> {
  const gobgp = await GoBgpPeer.start({
    address: SENDER,
    asn: SENDER_ASN,
    families: ["ipv4"],
    neighbors: [{ address: SPEAKER, asn: OUR_ASN, holdTime: 9, multihop: true }],
  });
  return await withDaemons([gobgp], async () => {
    const speaker = ourSpeaker(SENDER, SENDER_ASN);
    await speaker.start();
    let peakRss = Deno.memoryUsage().rss;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, Deno.memoryUsage().rss);
    }, 100);
    const file = await Deno.makeTempFile({ suffix: ".mrt" });
    try {
      await until("session", () => speaker.peers()[0]!.state === "Established", 100);
      const baseRss = Deno.memoryUsage().rss;
      // Built in a child process so its memory does not count in our peak RSS.
      await writeMrtInChild(file, RECEIVE);
      peakRss = Deno.memoryUsage().rss;
      const t0 = performance.now();
      let firstAt = 0;
      const inject = gobgp.injectMrt(file);
      await until("first route", () => {
        if (speaker.sessions[0]!.adjRibIn.size > 0) firstAt = performance.now();
        return firstAt > 0;
      }, 20);
      // Until GoBGP's table settles, then until we hold all of it (GoBGP may load
      // fewer than RECEIVE from the MRT file: see settledGoBgpCount).
      let held = RECEIVE;
      let t1 = 0;
      const settled = inject.then(() => settledGoBgpCount(gobgp)).then((n) => (held = n));
      await until(`routes received`, () => {
        const s = speaker.peers()[0]!;
        if (s.state !== "Established") throw new Error(`session dropped: ${s.lastError}`);
        if (s.prefixesReceived >= held && t1 === 0) t1 = performance.now();
        return s.prefixesReceived >= RECEIVE || (held < RECEIVE && s.prefixesReceived >= held);
      }, 100);
      if (t1 === 0) t1 = performance.now();
      await settled;
      await sleep(3000); // a hold time's worth more: the session must still be up
      const s = speaker.peers()[0]!;
      await speaker.stop();
      const got = s.prefixesReceived;
      return {
        routesInjected: RECEIVE,
        routesReceived: got,
        seconds: +((t1 - t0) / 1000).toFixed(2),
        routesPerSecondOverall: Math.round(got / ((t1 - t0) / 1000)),
        routesPerSecondFromFirst: Math.round(got / ((t1 - firstAt) / 1000)),
        peakRssMiB: Math.round(peakRss / 2 ** 20),
        rssBeforeMiB: Math.round(baseRss / 2 ** 20),
        sessionStayedUp: s.state === "Established" && s.flaps === 0,
        keepalivesSentDuringLoad: s.messagesSent.keepalive,
        updatesReceived: s.messagesReceived.update,
      };
    } finally {
      clearInterval(sampler);
      await Deno.remove(file).catch(() => {});
    }
  });
}

/**
 * BIRD sends us RECEIVE routes (it packs many NLRIs per UPDATE, so this
 * stresses our decoder, where GoBGP's one-route-per-UPDATE MRT replay
 * mostly measures GoBGP).
 */
async function receiveFromBird(): Promise<Record<string, unknown>> {
  const bird = await BirdPeer.start({
    address: SENDER,
    asn: SENDER_ASN,
    families: ["ipv4"],
    neighbors: [{ address: SPEAKER, asn: OUR_ASN, holdTime: 9, multihop: true }],
  });
  return await withDaemons([bird], async () => {
    const speaker = ourSpeaker(SENDER, SENDER_ASN);
    await speaker.start();
    let peakRss = Deno.memoryUsage().rss;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, Deno.memoryUsage().rss);
    }, 100);
    try {
      await until("session", () => speaker.peers()[0]!.state === "Established", 100);
      const baseRss = Deno.memoryUsage().rss;
      const t0 = performance.now();
      let firstAt = 0;
      // announceMany writes BIRD's config and runs `configure`; routes flow as BIRD loads them.
      const load = bird.announceMany(
        (function* () {
          for (const prefix of hostPrefixes(RECEIVE, "10.0.0.0")) {
            yield { prefix, nextHop: NEXT_HOP };
          }
        })(),
      );
      await until("first route", () => {
        if (speaker.sessions[0]!.adjRibIn.size > 0) firstAt = performance.now();
        return firstAt > 0;
      }, 20);
      await until(`${RECEIVE} routes received`, () => {
        const s = speaker.peers()[0]!;
        if (s.state !== "Established") throw new Error(`session dropped: ${s.lastError}`);
        return s.prefixesReceived >= RECEIVE;
      }, 50);
      const t1 = performance.now();
      await load;
      await sleep(3000); // a hold time's worth more: the session must still be up
      const s = speaker.peers()[0]!;
      await speaker.stop();
      return {
        routesReceived: s.prefixesReceived,
        seconds: +((t1 - t0) / 1000).toFixed(2),
        secondsFromFirstRoute: +((t1 - firstAt) / 1000).toFixed(2),
        routesPerSecondFromFirst: Math.round(s.prefixesReceived / ((t1 - firstAt) / 1000)),
        peakRssMiB: Math.round(peakRss / 2 ** 20),
        rssBeforeMiB: Math.round(baseRss / 2 ** 20),
        sessionStayedUp: s.state === "Established" && s.flaps === 0,
        keepalivesSent: s.messagesSent.keepalive,
        updatesReceived: s.messagesReceived.update,
      };
    } finally {
      clearInterval(sampler);
    }
  });
}

const results: Record<string, unknown> = { deliverRoutes: DELIVER };
const deliver: Record<string, number> = {};
const runs: [string, () => Promise<number>][] = [
  ["ours", deliverOurs],
  ["gobgp", deliverGoBgp],
  ["exabgp", deliverExaBgp],
  ["bird", deliverBird],
];
for (const [name, run] of runs) {
  if (!ONLY.has(name)) continue;
  try {
    deliver[name] = +(await run()).toFixed(2);
    console.error(`deliver ${name}: ${deliver[name]} s`);
  } catch (e) {
    console.error(`deliver ${name} failed: ${e instanceof Error ? e.message : e}`);
  }
}
results.deliverSeconds = deliver;
if (deliver.ours) {
  const ratios: Record<string, number> = {};
  for (const [k, v] of Object.entries(deliver)) {
    if (k !== "ours") ratios[`ours/${k}`] = +(deliver.ours / v).toFixed(2);
  }
  results.deliverRatio = ratios;
}
// Receive runs first in a fresh process would give cleaner RSS figures: use --only.
for (const [name, run] of [["receive-bird", receiveFromBird], ["receive", receive]] as const) {
  if (!ONLY.has(name)) continue;
  try {
    results[name] = await run();
  } catch (e) {
    results[name] = { error: e instanceof Error ? e.message : String(e) };
  }
}
console.log(JSON.stringify(results, null, 2));
