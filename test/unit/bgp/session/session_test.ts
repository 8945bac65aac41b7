/** Session behaviour that needs fake time or a hand-driven peer (in-memory transport only). */
import assert from "node:assert/strict";
import { BgpSpeaker } from "../../../../src/bgp/speaker.ts";
import { DEFAULT_OPEN_CONTEXT, type OpenMessage } from "../../../../src/bgp/message/types.ts";
import { encodeMessage } from "../../../../src/bgp/message/codec.ts";
import { negotiateContext } from "../../../../src/bgp/message/negotiate.ts";
import { BgpSession, maxPrefixesData, shutdownCommunication } from "../../../../src/bgp/session.ts";
import { type BgpConnection, memoryPipe, type Transport } from "../../../../src/bgp/transport.ts";
import {
  flush,
  memoryNet,
  neighbor,
  route,
  ScriptedPeer,
  speakerConfig,
  state,
  type TestNet,
} from "./_net.ts";

const peerOpen = (over: Partial<OpenMessage> = {}): OpenMessage => ({
  type: "open",
  version: 4,
  asn: 65001,
  holdTime: 9,
  bgpId: "10.0.0.2",
  capabilities: [
    { kind: "multiprotocol", afi: 1, safi: 1 },
    { kind: "multiprotocol", afi: 2, safi: 1 },
    { kind: "route-refresh" },
    { kind: "four-octet-as", asn: 65001 },
  ],
  ...over,
});

/** Our speaker A (active) against a scripted peer listening on 127.0.0.2:179. */
async function againstScripted(
  net: TestNet,
  opts: { aNeighbor?: Parameters<typeof neighbor>[0]; gr?: boolean; restarting?: boolean } = {},
): Promise<{ a: BgpSpeaker; peer: () => ScriptedPeer | undefined; peers: ScriptedPeer[] }> {
  const peers: ScriptedPeer[] = [];
  await net.transport("127.0.0.2").listen({ hostname: "127.0.0.2", port: 179 }, (conn) => {
    peers.push(new ScriptedPeer(conn));
  });
  const a = new BgpSpeaker({
    speaker: speakerConfig({ gracefulRestartEnabled: opts.gr ?? false }),
    neighbors: [neighbor({ address: "127.0.0.2", localAddress: "127.0.0.1", ...opts.aNeighbor })],
    transport: net.transport("127.0.0.1"),
    clock: net.clock,
    random: () => 0.5,
    ...(opts.restarting ? { restarting: true } : {}),
  });
  await a.start();
  return { a, peer: () => peers.at(-1), peers };
}

/** Complete the handshake from the scripted side. */
async function handshake(net: TestNet, peer: ScriptedPeer, open = peerOpen()): Promise<void> {
  await net.waitFor(() => peer.ofType("open").length === 1, "OPEN from us");
  peer.ctx = negotiateContext(open, peer.ofType("open")[0]!, false);
  peer.send(open);
  peer.send({ type: "keepalive" });
}

const test = (name: string, fn: () => Promise<void>) =>
  Deno.test({ name, sanitizeOps: false, sanitizeResources: false, fn });

test("BgpSession sends Hold Timer Expired and goes Idle when the peer falls silent", async () => {
  const net = memoryNet();
  const { a, peer } = await againstScripted(net);
  try {
    await net.waitFor(() => peer() !== undefined, "connection");
    await handshake(net, peer()!);
    await net.waitFor(() => state(a) === "Established", "Established");
    // The peer sends nothing more: 9 s later our hold timer fires.
    await net.advance(8_000);
    assert.equal(state(a), "Established");
    await net.advance(1_500);
    const notes = peer()!.ofType("notification");
    assert.equal(notes.length, 1);
    assert.equal(notes[0]!.code, 4);
    assert.equal(notes[0]!.subcode, 0);
    assert.equal(state(a), "Idle");
    assert.ok(peer()!.closed);
    // Keepalives flowed every 3 s while Established.
    assert.ok(peer()!.ofType("keepalive").length >= 3);
  } finally {
    await a.stop();
  }
});

