/**
 * The anycast Daemon (BGP speaker + BFD) with one BFD neighbor, for the
 * BGP-coupling interop test; run it inside a network namespace:
 *
 *   ip netns exec NS deno run -A test/interop/bfd/agent_daemon.ts '{"local":"10.255.0.1",
 *     "peer":"10.255.0.2","peerAsn":65010,"prefix":"198.51.100.1/32","txMs":100,"rxMs":100,"multiplier":3}'
 *
 * Prints JSON lines: ready, bfd (state changes), bgp (state changes), stats
 * (on "stats" from stdin; includes the BGP peers). "quit" stops gracefully.
 */
import type { AnycastConfig } from "../../../src/config/model.ts";
import { Daemon } from "../../../src/daemon/mod.ts";

const args = JSON.parse(Deno.args[0] ?? "{}") as {
  local: string;
  peer: string;
  peerAsn: number;
  prefix: string;
  txMs: number;
  rxMs: number;
  multiplier: number;
};
const print = (value: unknown) => console.log(JSON.stringify(value));
const attributes = {
  communities: [],
  largeCommunities: [],
  extendedCommunities: [],
  asPathPrepend: 0,
};
const config: AnycastConfig = {
  dialect: "native",
  source: "",
  logging: { driver: "none", format: "text", level: "info" },
  speaker: {
    asn: 64600,
    routerId: args.local,
    gracefulRestartEnabled: false,
    gracefulRestartRestartTime: 120,
    listenPort: 179,
  },
  api: { socket: "/nonexistent" },
  neighbors: [{
    name: args.peer,
    address: args.peer,
    asn: args.peerAsn,
    port: 179,
    localAddress: args.local,
    passive: false,
    holdTime: 9,
    keepalive: 3,
    connectRetry: 1,
    ebgpMultihop: false,
    ebgpMultihopTtl: 1,
    families: ["ipv4-unicast"],
    bfd: {
      multihop: false,
      minRxMs: args.rxMs,
      minTxMs: args.txMs,
      multiplier: args.multiplier,
      passive: false,
      holdBgpUntilUp: true,
    },
  }],
  prefixes: [{
    name: args.prefix,
    prefix: args.prefix,
    family: "ipv4-unicast",
    nextHop: args.local,
    origin: "igp",
    attributes,
    withdrawOnDown: true,
    drainMs: 0,
    services: [],
    servicesMode: "all",
  }],
  services: [],
  bfd: {
    enabled: true,
    listenAddress: args.local,
    listenPort: 3784,
    minRxMs: args.rxMs,
    minTxMs: args.txMs,
    multiplier: args.multiplier,
    passive: false,
    multihop: false,
    holdBgpUntilUp: true,
  },
  metrics: { enabled: false, address: "127.0.0.1:9000", path: "/metrics" },
};

const daemon = new Daemon({
  config,
  log: (level, message) => print({ event: "log", level, message, wall: Date.now() }),
});
daemon.speaker.onStateChange((c) => print({ event: "bgp", ...c, wall: Date.now() }));
await daemon.start();
daemon.bfd?.manager.onStateChange((c) =>
  print({
    event: "bfd",
    peer: c.peer,
    from: c.from,
    to: c.to,
    diag: c.diagnostic,
    wall: Date.now(),
  })
);
print({ event: "ready", pid: Deno.pid, bfdState: daemon.bfd?.status()[0]?.state ?? null });

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await daemon.stop();
  Deno.exit(0);
}
Deno.addSignalListener("SIGTERM", () => void stop());

let buffer = "";
for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
  buffer += chunk;
  let nl;
  while ((nl = buffer.indexOf("\n")) >= 0) {
    const command = buffer.slice(0, nl).trim();
    buffer = buffer.slice(nl + 1);
    if (command === "stats") {
      print({ event: "stats", bfd: daemon.bfd?.status() ?? [], bgp: daemon.speaker.peers() });
    } else if (command === "quit") await stop();
  }
}
await stop();
