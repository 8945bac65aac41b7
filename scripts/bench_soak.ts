/**
 * Soak: `anycast run` with 20 prefixes whose health flaps all the time, each
 * behind a real HTTP readiness probe, announced to one real BIRD. Checks
 * BIRD's table against a model of what must be announced, and samples the
 * daemon's RSS and V8 heap (and BIRD's RSS next to it) over the run.
 *
 * Loop: every --flip-ms one random prefix's health endpoint flips (200 <->
 * 503); every --check-seconds the flips pause and BIRD's table must equal the
 * model within 5 s (a comparison; a miss is a divergence, printed with the
 * difference). Memory is sampled at every check: RSS from /proc/PID/status,
 * the heap from the daemon's own `GET /v1/status` (Deno.memoryUsage()).
 *
 * Addresses 127.0.16.1 (BIRD) and 127.0.16.2 (ours) on loopback, used by no
 * test or other benchmark, so it can run beside the interop suites.
 *
 * Usage: `deno task bench:soak [--minutes 60] [--flip-ms 500] [--check-seconds 10]
 *   [--warmup-minutes 2]`
 *
 * @module
 */
import { BirdPeer, NEXT_HOP_V4 } from "../src/lab/mod.ts";
import { ControlClient } from "../src/control/client.ts";

function flag(name: string): string | undefined {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Deno.args[i + 1] : undefined;
}

const MINUTES = Number(flag("minutes") ?? "60");
const FLIP_MS = Number(flag("flip-ms") ?? "500");
const CHECK_SECONDS = Number(flag("check-seconds") ?? "10");
const WARMUP_MINUTES = Number(flag("warmup-minutes") ?? String(Math.min(2, MINUTES / 5)));
const BIRD = "127.0.16.1";
const OURS = "127.0.16.2";
const OUR_ASN = 64600;
const BIRD_ASN = 65002;
const COUNT = 20;
const PREFIXES = Array.from({ length: COUNT }, (_, i) => `198.51.100.${140 + i}/32`);
const ROOT = new URL("..", import.meta.url).pathname;
/** How long BIRD may take to match the model after the flips pause. */
const CONVERGE_MS = 5000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (
  const [name, v] of [["minutes", MINUTES], ["flip-ms", FLIP_MS], ["check-seconds", CHECK_SECONDS]]
) {
  if (!Number.isFinite(v as number) || (v as number) <= 0) {
    console.error(`bench:soak: --${name} must be a positive number`);
    Deno.exit(2);
  }
}

/** The V8 flags of the `anycast` task in deno.json: the ones users run with. */
async function v8Flags(): Promise<string> {
  const tasks = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).tasks;
  return /--v8-flags=(\S+)/.exec(String(tasks?.anycast ?? ""))?.[1] ?? "";
}

async function rssMb(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
}

function configYaml(dir: string, healthPort: number): string {
  return [
    "speaker:",
    `  asn: ${OUR_ASN}`,
    `  routerId: "${OURS}"`,
    "api:",
    `  socket: "${dir}/anycast.sock"`,
    "neighbors:",
    `  - address: "${BIRD}"`,
    `    asn: ${BIRD_ASN}`,
    `    localAddress: "${OURS}"`,
    "    holdTime: 9s",
    "prefixes:",
    ...PREFIXES.flatMap((p, i) => [
      `  - ipAddress: "${p}"`,
      `    nextHop: "${NEXT_HOP_V4}"`,
      "    readinessProbe:",
      "      periodSeconds: 250ms",
      "      timeoutSeconds: 200ms",
      "      failureThreshold: 1",
      "      successThreshold: 1",
      "      http:",
      `        port: ${healthPort}`,
      `        path: /health/${i}`,
    ]),
    "",
  ].join("\n");
}

interface Sample {
  atMinutes: number;
  rssMb: number;
  heapUsedMb: number;
  birdRssMb: number;
}