test("BgpSession recovers from Idle by reconnecting after the hold timer fired", async () => {
  const net = memoryNet();
  const { a, peer, peers } = await againstScripted(net);
  try {
    await net.waitFor(() => peer() !== undefined, "connection");
    await handshake(net, peer()!);
    await net.advance(10_000);
    assert.equal(state(a), "Idle");
    await net.waitFor(() => peers.length === 2, "second connection");
    await handshake(net, peers[1]!);
    await net.waitFor(() => state(a) === "Established", "Established again");
    assert.equal(a.peers()[0]!.flaps, 1);
  } finally {
    await a.stop();
  }
});

test("BgpSession negotiates hold time 0: no keepalives, no hold timer", async () => {
  const net = memoryNet();
  const { a, peer } = await againstScripted(net, {
    aNeighbor: { address: "127.0.0.2", holdTime: 0 },
  });
  try {
    await net.waitFor(() => peer() !== undefined, "connection");
    await handshake(net, peer()!, peerOpen({ holdTime: 90 }));
    await net.waitFor(() => state(a) === "Established", "Established");
    const keepalives = peer()!.ofType("keepalive").length;
    await net.advance(300_000);
    assert.equal(state(a), "Established");
    assert.equal(peer()!.ofType("keepalive").length, keepalives);
    assert.equal(a.peers()[0]!.holdTime, 0);
  } finally {
    await a.stop();
  }
});

test("BgpSession answers an UPDATE with a bad attribute list with NOTIFICATION 3/1", async () => {
  const net = memoryNet();
  const { a, peer } = await againstScripted(net);
  try {
    await net.waitFor(() => peer() !== undefined, "connection");
    await handshake(net, peer()!);
    await net.waitFor(() => state(a) === "Established", "Established");
    // UPDATE: withdrawn length 0, total path attribute length 10 but only 0 bytes follow.
    const bad = new Uint8Array([...Array(16).fill(0xff), 0, 23, 2, 0, 0, 0, 10]);
    peer()!.sendRaw(bad);
    await net.waitFor(() => peer()!.ofType("notification").length === 1, "NOTIFICATION");
    const n = peer()!.ofType("notification")[0]!;
    assert.equal(n.code, 3);
    assert.equal(n.subcode, 1);
    assert.equal(state(a), "Idle");
  } finally {
    await a.stop();
  }
});

test("BgpSession answers a bad marker with NOTIFICATION 1/1", async () => {
  const net = memoryNet();
  const { a, peer } = await againstScripted(net);
  try {
    await net.waitFor(() => peer() !== undefined, "connection");
    await net.waitFor(() => peer()!.ofType("open").length === 1, "OPEN");
    peer()!.sendRaw(new Uint8Array([...Array(15).fill(0xff), 0, 0, 19, 4]));
    await net.waitFor(() => peer()!.ofType("notification").length === 1, "NOTIFICATION");
    const n = peer()!.ofType("notification")[0]!;
    assert.deepEqual([n.code, n.subcode], [1, 1]);
  } finally {
    await a.stop();
  }
});

test("BgpSession rejects an OPEN from the wrong AS with 2/2 Bad Peer AS", async () => {
  const net = memoryNet();
  const { a, peer } = await againstScripted(net);
  try {
    await net.waitFor(() => peer() !== undefined, "connection");
    await handshake(
      net,
      peer()!,
      peerOpen({ asn: 65099, capabilities: [{ kind: "four-octet-as", asn: 65099 }] }),
    );
    await net.waitFor(() => peer()!.ofType("notification").length === 1, "NOTIFICATION");
    const n = peer()!.ofType("notification")[0]!;
    assert.deepEqual([n.code, n.subcode], [2, 2]);
    assert.notEqual(state(a), "Established");
  } finally {
    await a.stop();
  }
});

test("BgpSession sends the graceful-restart capability with the R bit when restarting", async () => {
  const net = memoryNet();
  const { a, peer } = await againstScripted(net, { gr: true, restarting: true });
  try {
    await net.waitFor(() => peer() !== undefined, "connection");
    await net.waitFor(() => peer()!.ofType("open").length === 1, "OPEN");
    const gr = peer()!.ofType("open")[0]!.capabilities.find((c) => c.kind === "graceful-restart");
    assert.ok(gr && gr.kind === "graceful-restart");
    assert.equal(gr.restarting, true);
    assert.equal(gr.restartTime, 120);
    assert.deepEqual(gr.families.map((f) => [f.afi, f.safi, f.forwardingPreserved]), [
      [1, 1, true],
      [2, 1, true],
    ]);
  } finally {
    await a.stop();
  }
});

