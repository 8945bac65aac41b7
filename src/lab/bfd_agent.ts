/**
 * A small BFD daemon for the BFD lab (interop tests, scripts/bench_bfd.ts): runs our
 * BfdManager (real UDP) with the sessions given as JSON and prints one JSON
 * line per event on stdout. Run it inside a network namespace:
 *
 *   ip netns exec NS deno run -A src/lab/bfd_agent.ts '{"listen":"10.255.0.1",
 *     "sessions":[{"peer":"10.255.0.2","local":"10.255.0.1","txMs":50,"rxMs":50,"multiplier":3}]}'
 *
 * Output lines: {"event":"ready"}, {"event":"state","peer",...,"wall":epochMs,
 * "sinceLastRxMs"}, {"event":"stats",...} (on "stats" read from stdin).
 * Stdin commands: "stats", "adminDown PEER", "adminUp PEER", "quit".
 */
import { type BfdAuthConfig, BfdManager, UdpTransport } from "../bfd/mod.ts";

interface AgentSession {
  peer: string;
  local: string;
  txMs: number;
  rxMs: number;
  multiplier: number;
  passive?: boolean;
  multihop?: boolean;
  auth?: BfdAuthConfig;
}

interface AgentConfig {
  listen: string;
  sessions: AgentSession[];
  /** Simulated probe load: this many TCP-connect probes per second on loopback (benchmark). */
  probeLoad?: number;
}

const config = JSON.parse(Deno.args[0] ?? "{}") as AgentConfig;
const print = (value: unknown) => console.log(JSON.stringify(value));

const manager = new BfdManager({
  transport: new UdpTransport({
    listenAddress: config.listen,
    onError: (e) => print({ event: "error", message: String(e) }),
  }),
});
manager.onStateChange((change) => {
  const info = manager.session(change.peer);
  const now = performance.now();
  print({
    event: "state",
    peer: change.peer,
    from: change.from,
    to: change.to,
    diag: change.diagnostic,
    notify: change.notify ?? null,
    wall: Date.now(),
    sinceLastRxMs: info?.lastReceivedAt !== undefined ? now - info.lastReceivedAt : null,
  });
});
await manager.start();
for (const s of config.sessions) {
  await manager.addSession(s.peer, {
    localAddress: s.local,
    minTxMs: s.txMs,
    minRxMs: s.rxMs,
    multiplier: s.multiplier,
    passive: s.passive ?? false,
    multihop: s.multihop ?? false,
    ...(s.auth ? { auth: s.auth } : {}),
  });
}
const probeTimers: ReturnType<typeof setInterval>[] = [];
let probeListener: Deno.TcpListener | undefined;
if (config.probeLoad) {
  // Each probe connects to a loopback listener once a second, like a TCP health check.
  probeListener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = probeListener.addr.port;
  (async () => {
    for await (const conn of probeListener!) conn.close();
  })().catch(() => {});
  let probesOk = 0;
  for (let i = 0; i < config.probeLoad; i++) {
    const probe = async () => {
      try {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port });
        conn.close();
        probesOk++;
      } catch { /* counted as not ok */ }
    };
    setTimeout(() => probeTimers.push(setInterval(probe, 1000)), Math.random() * 1000);
  }
  setInterval(() => print({ event: "probes", ok: probesOk }), 10_000);
}
print({ event: "ready", pid: Deno.pid, sessions: config.sessions.length });

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  for (const t of probeTimers) clearInterval(t);
  probeListener?.close();
  await manager.close();
  Deno.exit(0);
}
Deno.addSignalListener("SIGTERM", () => void stop());
Deno.addSignalListener("SIGINT", () => void stop());

const decoder = new TextDecoderStream();
let buffer = "";
for await (const chunk of Deno.stdin.readable.pipeThrough(decoder)) {
  buffer += chunk;
  let nl;
  while ((nl = buffer.indexOf("\n")) >= 0) {
    const [command, arg] = buffer.slice(0, nl).trim().split(/\s+/);
    buffer = buffer.slice(nl + 1);
    if (command === "stats") {
      print({
        event: "stats",
        wall: Date.now(),
        sessions: manager.sessions(),
        drops: manager.drops(),
      });
    } else if (command === "adminDown" && arg) manager.adminDown(arg);
    else if (command === "adminUp" && arg) manager.adminUp(arg);
    else if (command === "quit") await stop();
  }
}
await stop();
