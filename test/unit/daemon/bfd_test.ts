import assert from "node:assert/strict";
import { FakeClock } from "../../../src/util/clock.ts";
import type { AnycastConfig, NeighborConfig } from "../../../src/config/model.ts";
import { advance, testConfig, testNeighbor } from "../_fixtures/daemon.ts";
import { BgpSpeaker } from "../../../src/bgp/speaker.ts";
import { MemoryNetwork as BgpMemoryNetwork } from "../../../src/bgp/transport.ts";
import { BfdService } from "../../../src/daemon/bfd.ts";
import { BfdManager } from "../../../src/bfd/manager.ts";
import { MemoryNetwork as BfdMemoryNetwork } from "../../../src/bfd/memory_transport.ts";

// Our speaker (OURS) with BFD towards a peer speaker (PEER) that runs a plain BfdManager.
const OURS = "10.255.0.1", PEER = "10.255.0.2";

const neighbor = testNeighbor;
const config = (neighbors: NeighborConfig[]): AnycastConfig =>
  testConfig(OURS, neighbors, { bfd: true });

async function setup(holdBgpUntilUp: boolean) {
  const clock = new FakeClock(1_000_000);
  const bgpNet = new BgpMemoryNetwork();
  const bfdNet = new BfdMemoryNetwork({ clock });
  const ourConfig = config([
    neighbor(PEER, {
      localAddress: OURS,
      bfd: {
        multihop: false,
        minRxMs: 50,
        minTxMs: 50,
        multiplier: 3,
        passive: false,
        holdBgpUntilUp,
      },
    }),
  ]);
  const ours = new BgpSpeaker({
    speaker: ourConfig.speaker,
    neighbors: ourConfig.neighbors,
    transport: bgpNet.transport(OURS),
    clock,
  });
  const peer = new BgpSpeaker({
    speaker: { ...ourConfig.speaker, asn: 65001, routerId: PEER },
    neighbors: [neighbor(OURS, { asn: 64600, passive: true, localAddress: PEER })],
    transport: bgpNet.transport(PEER),
    clock,
  });
  const logs: string[] = [];
  const service = await BfdService.start(
    ourConfig,
    (a) => ours.sessions.find((s) => s.neighbor.address === a),
    {
      transport: bfdNet.transport(OURS),
      clock,
      log: (_level, message) => logs.push(message),
    },
  );
  const peerBfd = new BfdManager({ transport: bfdNet.transport(PEER), clock });
  await peerBfd.start();
  await peer.start();
  await ours.start({ hold: service.hold });
  return { clock, bfdNet, ours, peer, service, peerBfd, logs };
}

Deno.test("BfdService holds BGP until BFD is Up, then the session establishes", async () => {
  const { clock, ours, peer, service, peerBfd } = await setup(true);
  try {
    await advance(clock, 3000);
    assert.equal(ours.peers()[0]!.state, "Idle"); // held: no BFD peer yet
    assert.equal(service.status()[0]!.state, "Down");
    await peerBfd.addSession(OURS, { localAddress: PEER, minTxMs: 50, minRxMs: 50, multiplier: 3 });
    await advance(clock, 3000);
    assert.equal(service.status()[0]!.state, "Up");
    assert.equal(ours.peers()[0]!.state, "Established");
  } finally {
    await service.shutdown();
    await peerBfd.close();
    await ours.stop();
    await peer.stop();
  }
});

