/** Reload of neighbors that BFD watches: BFD must steer the current session, never a removed one. */
import assert from "node:assert/strict";
import { FakeClock } from "../../../src/util/clock.ts";
import type { AnycastConfig, NeighborConfig } from "../../../src/config/model.ts";
import { advance, testConfig, testNeighbor } from "../_fixtures/daemon.ts";
import { BgpSpeaker } from "../../../src/bgp/speaker.ts";
import { MemoryNetwork as BgpMemoryNetwork } from "../../../src/bgp/transport.ts";
import { BfdManager } from "../../../src/bfd/manager.ts";
import { MemoryNetwork as BfdMemoryNetwork } from "../../../src/bfd/memory_transport.ts";
import { Daemon } from "../../../src/daemon/mod.ts";

const OURS = "10.254.0.1", PEER = "10.254.0.2";

const neighbor = testNeighbor;
const config = (neighbors: NeighborConfig[]): AnycastConfig =>
  testConfig(OURS, neighbors, { bfd: true });

const bfdNeighbor = neighbor(PEER, {
  localAddress: OURS,
  bfd: {
    multihop: false,
    minRxMs: 50,
    minTxMs: 50,
    multiplier: 3,
    passive: false,
    holdBgpUntilUp: true,
  },
});

Deno.test("Daemon.reload(): a neighbor removed from the config stays down when its BFD session flaps", async () => {
  const clock = new FakeClock(1_000_000);
  const bgpNet = new BgpMemoryNetwork();
  const bfdNet = new BfdMemoryNetwork({ clock });
  const cfg = config([bfdNeighbor]);
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
  try {
    await peerBfd.start();
    await peer.start();
    await daemon.start();
    await peerBfd.addSession(OURS, { localAddress: PEER, minTxMs: 50, minRxMs: 50, multiplier: 3 });
    await advance(clock, 3000);
    assert.equal(peer.peers()[0]!.state, "Established");
    await daemon.reload(config([]));
    await advance(clock, 3000);
    assert.equal(daemon.speaker.sessions.length, 0);
    assert.notEqual(peer.peers()[0]!.state, "Established");
    // BFD for the removed neighbor runs until a restart; its flap must not revive BGP.
    bfdNet.cut(PEER, OURS);
    await advance(clock, 500);
    bfdNet.heal(PEER, OURS);
    await advance(clock, 5000);
    assert.notEqual(peer.peers()[0]!.state, "Established", "no session to a removed neighbor");
  } finally {
    await daemon.stop();
    await peerBfd.close();
    await peer.stop();
  }
});

Deno.test("Daemon.reload(): BFD Down closes the session of a reconfigured neighbor", async () => {
  const clock = new FakeClock(1_000_000);
  const bgpNet = new BgpMemoryNetwork();
  const bfdNet = new BfdMemoryNetwork({ clock });
  const cfg = config([bfdNeighbor]);
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
  try {
    await peerBfd.start();
    await peer.start();
    await daemon.start();
    await peerBfd.addSession(OURS, { localAddress: PEER, minTxMs: 50, minRxMs: 50, multiplier: 3 });
    await advance(clock, 3000);
    // A changed description replaces the session object.
    await daemon.reload(config([{ ...bfdNeighbor, description: "core router" }]));
    await advance(clock, 5000);
    assert.equal(daemon.speaker.peers()[0]!.state, "Established");
    bfdNet.cut(PEER, OURS);
    await advance(clock, 300);
    assert.equal(daemon.speaker.peers()[0]!.state, "Idle", "BFD Down reaches the new session");
    assert.match(daemon.speaker.peers()[0]!.lastError ?? "", /6\/10/);
  } finally {
    await daemon.stop();
    await peerBfd.close();
    await peer.stop();
  }
});
