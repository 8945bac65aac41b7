/**
 * Reconnecting after faults, on fake time: a peer that is down is retried
 * every connectRetry (jittered) without a back-off; a session that drops
 * once restarts within a second; only repeated short-lived sessions back off
 * (RFC 4271 §8.1.1 DampPeerOscillations), and a stable session resets that;
 * an active neighbor accepts the peer's own connection (RFC 4271 §6.8 picks
 * one when both connect); after a max-prefix Cease the neighbor stays down
 * for maxPrefixesRestart.
 */
import assert from "node:assert/strict";
import { BgpSpeaker } from "../../../../src/bgp/speaker.ts";
import type { OpenMessage } from "../../../../src/bgp/message/types.ts";
import { negotiateContext } from "../../../../src/bgp/message/negotiate.ts";
import { FlapDamping, jitter } from "../../../../src/bgp/damping.ts";
import type { NeighborConfig } from "../../../../src/config/model.ts";
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

const peerOpen = (over: Partial<OpenMessage> = {}): OpenMessage => ({
  type: "open",
  version: 4,
  asn: 65001,
  holdTime: 9,
  bgpId: "10.0.0.2",
  capabilities: [
    { kind: "multiprotocol", afi: 1, safi: 1 },
    { kind: "four-octet-as", asn: 65001 },
  ],
  ...over,
});

/** Speaker A (active, listening on 127.0.0.1) against scripted peers on 127.0.0.2:179. */
async function setup(net: TestNet, over: Partial<NeighborConfig> = {}) {
  const peers: ScriptedPeer[] = [];
  const listener = await net.transport("127.0.0.2").listen(
    { hostname: "127.0.0.2", port: 179 },
    (conn) => peers.push(new ScriptedPeer(conn)),
  );
  const idleWaits: (number | undefined)[] = [];
  const a = new BgpSpeaker({
    speaker: speakerConfig(),
    neighbors: [neighbor({
      address: "127.0.0.2",
      localAddress: "127.0.0.1",
      families: ["ipv4-unicast"],
      ...over,
    })],
    transport: net.transport("127.0.0.1"),
    clock: net.clock,
    random: () => 0,
  });
  // The wait scheduled the moment the session falls to Idle, as `anycast peers` shows it.
  a.onStateChange((c) => {
    if (c.to === "Idle") idleWaits.push(a.peers()[0]!.nextAttemptInMs);
  });
  await a.start();
  return { a, peers, idleWaits, listener };
}

async function establish(net: TestNet, peer: ScriptedPeer, a: BgpSpeaker): Promise<void> {
  await net.waitFor(() => peer.ofType("open").length === 1, "OPEN from us");
  const open = peerOpen();
  peer.ctx = negotiateContext(open, peer.ofType("open")[0]!, false);
  peer.send(open);
  peer.send({ type: "keepalive" });
  await net.waitFor(() => state(a) === "Established", "Established");
}

test("BgpSession retries a peer that is down every connectRetry (jittered), without back-off", async () => {
  const net = memoryNet();
  net.memory!.blocked.add("127.0.0.9");
  const attempts: number[] = [];
  const base = net.transport("127.0.0.1");
  const a = new BgpSpeaker({
    speaker: speakerConfig(),
    neighbors: [neighbor({ address: "127.0.0.9", connectRetry: 5 })],
    transport: { ...base, connect: (o) => (attempts.push(net.clock.now()), base.connect(o)) },
    clock: net.clock,
    random: () => 0,
  });
  await a.start();
  try {
    await net.advance(120_000);
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
    // 5 s x 0.75 (RFC 4271 §10 jitter with random() = 0) after each failed attempt,
    // every time: no growth (the fake network reports the failure within a 500 ms step).
    assert.ok(gaps.length >= 25, `attempts: ${attempts.length}`);
    for (const gap of gaps) assert.ok(gap >= 3750 && gap <= 4250, `gaps: ${gaps}`);
    assert.equal(state(a), "Connect");
    const next = a.peers()[0]!.nextAttemptInMs;
    assert.ok(next !== undefined && next > 0 && next <= 3750, `nextAttemptInMs ${next}`);
  } finally {
    await a.stop();
  }
});

