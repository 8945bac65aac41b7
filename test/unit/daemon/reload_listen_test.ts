/** Reload of passive neighbors: the speaker must accept them on their local address. */
import assert from "node:assert/strict";
import { FakeClock } from "../../../src/util/clock.ts";
import type { AnycastConfig, NeighborConfig } from "../../../src/config/model.ts";
import { advance, testConfig, testNeighbor } from "../_fixtures/daemon.ts";
import { BgpSpeaker } from "../../../src/bgp/speaker.ts";
import { MemoryNetwork as BgpMemoryNetwork } from "../../../src/bgp/transport.ts";
import { Daemon } from "../../../src/daemon/mod.ts";

const OURS = "10.253.0.1", PEER = "10.253.0.2";

const neighbor = testNeighbor;
const config = (neighbors: NeighborConfig[]): AnycastConfig =>
  testConfig(OURS, neighbors, { bfd: false });

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
