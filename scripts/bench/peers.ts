// Peer-daemon side of the BGP benchmarks: how fast do real daemons deliver N
// routes to BIRD, and a peer that sends us many routes for the receive benchmark.
//
// Definition used for every sender (and by scripts/bench_bgp.ts for our speaker):
//   t0 = the moment the harness tells the sender to announce N routes it does not
//        hold yet, with the BGP session to BIRD already Established and both
//        tables empty;
//   t1 = the first poll (every 100 ms) at which BIRD's `show route count` shows N.
// So the figure includes the sender's own ingestion of the routes (GoBGP parsing
// the MRT file, ExaBGP parsing API lines, BIRD parsing its config) plus encoding,
// transfer and BIRD's import; polling adds at most 100 ms.
//
// Usage: deno run -A scripts/bench/peers.ts [N=100000] [gobgp exabgp bird]

import {
  BirdPeer,
  encodeTableDumpV2,
  ExaBgpPeer,
  GoBgpPeer,
  hostPrefixes,
  type PeerDaemon,
  type PeerOptions,
  PollAborted,
  pollUntil,
} from "../../src/lab/mod.ts";

export type Sender = "gobgp" | "exabgp" | "bird";

/** Benchmark addresses lie in 127.0.1.0/24, outside the test address plan, so tests can run beside it. */
export const BENCH_RECEIVER_ADDRESS = "127.0.1.40";
export const BENCH_SENDER_ADDRESS = "127.0.1.41";
export const BENCH_RECEIVER_ASN = 65040;
export const BENCH_SENDER_ASN = 65041;
const BENCH_NEXT_HOP = "203.0.113.41";

/** Routes in BIRD's IPv4 table; one cheap `birdc show route count`. */
export async function birdRouteCount(bird: BirdPeer): Promise<number> {
  return await bird.routeCount("ipv4");
}

/** Poll `birdRouteCount` every `intervalMs` until it reaches `n`; resolves with the time it did. */
export async function waitBirdCount(
  bird: BirdPeer,
  n: number,
  opts: { timeoutMs?: number; intervalMs?: number; stallMs?: number } = {},
): Promise<number> {
  let last = -1;
  let lastChange = performance.now();
  const stallMs = opts.stallMs ?? 30_000;
  return await pollUntil(`BIRD to hold ${n} routes`, async () => {
    const count = await birdRouteCount(bird);
    if (count !== last) [last, lastChange] = [count, performance.now()];
    // A count that stopped moving will not reach n: fail now, not at the timeout.
    if (count < n && performance.now() - lastChange > stallMs) {
      throw new PollAborted(`BIRD's route count stalled at ${count} of ${n} for ${stallMs} ms`);
    }
    return count >= n ? performance.now() : undefined;
  }, {
    timeoutMs: opts.timeoutMs ?? 600_000,
    intervalMs: opts.intervalMs ?? 100,
    describe: async () => `BIRD holds ${last} routes\n${await bird.logTail(10)}`,
  });
}

/** A BIRD that only receives (export none) from `neighbors`. */
export async function startBirdReceiver(
  neighbors: PeerOptions["neighbors"],
  address = BENCH_RECEIVER_ADDRESS,
  asn = BENCH_RECEIVER_ASN,
): Promise<BirdPeer> {
  return await BirdPeer.start({ address, asn, neighbors, families: ["ipv4"] });
}

/**
 * Write an MRT TABLE_DUMP_V2 file of `n` /32s (from 10.0.0.0) for `gobgp mrt inject`.
 *
 * gobgp 3.10's `mrt inject` loses the tail of the stream (the CLI exits before
 * gobgpd has consumed its last messages; seen: 300–900 of 2,000 routes lost).
 * So the file ends with `padding` repeats of its first routes, identical paths
 * that change nothing when they arrive and cost nothing when they are lost.
 */
export async function writeMrtFile(
  path: string,
  n: number,
  nextHop = BENCH_NEXT_HOP,
  padding = Math.min(n, 5000),
) {
  const routes = (function* () {
    for (const prefix of hostPrefixes(n)) yield { prefix, nextHop };
    for (const prefix of hostPrefixes(padding)) yield { prefix, nextHop };
  })();
  await Deno.writeFile(
    path,
    encodeTableDumpV2(routes, { routerId: "192.0.2.1", address: "192.0.2.1", asn: 64999 }),
  );
}

/** Make an established sender announce `n` /32s by its bulk mechanism. */
async function announceBulk(sender: PeerDaemon, kind: Sender, n: number, mrtFile?: string) {
  if (kind === "gobgp") {
    await (sender as GoBgpPeer).injectMrt(mrtFile!);
    await assertGoBgpHolds(sender as GoBgpPeer, n);
  } else if (kind === "bird") {
    const routes = (function* () {
      for (const prefix of hostPrefixes(n)) yield { prefix, nextHop: BENCH_NEXT_HOP };
    })();
    await (sender as BirdPeer).announceMany(routes);
  } else {
    // One API line per 500 prefixes sharing the same attributes (ExaBGP's bulk form).
    const lines = (function* () {
      let batch: string[] = [];
      for (const prefix of hostPrefixes(n)) {
        batch.push(prefix);
        if (batch.length === 500) {
          yield `announce attributes next-hop ${BENCH_NEXT_HOP} origin igp nlri ${batch.join(" ")}`;
          batch = [];
        }
      }
      if (batch.length) {
        yield `announce attributes next-hop ${BENCH_NEXT_HOP} origin igp nlri ${batch.join(" ")}`;
      }
    })();
    await (sender as ExaBgpPeer).commands(lines);
  }
}

