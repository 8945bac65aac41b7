/**
 * BGP speaker benchmark against real daemons on loopback (bounded, stops by itself).
 * The peer-daemon side (BIRD receiver, baselines, route feeders) is the
 * harness's `scripts/bench/peers.ts`; this script adds our speaker.
 *
 * 1. deliver: N IPv4 /32s to a BIRD receiver, t0 = the sender is told to
 *    announce on an Established, empty session, t1 = BIRD counts N (same
 *    definition as peers.ts). Ours vs GoBGP, ExaBGP, BIRD, as ratios.
 * 2. receive: a feeder (BIRD: packed UPDATEs; GoBGP: MRT inject, about one
 *    route per UPDATE) holds M routes before our speaker starts; t0 = our
 *    session Established, t1 = M routes in our Adj-RIB-In. Routes/s, peak
 *    RSS of this process, and whether the session stayed up.
 *
 * Usage: `deno task bench:bgp [--deliver 100000] [--receive 1000000]
 *   [--only ours,gobgp,exabgp,bird,receive-bird,receive-gobgp]`
 *
 * @module
 */
import { BgpSpeaker } from "../src/bgp/speaker.ts";
import type { RouteSpec } from "../src/bgp/route.ts";
import { hostPrefixes } from "../src/lab/mod.ts";
import {
  BENCH_RECEIVER_ADDRESS,
  BENCH_RECEIVER_ASN,
  measureSenderToBird,
  type Sender,
  startBirdReceiver,
  startRouteFeeder,
  waitBirdCount,
} from "./bench/peers.ts";

function flag(name: string, fallback: string): string {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Deno.args[i + 1] ?? fallback : fallback;
}

const DELIVER = Number(flag("deliver", "100000"));
const RECEIVE = Number(flag("receive", "1000000"));
const ONLY = new Set(
  flag("only", "ours,gobgp,exabgp,bird,receive-bird,receive-gobgp").split(","),
);
const TIMEOUT_MS = 600_000;

/** Our speaker's address: inside the harness's benchmark block 127.0.1.0/24, unused by it. */
const SPEAKER = "127.0.1.45";
const OUR_ASN = 64600;
const FEEDER = "127.0.1.42";
const FEEDER_ASN = 65042;
const NEXT_HOP = "203.0.113.1";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean, intervalMs = 100): Promise<void> {
  const end = Date.now() + TIMEOUT_MS;
  while (Date.now() < end) {
    if (cond()) return;
    await sleep(intervalMs);
  }
  throw new Error(`timed out waiting for ${what}`);
}

function ourSpeaker(peer: string, peerAsn: number): BgpSpeaker {
  return new BgpSpeaker({
    speaker: {
      asn: OUR_ASN,
      routerId: "10.255.1.45",
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

/** Seconds from handing N routes to our speaker until BIRD counts N. */
async function deliverOurs(n: number): Promise<number> {
  await using bird = await startBirdReceiver([{ address: SPEAKER, asn: OUR_ASN, holdTime: 90 }]);
  const speaker = ourSpeaker(BENCH_RECEIVER_ADDRESS, BENCH_RECEIVER_ASN);
  await speaker.start();
  try {
    await until("our session", () => speaker.peers()[0]!.state === "Established");
    await bird.waitEstablished(SPEAKER, 30_000);
    const routes: RouteSpec[] = [];
    for (const prefix of hostPrefixes(n, "10.0.0.0")) {
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
    const t1 = await waitBirdCount(bird, n);
    return (t1 - t0) / 1000;
  } finally {
    await speaker.stop();
  }
}

/** A feeder holding `count` routes sends them to us; we time, sample RSS and watch the session. */
async function receive(kind: "bird" | "gobgp", count: number): Promise<Record<string, unknown>> {
  const { peer, loadSeconds } = await startRouteFeeder({
    kind,
    count,
    address: FEEDER,
    asn: FEEDER_ASN,
    neighbor: { address: SPEAKER, asn: OUR_ASN, holdTime: 9 },
  });
  await using _feeder = peer;
  const baseRss = Deno.memoryUsage().rss;
  let peakRss = baseRss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, Deno.memoryUsage().rss);
  }, 100);
  const speaker = ourSpeaker(FEEDER, FEEDER_ASN);
  try {
    await speaker.start();
    await until("session", () => speaker.peers()[0]!.state === "Established", 5);
    const t0 = performance.now();
    await until(`${count} routes received`, () => {
      const s = speaker.peers()[0]!;
      if (s.state !== "Established") throw new Error(`session dropped: ${s.lastError}`);
      return s.prefixesReceived >= count;
    }, 20);
    const t1 = performance.now();
    await sleep(3000); // a hold time's worth more: the session must still be up
    const s = speaker.peers()[0]!;
    return {
      routes: s.prefixesReceived,
      feederLoadSeconds: +loadSeconds.toFixed(2),
      seconds: +((t1 - t0) / 1000).toFixed(2),
      routesPerSecond: Math.round(s.prefixesReceived / ((t1 - t0) / 1000)),
      updatesReceived: s.messagesReceived.update,
      rssBeforeMiB: Math.round(baseRss / 2 ** 20),
      peakRssMiB: Math.round(peakRss / 2 ** 20),
      sessionStayedUp: s.state === "Established" && s.flaps === 0,
      keepalivesSent: s.messagesSent.keepalive,
    };
  } finally {
    clearInterval(sampler);
    await speaker.stop();
  }
}

const results: Record<string, unknown> = { deliverRoutes: DELIVER, receiveRoutes: RECEIVE };
const deliver: Record<string, number> = {};
if (ONLY.has("ours")) {
  deliver.ours = +(await deliverOurs(DELIVER)).toFixed(2);
  console.error(`deliver ours: ${deliver.ours} s`);
}
for (const sender of ["gobgp", "exabgp", "bird"] as Sender[]) {
  if (!ONLY.has(sender)) continue;
  try {
    deliver[sender] = +(await measureSenderToBird(sender, DELIVER)).toFixed(2);
    console.error(`deliver ${sender}: ${deliver[sender]} s`);
  } catch (e) {
    console.error(`deliver ${sender} failed: ${e instanceof Error ? e.message : e}`);
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
// Each receive is best run alone (`--only receive-bird`) so RSS is not inflated by earlier runs.
for (const kind of ["bird", "gobgp"] as const) {
  if (!ONLY.has(`receive-${kind}`)) continue;
  try {
    results[`receive-${kind}`] = await receive(kind, RECEIVE);
  } catch (e) {
    results[`receive-${kind}`] = { error: e instanceof Error ? e.message : String(e) };
  }
}
console.log(JSON.stringify(results, null, 2));
