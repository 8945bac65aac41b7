/**
 * Idle memory of `anycast run` with 10 prefixes and 2 peers (a real BIRD and a
 * real GoBGP on loopback). Bounded: a fixed number of runs, stops by itself,
 * kills what it starts.
 *
 * Per run: start `anycast run` (the way the `anycast` task in deno.json starts
 * it, so the V8 flags users get are the ones measured), wait until both
 * sessions are Established and both peers hold all 10 prefixes, then stay idle
 * (one prefix keeps its HTTP readiness probe running every second) and read
 * VmRSS (split into RssAnon and RssFile) and VmHWM (peak) from
 * /proc/PID/status; RSS is also sampled every second of the idle time.
 * Prints each run and min / median over the runs.
 *
 * Usage: `deno task bench:rss [--runs 3] [--idle 30] [--v8-flags FLAGS]
 *   [--binary PATH | --bundle PATH]`
 *   --v8-flags FLAGS  use these V8 flags instead of the task's ("" for none)
 *   --binary PATH     measure a compiled binary (`deno task compile`) instead
 *   --bundle PATH     run this `deno bundle` output (one .js file) instead of main.ts
 *
 * @module
 */
import { BirdPeer, GoBgpPeer, NEXT_HOP_V4, SPARE_ADDRESSES } from "../src/lab/mod.ts";

function flag(name: string): string | undefined {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Deno.args[i + 1] : undefined;
}

const RUNS = Number(flag("runs") ?? "3");
const IDLE_SECONDS = Number(flag("idle") ?? "30");
const BINARY = flag("binary");
const BUNDLE = flag("bundle");
// Addresses 127.0.0.44-46: used by no test suite or other benchmark.
const OURS = SPARE_ADDRESSES[34]!;
const BIRD = SPARE_ADDRESSES[35]!;
const GOBGP = SPARE_ADDRESSES[36]!;
const OUR_ASN = 64600;
const BIRD_ASN = 65002;
const GOBGP_ASN = 65001;
const PREFIXES = Array.from({ length: 10 }, (_, i) => `198.51.100.${120 + i}/32`);
const ROOT = new URL("..", import.meta.url).pathname;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The V8 flags of the `anycast` task in deno.json, unless --v8-flags overrides them. */
async function v8Flags(): Promise<string> {
  const override = flag("v8-flags");
  if (override !== undefined) return override;
  const tasks = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).tasks;
  return /--v8-flags=(\S+)/.exec(String(tasks?.anycast ?? ""))?.[1] ?? "";
}

/** The command line that starts the daemon. */
function daemonCommand(flags: string, config: string): [string, string[]] {
  const runArgs = ["run", "--config", config];
  if (BINARY !== undefined) return [BINARY, runArgs];
  const entry = BUNDLE === undefined ? [`${ROOT}main.ts`] : ["--no-config", BUNDLE];
  const deno = ["run", "-A", ...(flags ? [`--v8-flags=${flags}`] : []), ...entry];
  return [Deno.execPath(), [...deno, ...runArgs]];
}

interface Memory {
  rssMb: number;
  hwmMb: number;
  /** Private memory (V8 heap, malloc): what this daemon alone costs. */
  anonMb: number;
  /** Pages of the executable and libraries: shared with other processes, evictable. */
  fileMb: number;
}