Deno.test("BfdService closes BGP with Cease/BFD Down (RFC 9384) when BFD fails and restarts it on Up", async () => {
  const { clock, bfdNet, ours, peer, service, peerBfd, logs } = await setup(true);
  try {
    await peerBfd.addSession(OURS, { localAddress: PEER, minTxMs: 50, minRxMs: 50, multiplier: 3 });
    await advance(clock, 3000);
    assert.equal(ours.peers()[0]!.state, "Established");
    bfdNet.cut(PEER, OURS);
    await advance(clock, 300);
    assert.equal(service.status()[0]!.state, "Down");
    assert.equal(ours.peers()[0]!.state, "Idle");
    assert.match(ours.peers()[0]!.lastError ?? "", /sent NOTIFICATION 6\/10/);
    assert.match(peer.peers()[0]!.lastError ?? "", /received NOTIFICATION 6\/10/);
    assert.ok(logs.some((l) => l.includes("control-detection-time-expired")));
    await advance(clock, 3000);
    assert.equal(ours.peers()[0]!.state, "Idle"); // still held while BFD is down
    bfdNet.heal(PEER, OURS);
    await advance(clock, 4000);
    assert.equal(service.status()[0]!.state, "Up");
    assert.equal(ours.peers()[0]!.state, "Established");
  } finally {
    await service.shutdown();
    await peerBfd.close();
    await ours.stop();
    await peer.stop();
  }
});

Deno.test("BfdService.shutdown() sends AdminDown, which the peer does not treat as a failure", async () => {
  const { clock, ours, peer, service, peerBfd } = await setup(false);
  const peerChanges: string[] = [];
  peerBfd.onStateChange((c) => peerChanges.push(`${c.to}:${c.diagnostic}:${c.notify ?? "-"}`));
  try {
    await peerBfd.addSession(OURS, { localAddress: PEER, minTxMs: 50, minRxMs: 50, multiplier: 3 });
    await advance(clock, 3000);
    assert.equal(ours.peers()[0]!.state, "Established"); // not held (holdBgpUntilUp false)
    await service.shutdown();
    await advance(clock, 20);
    assert.equal(peerChanges.at(-1), "Down:neighbor-signaled-session-down:-");
    assert.equal(ours.peers()[0]!.state, "Established"); // BGP leaves by its own Cease afterwards
  } finally {
    await peerBfd.close();
    await ours.stop();
    await peer.stop();
  }
});

Deno.test("Daemon starts BFD for BFD neighbors, holds BGP until Up, and sends AdminDown on stop", async () => {
  const { Daemon } = await import("../../../src/daemon/mod.ts");
  const clock = new FakeClock(1_000_000);
  const bgpNet = new BgpMemoryNetwork();
  const bfdNet = new BfdMemoryNetwork({ clock });
  const cfg = config([
    neighbor(PEER, {
      localAddress: OURS,
      bfd: {
        multihop: false,
        minRxMs: 50,
        minTxMs: 50,
        multiplier: 3,
        passive: false,
        holdBgpUntilUp: true,
      },
    }),
  ]);
  const daemon = new Daemon({
    config: cfg,
    clock,
    transport: bgpNet.transport(OURS),
    bfdTransport: bfdNet.transport(OURS),
  });
  const peer = new BgpSpeaker({
    speaker: { ...cfg.speaker, asn: 65001, routerId: PEER },
    neighbors: [neighbor(OURS, { asn: 64600, passive: true, localAddress: PEER })],
    transport: bgpNet.transport(PEER),
    clock,
  });
  const peerBfd = new BfdManager({ transport: bfdNet.transport(PEER), clock });
  const peerChanges: string[] = [];
  peerBfd.onStateChange((c) => peerChanges.push(`${c.to}:${c.diagnostic}:${c.notify ?? "-"}`));
  try {
    await peerBfd.start();
    await peer.start();
    await daemon.start();
    await advance(clock, 2000);
    assert.equal(daemon.bfd!.status()[0]!.state, "Down");
    assert.equal(daemon.speaker.peers()[0]!.state, "Idle");
    await peerBfd.addSession(OURS, { localAddress: PEER, minTxMs: 50, minRxMs: 50, multiplier: 3 });
    await advance(clock, 3000);
    assert.equal(daemon.speaker.peers()[0]!.state, "Established");
    await daemon.stop();
    await advance(clock, 20);
    assert.equal(peerChanges.at(-1), "Down:neighbor-signaled-session-down:-");
    assert.equal(daemon.bfd, undefined);
  } finally {
    await daemon.stop();
    await peerBfd.close();
    await peer.stop();
  }
});
