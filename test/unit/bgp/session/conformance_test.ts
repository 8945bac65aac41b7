/**
 * Session-level RFC deviations closed by issue 13 (items 1, 4, 5, 6), against
 * a scripted peer on the in-memory transport. docs/bgp-coverage.md has a row
 * per test.
 */
import assert from "node:assert/strict";
import { BgpSpeaker } from "../../../../src/bgp/speaker.ts";
import type { Family } from "../../../../src/config/model.ts";
import type { OpenMessage } from "../../../../src/bgp/message/types.ts";
import { negotiateContext } from "../../../../src/bgp/message/negotiate.ts";
import { UpdateErrorLog } from "../../../../src/bgp/update_errors.ts";
import { FakeClock } from "../../../../src/util/clock.ts";
import { frame, hex, updateFrame } from "../codec/_helpers.ts";
import {
  memoryNet,
  neighbor,
  route,
  ScriptedPeer,
  speakerConfig,
  state,
  type TestNet,
} from "./_net.ts";

const test = (name: string, fn: () => Promise<void>) =>
  Deno.test({ name, sanitizeOps: false, sanitizeResources: false, fn });

function peerOpen(families: [number, number][]): OpenMessage {
  return {
    type: "open",
    version: 4,
    asn: 65001,
    holdTime: 9,
    bgpId: "10.0.0.2",
    capabilities: [
      ...families.map(([afi, safi]) => ({ kind: "multiprotocol" as const, afi, safi })),
      { kind: "route-refresh" },
      { kind: "four-octet-as", asn: 65001 },
    ],
  };
}

/** Our speaker (AS 64600, active, offering `families`) against a scripted peer; logs kept. */
async function scripted(net: TestNet, families: Family[]) {
  const peers: ScriptedPeer[] = [];
  const lines: string[] = [];
  const counted: string[] = [];
  await net.transport("127.0.0.2").listen({ hostname: "127.0.0.2", port: 179 }, (conn) => {
    peers.push(new ScriptedPeer(conn));
  });
  const a = new BgpSpeaker({
    speaker: speakerConfig(),
    neighbors: [neighbor({ address: "127.0.0.2", localAddress: "127.0.0.1", families })],
    transport: net.transport("127.0.0.1"),
    clock: net.clock,
    random: () => 0.5,
    log: (_level, message) => lines.push(message),
    counters: {
      bgpMessage() {},
      bgpPrefixUpdates() {},
      bgpUpdateErrors: (peer, action, count) => counted.push(`${peer} ${action} ${count}`),
    },
  });
  await a.start();
  await net.waitFor(() => peers.length > 0 && peers[0]!.ofType("open").length === 1, "our OPEN");
  return { a, peer: peers[0]!, lines, counted };
}

/** Handshake with an OPEN offering IPv4 and IPv6 unicast. */
async function establish(net: TestNet, a: BgpSpeaker, peer: ScriptedPeer): Promise<void> {
  const open = peerOpen([[1, 1], [2, 1]]);
  peer.ctx = negotiateContext(open, peer.ofType("open")[0]!, false);
  peer.send(open);
  peer.send({ type: "keepalive" });
  await net.waitFor(() => state(a) === "Established", "Established");
}

// ---------------------------------------------------------------- item 1

test("BgpSession answers an OPEN with no common family with 2/7 carrying our MP capabilities (RFC 5492 §5, RFC 4760 §8)", async () => {
  const net = memoryNet();
  const { a, peer, lines } = await scripted(net, ["ipv6-unicast"]);
  try {
    peer.send(peerOpen([[1, 1]]));
    await net.waitFor(() => peer.ofType("notification").length === 1, "NOTIFICATION");
    const n = peer.ofType("notification")[0]!;
    assert.deepEqual([n.code, n.subcode], [2, 7]);
    assert.equal(hex(n.data), "010400020001"); // capability 1, length 4, AFI 2, SAFI 1
    assert.notEqual(state(a), "Established");
    const why = "no common address family: we offer ipv6-unicast, peer offers ipv4-unicast";
    assert.ok(lines.some((l) => l.endsWith(why)), lines.join("\n"));
    const status = a.peers()[0]!;
    assert.equal(
      status.lastError,
      `sent NOTIFICATION 2/7 (OPEN Message Error, Unsupported Capability): ${why}`,
    );
    assert.deepEqual(status.families, []);
  } finally {
    await a.stop();
  }
});

// ---------------------------------------------------------------- item 4

test("BgpSession takes End-of-RIB from the raw UPDATE, not from what survived decoding (RFC 4724 §2)", async () => {
  const net = memoryNet();
  const { a, peer } = await scripted(net, ["ipv4-unicast"]);
  try {
    await establish(net, a, peer);
    const session = a.sessions[0]!;
    // Only attribute: ATOMIC_AGGREGATE of length 1, discarded (RFC 7606 §7.6).
    peer.sendRaw(updateFrame("", "40060100"));
    // IPv6 End-of-RIB on a v4-only session: MP_UNREACH for a family not negotiated.
    peer.sendRaw(updateFrame("", "800f03000201"));
    peer.send({ type: "keepalive" });
    await net.advance(500);
    assert.equal(session.status().messagesReceived.update, 2);
    assert.deepEqual(session.status().endOfRibReceived, []);
    peer.sendRaw(updateFrame("", ""));
    await net.waitFor(() => session.status().endOfRibReceived.length === 1, "End-of-RIB");
    assert.deepEqual(session.status().endOfRibReceived, ["ipv4-unicast"]);
  } finally {
    await a.stop();
  }
});