function fmt(n: number, digits = 1): string {
  return n.toFixed(digits);
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "anycast-bench-soak-" });
  // The model: which prefixes are healthy, hence must be at BIRD.
  const healthy = PREFIXES.map(() => true);
  let probes = 0;
  const health = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    probes++;
    const i = Number(/^\/health\/(\d+)$/.exec(new URL(req.url).pathname)?.[1] ?? -1);
    const up = healthy[i] ?? false;
    return new Response(up ? "ok\n" : "failing\n", { status: up ? 200 : 503 });
  });
  const bird = await BirdPeer.start({
    address: BIRD,
    asn: BIRD_ASN,
    neighbors: [{ address: OURS, asn: OUR_ASN, holdTime: 9 }],
  });
  await Deno.writeTextFile(`${dir}/config.yaml`, configYaml(dir, health.addr.port));
  const flags = await v8Flags();
  const daemon = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      ...(flags ? [`--v8-flags=${flags}`] : []),
      `${ROOT}main.ts`,
      "run",
      "--config",
      `${dir}/config.yaml`,
    ],
    env: { LOG_LEVEL: "warning" },
    stdin: "null",
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  const client = new ControlClient({ socket: `${dir}/anycast.sock` });
  const atBird = async (): Promise<Set<string>> =>
    new Set(
      (await bird.rib("ipv4").catch(() => [])).filter((r) => r.from === OURS).map((r) => r.prefix),
    );
  const wanted = () => new Set(PREFIXES.filter((_, i) => healthy[i]));
  const same = (a: Set<string>, b: Set<string>) =>
    a.size === b.size && [...a].every((x) => b.has(x));
  const samples: Sample[] = [];
  let flips = 0;
  let comparisons = 0;
  let divergences = 0;
  const convergeMs: number[] = [];
  try {
    const startUp = Date.now();
    for (;;) {
      if (same(await atBird(), wanted())) break;
      if (Date.now() - startUp > 60_000) throw new Error("BIRD never got the 20 prefixes");
      await sleep(200);
    }
    const started = Date.now();
    const sample = async () => {
      const status = await client.status();
      samples.push({
        atMinutes: (Date.now() - started) / 60_000,
        rssMb: await rssMb(daemon.pid),
        heapUsedMb: (status.memory?.heapUsedBytes ?? NaN) / 2 ** 20,
        birdRssMb: await rssMb(bird.pid),
      });
    };
    await sample();
    const end = started + MINUTES * 60_000;
    let nextCheck = Date.now() + CHECK_SECONDS * 1000;
    while (Date.now() < end) {
      const i = Math.floor(Math.random() * COUNT);
      healthy[i] = !healthy[i];
      flips++;
      await sleep(FLIP_MS);
      if (Date.now() < nextCheck) continue;
      // Pause the flips: BIRD's table must reach the model.
      const t0 = Date.now();
      const want = wanted();
      let got = await atBird();
      while (!same(got, want) && Date.now() - t0 < CONVERGE_MS) {
        await sleep(100);
        got = await atBird();
      }
      comparisons++;
      if (same(got, want)) {
        convergeMs.push(Date.now() - t0);
      } else {
        divergences++;
        const missing = [...want].filter((p) => !got.has(p));
        const extra = [...got].filter((p) => !want.has(p));
        console.error(
          `divergence: missing ${missing.join(" ") || "-"}, extra ${extra.join(" ") || "-"}`,
        );
      }
      await sample();
      nextCheck = Date.now() + CHECK_SECONDS * 1000;
    }
    const warm = samples.find((s) => s.atMinutes >= WARMUP_MINUTES) ?? samples.at(-1)!;
    const first = samples[0]!;
    const last = samples.at(-1)!;
    const after = samples.filter((s) => s.atMinutes >= warm.atMinutes);
    const maxAfter = Math.max(...after.map((s) => s.rssMb));
    const minutes = (Date.now() - started) / 60_000;
    console.log(`bench:soak: ${fmt(minutes)} min, ${COUNT} prefixes, HTTP probes every 250 ms`);
    console.log(`  flips ${flips}, probe requests ${probes}`);
    console.log(
      `  comparisons ${comparisons}, divergences ${divergences}; BIRD matched the model ` +
        `after the flips paused in p50 ${percentile(convergeMs, 50)} ms, max ${
          Math.max(0, ...convergeMs)
        } ms`,
    );
    console.log(
      `  anycast RSS MB: start ${fmt(first.rssMb)}, after ${fmt(warm.atMinutes)} min warm-up ${
        fmt(warm.rssMb)
      }, end ${fmt(last.rssMb)}, max after warm-up ${fmt(maxAfter)}`,
    );
    console.log(
      `  anycast V8 heap used MB: start ${fmt(first.heapUsedMb)}, after warm-up ${
        fmt(warm.heapUsedMb)
      }, end ${fmt(last.heapUsedMb)}`,
    );
    console.log(
      `  BIRD (same routes, same flips) RSS MB: start ${fmt(first.birdRssMb)}, end ${
        fmt(last.birdRssMb)
      }`,
    );
    const perMinute = samples.filter((_, k) =>
      k % Math.max(1, Math.round(60 / CHECK_SECONDS)) === 0
    );
    console.log(
      `  samples (min: RSS/heap MB): ${
        perMinute.map((s) => `${fmt(s.atMinutes)}: ${fmt(s.rssMb)}/${fmt(s.heapUsedMb)}`).join(", ")
      }`,
    );
    if (divergences > 0) Deno.exitCode = 1;
  } finally {
    client[Symbol.dispose]();
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
    await bird.stop();
    await health.shutdown();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

await main();
