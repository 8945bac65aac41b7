/**
 * A small BFD daemon for interop tests and the benchmark: runs our
 * BfdManager (real UDP) with the sessions given as JSON and prints one JSON
 * line per event on stdout. Run it inside a network namespace:
 *
 *   ip netns exec NS deno run -A test/interop/bfd/agent.ts '{"listen":"10.255.0.1",
 *     "sessions":[{"peer":"10.255.0.2","local":"10.255.0.1","txMs":50,"rxMs":50,"multiplier":3}]}'
 *
 * Output lines: {"event":"ready"}, {"event":"state","peer",...,"wall":epochMs,
 * "sinceLastRxMs"}, {"event":"stats",...} (on "stats" read from stdin).
 * Stdin commands: "stats", "adminDown PEER", "adminUp PEER", "quit".
 */
import { BfdManager, UdpTransport } from "../../../src/bfd/mod.ts";

interface AgentSession {
  peer: string;
  local: string;
  txMs: number;
  rxMs: number;
  multiplier: number;
  passive?: boolean;
  multihop?: boolean;
}

interface AgentConfig {
  listen: string;
  sessions: AgentSession[];
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
  });
}
print({ event: "ready", pid: Deno.pid, sessions: config.sessions.length });

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
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