test("BgpSpeaker.stop({ keepRoutes }) closes without withdrawing or a NOTIFICATION", async () => {
  const net = memoryNet();
  const { a, peer } = await againstScripted(net, { gr: true });
  await net.waitFor(() => peer() !== undefined, "connection");
  await handshake(net, peer()!);
  a.setRoutes([route("192.0.2.1/32")]);
  await net.waitFor(() => peer()!.ofType("update").length >= 3, "route and EoRs");
  const updates = peer()!.ofType("update").length;
  await a.stop({ keepRoutes: true });
  await net.waitFor(() => peer()!.closed, "closed");
  assert.equal(peer()!.ofType("notification").length, 0);
  assert.equal(peer()!.ofType("update").length, updates);
});

test("BgpSession sends End-of-RIB after the initial table, for each negotiated family", async () => {
  const net = memoryNet();
  const { a, peer } = await againstScripted(net);
  try {
    a.setRoutes([route("192.0.2.1/32"), route("2001:db8::1/128")]);
    await net.waitFor(() => peer() !== undefined, "connection");
    await handshake(net, peer()!);
    await net.waitFor(() => peer()!.ofType("update").length === 4, "2 updates + 2 EoR");
    const updates = peer()!.ofType("update");
    const isEor = (u: (typeof updates)[number]) =>
      u.nlri.length === 0 && u.withdrawn.length === 0 &&
      (u.attributes.mpReach === undefined) &&
      (u.attributes.mpUnreach === undefined || u.attributes.mpUnreach.withdrawn.length === 0) &&
      (Object.keys(u.attributes).length <= 1);
    assert.deepEqual(updates.map(isEor), [false, false, true, true]);
  } finally {
    await a.stop();
  }
});

test("BgpSession on a passive neighbor never connects out", async () => {
  const net = memoryNet();
  let attempts = 0;
  const base = net.transport("127.0.0.1");
  const a = new BgpSpeaker({
    speaker: speakerConfig(),
    neighbors: [neighbor({ address: "127.0.0.2", localAddress: "127.0.0.1", passive: true })],
    transport: { ...base, connect: (o) => (attempts++, base.connect(o)) },
    clock: net.clock,
  });
  await a.start();
  try {
    await net.advance(120_000);
    assert.equal(attempts, 0);
    assert.equal(state(a), "Active");
  } finally {
    await a.stop();
  }
});

for (
  const [peerId, winner] of [["10.0.0.2", "the peer's connection"], [
    "9.0.0.1",
    "our connection",
  ]] as const
) {
  test(`BgpSession resolves a collision with peer id ${peerId} by keeping ${winner} (RFC 4271 §6.8)`, async () => {
    const net = memoryNet();
    const { a, peer } = await againstScripted(net);
    try {
      await net.waitFor(() => peer()?.ofType("open").length === 1, "OPEN on our connection");
      const ours = peer()!;
      // The peer connects to us too, while our connection is in OpenSent.
      const [mine, theirs] = memoryPipe(["127.0.0.1", 179], ["127.0.0.2", 50000]);
      const incoming = new ScriptedPeer(theirs);
      a.sessions[0]!.acceptIncoming(mine);
      await net.waitFor(() => incoming.ofType("open").length === 1, "OPEN on the incoming one");
      const open = peerOpen({ bgpId: peerId });
      ours.ctx = negotiateContext(open, ours.ofType("open")[0]!, false);
      incoming.ctx = ours.ctx;
      ours.send(open);
      await flush();
      incoming.send(open);
      const [keep, dump] = peerId === "10.0.0.2" ? [incoming, ours] : [ours, incoming];
      await net.waitFor(() => dump.ofType("notification").length === 1, "Cease on the loser");
      const n = dump.ofType("notification")[0]!;
      assert.deepEqual([n.code, n.subcode], [6, 7]);
      await net.waitFor(() => dump.closed, "loser closed");
      await net.waitFor(() => keep.ofType("keepalive").length >= 1, "KEEPALIVE on the winner");
      keep.send({ type: "keepalive" });
      await net.waitFor(() => state(a) === "Established", "Established");
      a.setRoutes([route("192.0.2.1/32")]);
      await net.waitFor(() => keep.ofType("update").length >= 1, "routes on the winner");
      assert.equal(keep.ofType("notification").length, 0);
    } finally {
      await a.stop();
    }
  });
}

