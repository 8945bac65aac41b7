/** End-of-RIB waits for a table that is still being filled (RFC 4724 §2). */
import assert from "node:assert/strict";
import { BgpSpeaker } from "../../../src/bgp/speaker.ts";
import { MemoryNetwork } from "../../../src/bgp/transport.ts";
import { FakeClock } from "../../../src/util/clock.ts";
import { advance, testNeighbor } from "../_fixtures/daemon.ts";
import { attrs } from "../health/_fixtures.ts";

const OURS = "10.249.0.1", PEER = "10.249.0.2";

function speaker(address: string, asn: number, neighbor: ReturnType<typeof testNeighbor>) {
  return {
    asn,
    routerId: address,
    gracefulRestartEnabled: false,
    gracefulRestartRestartTime: 120,
    listenPort: 179,
    neighbor,
  };
}

Deno.test("BgpSpeaker sends End-of-RIB only once the filling table is complete", async () => {
  const clock = new FakeClock(1_000_000);
  const net = new MemoryNetwork();
  const o = speaker(OURS, 64600, testNeighbor(PEER, { localAddress: OURS }));
  const ours = new BgpSpeaker({
    speaker: o,
    neighbors: [o.neighbor],
    transport: net.transport(OURS),
    clock,
  });
  const p = speaker(
    PEER,
    65001,
    testNeighbor(OURS, { asn: 64600, passive: true, localAddress: PEER }),
  );
  const peer = new BgpSpeaker({
    speaker: p,
    neighbors: [p.neighbor],
    transport: net.transport(PEER),
    clock,
  });
  const route = (prefix: string) => ({
    prefix,
    family: "ipv4-unicast" as const,
    origin: "igp" as const,
    nextHop: "203.0.113.1",
    attributes: attrs(),
  });
  try {
    await peer.start();
    ours.tableFilling();
    ours.announce("192.0.2.1/32", route("192.0.2.1/32"));
    await ours.start();
    await advance(clock, 3000);
    const theirs = peer.sessions[0]!;
    assert.equal(theirs.state, "Established");
    assert.ok(theirs.adjRibIn.has("192.0.2.1/32"), "what there is goes out at once");
    assert.deepEqual(theirs.status().endOfRibReceived, [], "no End-of-RIB for a partial table");
    ours.announce("192.0.2.2/32", route("192.0.2.2/32"));
    ours.tableComplete();
    await advance(clock, 500);
    assert.ok(theirs.adjRibIn.has("192.0.2.2/32"));
    assert.deepEqual(theirs.status().endOfRibReceived, ["ipv4-unicast"]);
  } finally {
    await ours.stop();
    await peer.stop();
  }
});