async function memory(pid: number): Promise<Memory> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1]);
  return {
    rssMb: kb("VmRSS") / 1024,
    hwmMb: kb("VmHWM") / 1024,
    anonMb: kb("RssAnon") / 1024,
    fileMb: kb("RssFile") / 1024,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function waitFor(what: string, cond: () => Promise<boolean>, timeoutMs = 60_000) {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

function configYaml(dir: string, healthPort: number): string {
  const neighbor = (address: string, asn: number) => [
    `  - address: "${address}"`,
    `    asn: ${asn}`,
    `    localAddress: "${OURS}"`,
    "    holdTime: 9s",
  ];
  const prefix = (p: string, i: number) => [
    `  - ipAddress: "${p}"`,
    `    nextHop: "${NEXT_HOP_V4}"`,
    // The first prefix keeps a probe running through the idle time, as a real daemon would.
    ...(i === 0
      ? [
        "    readinessProbe:",
        "      periodSeconds: 1s",
        "      timeoutSeconds: 500ms",
        "      http:",
        `        port: ${healthPort}`,
        "        path: /health",
      ]
      : []),
  ];
  return [
    "speaker:",
    `  asn: ${OUR_ASN}`,
    `  routerId: "${OURS}"`,
    "  listenPort: 0",
    "api:",
    `  socket: "${dir}/anycast.sock"`,
    "neighbors:",
    ...neighbor(BIRD, BIRD_ASN),
    ...neighbor(GOBGP, GOBGP_ASN),
    "prefixes:",
    ...PREFIXES.flatMap(prefix),
    "",
  ].join("\n");
}

interface RunResult extends Memory {
  idleMaxMb: number;
  startupSeconds: number;
}

async function measureOnce(
  flags: string,
  config: string,
  bird: BirdPeer,
  gobgp: GoBgpPeer,
): Promise<RunResult> {
  const [command, args] = daemonCommand(flags, config);
  const started = performance.now();
  const daemon = new Deno.Command(command, {
    args,
    env: { LOG_LEVEL: "warning" },
    stdin: "null",
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  try {
    await bird.waitEstablished(OURS, 60_000);
    await gobgp.waitEstablished(OURS, 60_000);
    const holdsAll = async (peer: BirdPeer | GoBgpPeer) => {
      const have = new Set((await peer.rib("ipv4")).map((r) => r.prefix));
      return PREFIXES.every((p) => have.has(p));
    };
    await waitFor("all prefixes at BIRD", () => holdsAll(bird));
    await waitFor("all prefixes at GoBGP", () => holdsAll(gobgp));
    const startupSeconds = (performance.now() - started) / 1000;
    let idleMaxMb = 0;
    for (let s = 0; s < IDLE_SECONDS; s++) {
      await sleep(1000);
      idleMaxMb = Math.max(idleMaxMb, (await memory(daemon.pid)).rssMb);
    }
    return { ...(await memory(daemon.pid)), idleMaxMb, startupSeconds };
  } finally {
    try {
      daemon.kill("SIGTERM");
    } catch {
      // Already gone.
    }
    const timer = setTimeout(() => {
      try {
        daemon.kill("SIGKILL");
      } catch {
        // Already gone.
      }
    }, 15_000);
    await daemon.status;
    clearTimeout(timer);
    // Let both peers see the session go before the next run connects.
    await waitFor("BIRD to drop the session", async () => {
      return (await bird.sessionState(OURS)) !== "established";
    }).catch(() => {});
  }
}

async function main(): Promise<void> {
  const flags = await v8Flags();
  const dir = await Deno.makeTempDir({ prefix: "anycast-bench-rss-" });
  const health = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response("ok\n"),
  );
  const neighbors = [{ address: OURS, asn: OUR_ASN, holdTime: 9 }];
  const bird = await BirdPeer.start({ address: BIRD, asn: BIRD_ASN, neighbors });
  let gobgp: GoBgpPeer | undefined;
  try {
    gobgp = await GoBgpPeer.start({
      address: GOBGP,
      asn: GOBGP_ASN,
      neighbors: [{ address: OURS, asn: OUR_ASN, holdTime: 9, multihop: true }],
    });
    const config = `${dir}/config.yaml`;
    await Deno.writeTextFile(config, configYaml(dir, health.addr.port));
    const what = BINARY ??
      `deno run${flags ? ` --v8-flags=${flags}` : ""} ${BUNDLE ?? "main.ts"}`;
    console.log(
      `anycast run (${what}), ${PREFIXES.length} prefixes, 2 peers, ${IDLE_SECONDS} s idle`,
    );
    const results: RunResult[] = [];
    for (let run = 1; run <= RUNS; run++) {
      const r = await measureOnce(flags, config, bird, gobgp);
      results.push(r);
      console.log(
        `run ${run}/${RUNS}: VmRSS ${r.rssMb.toFixed(1)} MB (anon ${r.anonMb.toFixed(1)}, ` +
          `file ${r.fileMb.toFixed(1)}), VmHWM ${r.hwmMb.toFixed(1)} MB, ` +
          `idle max ${r.idleMaxMb.toFixed(1)} MB, up in ${r.startupSeconds.toFixed(1)} s`,
      );
    }
    const line = (name: string, values: number[]) =>
      `${name}: min ${Math.min(...values).toFixed(1)} MB, median ${median(values).toFixed(1)} MB`;
    console.log(line("VmRSS", results.map((r) => r.rssMb)));
    console.log(line("RssAnon", results.map((r) => r.anonMb)));
    console.log(line("RssFile", results.map((r) => r.fileMb)));
    console.log(line("VmHWM", results.map((r) => r.hwmMb)));
    console.log(line("idle max RSS", results.map((r) => r.idleMaxMb)));
  } finally {
    await gobgp?.stop();
    await bird.stop();
    await health.shutdown();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) await main();