test("BgpSession refuses a second connection while Established (Cease 5)", async () => {
  const net = memoryNet();
  const { a, peer } = await againstScripted(net);
  try {
    await net.waitFor(() => peer() !== undefined, "connection");
    await handshake(net, peer()!);
    await net.waitFor(() => state(a) === "Established", "Established");
    const [mine, theirs] = memoryPipe(["127.0.0.1", 179], ["127.0.0.2", 50001]);
    const extra = new ScriptedPeer(theirs);
    a.sessions[0]!.acceptIncoming(mine);
    await net.waitFor(() => extra.closed, "refused");
    assert.deepEqual(extra.ofType("notification").map((n) => [n.code, n.subcode]), [[6, 5]]);
    assert.equal(state(a), "Established");
  } finally {
    await a.stop();
  }
});

Deno.test("maxPrefixesData() encodes AFI, SAFI and the limit (RFC 4486 §4)", () => {
  assert.deepEqual(
    Array.from(maxPrefixesData("ipv6-unicast", 1000)),
    [0, 2, 1, 0, 0, 3, 232],
  );
});

Deno.test("shutdownCommunication() prefixes the length and truncates at 255 bytes", () => {
  assert.deepEqual(Array.from(shutdownCommunication("bye")), [3, 98, 121, 101]);
  const long = shutdownCommunication("é".repeat(200));
  assert.equal(long[0], 254);
  assert.equal(long.length, 255);
});

test("BgpSession skips a route it cannot encode and keeps the session up", async () => {
  const net = memoryNet();
  const { a, peer } = await againstScripted(net);
  try {
    await net.waitFor(() => peer() !== undefined, "connection");
    await handshake(net, peer()!);
    await net.waitFor(() => state(a) === "Established", "Established");
    const bad = route("192.0.2.9/32", { nextHop: "203.0.113.9" });
    bad.attributes = { ...bad.attributes, communities: ["not-a-community"] };
    a.setRoutes([bad, route("192.0.2.1/32")]);
    await net.waitFor(
      () => peer()!.ofType("update").some((u) => u.nlri.includes("192.0.2.1/32")),
      "the good route",
    );
    await net.advance(1_000);
    assert.equal(state(a), "Established");
    assert.ok(!peer()!.ofType("update").some((u) => u.nlri.includes("192.0.2.9/32")));
  } finally {
    await a.stop();
  }
});

test("BgpSession rejects an OPEN with hold time 2 with 2/6 Unacceptable Hold Time", async () => {
  const net = memoryNet();
  const { a, peer } = await againstScripted(net);
  try {
    await net.waitFor(() => peer()?.ofType("open").length === 1, "OPEN from us");
    const bytes = encodeMessage(peerOpen({ holdTime: 3 }), DEFAULT_OPEN_CONTEXT);
    // Header (19) + version (1) + My AS (2): the hold time field.
    bytes[22] = 0;
    bytes[23] = 2;
    peer()!.sendRaw(bytes);
    await net.waitFor(() => peer()!.ofType("notification").length === 1, "NOTIFICATION");
    const n = peer()!.ofType("notification")[0]!;
    assert.deepEqual([n.code, n.subcode], [2, 6]);
    assert.notEqual(state(a), "Established");
  } finally {
    await a.stop();
  }
});

