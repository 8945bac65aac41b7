/**
 * Probe engine load test: N probes (half TCP, half HTTP) against a local
 * server in a child process, each at a 1 s period, for a fixed time.
 * Reports this process's CPU share of one core (from /proc/self/stat), its
 * RSS, and how late probe starts were against their schedule (p50/p99/max).
 *
 *   deno task bench:probe [--probes 1000] [--seconds 60] [--period-ms 1000] [--mix both|tcp|http|none]
 *
 * Bounded: it stops by itself after --seconds and kills its server.
 *
 * @module
 */
import { parseArgs } from "node:util";
import type { HandlerConfig } from "../src/config/model.ts";
import { systemClock } from "../src/util/clock.ts";
import { ProbeLoop, type ProbeResult, runHandler } from "../src/probe/mod.ts";

const { values } = parseArgs({
  options: {
    probes: { type: "string", default: "1000" },
    seconds: { type: "string", default: "60" },
    "period-ms": { type: "string", default: "1000" },
    mix: { type: "string", default: "both" },
  },
});
const PROBES = Number(values.probes);
const SECONDS = Number(values.seconds);
const PERIOD_MS = Number(values["period-ms"]);
if (![PROBES, SECONDS, PERIOD_MS].every((n) => Number.isFinite(n) && n > 0) || SECONDS > 600) {
  console.error(
    "bench_probe: --probes, --seconds (<= 600) and --period-ms must be positive numbers",
  );
  Deno.exit(2);
}

// The server runs in its own process so its CPU is not counted as ours.
const SERVER = `
const http = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => new Response("ok"));
const tcp = Deno.listen({ hostname: "127.0.0.1", port: 0 });
console.log(JSON.stringify({ http: http.addr.port, tcp: tcp.addr.port }));
for await (const conn of tcp) conn.close();
`;
const server = new Deno.Command(Deno.execPath(), {
  args: ["eval", SERVER],
  stdout: "piped",
  stderr: "inherit",
}).spawn();
const reader = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
let firstLine = "";
while (!firstLine.includes("\n")) {
  const { value, done } = await reader.read();
  if (done) throw new Error("bench server exited early");
  firstLine += value;
}
const ports = JSON.parse(firstLine) as { http: number; tcp: number };

const CLK_TCK = 100; // Linux USER_HZ
function cpuTimes(): { user: number; system: number } {
  const stat = Deno.readTextFileSync("/proc/self/stat");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 14 and 15 of proc(5) (utime, stime) are 11 and 12 after the command name.
  return { user: Number(fields[11]) / CLK_TCK, system: Number(fields[12]) / CLK_TCK };
}
function rssMiB(): number {
  const status = Deno.readTextFileSync("/proc/self/status");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

function handler(i: number): HandlerConfig {
  const tcp = values.mix === "tcp" || (values.mix !== "http" && i % 2 === 0);
  if (tcp) return { kind: "tcp", host: "127.0.0.1", port: ports.tcp };
  return {
    kind: "http",
    scheme: "http",
    host: "127.0.0.1",
    port: ports.http,
    path: "/health",
    method: "GET",
    headers: [],
    expectedStatus: [[200, 399]],
    insecureSkipVerify: false,
  };
}

const lateness: number[] = [];
let ok = 0;
let failed = 0;
const failures = new Map<string, number>();
const loops: ProbeLoop[] = [];
// `--mix none` measures the scheduler alone: a runner that answers at once without I/O.
const run = (h: HandlerConfig) => (signal: AbortSignal) =>
  values.mix === "none"
    ? Promise.resolve<ProbeResult>({
      ok: true,
      durationMs: 0,
      reason: "noop",
      target: "",
      figures: {},
    })
    : runHandler(h, signal);
for (let i = 0; i < PROBES; i++) {
  const h = handler(i);
  loops.push(
    new ProbeLoop({
      clock: systemClock,
      // Spread the probes evenly over one period, as jitter would.
      initialDelayMs: (i * PERIOD_MS) / PROBES,
      periodMs: PERIOD_MS,
      jitterMs: 0,
      timeoutMs: 1000,
      run: run(h),
      onResult: (r: ProbeResult, t) => {
        lateness.push(t.startedAt - t.scheduledAt);
        if (r.ok) ok++;
        else {
          failed++;
          const key = r.reason.replace(/\d+(\.\d+)? ms/g, "N ms").replace(/:\d+/g, ":P");
          failures.set(key, (failures.get(key) ?? 0) + 1);
        }
      },
    }),
  );
}

// Warm up for one period before measuring, so module loading does not count.
for (const l of loops) l.start();
await new Promise((r) => setTimeout(r, PERIOD_MS + 500));
lateness.length = 0;
ok = 0;
failed = 0;
const cpu0 = cpuTimes();
const wall0 = performance.now();
let rssPeak = rssMiB();
const heapSamples: number[] = [];
let tick = 0;
const sampler = setInterval(() => {
  rssPeak = Math.max(rssPeak, rssMiB());
  // Every 10 s: live JS heap, to tell a leak from a heap that has simply grown.
  if (++tick % 10 === 0) heapSamples.push(Math.round(Deno.memoryUsage().heapUsed / 1048576));
}, 1000);
await new Promise((r) => setTimeout(r, SECONDS * 1000));
const cpu1 = cpuTimes();
const user = cpu1.user - cpu0.user;
const system = cpu1.system - cpu0.system;
const cpu = user + system;
const wall = (performance.now() - wall0) / 1000;
clearInterval(sampler);
await Promise.all(loops.map((l) => l.stop()));
server.kill("SIGTERM");
await server.status;
await reader.cancel().catch(() => {});

lateness.sort((a, b) => a - b);
const pct = (p: number) =>
  lateness[Math.min(lateness.length - 1, Math.floor((p / 100) * lateness.length))] ?? 0;
const report = {
  probes: PROBES,
  periodMs: PERIOD_MS,
  seconds: Math.round(wall * 10) / 10,
  runs: ok + failed,
  ok,
  failed,
  cpuShareOfOneCorePercent: Math.round((cpu / wall) * 1000) / 10,
  cpuUserPercent: Math.round((user / wall) * 1000) / 10,
  cpuSystemPercent: Math.round((system / wall) * 1000) / 10,
  rssMiB: Math.round(rssMiB()),
  rssPeakMiB: Math.round(rssPeak),
  heapUsedMiBEvery10s: heapSamples,
  latenessMs: { p50: +pct(50).toFixed(2), p99: +pct(99).toFixed(2), max: +pct(100).toFixed(2) },
  targets: { cpuPercent: 10, p99LatenessMs: 20 },
  topFailures: [...failures.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3),
};
console.log(JSON.stringify(report, null, 2));
