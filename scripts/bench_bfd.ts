/**
 * BFD benchmark: N sessions (default 50) at 50 ms × 3 between two of our own
 * processes, each in its own network namespace, one veth, one address pair
 * per session (secondary addresses 10.255.1.x/24). Bounded: runs `--duration`
 * seconds of steady state (default 600), then SIGSTOP trials, then the same
 * detection measurement against FRR bfdd. Only namespaces it creates are
 * used, and they are deleted at the end.
 *
 *   deno task bench:bfd --duration 120 [--sessions 50] [--interval 50] [--multiplier 3]
 *                       [--trials 3] [--probe-load 1000] [--no-frr]
 *
 * Figures: false Down events during steady state (target 0), detection time
 * after a SIGSTOP of the peer (target 150-200 ms at 50 ms × 3), CPU share of
 * each agent process, and FRR bfdd's detection time at the same settings.
 */
import { parseArgs } from "node:util";
import {
  BfdAgent as Agent,
  type BfdAgentSessionConfig as AgentSessionConfig,
  type BfdAgentStateEvent as AgentStateEvent,
  BfdNetnsPair as NetnsPair,
  FrrBfd,
  sleep,
  waitUntil,
} from "../src/lab/mod.ts";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    duration: { type: "string", default: "600" },
    sessions: { type: "string", default: "50" },
    interval: { type: "string", default: "50" },
    multiplier: { type: "string", default: "3" },
    trials: { type: "string", default: "3" },
    "probe-load": { type: "string", default: "0" },
    "no-frr": { type: "boolean", default: false },
  },
});
const DURATION_S = Number(flags.duration);
const SESSIONS = Number(flags.sessions);
const INTERVAL = Number(flags.interval);
const MULT = Number(flags.multiplier);
const TRIALS = Number(flags.trials);
const PROBE_LOAD = Number(flags["probe-load"]);
if (!(SESSIONS >= 1 && SESSIONS <= 99) || !(DURATION_S > 0) || !(INTERVAL >= 10) || !(MULT >= 1)) {
  console.error("bench_bfd: --sessions 1-99, --duration > 0, --interval >= 10, --multiplier >= 1");
  Deno.exit(2);
}

const addrA = (i: number) => `10.255.1.${i + 1}`;
const addrB = (i: number) => `10.255.1.${i + 101}`;
const timers = { txMs: INTERVAL, rxMs: INTERVAL, multiplier: MULT };
const sessionsOf = (side: "a" | "b"): AgentSessionConfig[] =>
  Array.from({ length: SESSIONS }, (_, i) => ({
    peer: side === "a" ? addrB(i) : addrA(i),
    local: side === "a" ? addrA(i) : addrB(i),
    ...timers,
  }));

