/**
 * `deno task bench:scale`: the route table at scale, through the product's
 * own entry point, exactly as a user runs it: `anycast run --config FILE`
 * (a child process, `deno run -A main.ts run`), one real BIRD 2 receiving on
 * loopback, and BIRD -> BIRD doing the same work in the same run.
 *
 * Figures (never assertions: the machine is shared and noisy):
 *
 * 1. start: N static /32s (N = 1,000, 10,000, 100,000): seconds from process
 *    start until BIRD holds all N; BIRD -> BIRD for the same N
 *    (scripts/bench/peers.ts: t0 = the sender BIRD is told to announce, t1 =
 *    the receiver counts N) and the ratio ours / BIRD's.
 * 2. probes: 10,000 prefixes gated by HTTP readiness probes against a local
 *    HTTP server: process start until BIRD holds all.
 * 3. flip: with 10,000 announced, one prefix is switched off and on 50 times
 *    (maintenance over the control API). Latency = BIRD's log time of the
 *    route's withdraw/arrival minus the time the API request was sent
 *    (BIRD `debug { routes }`, millisecond log stamps): p50 / p99.
 * 4. stop: SIGTERM with 100,000 announced: seconds until BIRD holds none
 *    and the process has exited.
 * 5. RSS of the daemon with N announced (VmRSS, VmHWM), and the largest
 *    event-loop lag the daemon saw (`anycast_event_loop_lag_max_seconds`,
 *    scraped before SIGTERM, and its "stopped" log line after).
 *
 * Usage: deno task bench:scale [--sizes 1000,10000,100000] [--flips 50]
 *   [--only start,probes,flip,stop,bird]
 *
 * @module
 */
import { BirdPeer, hostPrefixes, pollUntil } from "../src/lab/mod.ts";
import { ControlClient } from "../src/control/client.ts";
import {
  BENCH_RECEIVER_ADDRESS,
  BENCH_RECEIVER_ASN,
  BENCH_SENDER_ADDRESS,
  BENCH_SENDER_ASN,
  birdRouteCount,
  measureSenderToBird,
  startBirdReceiver,
} from "./bench/peers.ts";

function flag(name: string, fallback: string): string {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Deno.args[i + 1] ?? fallback : fallback;
}

const SIZES = flag("sizes", "1000,10000,100000").split(",").map(Number);
const FLIPS = Number(flag("flips", "50"));
const ONLY = new Set(flag("only", "start,probes,flip,stop,bird").split(","));

/** Addresses in the benchmark block 127.0.1.0/24 (scripts/bench/peers.ts), away from the tests. */
const BIRD_ADDRESS = "127.0.1.50";
const BIRD_ASN = 65050;
const DAEMON_ADDRESS = "127.0.1.51";
const DAEMON_ASN = 64600;
const HTTP_ADDRESS = "127.0.1.52";
const METRICS_PORT = 19151;
const NEXT_HOP = "203.0.113.1";

interface Running {
  child: Deno.ChildProcess;
  startedAt: number;
  dir: string;
  socket: string;
  stderr: string[];
}

function configYaml(n: number, opts: { httpPort?: number; socket: string }): string {
  const lines = [
    "logging:",
    "  level: info",
    "speaker:",
    `  asn: ${DAEMON_ASN}`,
    `  routerId: ${DAEMON_ADDRESS}`,
    "  listenPort: 0",
    "api:",
    `  socket: ${opts.socket}`,
    "metrics:",
    "  enabled: true",
    `  address: ${DAEMON_ADDRESS}:${METRICS_PORT}`,
    "neighbors:",
    `  - address: ${BIRD_ADDRESS}`,
    `    asn: ${BIRD_ASN}`,
    `    localAddress: ${DAEMON_ADDRESS}`,
    "    holdTime: 9s",
    "    keepalive: 3s",
    "    connectRetry: 1s",
    "prefixes:",
  ];
  for (const prefix of hostPrefixes(n, "10.0.0.0")) {
    lines.push(`  - ipAddress: ${prefix}`, `    nextHop: ${NEXT_HOP}`);
    if (opts.httpPort !== undefined) {
      lines.push(
        "    readinessProbe:",
        "      periodSeconds: 10",
        "      timeoutSeconds: 5",
        "      http:",
        `        host: ${HTTP_ADDRESS}`,
        `        port: ${opts.httpPort}`,
        "        path: /health",
      );
    }
  }
  return lines.join("\n") + "\n";
}

