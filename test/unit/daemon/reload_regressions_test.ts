/**
 * Reload bugs of the old daemon root, each a test that failed before the
 * daemon became a thin root handing BFD and BGP their part of the diff.
 */
import assert from "node:assert/strict";
import { FakeClock } from "../../../src/util/clock.ts";
import type { AnycastConfig, NeighborConfig } from "../../../src/config/model.ts";
import { advance, testConfig, testNeighbor } from "../_fixtures/daemon.ts";
import { BgpSpeaker } from "../../../src/bgp/speaker.ts";
import { MemoryNetwork as BgpMemoryNetwork } from "../../../src/bgp/transport.ts";
import { BfdManager } from "../../../src/bfd/manager.ts";
import { MemoryNetwork as BfdMemoryNetwork } from "../../../src/bfd/memory_transport.ts";
import { Daemon } from "../../../src/daemon/mod.ts";

const OURS = "10.252.0.1", PEER = "10.252.0.2";

const config = (neighbors: NeighborConfig[]): AnycastConfig =>
  testConfig(OURS, neighbors, { bfd: true });

const bfdOf = (minTxMs = 50) => ({
  multihop: false,
  minRxMs: 50,
  minTxMs,
  multiplier: 3,
  passive: false,
  holdBgpUntilUp: true,
});
const bfdNeighbor = (minTxMs = 50, over: Partial<NeighborConfig> = {}) =>
  testNeighbor(PEER, { localAddress: OURS, bfd: bfdOf(minTxMs), ...over });

async function lab(initial: NeighborConfig[]) {
  const clock = new FakeClock(1_000_000);
  const bgpNet = new BgpMemoryNetwork();
  const bfdNet = new BfdMemoryNetwork({ clock });
  const cfg = config(initial);
  const daemon = new Daemon({
    config: cfg,
    clock,
    transport: bgpNet.transport(OURS),
    bfdTransport: bfdNet.transport(OURS),
  });
  const peer = new BgpSpeaker({
    speaker: { ...cfg.speaker, asn: 65001, routerId: PEER },
    neighbors: [testNeighbor(OURS, { asn: 64600, passive: true, localAddress: PEER })],
    transport: bgpNet.transport(PEER),
    clock,
  });
  const peerBfd = new BfdManager({ transport: bfdNet.transport(PEER), clock });
  await peerBfd.start();
  await peer.start();
  await peerBfd.addSession(OURS, { localAddress: PEER, minTxMs: 50, minRxMs: 50, multiplier: 3 });
  await daemon.start();
  const close = async () => {
    await daemon.stop();
    await peerBfd.close();
    await peer.stop();
  };
  return { clock, bgpNet, bfdNet, daemon, peer, peerBfd, close };
}

Deno.test("Daemon.reload(): a changed neighbor whose BFD is Down stays held (RFC 5882 §4.3)", async () => {
  const l = await lab([bfdNeighbor()]);
  try {
    await advance(l.clock, 3000);
    assert.equal(l.daemon.speaker.peers()[0]!.state, "Established");
    l.bfdNet.cut(PEER, OURS);
    await advance(l.clock, 500);
    assert.notEqual(l.daemon.speaker.peers()[0]!.state, "Established");
    // Only the description changes: the session object is replaced.
    await l.daemon.reload(config([bfdNeighbor(50, { description: "core router" })]));
    await advance(l.clock, 5000);
    assert.equal(l.daemon.speaker.peers()[0]!.state, "Idle", "held while BFD is Down");
    l.bfdNet.heal(PEER, OURS);
    await advance(l.clock, 5000);
    assert.equal(l.daemon.speaker.peers()[0]!.state, "Established", "started on BFD Up");
  } finally {
    await l.close();
  }
});

Deno.test("Daemon.reload(): the BFD session of a removed neighbor stops", async () => {
  const l = await lab([bfdNeighbor()]);
  try {
    await advance(l.clock, 3000);
    assert.equal(l.daemon.bfd!.manager.sessions().length, 1);
    await l.daemon.reload(config([]));
    await advance(l.clock, 1000);
    assert.equal(l.daemon.bfd!.manager.sessions().length, 0);
    assert.equal(l.daemon.bfd!.status().length, 0);
  } finally {
    await l.close();
  }
});

Deno.test("Daemon.reload(): changed BFD timers are applied", async () => {
  const l = await lab([bfdNeighbor(50)]);
  try {
    await advance(l.clock, 3000);
    assert.equal(l.daemon.bfd!.manager.session(PEER)!.transmitIntervalMs, 50);
    await l.daemon.reload(config([bfdNeighbor(200)]));
    await advance(l.clock, 5000);
    const session = l.daemon.bfd!.manager.session(PEER)!;
    assert.equal(session.state, "Up");
    assert.equal(session.transmitIntervalMs, 200);
    assert.equal(l.daemon.speaker.peers()[0]!.state, "Established");
  } finally {
    await l.close();
  }
});

Deno.test("Daemon.reload(): a neighbor added with BFD gets its BFD session at once", async () => {
  const l = await lab([]);
  try {
    assert.ok(!l.daemon.bfd, "no BFD neighbor, no BFD");
    await l.daemon.reload(config([bfdNeighbor()]));
    await advance(l.clock, 5000);
    const bfd = l.daemon.bfd as Daemon["bfd"];
    assert.equal(bfd?.manager.session(PEER)?.state, "Up");
    assert.equal(l.daemon.speaker.peers()[0]!.state, "Established");
    l.bfdNet.cut(PEER, OURS);
    await advance(l.clock, 500);
    assert.match(l.daemon.speaker.peers()[0]!.lastError ?? "", /6\/10/, "BFD Down closes BGP");
  } finally {
    await l.close();
  }
});

Deno.test("Daemon.reload(): the listener of a removed passive neighbor is closed", async () => {
  const passive = testNeighbor(PEER, { localAddress: OURS, passive: true });
  const l = await lab([passive]);
  try {
    await l.daemon.reload(config([]));
    await assert.rejects(
      () => l.bgpNet.transport(PEER).connect({ hostname: OURS, port: 179 }),
      /refused/,
    );
  } finally {
    await l.close();
  }
});