test("BgpSession restarts within a second after one drop of a stable session", async () => {
  const net = memoryNet();
  const { a, peers, idleWaits } = await setup(net, { connectRetry: 5 });
  try {
    await net.waitFor(() => peers.length === 1, "connection");
    await establish(net, peers[0]!, a);
    await net.advance(60_000);
    peers[0]!.conn.close(); // the router restarts
    await net.waitFor(() => state(a) !== "Established", "drop");
    assert.deepEqual(idleWaits, [1000]);
    await net.waitFor(() => peers.length === 2, "reconnect", 1500);
  } finally {
    await a.stop();
  }
});

test("BgpSession backs off only for repeated flaps within the window (DampPeerOscillations)", async () => {
  const net = memoryNet();
  const { a, peers, idleWaits } = await setup(net, { connectRetry: 5 });
  try {
    for (let i = 0; i < 6; i++) {
      await net.waitFor(() => peers.length === i + 1, `connection ${i + 1}`, 120_000);
      await establish(net, peers[i]!, a);
      // The peer refuses what it got at once (e.g. its own prefix limit): Cease 6/1.
      peers[i]!.send({ type: "notification", code: 6, subcode: 1, data: new Uint8Array(0) });
      await net.waitFor(() => state(a) !== "Established", `torn down ${i + 1}`);
    }
    // Three flaps are free (1 s), then connectRetry doubles per flap: 10 s, 20 s, 40 s x 0.75.
    assert.deepEqual(idleWaits, [1000, 1000, 1000, 7500, 15000, 30000]);
    assert.equal(a.peers()[0]!.recentFlaps, 6);
  } finally {
    await a.stop();
  }
});

test("BgpSession forgets flaps once a session stays up, and after the window", async () => {
  const net = memoryNet();
  const { a, peers, idleWaits } = await setup(net, { connectRetry: 5 });
  const flap = async (i: number, upMs: number) => {
    await net.waitFor(() => peers.length === i + 1, `connection ${i + 1}`, 120_000);
    await establish(net, peers[i]!, a);
    await net.advance(upMs);
    peers[i]!.conn.close();
    await net.waitFor(() => state(a) !== "Established", `drop ${i + 1}`);
  };
  try {
    for (let i = 0; i < 4; i++) await flap(i, 0);
    assert.deepEqual(idleWaits, [1000, 1000, 1000, 7500]);
    // A session that stays up 5 s is stable: the next drop restarts at once.
    await flap(4, 6000);
    assert.equal(idleWaits.at(-1), 1000);
    assert.equal(a.peers()[0]!.recentFlaps, 0);
    for (let i = 5; i < 9; i++) await flap(i, 0);
    assert.deepEqual(idleWaits.slice(-4), [1000, 1000, 1000, 7500]);
    // More than a minute later the old flaps no longer count.
    await net.advance(61_000);
    await flap(9, 0);
    assert.equal(idleWaits.at(-1), 1000);
  } finally {
    await a.stop();
  }
});

test("An active neighbor accepts the peer's connection; both connecting at once ends with one session", async () => {
  const net = memoryNet();
  const mk = (self: string, peer: string, routerId: string) =>
    new BgpSpeaker({
      speaker: speakerConfig({ routerId, asn: self === "127.0.0.1" ? 64600 : 65001 }),
      neighbors: [neighbor({
        address: peer,
        localAddress: self,
        asn: self === "127.0.0.1" ? 65001 : 64600,
        connectRetry: 30,
      })],
      transport: net.transport(self),
      clock: net.clock,
      random: () => 0,
    });
  const a = mk("127.0.0.1", "127.0.0.2", "10.0.0.1");
  let b = mk("127.0.0.2", "127.0.0.1", "10.0.0.2");
  try {
    a.setRoutes([route("192.0.2.1/32")]);
    await a.start();
    await b.start();
    await net.waitFor(
      () => state(a) === "Established" && state(b) === "Established",
      "both Established",
    );
    // Both sides connected; RFC 4271 §6.8 kept one connection.
    await net.waitFor(() => b.peers()[0]!.prefixesReceived === 1, "route at b");
    // b restarts. a's connectRetry is 30 s, but b's own connection brings it back.
    await b.stop();
    await net.waitFor(() => state(a) !== "Established", "a sees the drop");
    b = mk("127.0.0.2", "127.0.0.1", "10.0.0.2");
    await b.start();
    const t0 = net.clock.now();
    await net.waitFor(() => b.peers()[0]!.prefixesReceived === 1, "route at b again", 5_000);
    assert.ok(net.clock.now() - t0 < 5_000);
  } finally {
    await a.stop();
    await b.stop();
  }
});