function cpuSeconds(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 (1-based); CLK_TCK is 100 on Linux.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function summary(values: number[]): string {
  if (values.length === 0) return "n/a";
  const sorted = [...values].sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
  return `min ${sorted[0]!.toFixed(0)} / median ${q(0.5).toFixed(0)} / p95 ${
    q(0.95).toFixed(0)
  } / max ${sorted.at(-1)!.toFixed(0)} ms (n=${values.length})`;
}

/** Group state changes away from Up into episodes (changes less than 1 s apart), with diagnostics. */
function describeDowns(events: AgentStateEvent[]) {
  const byDiag: Record<string, number> = {};
  const episodes: { at: string; changes: number; maxSinceLastRxMs: number }[] = [];
  let last = -Infinity;
  for (const e of events) {
    const key = `${e.to}:${e.diag}`;
    byDiag[key] = (byDiag[key] ?? 0) + 1;
    if (e.wall - last > 1000) {
      episodes.push({ at: new Date(e.wall).toISOString(), changes: 0, maxSinceLastRxMs: 0 });
    }
    last = e.wall;
    const episode = episodes.at(-1)!;
    episode.changes++;
    episode.maxSinceLastRxMs = Math.max(episode.maxSinceLastRxMs, Math.round(e.sinceLastRxMs ?? 0));
  }
  return { byDiag, episodes };
}

/** Wait until every peer's latest state event is `state`. */
async function allIn(agent: Agent, peers: string[], state: string, timeoutMs: number, from = 0) {
  await waitUntil(
    `${peers.length} sessions ${state}`,
    () => {
      const latest = new Map<string, string>();
      for (const e of agent.states().slice(0)) latest.set(e.peer, e.to);
      void from;
      return peers.every((p) => latest.get(p) === state) ? true : undefined;
    },
    timeoutMs,
    50,
  );
}

const lab = await NetnsPair.create(
  "bench",
  Array.from({ length: SESSIONS }, (_, i) => `${addrA(i)}/24`),
  Array.from({ length: SESSIONS }, (_, i) => `${addrB(i)}/24`),
);
let a: Agent | undefined, b: Agent | undefined, frr: FrrBfd | undefined;
const report: Record<string, unknown> = {
  sessions: SESSIONS,
  timers: `${INTERVAL} ms × ${MULT}`,
  durationS: DURATION_S,
  probeLoad: PROBE_LOAD,
};
try {
  const probeLoad = PROBE_LOAD > 0 ? { probeLoad: PROBE_LOAD } : {};
  a = await Agent.start(lab.nsA, { listen: "0.0.0.0", sessions: sessionsOf("a"), ...probeLoad });
  b = await Agent.start(lab.nsB, { listen: "0.0.0.0", sessions: sessionsOf("b") });
  const peersOfA = sessionsOf("a").map((s) => s.peer);
  const peersOfB = sessionsOf("b").map((s) => s.peer);
  await allIn(a, peersOfA, "Up", 30_000);
  await allIn(b, peersOfB, "Up", 30_000);
  await sleep(2000);
  console.log(`${SESSIONS} sessions Up; steady state for ${DURATION_S} s ...`);

  // Steady state: every Down is a false Down.
  const markA = a.events.length, markB = b.events.length;
  const cpu0 = { a: cpuSeconds(a.pid), b: cpuSeconds(b.pid), t: performance.now() };
  await sleep(DURATION_S * 1000);
  const wall = (performance.now() - cpu0.t) / 1000;
  const cpuA = (cpuSeconds(a.pid) - cpu0.a) / wall;
  const cpuB = (cpuSeconds(b.pid) - cpu0.b) / wall;
  const downsA = (a.events.slice(markA) as unknown as AgentStateEvent[]).filter((e) =>
    e.event === "state" && e.to !== "Up"
  );
  const downsB = (b.events.slice(markB) as unknown as AgentStateEvent[]).filter((e) =>
    e.event === "state" && e.to !== "Up"
  );
  report.falseDownEvents = downsA.length + downsB.length;
  report.falseDownDetail = { agentA: describeDowns(downsA), agentB: describeDowns(downsB) };
  report.cpuShareOfOneCore = {
    agentA: `${(cpuA * 100).toFixed(1)}%${PROBE_LOAD ? ` (with ${PROBE_LOAD} probes/s)` : ""}`,
    agentB: `${(cpuB * 100).toFixed(1)}%`,
  };
  console.log(
    `false Down events: ${downsA.length + downsB.length}; CPU A ${(cpuA * 100).toFixed(1)}%, B ${
      (cpuB * 100).toFixed(1)
    }%`,
  );
  if (downsA.length + downsB.length > 0) console.log(JSON.stringify(report.falseDownDetail));

  // Detection: SIGSTOP agent B, agent A must take every session Down.
  const ours: number[] = [], oursFromLastRx: number[] = [];
  for (let trial = 0; trial < TRIALS; trial++) {
    const mark = a.events.length;
    const stoppedAt = Date.now();
    b.signal("SIGSTOP");
    try {
      await waitUntil(
        "all Down",
        () => {
          const downs = (a!.events.slice(mark) as unknown as AgentStateEvent[]).filter((e) =>
            e.event === "state" && e.to === "Down"
          );
          return new Set(downs.map((d) => d.peer)).size >= SESSIONS ? downs : undefined;
        },
        5000,
        20,
      ).then((downs) => {
        for (const d of downs) {
          ours.push(d.wall - stoppedAt);
          if (d.sinceLastRxMs !== null) oursFromLastRx.push(d.sinceLastRxMs);
        }
      });
    } finally {
      b.signal("SIGCONT");
    }
    await allIn(a, peersOfA, "Up", 30_000);
    await allIn(b, peersOfB, "Up", 30_000);
    await sleep(2000);
  }
  report.ourDetectionAfterSigstop = summary(ours);
  report.ourDetectionAfterLastPacket = summary(oursFromLastRx);
  console.log(`our detection after SIGSTOP: ${summary(ours)}`);
  console.log(`our detection after the peer's last packet: ${summary(oursFromLastRx)}`);

  if (!flags["no-frr"]) {
    // Same settings, FRR bfdd in B instead of our agent; SIGSTOP our agent A, read FRR's log.
    await b.stop();
    b = undefined;
    frr = await FrrBfd.start(
      lab.nsB,
      sessionsOf("b").map((s) => ({ ...s, iface: lab.ifB })),
    );
    await allIn(a, peersOfA, "Up", 60_000);
    const f = frr;
    await waitUntil(
      "FRR all up",
      async () => {
        const peers = await f.peers();
        return peersOfB.every((p) => peers[p]?.status === "up") ? true : undefined;
      },
      30_000,
      200,
    );
    await sleep(2000);
    const frrTimes: number[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      const stoppedAt = Date.now();
      a.signal("SIGSTOP");
      await sleep(2000);
      a.signal("SIGCONT");
      const downs = (await f.stateChanges()).filter((c) =>
        c.to === "down" && c.wall >= stoppedAt - 10 && c.wall <= stoppedAt + 2000
      );
      for (const d of downs) frrTimes.push(d.wall - stoppedAt);
      await waitUntil(
        "FRR all up again",
        async () => {
          const peers = await f.peers();
          return peersOfB.every((p) => peers[p]?.status === "up") ? true : undefined;
        },
        30_000,
        200,
      );
      await sleep(2000);
    }
    report.frrDetectionAfterSigstop = summary(frrTimes);
    console.log(`FRR bfdd detection after SIGSTOP: ${summary(frrTimes)}`);
  }
  console.log(JSON.stringify(report, null, 2));
} finally {
  await a?.stop();
  await b?.stop();
  await frr?.stop();
  await lab.destroy();
}
