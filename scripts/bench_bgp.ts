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
 * 3. receive-raw: the sender is not the bottleneck. This process pre-encodes
 *    M IPv4 /32s in 4096-byte UPDATEs (the codec's packer), and after a normal
 *    OPEN/KEEPALIVE handshake writes them as fast as loopback TCP takes them
 *    to our speaker in a separate process (`scripts/bench/bgp_receiver.ts`).
 *    t0 = the first UPDATE byte is written, t1 = the receiver's Adj-RIB-In
 *    holds M routes. Routes/s, the receiver's VmHWM, the KEEPALIVEs it sent
 *    during and after the transfer (hold time 9 s: one every 3 s), and its
 *    session state at the end.
 *
 * Each of our measurements runs on both TCP transports in the same run:
 * the native one (libc sockets handed to node:net's stream, the default on
 * Linux) and plain node:net (`ANYCAST_TCP=node`); `nativeVsNodeNet` gives
 * native/node ratios (deliver: seconds, lower is better; receive: routes/s,
 * higher is better).
 *
 * Usage: `deno task bench:bgp [--deliver 100000] [--receive 1000000]
 *   [--only ours,gobgp,exabgp,bird,receive-bird,receive-gobgp,receive-raw]
 *   [--transports native,node]`
 *
 * @module
 */
import { BgpSpeaker } from "../src/bgp/speaker.ts";
import { nativeTransport } from "../src/bgp/native_transport.ts";
import { nodeNetTransport, type Transport } from "../src/bgp/transport.ts";
import { encodeMessage } from "../src/bgp/message/codec.ts";
import { messageLength } from "../src/bgp/message/header.ts";
import { encodeUpdates } from "../src/bgp/message/pack.ts";
import type { CodecContext } from "../src/bgp/message/types.ts";
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
  flag("only", "ours,gobgp,exabgp,bird,receive-bird,receive-gobgp,receive-raw").split(","),
);
const TIMEOUT_MS = 600_000;
type TransportName = "native" | "node";
const TRANSPORTS = flag("transports", "native,node").split(",") as TransportName[];
const transportOf = (t: TransportName): Transport =>
  t === "node" ? nodeNetTransport : nativeTransport();
/** Result key: "ours" / "receive-bird" for native, "...-node" for node:net. */
const keyed = (base: string, t: TransportName) => (t === "native" ? base : `${base}-node`);

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