test("BgpSession keeps its Established connection when a colliding connection's OPEN arrives late (RFC 4271 §6.8)", async () => {
  const net = memoryNet();
  const { a, peer } = await againstScripted(net);
  try {
    await net.waitFor(() => peer()?.ofType("open").length === 1, "OPEN on our connection");
    const ours = peer()!;
    // The peer connects to us too while our connection is in OpenSent...
    const [mine, theirs] = memoryPipe(["127.0.0.1", 179], ["127.0.0.2", 50002]);
    const incoming = new ScriptedPeer(theirs);
    a.sessions[0]!.acceptIncoming(mine);
    await net.waitFor(() => incoming.ofType("open").length === 1, "OPEN on the incoming one");
    // ...but our connection reaches Established before the other one's OPEN arrives.
    const open = peerOpen({ bgpId: "10.0.0.2" });
    await handshake(net, ours, open);
    await net.waitFor(() => state(a) === "Established", "Established");
    a.setRoutes([route("192.0.2.1/32")]);
    await net.waitFor(() => ours.ofType("update").length >= 1, "routes on our connection");
    // The higher identifier would win in OpenConfirm, but an Established connection wins.
    incoming.ctx = ours.ctx;
    incoming.send(open);
    await net.waitFor(() => incoming.closed, "the late connection closed");
    assert.deepEqual(incoming.ofType("notification").map((n) => [n.code, n.subcode]), [[6, 7]]);
    assert.equal(state(a), "Established");
    assert.equal(ours.closed, false);
    assert.equal(ours.ofType("notification").length, 0);
    assert.equal(a.peers()[0]!.prefixesSent, 1);
  } finally {
    await a.stop();
  }
});

test("BgpSession does not announce an IPv4 route without a next hop over an IPv6 session (RFC 4271 §5.1.3)", async () => {
  const net = memoryNet();
  const peers: ScriptedPeer[] = [];
  await net.transport("2001:db8::2").listen({ hostname: "2001:db8::2", port: 179 }, (conn) => {
    peers.push(new ScriptedPeer(conn));
  });
  const logged: string[] = [];
  const a = new BgpSpeaker({
    speaker: speakerConfig(),
    neighbors: [neighbor({ address: "2001:db8::2", localAddress: "2001:db8::1" })],
    transport: net.transport("2001:db8::1"),
    clock: net.clock,
    random: () => 0.5,
    log: (_level, message) => logged.push(message),
  });
  await a.start();
  try {
    await net.waitFor(() => peers.length === 1, "connection");
    const peer = peers[0]!;
    await handshake(net, peer);
    await net.waitFor(() => state(a) === "Established", "Established");
    const { nextHop: _v4, ...noHopV4 } = route("192.0.2.1/32");
    const { nextHop: _v6, ...noHopV6 } = route("2001:db8:100::1/128");
    a.setRoutes([noHopV4, route("192.0.2.2/32"), noHopV6]);
    await net.waitFor(() => a.peers()[0]!.prefixesSent === 2, "two routes sent");
    await flush();
    const updates = peer.ofType("update");
    const nextHops = updates.map((u) => u.attributes.nextHop ?? u.attributes.mpReach?.nextHop)
      .filter((h) => h !== undefined);
    assert.ok(!nextHops.includes("0.0.0.0"), `next hops sent: ${nextHops}`);
    assert.ok(nextHops.includes("203.0.113.1"));
    assert.ok(nextHops.includes("2001:db8::1"));
    assert.ok(!updates.some((u) => u.nlri.includes("192.0.2.1/32")));
    assert.ok(logged.some((m) => m.includes("192.0.2.1/32") && m.includes("next hop")));
  } finally {
    await a.stop();
  }
});

/**
 * A connection whose peer stopped reading once `stall` is set: writes are
 * dropped and stay pending until close(), as a full TCP send buffer does.
 */