async function startDaemon(n: number, httpPort?: number): Promise<Running> {
  const dir = await Deno.makeTempDir({ prefix: "acst-scale-" });
  const socket = `${dir}/anycast.sock`;
  const config = `${dir}/config.yaml`;
  await Deno.writeTextFile(config, configYaml(n, { socket, ...(httpPort ? { httpPort } : {}) }));
  const main = new URL("../main.ts", import.meta.url).pathname;
  const startedAt = performance.now();
  // Exactly the `anycast` task: deno run -A --v8-flags=--max-semi-space-size=1 main.ts run.
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--v8-flags=--max-semi-space-size=1",
      // For profiling: BENCH_DENO_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof".
      ...(Deno.env.get("BENCH_DENO_FLAGS")?.split(" ").filter(Boolean) ?? []),
      main,
      "run",
      "--config",
      config,
    ],
    // BENCH_DAEMON_STDOUT=1 shows what the daemon prints on stdout (e.g. --trace-gc).
    stdout: Deno.env.get("BENCH_DAEMON_STDOUT") ? "inherit" : "null",
    stderr: "piped",
  }).spawn();
  const stderr: string[] = [];
  void (async () => {
    const decoder = new TextDecoderStream();
    let tail = "";
    for await (const chunk of child.stderr.pipeThrough(decoder)) {
      tail += chunk;
      const parts = tail.split("\n");
      tail = parts.pop() ?? "";
      stderr.push(...parts);
      if (stderr.length > 2000) stderr.splice(0, stderr.length - 2000);
    }
  })();
  return { child, startedAt, dir, socket, stderr };
}

async function stopDaemon(d: Running): Promise<{ exitMs: number; code: number }> {
  const t0 = performance.now();
  try {
    d.child.kill("SIGTERM");
  } catch { /* already gone */ }
  const status = await d.child.status;
  return { exitMs: performance.now() - t0, code: status.code };
}

async function rss(pid: number): Promise<{ rssMiB: number; hwmMiB: number }> {
  // The deno child is the daemon itself (no wrapper process).
  const text = await Deno.readTextFile(`/proc/${pid}/status`).catch(() => "");
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(text)?.[1] ?? 0);
  return { rssMiB: kb("VmRSS") / 1024, hwmMiB: kb("VmHWM") / 1024 };
}

async function scrapeLoopLagMs(): Promise<number | undefined> {
  try {
    const text = await (await fetch(`http://${DAEMON_ADDRESS}:${METRICS_PORT}/metrics`)).text();
    const m = /^anycast_event_loop_lag_max_seconds (\S+)$/m.exec(text);
    return m ? Number(m[1]) * 1000 : undefined;
  } catch {
    return undefined;
  }
}

async function waitCount(bird: BirdPeer, n: number, timeoutMs = 900_000): Promise<number> {
  return await pollUntil(`BIRD to hold ${n} routes`, async () => {
    const c = await birdRouteCount(bird);
    return c === n ? performance.now() : undefined;
  }, { timeoutMs, intervalMs: 50 });
}

/**
 * BIRD -> BIRD from the sender's process start: a BIRD whose config holds n
 * static /32s is started, t1 = the receiver counts n. The same definition as
 * ours (process start -> BIRD holds all).
 */
async function birdColdStart(n: number): Promise<number> {
  await using receiver = await startBirdReceiver([
    { address: BENCH_SENDER_ADDRESS, asn: BENCH_SENDER_ASN, holdTime: 90 },
  ]);
  const t0 = performance.now();
  await using _sender = await BirdPeer.start({
    address: BENCH_SENDER_ADDRESS,
    asn: BENCH_SENDER_ASN,
    neighbors: [{ address: BENCH_RECEIVER_ADDRESS, asn: BENCH_RECEIVER_ASN, holdTime: 90 }],
    families: ["ipv4"],
    initialRoutes: (function* () {
      for (const prefix of hostPrefixes(n, "10.0.0.0")) yield { prefix, nextHop: NEXT_HOP };
    })(),
  });
  const t1 = await waitCount(receiver, n);
  return (t1 - t0) / 1000;
}

/** Our session's Established time from the daemon's log (ms since epoch). */
function establishedAt(d: Running): number | undefined {
  const line = d.stderr.find((l) => l.includes("-> Established"));
  const m = line && /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) ([+-]\d\d:\d\d)/.exec(line);
  return m ? new Date(`${m[1]!.replace(" ", "T")}${m[2]}`).getTime() : undefined;
}