function ourSpeaker(peer: string, peerAsn: number, transport: TransportName): BgpSpeaker {
  return new BgpSpeaker({
    transport: transportOf(transport),
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
async function deliverOurs(n: number, transport: TransportName): Promise<number> {
  await using bird = await startBirdReceiver([{ address: SPEAKER, asn: OUR_ASN, holdTime: 90 }]);
  const speaker = ourSpeaker(BENCH_RECEIVER_ADDRESS, BENCH_RECEIVER_ASN, transport);
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
async function receive(
  kind: "bird" | "gobgp",
  count: number,
  transport: TransportName,
): Promise<Record<string, unknown>> {
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
  const speaker = ourSpeaker(FEEDER, FEEDER_ASN, transport);
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

/** Raw sender of receive-raw, and the receiver process's source address. */
const RAW_SENDER = "127.0.1.46";
const RAW_SENDER_ASN = 65046;
const RAW_RECEIVER = "127.0.1.47";
const RAW_HOLD_TIME = 9;
/** Write UPDATEs in chunks of about this size (many whole UPDATEs each). */
const RAW_CHUNK_BYTES = 256 * 1024;
const BGP_KEEPALIVE = 4;
const BGP_OPEN = 1;
const BGP_NOTIFICATION = 3;

const epochMs = () => performance.timeOrigin + performance.now();

/** Whole UPDATEs concatenated into chunks of about RAW_CHUNK_BYTES. */
function preEncode(count: number): { chunks: Uint8Array[]; updates: number; bytes: number } {
  const ctx: CodecContext = {
    fourOctetAs: true,
    extendedMessage: false,
    ibgp: false,
    families: ["ipv4-unicast"],
  };
  const updates = encodeUpdates({
    family: "ipv4-unicast",
    prefixes: [...hostPrefixes(count, "10.0.0.0")],
    attributes: { origin: "igp", asPath: [{ type: "sequence", asns: [RAW_SENDER_ASN] }] },
    nextHop: NEXT_HOP,
  }, ctx);
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for (let i = 0; i < updates.length;) {
    let size = 0;
    let j = i;
    while (j < updates.length && (size === 0 || size + updates[j]!.length <= RAW_CHUNK_BYTES)) {
      size += updates[j]!.length;
      j++;
    }
    const chunk = new Uint8Array(size);
    let at = 0;
    for (; i < j; i++) {
      chunk.set(updates[i]!, at);
      at += updates[i]!.length;
    }
    chunks.push(chunk);
    bytes += size;
  }
  return { chunks, updates: updates.length, bytes };
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
}

/** Newline-separated JSON lines of a child's stdout, as an async queue. */
function jsonLines(stream: ReadableStream<Uint8Array>): () => Promise<Record<string, unknown>> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let pending = "";
  return async () => {
    for (;;) {
      const nl = pending.indexOf("\n");
      if (nl >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (line.startsWith("{")) return JSON.parse(line);
        continue;
      }
      const { value, done } = await reader.read();
      if (done) throw new Error("receiver exited early");
      pending += value;
    }
  };
}

/**
 * receive-raw: a sender that is not the bottleneck, our speaker in its own
 * process as the receiver. See the module comment (3).
 */
async function receiveRaw(
  count: number,
  transport: TransportName,
): Promise<Record<string, unknown>> {
  const encodeStart = performance.now();
  const { chunks, updates, bytes } = preEncode(count);
  const encodeSeconds = (performance.now() - encodeStart) / 1000;
  const listener = Deno.listen({ hostname: RAW_SENDER, port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      // e.g. BENCH_RECEIVER_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the receiver.
      ...(Deno.env.get("BENCH_RECEIVER_FLAGS")?.split(" ").filter(Boolean) ?? []),
      new URL("./bench/bgp_receiver.ts", import.meta.url).pathname,
      "--peer",
      RAW_SENDER,
      "--port",
      String(port),
      "--local",
      RAW_RECEIVER,
      "--routes",
      String(count),
      "--hold",
      String(RAW_HOLD_TIME),
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
    env: { ANYCAST_TCP: transport },
  }).spawn();
  const nextLine = jsonLines(child.stdout);
  let conn: Deno.Conn | undefined;
  let keepaliveTimer: ReturnType<typeof setInterval> | undefined;
  try {
    conn = await Promise.race([
      listener.accept(),
      sleep(30_000).then(() => {
        throw new Error("the receiver did not connect within 30 s");
      }),
    ]);
    listener.close();
    const c = conn;
    // Everything the receiver sends, timed: its KEEPALIVEs prove its timers ran while it decoded.
    const received: { type: number; at: number }[] = [];
    let readerError: unknown;
    const reader = (async () => {
      let buffer = new Uint8Array(0);
      const chunk = new Uint8Array(65536);
      try {
        for (;;) {
          const n = await c.read(chunk);
          if (n === null) return;
          const merged = new Uint8Array(buffer.length + n);
          merged.set(buffer);
          merged.set(chunk.subarray(0, n), buffer.length);
          buffer = merged;
          for (;;) {
            const length = messageLength(buffer, 4096);
            if (length === undefined || buffer.length < length) break;
            received.push({ type: buffer[18]!, at: epochMs() });
            buffer = buffer.slice(length);
          }
        }
      } catch (e) {
        readerError = e;
      }
    })();
    await until("the receiver's OPEN", () => received.some((m) => m.type === BGP_OPEN), 5);
    const ctx: CodecContext = {
      fourOctetAs: false,
      extendedMessage: false,
      ibgp: false,
      families: ["ipv4-unicast"],
    };
    await writeAll(
      c,
      encodeMessage({
        type: "open",
        version: 4,
        asn: RAW_SENDER_ASN,
        holdTime: RAW_HOLD_TIME,
        bgpId: "10.255.1.46",
        capabilities: [
          { kind: "multiprotocol", afi: 1, safi: 1 },
          { kind: "four-octet-as", asn: RAW_SENDER_ASN },
        ],
      }, ctx),
    );
    const keepalive = encodeMessage({ type: "keepalive" }, ctx);
    await writeAll(c, keepalive);
    const established = await nextLine();
    if (established.event !== "established") throw new Error(`unexpected ${established.event}`);
    // Our KEEPALIVEs only after the transfer: until then the UPDATEs keep its hold timer fed.
    let transferring = true;
    keepaliveTimer = setInterval(() => {
      if (!transferring) void writeAll(c, keepalive).catch(() => {});
    }, (RAW_HOLD_TIME / 3) * 1000);

    const t0 = epochMs();
    for (const chunk of chunks) await writeAll(c, chunk);
    const written = epochMs();
    transferring = false;
    const counted = await nextLine();
    if (counted.event !== "count") throw new Error(`unexpected ${counted.event}`);
    const t1 = counted.at as number;
    // Stay a hold time longer: the session must still be up, keepalives on schedule.
    await sleep(RAW_HOLD_TIME * 1000);
    const notifications = received.filter((m) => m.type === BGP_NOTIFICATION).length;
    await child.stdin.close();
    const final = await nextLine();
    if (readerError) throw readerError;
    const keepalives = received.filter((m) => m.type === BGP_KEEPALIVE).map((m) => m.at);
    const during = keepalives.filter((at) => at >= t0 && at <= t1);
    const gaps = keepalives.slice(1).map((at, i) => at - keepalives[i]!);
    c.close();
    conn = undefined;
    await reader;
    const seconds = (t1 - t0) / 1000;
    return {
      routes: final.routes,
      updates,
      megabytes: +(bytes / 1e6).toFixed(1),
      preEncodeSeconds: +encodeSeconds.toFixed(2),
      writeSeconds: +((written - t0) / 1000).toFixed(2),
      seconds: +seconds.toFixed(2),
      routesPerSecond: Math.round(count / seconds),
      receiverPeakRssMiB: Math.round((final.vmHwmKiB as number) / 1024),
      receiverKeepalivesSecondsFromT0: keepalives.map((at) => +((at - t0) / 1000).toFixed(2)),
      receiverMaxTimerLagMsDuringTransfer: final.maxTimerLagMs,
      keepalivesDuringTransfer: during.length,
      maxKeepaliveGapSeconds: +(Math.max(0, ...gaps) / 1000).toFixed(2),
      notificationsFromReceiver: notifications,
      sessionAtEnd: final.state,
      flaps: final.flaps,
      sessionStayedUp: final.state === "Established" && final.flaps === 0,
    };
  } finally {
    if (keepaliveTimer !== undefined) clearInterval(keepaliveTimer);
    conn?.close();
    try {
      listener.close();
    } catch { /* already closed */ }
    await child.stdin.close().catch(() => {/* already closed */});
    const exited = await Promise.race([child.status, sleep(5000).then(() => undefined)]);
    if (!exited) {
      child.kill("SIGKILL");
      await child.status;
    }
  }
}

const results: Record<string, unknown> = { deliverRoutes: DELIVER, receiveRoutes: RECEIVE };
const deliver: Record<string, number> = {};
if (ONLY.has("ours")) {
  for (const t of TRANSPORTS) {
    const k = keyed("ours", t);
    deliver[k] = +(await deliverOurs(DELIVER, t)).toFixed(2);
    console.error(`deliver ${k}: ${deliver[k]} s`);
  }
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
    if (!k.startsWith("ours")) ratios[`ours/${k}`] = +(deliver.ours / v).toFixed(2);
  }
  results.deliverRatio = ratios;
}
// Each receive is best run alone (`--only receive-bird`) so RSS is not inflated by earlier runs.
for (const kind of ["bird", "gobgp"] as const) {
  if (!ONLY.has(`receive-${kind}`)) continue;
  for (const t of TRANSPORTS) {
    const k = keyed(`receive-${kind}`, t);
    try {
      results[k] = await receive(kind, RECEIVE, t);
    } catch (e) {
      results[k] = { error: e instanceof Error ? e.message : String(e) };
    }
    console.error(`${k}: ${JSON.stringify(results[k])}`);
  }
}
if (ONLY.has("receive-raw")) {
  for (const t of TRANSPORTS) {
    const k = keyed("receive-raw", t);
    try {
      results[k] = await receiveRaw(RECEIVE, t);
    } catch (e) {
      results[k] = { error: e instanceof Error ? e.message : String(e) };
    }
    console.error(
      `${k}: routesPerSecond ${(results[k] as Record<string, unknown>).routesPerSecond}`,
    );
  }
}
// The same work on both transports, in this run: native / node:net.
const nativeVsNodeNet: Record<string, number> = {};
if (deliver.ours && deliver["ours-node"]) {
  nativeVsNodeNet.deliverSeconds = +(deliver.ours / deliver["ours-node"]).toFixed(2);
}
for (const base of ["receive-bird", "receive-gobgp", "receive-raw"]) {
  const a = (results[base] as { routesPerSecond?: number } | undefined)?.routesPerSecond;
  const b = (results[`${base}-node`] as { routesPerSecond?: number } | undefined)?.routesPerSecond;
  if (a && b) nativeVsNodeNet[`${base}RoutesPerSecond`] = +(a / b).toFixed(2);
}
results.nativeVsNodeNet = nativeVsNodeNet;
console.log(JSON.stringify(results, null, 2));
