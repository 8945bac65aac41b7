/** Reload of passive neighbors: the speaker must accept them on their local address. */
import assert from "node:assert/strict";
import { FakeClock } from "../../../src/util/clock.ts";
import type { AnycastConfig, NeighborConfig } from "../../../src/config/model.ts";
import { BgpSpeaker } from "../../../src/bgp/speaker.ts";
import { MemoryNetwork as BgpMemoryNetwork } from "../../../src/bgp/transport.ts";
import { Daemon } from "../../../src/daemon/mod.ts";

const OURS = "10.253.0.1", PEER = "10.253.0.2";

function neighbor(address: string, over: Partial<NeighborConfig> = {}): NeighborConfig {
  return {
    name: address,
    address,
    asn: 65001,
    port: 179,
    passive: false,
    holdTime: 9,
    keepalive: 3,
    connectRetry: 1,
    ebgpMultihop: false,
    ebgpMultihopTtl: 1,
    families: ["ipv4-unicast"],
    ...over,
  };
}

function config(neighbors: NeighborConfig[]): AnycastConfig {
  return {
    dialect: "native",
    source: "",
    logging: { driver: "none", format: "text", level: "info" },
    speaker: {
      asn: 64600,
      routerId: OURS,
      gracefulRestartEnabled: false,
      gracefulRestartRestartTime: 120,
      listenPort: 179,
    },
    api: { socket: "/nonexistent" },
    neighbors,
    prefixes: [],
    services: [],
    bfd: {
      enabled: false,
      listenAddress: OURS,
      listenPort: 3784,
      minRxMs: 50,
      minTxMs: 50,
      multiplier: 3,
      passive: false,
      multihop: false,
      holdBgpUntilUp: true,
    },
    metrics: { enabled: false, address: "127.0.0.1:9000", path: "/metrics" },
  };
}

const flush = async () => {
  for (let i = 0; i < 3; i++) await new Promise((r) => setTimeout(r, 0));
};

async function advance(clock: FakeClock, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 50) {
    clock.tick(50);
    await flush();
  }
}

Deno.test("Daemon.reload(): an added passive neighbor is accepted on its local address", async () => {
  const clock = new FakeClock(1_000_000);
  const bgpNet = new BgpMemoryNetwork();
  const cfg = config([]);
  const daemon = new Daemon({ config: cfg, clock, transport: bgpNet.transport(OURS) });
  const peer = new BgpSpeaker({
    speaker: { ...cfg.speaker, asn: 65001, routerId: PEER },
    neighbors: [neighbor(OURS, { asn: 64600, localAddress: PEER })],
    transport: bgpNet.transport(PEER),
    clock,
  });
  try {
    await daemon.start();
    await peer.start();
    await daemon.reload(config([neighbor(PEER, { passive: true, localAddress: OURS })]));
    await advance(clock, 5000);
    assert.equal(daemon.speaker.peers()[0]!.state, "Established");
    assert.equal(peer.peers()[0]!.state, "Established");
  } finally {
    await daemon.stop();
    await peer.stop();
  }
});