/** Fail clearly (instead of waiting forever) if `gobgp mrt inject` lost real routes. */
async function assertGoBgpHolds(peer: GoBgpPeer, n: number): Promise<void> {
  const summary = await peer.gobgp("global", "rib", "summary", "-a", "ipv4");
  const have = Number(/Destination: (\d+)/.exec(summary)?.[1] ?? 0);
  if (have < n) throw new Error(`gobgp mrt inject loaded ${have} of ${n} routes`);
}

async function startSender(kind: Sender, opts: PeerOptions): Promise<PeerDaemon> {
  if (kind === "gobgp") return await GoBgpPeer.start(opts);
  if (kind === "exabgp") return await ExaBgpPeer.start(opts);
  return await BirdPeer.start(opts);
}

export interface SenderMeasurement {
  sender: Sender;
  routes: number;
  /** t1 − t0 as defined at the top of this file. */
  seconds: number;
  /** Part of `seconds` spent before the sender's load command returned (GoBGP inject, BIRD configure). */
  loadCommandSeconds: number;
}

/**
 * Time for `sender` to deliver `n` IPv4 /32s to a BIRD receiver (see the
 * definition at the top of this file). Starts and stops both daemons.
 */
export async function measureSenderToBird(sender: Sender, n: number): Promise<number> {
  return (await measureSenderToBirdDetailed(sender, n)).seconds;
}

export async function measureSenderToBirdDetailed(
  sender: Sender,
  n: number,
): Promise<SenderMeasurement> {
  const work = await Deno.makeTempDir({ prefix: "acst-bench-" });
  try {
    let mrtFile: string | undefined;
    if (sender === "gobgp") {
      mrtFile = `${work}/routes.mrt`;
      await writeMrtFile(mrtFile, n);
    }
    await using bird = await startBirdReceiver([
      { address: BENCH_SENDER_ADDRESS, asn: BENCH_SENDER_ASN, holdTime: 90 },
    ]);
    await using peer = await startSender(sender, {
      address: BENCH_SENDER_ADDRESS,
      asn: BENCH_SENDER_ASN,
      neighbors: [{ address: BENCH_RECEIVER_ADDRESS, asn: BENCH_RECEIVER_ASN, holdTime: 90 }],
      families: ["ipv4"],
    });
    await bird.waitEstablished(BENCH_SENDER_ADDRESS, 30_000);
    await peer.waitEstablished(BENCH_RECEIVER_ADDRESS, 30_000);
    if ((await birdRouteCount(bird)) !== 0) throw new Error("BIRD's table is not empty at t0");

    const t0 = performance.now();
    await announceBulk(peer, sender, n, mrtFile);
    const loaded = performance.now();
    const t1 = await waitBirdCount(bird, n);
    return {
      sender,
      routes: n,
      seconds: (t1 - t0) / 1000,
      loadCommandSeconds: (loaded - t0) / 1000,
    };
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
}

export interface RouteFeederOptions {
  /** "bird" (static protocol, lighter) or "gobgp" (MRT inject). Default "bird". */
  kind?: "bird" | "gobgp";
  /** Number of IPv4 /32s from 10.0.0.0. Default 1,000,000. */
  count?: number;
  /** The feeder's own address. Default 127.0.1.42. */
  address?: string;
  /** Default 65042. */
  asn?: number;
  /** Our speaker: where the feeder connects (or listens for, with passive). */
  neighbor: PeerOptions["neighbors"][number];
}

/**
 * A peer that sends US `count` routes (receive benchmark). The routes are
 * loaded before it returns; they flow as soon as the session with `neighbor`
 * is Established. `loadSeconds` is how long loading took.
 */
export async function startRouteFeeder(
  opts: RouteFeederOptions,
): Promise<{ peer: GoBgpPeer | BirdPeer; loadSeconds: number }> {
  const count = opts.count ?? 1_000_000;
  const peerOpts: PeerOptions = {
    address: opts.address ?? "127.0.1.42",
    asn: opts.asn ?? 65042,
    neighbors: [opts.neighbor],
    families: ["ipv4"],
  };
  const t0 = performance.now();
  if (opts.kind === "gobgp") {
    const peer = await GoBgpPeer.start(peerOpts);
    try {
      const file = `${peer.workDir}/feed.mrt`;
      await writeMrtFile(file, count);
      await peer.injectMrt(file);
      await assertGoBgpHolds(peer, count);
      await Deno.remove(file);
    } catch (e) {
      await peer.stop();
      throw e;
    }
    return { peer, loadSeconds: (performance.now() - t0) / 1000 };
  }
  const peer = await BirdPeer.start(peerOpts);
  try {
    const routes = (function* () {
      for (const prefix of hostPrefixes(count)) yield { prefix, nextHop: BENCH_NEXT_HOP };
    })();
    await peer.announceMany(routes);
  } catch (e) {
    await peer.stop();
    throw e;
  }
  return { peer, loadSeconds: (performance.now() - t0) / 1000 };
}

if (import.meta.main) {
  const n = Number(Deno.args[0] ?? 100_000);
  const senders =
    (Deno.args.slice(1).length ? Deno.args.slice(1) : ["gobgp", "exabgp", "bird"]) as Sender[];
  console.log(
    `Delivering ${n} IPv4 /32s to BIRD 2 (t0: announce on an established session; t1: BIRD counts ${n})`,
  );
  for (const s of senders) {
    const m = await measureSenderToBirdDetailed(s, n);
    console.log(
      `${s.padEnd(7)} ${m.seconds.toFixed(2).padStart(7)} s  ` +
        `(${Math.round(n / m.seconds)} routes/s; load command ${
          m.loadCommandSeconds.toFixed(2)
        } s)`,
    );
  }
}