function quantile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
}

const fmt = (x: number | undefined, d = 2) => x === undefined ? "n/a" : x.toFixed(d);

interface StartResult {
  n: number;
  seconds: number;
  rssMiB: number;
  hwmMiB: number;
  lagMs?: number | undefined;
  /** Our session Established -> BIRD holds all. */
  fromEstablishedSeconds?: number | undefined;
  stopSeconds?: number;
  stoppedLine?: string | undefined;
}

/** Start with n static prefixes; optionally flip, then SIGTERM and time the withdrawal. */
async function runStatic(n: number, flips: number): Promise<StartResult & { flips?: Flips }> {
  await using bird = await BirdPeer.start({
    address: BIRD_ADDRESS,
    asn: BIRD_ASN,
    neighbors: [{ address: DAEMON_ADDRESS, asn: DAEMON_ASN, holdTime: 90, debugRoutes: flips > 0 }],
    families: ["ipv4"],
  });
  const d = await startDaemon(n);
  try {
    const t1 = await waitCount(bird, n);
    const t1Epoch = Date.now() - (performance.now() - t1);
    const seconds = (t1 - d.startedAt) / 1000;
    const mem = await rss(d.child.pid);
    const result: StartResult & { flips?: Flips } = { n, seconds, ...mem };
    const up = establishedAt(d);
    if (up !== undefined) result.fromEstablishedSeconds = (t1Epoch - up) / 1000;
    if (flips > 0) result.flips = await flipLatencies(bird, d, flips);
    result.lagMs = await scrapeLoopLagMs();
    // SIGTERM: until BIRD holds nothing and the process is gone.
    const t0 = performance.now();
    const exited = stopDaemon(d);
    await waitCount(bird, 0, 120_000);
    await exited;
    result.stopSeconds = (performance.now() - t0) / 1000;
    result.stoppedLine = d.stderr.find((l) => l.includes("largest event-loop lag"));
    return result;
  } finally {
    try {
      d.child.kill("SIGKILL");
    } catch { /* exited */ }
    await d.child.status.catch(() => {});
    await Deno.remove(d.dir, { recursive: true }).catch(() => {});
  }
}

/** BIRD's log time (ms since epoch) of the latest change of `prefix` after `since`. */
async function birdLogTime(bird: BirdPeer, prefix: string, since: number, what: RegExp) {
  return await pollUntil(`BIRD to log ${prefix}`, async () => {
    const text = await Deno.readTextFile(bird.logFile);
    const lines = text.split("\n").filter((l) => l.includes(prefix) && what.test(l));
    for (let i = lines.length - 1; i >= 0; i--) {
      const m = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})/.exec(lines[i]!);
      if (!m) continue;
      const t = new Date(m[1]!.replace(" ", "T")).getTime();
      if (t >= since - 1) return t;
    }
    return undefined;
  }, { timeoutMs: 10_000, intervalMs: 5 });
}

/** The daemon's log time (ms since epoch) of its latest decision for `prefix`. */
function decisionTime(d: Running, prefix: string, since: number): number | undefined {
  for (let i = d.stderr.length - 1; i >= 0; i--) {
    const line = d.stderr[i]!;
    if (!line.includes(`prefix ${prefix}: `) || !line.includes(" -> ")) continue;
    const m = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) ([+-]\d\d:\d\d)/.exec(line);
    if (!m) continue;
    const t = new Date(`${m[1]!.replace(" ", "T")}${m[2]}`).getTime();
    if (t >= since - 1) return t;
  }
  return undefined;
}

interface Flips {
  /** API request sent -> BIRD's log. */
  apiMs: number[];
  /** The daemon's decision (its log line) -> BIRD's log. */
  decisionMs: number[];
}

async function flipLatencies(bird: BirdPeer, d: Running, flips: number): Promise<Flips> {
  const client = new ControlClient({ socket: d.socket });
  const prefix = "10.0.0.7/32";
  const out: Flips = { apiMs: [], decisionMs: [] };
  for (let i = 0; i < flips; i++) {
    const on = i % 2 === 0; // maintenance on = withdraw, off = announce again
    const sent = Date.now();
    await client.maintenance(prefix, on);
    const t = await birdLogTime(bird, prefix, sent, on ? /removed/ : /added/);
    out.apiMs.push(t - sent);
    // Let the log line arrive through the pipe before looking for it.
    await new Promise((r) => setTimeout(r, 50));
    const decided = decisionTime(d, prefix, sent);
    if (decided !== undefined) out.decisionMs.push(t - decided);
  }
  return out;
}