class StallingConnection implements BgpConnection {
  stall = false;
  closeCalls = 0;
  #inner: BgpConnection;
  #pending: (() => void)[] = [];
  constructor(inner: BgpConnection) {
    this.#inner = inner;
  }
  get localAddress() {
    return this.#inner.localAddress;
  }
  get localPort() {
    return this.#inner.localPort;
  }
  get remoteAddress() {
    return this.#inner.remoteAddress;
  }
  get remotePort() {
    return this.#inner.remotePort;
  }
  get closed() {
    return this.#inner.closed;
  }
  read() {
    return this.#inner.read();
  }
  write(data: Uint8Array): Promise<void> {
    if (!this.stall) return this.#inner.write(data);
    return new Promise((resolve) => this.#pending.push(resolve));
  }
  close(): void {
    this.closeCalls++;
    for (const resolve of this.#pending.splice(0)) resolve();
    this.#inner.close();
  }
}

test("BgpSession closes the connection when the hold timer expires while the peer does not read", async () => {
  const net = memoryNet();
  const peers: ScriptedPeer[] = [];
  const conns: StallingConnection[] = [];
  const transport: Transport = {
    connect: (options) => {
      const [mine, theirs] = memoryPipe(
        [options.localAddress ?? "127.0.0.1", 40000 + conns.length],
        [
          options.hostname,
          options.port,
        ],
      );
      peers.push(new ScriptedPeer(theirs));
      const conn = new StallingConnection(mine);
      conns.push(conn);
      return Promise.resolve(conn);
    },
    listen: () => Promise.reject(new Error("Cannot listen: not in this test")),
  };
  const a = new BgpSpeaker({
    speaker: speakerConfig(),
    neighbors: [neighbor({ address: "127.0.0.2", localAddress: "127.0.0.1" })],
    transport,
    clock: net.clock,
    random: () => 0.5,
  });
  await a.start();
  try {
    await net.waitFor(() => peers.length === 1, "connection");
    await handshake(net, peers[0]!);
    await net.waitFor(() => state(a) === "Established", "Established");
    // The peer stops reading and falls silent: our keepalives pile up unsent.
    conns[0]!.stall = true;
    await net.advance(10_000);
    assert.notEqual(state(a), "Established");
    assert.equal(conns[0]!.closeCalls, 1, "the dead connection is closed, not leaked");
    assert.ok(peers[0]!.closed);
  } finally {
    const stopped = await Promise.race([a.stop().then(() => true), flush(20).then(() => false)]);
    assert.ok(stopped, "stop() does not hang on writes that never drain");
  }
});

test("BgpSpeaker.stop() closes a connection whose peer stopped reading instead of hanging", async () => {
  const net = memoryNet();
  const peers: ScriptedPeer[] = [];
  const conns: StallingConnection[] = [];
  const transport: Transport = {
    connect: (options) => {
      const [mine, theirs] = memoryPipe([options.localAddress ?? "127.0.0.1", 40100], [
        options.hostname,
        options.port,
      ]);
      peers.push(new ScriptedPeer(theirs));
      const conn = new StallingConnection(mine);
      conns.push(conn);
      return Promise.resolve(conn);
    },
    listen: () => Promise.reject(new Error("Cannot listen: not in this test")),
  };
  const a = new BgpSpeaker({
    speaker: speakerConfig(),
    neighbors: [neighbor({ address: "127.0.0.2", localAddress: "127.0.0.1" })],
    transport,
    clock: net.clock,
    random: () => 0.5,
  });
  await a.start();
  await net.waitFor(() => peers.length === 1, "connection");
  await handshake(net, peers[0]!);
  await net.waitFor(() => state(a) === "Established", "Established");
  conns[0]!.stall = true;
  a.setRoutes([route("192.0.2.1/32")]);
  await flush();
  const stopped = await Promise.race([a.stop().then(() => true), flush(20).then(() => false)]);
  assert.ok(stopped, "stop() resolved");
  assert.equal(conns[0]!.closeCalls, 1);
  assert.equal(state(a), "Idle");
});

for (const how of ["closes", "sends Cease 6/7 on"] as const) {
  test(`BgpSession continues on the colliding connection when the peer ${how} the first one (RFC 4271 §6.8)`, async () => {
    const net = memoryNet();
    const { a, peer, peers } = await againstScripted(net);
    try {
      await net.waitFor(() => peer()?.ofType("open").length === 1, "OPEN on our connection");
      const ours = peer()!;
      const [mine, theirs] = memoryPipe(["127.0.0.1", 179], ["127.0.0.2", 50003]);
      const incoming = new ScriptedPeer(theirs);
      a.sessions[0]!.acceptIncoming(mine);
      await net.waitFor(() => incoming.ofType("open").length === 1, "OPEN on the incoming one");
      // The peer (higher identifier) resolved the collision first: it dumps our connection...
      if (how === "sends Cease 6/7 on") {
        ours.send({ type: "notification", code: 6, subcode: 7, data: new Uint8Array(0) });
      }
      ours.conn.close();
      await flush();
      // ...and carries on with its own.
      const open = peerOpen({ bgpId: "10.0.0.2" });
      incoming.ctx = negotiateContext(open, incoming.ofType("open")[0]!, false);
      incoming.send(open);
      await net.waitFor(() => incoming.ofType("keepalive").length >= 1, "KEEPALIVE on it");
      incoming.send({ type: "keepalive" });
      await net.waitFor(() => state(a) === "Established", "Established");
      assert.equal(incoming.closed, false);
      assert.equal(incoming.ofType("notification").length, 0);
      assert.equal(peers.length, 1, "no new outgoing connection was needed");
    } finally {
      await a.stop();
    }
  });
}

test("BgpSession resets a peer that keeps the session alive but stops reading (Cease 6/8)", async () => {
  const net = memoryNet();
  const peers: ScriptedPeer[] = [];
  const conns: StallingConnection[] = [];
  const transport: Transport = {
    connect: (options) => {
      const [mine, theirs] = memoryPipe(["127.0.0.1", 40200 + conns.length], [
        options.hostname,
        options.port,
      ]);
      peers.push(new ScriptedPeer(theirs));
      const conn = new StallingConnection(mine);
      conns.push(conn);
      return Promise.resolve(conn);
    },
    listen: () => Promise.reject(new Error("Cannot listen: not in this test")),
  };
  const session = new BgpSession({
    localAsn: 64600,
    routerId: "10.0.0.1",
    neighbor: neighbor({ address: "127.0.0.2", localAddress: "127.0.0.1" }),
    transport,
    clock: net.clock,
    random: () => 0.5,
    maxUnsentBytes: 4096,
  });
  session.start();
  try {
    await net.waitFor(() => peers.length === 1, "connection");
    await handshake(net, peers[0]!);
    await net.waitFor(() => session.state === "Established", "Established");
    conns[0]!.stall = true;
    // The peer still sends KEEPALIVEs (the hold timer is happy) while routes change.
    for (let med = 0; med < 200 && session.state === "Established"; med++) {
      peers[0]!.send({ type: "keepalive" });
      const r = route("192.0.2.1/32");
      session.setRoutes([{ ...r, attributes: { ...r.attributes, med } }]);
      session.syncNow();
      await flush(1);
    }
    assert.equal(session.state, "Idle");
    assert.match(session.status().lastError ?? "", /not reading/);
    assert.equal(conns[0]!.closeCalls, 1);
  } finally {
    session.stop();
    await session.flushed();
  }
});

test("BgpSession does not announce an IPv6 route without a next hop over an IPv4 session (RFC 2545 §3)", async () => {
  const net = memoryNet();
  const logged: string[] = [];
  const peers: ScriptedPeer[] = [];
  await net.transport("127.0.0.2").listen({ hostname: "127.0.0.2", port: 179 }, (conn) => {
    peers.push(new ScriptedPeer(conn));
  });
  const a = new BgpSpeaker({
    speaker: speakerConfig(),
    neighbors: [neighbor({ address: "127.0.0.2", localAddress: "127.0.0.1" })],
    transport: net.transport("127.0.0.1"),
    clock: net.clock,
    random: () => 0.5,
    log: (_level, message) => logged.push(message),
  });
  await a.start();
  try {
    await net.waitFor(() => peers.length === 1, "connection");
    await handshake(net, peers[0]!);
    await net.waitFor(() => state(a) === "Established", "Established");
    const { nextHop: _, ...noHopV6 } = route("2001:db8:100::1/128");
    a.setRoutes([noHopV6, route("2001:db8:100::2/128"), route("192.0.2.1/32")]);
    await net.waitFor(() => a.peers()[0]!.prefixesSent === 2, "two routes sent");
    await flush();
    const hops = peers[0]!.ofType("update").map((u) => u.attributes.mpReach?.nextHop)
      .filter((h) => h !== undefined);
    assert.deepEqual(hops, ["2001:db8::ff"]);
    assert.ok(logged.some((m) => m.includes("2001:db8:100::1/128") && m.includes("next hop")));
    // Logged once, not on every later table change.
    a.setRoutes([noHopV6, route("2001:db8:100::2/128")]);
    a.setRoutes([noHopV6]);
    await flush();
    assert.equal(logged.filter((m) => m.includes("cannot announce 2001:db8:100::1/128")).length, 1);
  } finally {
    await a.stop();
  }
});