test("BgpSession holds a neighbor down for maxPrefixesRestart after the prefix limit", async () => {
  const net = memoryNet();
  const { a, peers, idleWaits } = await setup(net, { maxPrefixes: 1, maxPrefixesRestart: 120 });
  try {
    await net.waitFor(() => peers.length === 1, "connection");
    await establish(net, peers[0]!, a);
    peers[0]!.send({
      type: "update",
      withdrawn: [],
      attributes: {
        origin: "igp",
        asPath: [{ type: "sequence", asns: [65001] }],
        nextHop: "192.0.2.9",
      },
      nlri: ["198.51.100.1/32", "198.51.100.2/32"],
    } as never);
    await net.waitFor(() => state(a) === "Idle", "Cease 6/1");
    assert.deepEqual(peers[0]!.ofType("notification").map((n) => [n.code, n.subcode]), [[6, 1]]);
    assert.deepEqual(idleWaits, [120_000]);
    assert.deepEqual(a.peers()[0]!.maxPrefixesHold, { remainingMs: 120_000 });
    await net.advance(110_000);
    assert.equal(peers.length, 1, "no reconnect during the hold");
    assert.equal(state(a), "Idle");
    await net.waitFor(() => peers.length === 2, "reconnect after the hold", 15_000);
    assert.equal(a.peers()[0]!.maxPrefixesHold, undefined);
  } finally {
    await a.stop();
  }
});

test("BgpSession with maxPrefixesRestart never stays down until released", async () => {
  const net = memoryNet();
  const { a, peers } = await setup(net, { maxPrefixes: 1, maxPrefixesRestart: "never" });
  try {
    await net.waitFor(() => peers.length === 1, "connection");
    await establish(net, peers[0]!, a);
    peers[0]!.send({
      type: "update",
      withdrawn: [],
      attributes: {
        origin: "igp",
        asPath: [{ type: "sequence", asns: [65001] }],
        nextHop: "192.0.2.9",
      },
      nlri: ["198.51.100.1/32", "198.51.100.2/32"],
    } as never);
    await net.waitFor(() => state(a) === "Idle", "Cease 6/1");
    await net.advance(600_000);
    assert.equal(peers.length, 1);
    assert.deepEqual(a.peers()[0]!.maxPrefixesHold, {});
    assert.equal(a.peers()[0]!.nextAttemptInMs, undefined);
    assert.equal(a.sessions[0]!.releaseHold(), true);
    await net.waitFor(() => peers.length === 2, "reconnect after release", 2_000);
    assert.equal(a.sessions[0]!.releaseHold(), false);
  } finally {
    await a.stop();
  }
});

Deno.test("FlapDamping counts only short sessions within the window", () => {
  const d = new FlapDamping({ stableMs: 5000, windowMs: 60_000, freeFlaps: 3 });
  const r = () => 0;
  assert.equal(d.down(0), false, "never up: not a flap");
  for (let i = 0; i < 5; i++) {
    d.up(i * 1000);
    assert.equal(d.down(i * 1000 + 100), true);
  }
  assert.equal(d.flaps(5000), 5);
  assert.equal(d.delayMs(5000, 1000, 5000, r), jitter(20_000, r));
  assert.equal(d.flaps(61_000), 4, "the flap at 100 ms left the window");
  assert.equal(d.flaps(65_000), 0);
  assert.equal(d.delayMs(65_000, 1000, 5000, r), 1000);
  for (let i = 0; i < 5; i++) {
    d.up(70_000 + i);
    d.down(70_000 + i);
  }
  d.up(80_000);
  assert.equal(d.flaps(84_999), 5);
  assert.equal(d.flaps(85_000), 0, "stable while still up");
  assert.equal(d.down(200_000), false);
  assert.equal(d.delayMs(200_000, 1000, 5000, r), 1000);
  // Capped at maxDelayMs before the jitter.
  const c = new FlapDamping({ freeFlaps: 0, maxDelayMs: 60_000 });
  for (let i = 0; i < 10; i++) {
    c.up(i);
    c.down(i);
  }
  assert.equal(c.delayMs(10, 1000, 5000, () => 1), 60_000);
});
