/**
 * Receiver process of `bench:bgp --only receive-raw`: our `BgpSpeaker` (the
 * product code path: session framing, decode, Adj-RIB-In) connects to the
 * benchmark's raw sender and reports, one JSON line each on stdout:
 *
 * - `{"event":"established","at":…}`
 * - `{"event":"count","routes":N,"at":…}` when the Adj-RIB-In holds `--routes` routes
 * - `{"event":"final",…}` when stdin closes: state, flaps, counters, VmHWM,
 *   the largest lateness of a 20 ms timer while the routes were decoded
 *
 * `at` is epoch milliseconds (`performance.timeOrigin + performance.now()`),
 * comparable with the sender's clock on the same machine.
 *
 * Usage: `deno run -A scripts/bench/bgp_receiver.ts --peer 127.0.1.46 --port P
 *   --local 127.0.1.47 --routes 1000000 [--hold 9]`
 *
 * @module
 */
import { BgpSpeaker } from "../../src/bgp/speaker.ts";

function flag(name: string): string {
  const i = Deno.args.indexOf(`--${name}`);
  const value = i >= 0 ? Deno.args[i + 1] : undefined;
  if (value === undefined) throw new TypeError(`Missing --${name}`);
  return value;
}

const now = () => performance.timeOrigin + performance.now();
const emit = (line: Record<string, unknown>) => console.log(JSON.stringify(line));

/** Peak resident set size of this process in KiB (Linux /proc). */
function vmHwmKiB(): number | undefined {
  const status = Deno.readTextFileSync("/proc/self/status");
  const match = /^VmHWM:\s+(\d+) kB/m.exec(status);
  return match ? Number(match[1]) : undefined;
}

const routes = Number(flag("routes"));
const hold = Deno.args.includes("--hold") ? Number(flag("hold")) : 9;
const speaker = new BgpSpeaker({
  speaker: {
    asn: 64600,
    routerId: "10.255.1.47",
    gracefulRestartEnabled: false,
    gracefulRestartRestartTime: 120,
    listenPort: 179,
  },
  neighbors: [{
    name: "bench-sender",
    address: flag("peer"),
    asn: 65046,
    port: Number(flag("port")),
    localAddress: flag("local"),
    passive: false,
    holdTime: hold,
    keepalive: hold / 3,
    connectRetry: 1,
    ebgpMultihop: true,
    ebgpMultihopTtl: 255,
    families: ["ipv4-unicast"],
  }],
});

await speaker.start();
let established = false;
let counted = false;
// Poll the public status, as an operator's `anycast peers` would; 2 ms keeps the latency small.
const poll = setInterval(() => {
  const s = speaker.peers()[0]!;
  if (!established && s.state === "Established") {
    established = true;
    emit({ event: "established", at: now() });
  }
  if (!counted && s.prefixesReceived >= routes) {
    counted = true;
    emit({ event: "count", routes: s.prefixesReceived, at: now() });
  }
}, 2);

// How late a 20 ms timer fires while the table is decoded: keepalive and hold timers share the loop.
const LAG_PERIOD_MS = 20;
let maxTimerLagMs = 0;
let lastTick = performance.now();
const lagProbe = setInterval(() => {
  const t = performance.now();
  if (established && !counted) {
    maxTimerLagMs = Math.max(maxTimerLagMs, t - lastTick - LAG_PERIOD_MS);
  }
  lastTick = t;
}, LAG_PERIOD_MS);

// The sender closes our stdin when it has seen everything it needs.
for await (const _ of Deno.stdin.readable) { /* drain until closed */ }
clearInterval(poll);
clearInterval(lagProbe);
const s = speaker.peers()[0]!;
emit({
  event: "final",
  state: s.state,
  flaps: s.flaps,
  lastError: s.lastError ?? null,
  routes: s.prefixesReceived,
  updatesReceived: s.messagesReceived.update,
  keepalivesSent: s.messagesSent.keepalive,
  vmHwmKiB: vmHwmKiB() ?? null,
  maxTimerLagMs: Math.round(maxTimerLagMs),
  rssKiB: Math.round(Deno.memoryUsage().rss / 1024),
});
await speaker.stop();
Deno.exit(0);