async function runProbes(n: number): Promise<StartResult> {
  const server = Deno.serve(
    { hostname: HTTP_ADDRESS, port: 0, onListen: () => {} },
    () => new Response("ok"),
  );
  await using bird = await BirdPeer.start({
    address: BIRD_ADDRESS,
    asn: BIRD_ASN,
    neighbors: [{ address: DAEMON_ADDRESS, asn: DAEMON_ASN, holdTime: 90 }],
    families: ["ipv4"],
  });
  const d = await startDaemon(n, server.addr.port);
  try {
    const t1 = await waitCount(bird, n);
    const mem = await rss(d.child.pid);
    const lagMs = await scrapeLoopLagMs();
    await stopDaemon(d);
    return { n, seconds: (t1 - d.startedAt) / 1000, ...mem, lagMs };
  } finally {
    try {
      d.child.kill("SIGKILL");
    } catch { /* exited */ }
    await d.child.status.catch(() => {});
    await server.shutdown();
    await Deno.remove(d.dir, { recursive: true }).catch(() => {});
  }
}

console.log(`bench:scale ${new Date().toISOString()} (anycast run --config, one BIRD 2 receiver)`);
const rssBySize: { n: number; rssMiB: number }[] = [];
for (const n of SIZES) {
  if (!ONLY.has("start")) break;
  const flips = ONLY.has("flip") && n === 10_000 ? FLIPS : 0;
  const r = await runStatic(n, flips);
  rssBySize.push({ n, rssMiB: r.rssMiB });
  console.log(`start ${n} static /32s, process start -> BIRD holds all: ours ${fmt(r.seconds)} s`);
  if (ONLY.has("bird")) {
    const cold = await birdColdStart(n);
    console.log(
      `  BIRD -> BIRD from the sender's process start ${fmt(cold)} s; ratio ours/BIRD ` +
        fmt(r.seconds / cold),
    );
    const warm = await measureSenderToBird("bird", n);
    console.log(
      `  session up -> BIRD holds all: ours ${fmt(r.fromEstablishedSeconds)} s; BIRD -> BIRD ` +
        `(told to announce on an Established session) ${fmt(warm)} s; ratio ` +
        fmt((r.fromEstablishedSeconds ?? NaN) / warm),
    );
  }
  console.log(
    `  RSS ${fmt(r.rssMiB, 1)} MiB (VmHWM ${fmt(r.hwmMiB, 1)} MiB); largest event-loop lag ` +
      `${fmt(r.lagMs, 1)} ms; SIGTERM -> all withdrawn and exited ${fmt(r.stopSeconds)} s`,
  );
  if (r.stoppedLine) console.log(`  daemon: ${r.stoppedLine.replace(/^.*?(stopped)/, "$1")}`);
  if (r.flips) {
    const show = (what: string, ms: number[]) =>
      console.log(
        `  flip one prefix at ${n}, ${what}: p50 ${fmt(quantile(ms, 0.5), 1)} ms, p99 ` +
          `${fmt(quantile(ms, 0.99), 1)} ms, max ${
            fmt(Math.max(...ms), 1)
          } ms (${ms.length} flips)`,
      );
    show("decision -> BIRD's table", r.flips.decisionMs);
    show("API request -> BIRD's table", r.flips.apiMs);
  }
}
if (rssBySize.length >= 2) {
  const a = rssBySize[0]!, b = rssBySize[rssBySize.length - 1]!;
  const perRoute = ((b.rssMiB - a.rssMiB) * 1024) / (b.n - a.n);
  console.log(
    `memory per announced route: ${fmt(perRoute, 2)} KiB (RSS growth from ${a.n} to ${b.n} ` +
      "prefixes: config, policy state, route table, Adj-RIB-Out, metrics)",
  );
}
if (ONLY.has("probes")) {
  const r = await runProbes(10_000);
  console.log(
    `probes 10000 prefixes with HTTP readiness probes: ${fmt(r.seconds)} s until BIRD holds all; ` +
      `RSS ${fmt(r.rssMiB, 1)} MiB; largest event-loop lag ${fmt(r.lagMs, 1)} ms`,
  );
}
