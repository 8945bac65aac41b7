/** Issue 13 item 3: the Cease a reload sends says why (RFC 4486 §4, RFC 9003 §2). */
import assert from "node:assert/strict";
import { FakeClock } from "../../../src/util/clock.ts";
import type { AnycastConfig, NeighborConfig } from "../../../src/config/model.ts";
import { advance, testConfig, testNeighbor } from "../_fixtures/daemon.ts";
import { BgpSpeaker } from "../../../src/bgp/speaker.ts";
import { MemoryNetwork } from "../../../src/bgp/transport.ts";
import { Daemon } from "../../../src/daemon/mod.ts";

const OURS = "10.254.0.1", PEER = "10.254.0.2";
const config = (neighbors: NeighborConfig[]): AnycastConfig =>
  testConfig(OURS, neighbors, { bfd: false });
const ours = testNeighbor(PEER, { localAddress: OURS });

async function reloadAndWatch(next: NeighborConfig[]): Promise<string> {
  const lines: string[] = [];
  const clock = new FakeClock(1_000_000);
  const net = new MemoryNetwork();
  const cfg = config([ours]);
  const daemon = new Daemon({ config: cfg, clock, transport: net.transport(OURS) });
  const peer = new BgpSpeaker({
    speaker: { ...cfg.speaker, asn: 65001, routerId: PEER },
    neighbors: [testNeighbor(OURS, { asn: 64600, passive: true, localAddress: PEER })],
    transport: net.transport(PEER),
    clock,
    log: (_level, message) => lines.push(message),
  });
  try {
    await peer.start();
    await daemon.start();
    await advance(clock, 3000);
    assert.equal(peer.peers()[0]!.state, "Established");
    await daemon.reload(config(next));
    await advance(clock, 50);
    return lines.filter((l) => l.includes("received NOTIFICATION")).join("\n");
  } finally {
    await daemon.stop();
    await peer.stop();
  }
}

Deno.test("Daemon.reload(): a changed neighbor gets Cease 6/6 Other Configuration Change (RFC 4486 §4)", async () => {
  const seen = await reloadAndWatch([{ ...ours, description: "core router" }]);
  assert.equal(
    seen,
    `neighbor ${OURS}: received NOTIFICATION 6/6 (Cease, Other Configuration Change)`,
  );
});

Deno.test("Daemon.reload(): a removed neighbor gets Cease 6/3 Peer De-configured, no communication (RFC 4486 §4, RFC 9003 §2)", async () => {
  const seen = await reloadAndWatch([]);
  assert.equal(seen, `neighbor ${OURS}: received NOTIFICATION 6/3 (Cease, Peer De-configured)`);
});