// ---------------------------------------------------------------- item 5

const ORIGIN = "40010100", AS_PATH = "40020602010000fde9";

test("BgpSession logs and counts RFC 7606 treat-as-withdraw and attribute discard with attribute and reason", async () => {
  const net = memoryNet();
  const { a, peer, lines, counted } = await scripted(net, ["ipv4-unicast"]);
  try {
    await establish(net, a, peer);
    // NEXT_HOP 0.0.0.1 (not a host address) with 198.51.100.0/24: treat-as-withdraw.
    peer.sendRaw(updateFrame("", ORIGIN + AS_PATH + "40030400000001", "18c63364"));
    // A good route with a malformed ATOMIC_AGGREGATE: attribute discard.
    peer.sendRaw(updateFrame("", ORIGIN + AS_PATH + "400304c00002fe" + "40060100", "18c63365"));
    await net.waitFor(() => a.sessions[0]!.adjRibIn.size === 1, "the good route");
    const status = a.peers()[0]!;
    assert.deepEqual(status.updateErrors, {
      "treat-as-withdraw": 1,
      "attribute-discard": 1,
      "session-reset": 0,
    });
    // The metrics reporter gets the same (anycast_bgp_update_errors_total{peer,action}).
    assert.deepEqual(counted, [
      "127.0.0.2 treat-as-withdraw 1",
      "127.0.0.2 attribute-discard 1",
    ]);
    const logged = lines.filter((l) => l.includes("RFC 7606"));
    assert.deepEqual(logged, [
      "neighbor 127.0.0.2: UPDATE treat-as-withdraw (RFC 7606): NEXT_HOP: NEXT_HOP 0.0.0.1 is not a host address, 1 prefix withdrawn",
      "neighbor 127.0.0.2: UPDATE attribute-discard (RFC 7606): ATOMIC_AGGREGATE: ATOMIC_AGGREGATE has bad length 1",
    ]);
  } finally {
    await a.stop();
  }
});

Deno.test("UpdateErrorLog logs at most 10 lines a minute per session and says how many it held back", () => {
  const clock = new FakeClock(0);
  const lines: string[] = [];
  const log = new UpdateErrorLog(clock, (m) => lines.push(m));
  const bad = [{ action: "treat-as-withdraw" as const, attribute: "NEXT_HOP", reason: "x" }];
  for (let i = 0; i < 25; i++) log.outcomes(bad, 1);
  assert.equal(lines.length, 10);
  assert.equal(log.counts["treat-as-withdraw"], 25);
  clock.tick(60_000);
  log.outcomes(bad, 1);
  assert.equal(lines[10], "15 more RFC 7606 outcomes not logged (rate limit)");
  assert.equal(lines.length, 12);
});

// ---------------------------------------------------------------- item 11

test("BgpSession answers a subtype-0 ROUTE-REFRESH carrying ORF entries and logs that ORF is not supported (RFC 7313 §5, RFC 5291)", async () => {
  const net = memoryNet();
  const { a, peer, lines } = await scripted(net, ["ipv4-unicast"]);
  try {
    await establish(net, a, peer);
    a.setRoutes([route("192.0.2.1/32")]);
    await net.waitFor(() => peer.ofType("update").length >= 1, "the route");
    const before = peer.ofType("update").length;
    // AFI 1, subtype 0, SAFI 1, then an ORF entry: When-to-refresh 1, ORF type 64, length 0.
    peer.sendRaw(frame(5, "0001000101400000"));
    await net.waitFor(() => peer.ofType("update").length > before, "the route sent again");
    assert.equal(state(a), "Established");
    assert.ok(lines.some((l) => /4 bytes of ORF entries: ORF is not supported/.test(l)));
  } finally {
    await a.stop();
  }
});

// ---------------------------------------------------------------- item 6

test("BgpSession keeps the MP_REACH_NLRI next hop in the Adj-RIB-In (RFC 4760 §3)", async () => {
  const net = memoryNet();
  const { a, peer } = await scripted(net, ["ipv4-unicast", "ipv6-unicast"]);
  try {
    await establish(net, a, peer);
    peer.send({
      type: "update",
      withdrawn: [],
      nlri: [],
      attributes: {
        origin: "igp",
        asPath: [{ type: "sequence", asns: [65001] }],
        mpReach: {
          family: "ipv6-unicast",
          nextHop: "2001:db8::1",
          nextHopLinkLocal: "fe80::1",
          nlri: ["2001:db8:100::/48"],
        },
      },
    });
    await net.waitFor(() => a.sessions[0]!.adjRibIn.size === 1, "route");
    const [route] = [...a.sessions[0]!.adjRibIn.routes()];
    assert.equal(route!.prefix, "2001:db8:100::/48");
    assert.equal(route!.attributes.mpReach?.nextHop, "2001:db8::1");
    assert.equal(route!.attributes.mpReach?.nextHopLinkLocal, "fe80::1");
    assert.deepEqual(route!.attributes.mpReach?.nlri, []);
  } finally {
    await a.stop();
  }
});
