/**
 * `deno task bench`: every benchmark of the project in one run, each in its
 * own process so one cannot skew another's memory or JIT state, with the peer
 * daemons (GoBGP, BIRD, ExaBGP, FRR bfdd) measured in the same run. Figures are
 * printed by each benchmark; this runner adds a header with date, revision
 * and machine, and a summary of which ran and how long they took.
 *
 * Usage:
 *   deno task bench                 # all, issue-sized (BFD runs 600 s)
 *   deno task bench --quick         # all, shortened (BFD 60 s, probes 20 s, 5 failover trials)
 *   deno task bench --only bgp,validate
 *
 * Benchmarks are never assertions: the machine is shared and noisy.
 *
 * @module
 */

interface Bench {
  name: string;
  script: string;
  args: string[];
  quickArgs: string[];
  needsRoot?: boolean;
}

const BENCHES: Bench[] = [
  { name: "validate", script: "bench_validate.ts", args: ["1000", "5"], quickArgs: ["1000", "3"] },
  {
    name: "decode",
    script: "bench_decode.ts",
    args: ["1000000", "3"],
    quickArgs: ["1000000", "1"],
  },
  { name: "bgp", script: "bench_bgp.ts", args: [], quickArgs: [] },
  {
    name: "scale",
    script: "bench_scale.ts",
    args: [],
    quickArgs: ["--sizes", "1000,10000", "--flips", "20"],
  },
  {
    name: "probe",
    script: "bench_probe.ts",
    args: ["--probes", "1000", "--seconds", "60"],
    quickArgs: ["--probes", "1000", "--seconds", "20"],
  },
  {
    name: "failover",
    script: "bench_failover.ts",
    args: ["--trials", "20"],
    quickArgs: ["--trials", "5"],
  },
  {
    name: "bfd",
    script: "bench_bfd.ts",
    args: ["--duration", "600"],
    quickArgs: ["--duration", "60"],
    needsRoot: true,
  },
];

function flag(name: string): string | undefined {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Deno.args[i + 1] : undefined;
}

const quick = Deno.args.includes("--quick");
const only = flag("only")?.split(",").map((s) => s.trim());
const unknown = only?.filter((n) => !BENCHES.some((b) => b.name === n)) ?? [];
if (unknown.length > 0) {
  console.error(
    `bench: unknown benchmark ${unknown.join(", ")}; known: ${
      BENCHES.map((b) => b.name).join(", ")
    }`,
  );
  Deno.exit(2);
}

async function output(cmd: string, args: string[]): Promise<string> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "null" }).output();
    return new TextDecoder().decode(out.stdout).trim();
  } catch {
    return "unknown";
  }
}

const root = new URL("../", import.meta.url);
const revision = await output("git", ["-C", root.pathname, "rev-parse", "--short", "HEAD"]);
const cpu = (await output("sh", ["-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"]))
  .trim();
console.log(`# anycast benchmarks`);
console.log(`date: ${new Date().toISOString()}`);
console.log(`revision: ${revision}`);
console.log(`machine: ${navigator.hardwareConcurrency} cores, ${cpu}`);
console.log(`deno: ${Deno.version.deno}; mode: ${quick ? "quick" : "full"}\n`);

const summary: string[] = [];
let failures = 0;
for (const bench of BENCHES) {
  if (only && !only.includes(bench.name)) continue;
  if (bench.needsRoot && Deno.uid() !== 0) {
    summary.push(`${bench.name}: not run (needs root for network namespaces)`);
    continue;
  }
  console.log(`\n## ${bench.name} (scripts/${bench.script})\n`);
  const started = performance.now();
  const status = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL(bench.script, import.meta.url).pathname,
      ...(quick ? bench.quickArgs : bench.args),
    ],
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  if (!status.success) failures++;
  summary.push(
    `${bench.name}: ${status.success ? "ok" : `failed (exit ${status.code})`} in ${seconds} s`,
  );
}
console.log(`\n## summary\n`);
for (const line of summary) console.log(`- ${line}`);
Deno.exit(failures > 0 ? 1 : 0);
