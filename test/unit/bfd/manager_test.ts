import assert from "node:assert/strict";
import { FakeClock } from "../../../src/util/clock.ts";
import { BfdManager } from "../../../src/bfd/manager.ts";
import { MemoryNetwork } from "../../../src/bfd/memory_transport.ts";
import { seededRandom } from "../../../src/bfd/jitter.ts";
import { BfdState, encodeControlPacket } from "../../../src/bfd/packet.ts";
import type { BfdStateChange, MetricsReporter } from "../../../src/bfd/session.ts";

const A = "10.255.0.1", B = "10.255.0.2";
const TIMERS = { minTxMs: 50, minRxMs: 50, multiplier: 3 };

async function twoManagers(discriminators?: number[]) {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  const queue = discriminators ? [...discriminators] : undefined;
  const a = new BfdManager({
    transport: network.transport(A),
    clock,
    random: seededRandom(1),
    ...(queue ? { discriminator: () => queue.shift() ?? 99 } : {}),
  });
  const b = new BfdManager({ transport: network.transport(B), clock, random: seededRandom(2) });
  await a.start();
  await b.start();
  return { clock, network, a, b };
}

Deno.test("BfdManager brings two sessions Up over the in-memory network and emits changes", async () => {
  const { clock, a, b } = await twoManagers();
  const seen: BfdStateChange[] = [];
  a.onStateChange((c) => seen.push(c));
  await a.addSession(B, { localAddress: A, ...TIMERS });
  await b.addSession(A, { localAddress: B, ...TIMERS });
  clock.tick(100);
  assert.equal(a.state(B), "Up");
  assert.equal(b.state(A), "Up");
  assert.deepEqual(seen.map((c) => `${c.peer}:${c.to}`), [`${B}:Init`, `${B}:Up`]);
  assert.equal(a.sessions().length, 1);
  assert.equal(a.session(B)!.remoteDiscriminator, b.session(A)!.localDiscriminator);
});

Deno.test("BfdManager skips zero and duplicate discriminators (RFC 5880 §6.8.1)", async () => {
  const { a } = await twoManagers([0, 5, 5, 0, 6]);
  await a.addSession("10.255.0.7", { localAddress: A, ...TIMERS });
  await a.addSession("10.255.0.8", { localAddress: A, ...TIMERS });
  assert.deepEqual(a.sessions().map((s) => s.localDiscriminator), [5, 6]);
});

Deno.test("BfdManager.addSession() rejects a second session for the same peer", async () => {
  const { a } = await twoManagers();
  await a.addSession(B, { localAddress: A, ...TIMERS });
  await assert.rejects(a.addSession(B, { localAddress: A, ...TIMERS }), /already exists/);
});

Deno.test("BfdManager drops and counts malformed and unmatched packets, never throws", async () => {
  const dropped: string[] = [];
  const metrics: MetricsReporter = {
    stateChanged() {},
    packetSent() {},
    packetReceived() {},
    packetDropped: (_peer, reason) => dropped.push(reason),
  };
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  const a = new BfdManager({ transport: network.transport(A), clock, metrics });
  await a.start();
  await a.addSession(B, { localAddress: A, ...TIMERS });
  const good = {
    diagnostic: 0,
    state: BfdState.Down,
    poll: false,
    final: false,
    controlPlaneIndependent: false,
    demand: false,
    multipoint: false,
    detectMultiplier: 3,
    myDiscriminator: 77,
    yourDiscriminator: 0,
    desiredMinTxUs: 1_000_000,
    requiredMinRxUs: 50_000,
    requiredMinEchoRxUs: 0,
  };
  const version2 = encodeControlPacket(good);
  version2[0] = 0x40;
  const zeroMult = encodeControlPacket(good);
  zeroMult[2] = 0;
  network.inject(B, A, version2);
  network.inject(B, A, new Uint8Array(10));
  network.inject(B, A, zeroMult);
  network.inject(B, A, encodeControlPacket({ ...good, myDiscriminator: 0 }));
  network.inject(
    B,
    A,
    encodeControlPacket({ ...good, yourDiscriminator: 12345, state: BfdState.Up }),
  );
  network.inject("10.255.0.99", A, encodeControlPacket(good)); // unknown source, Your Discr 0
  network.inject(B, A, encodeControlPacket(good), true); // multihop port for a single-hop session
  network.inject(
    B,
    A,
    encodeControlPacket({ ...good, auth: { type: 1, keyId: 1, password: new Uint8Array([65]) } }),
  );
  assert.deepEqual(a.drops(), {
    "bad-version": 1,
    "bad-length": 1,
    "zero-multiplier": 1,
    "zero-my-discriminator": 1,
    "no-session": 3,
    "auth-mismatch": 1,
  });
  assert.equal(dropped.length, 8);
  assert.equal(a.state(B), "Down");
  // A valid Down from the right source is demultiplexed by address (Your Discr 0) and moves it to Init.
  network.inject(B, A, encodeControlPacket(good));
  assert.equal(a.state(B), "Init");
  assert.equal(a.session(B)!.remoteDiscriminator, 77);
});

Deno.test("BfdManager demultiplexes by Your Discriminator, checking the source address", async () => {
  const { clock, network, a, b } = await twoManagers();
  await a.addSession(B, { localAddress: A, ...TIMERS });
  await b.addSession(A, { localAddress: B, ...TIMERS });
  clock.tick(100);
  const discrA = a.session(B)!.localDiscriminator;
  const spoof = encodeControlPacket({
    diagnostic: 0,
    state: BfdState.Down,
    poll: false,
    final: false,
    controlPlaneIndependent: false,
    demand: false,
    multipoint: false,
    detectMultiplier: 3,
    myDiscriminator: 1,
    yourDiscriminator: discrA,
    desiredMinTxUs: 1_000_000,
    requiredMinRxUs: 50_000,
    requiredMinEchoRxUs: 0,
  });
  network.inject("10.255.0.66", A, spoof);
  assert.equal(a.drops()["no-session"], 1);
  assert.equal(a.state(B), "Up");
});

Deno.test("BfdManager.removeSession() sends AdminDown so the peer goes Down without a failure", async () => {
  const { clock, a, b } = await twoManagers();
  const seen: BfdStateChange[] = [];
  b.onStateChange((c) => seen.push(c));
  await a.addSession(B, { localAddress: A, ...TIMERS });
  await b.addSession(A, { localAddress: B, ...TIMERS });
  clock.tick(100);
  assert.equal(a.removeSession(B), true);
  clock.tick(10);
  const down = seen.find((c) => c.to === "Down")!;
  assert.equal(down.diagnostic, "neighbor-signaled-session-down");
  assert.equal(down.notify, undefined);
  assert.equal(a.state(B), undefined);
  assert.equal(a.removeSession(B), false);
});

Deno.test("BfdManager.adminDown()/adminUp() and setTimers() act on the named session", async () => {
  const { clock, a, b } = await twoManagers();
  await a.addSession(B, { localAddress: A, ...TIMERS });
  await b.addSession(A, { localAddress: B, ...TIMERS });
  clock.tick(100);
  assert.equal(a.adminDown(B), true);
  assert.equal(a.state(B), "AdminDown");
  assert.equal(a.adminDown("192.0.2.1"), false);
  a.adminUp(B);
  clock.tick(3000);
  assert.equal(a.state(B), "Up");
  assert.equal(a.setTimers(B, { minTxMs: 200, minRxMs: 200, multiplier: 5 }), true);
  clock.tick(1000);
  assert.equal(b.session(A)!.detectionTimeMs, 1000); // 5 × max(50, 200)
  assert.equal(a.session(B)!.transmitIntervalMs, 200);
});

Deno.test("BfdManager.close() stops every session and leaves no timer behind", async () => {
  const { clock, a, b } = await twoManagers();
  await a.addSession(B, { localAddress: A, ...TIMERS });
  await b.addSession(A, { localAddress: B, ...TIMERS });
  clock.tick(100);
  await a.close();
  await b.close();
  clock.tick(10); // deliver what was in flight
  assert.equal(clock.pending, 0);
});

Deno.test("BfdManager survives random datagrams and packets with random fields (fuzz)", async () => {
  const fc = (await import("fast-check")).default;
  const { clock, network, a, b } = await twoManagers();
  await a.addSession(B, { localAddress: A, ...TIMERS });
  await b.addSession(A, { localAddress: B, ...TIMERS });
  clock.tick(100);
  const discr = a.session(B)!.localDiscriminator;
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ minLength: 0, maxLength: 60 }),
        fc.record({
          state: fc.integer({ min: 0, max: 3 }),
          poll: fc.boolean(),
          final: fc.boolean(),
          mult: fc.integer({ min: 0, max: 255 }),
          rx: fc.nat(),
          tx: fc.nat(),
          yours: fc.constantFrom(0, discr, 12345),
        }).map((f) => {
          const bytes = new Uint8Array(24);
          const view = new DataView(bytes.buffer);
          bytes[0] = 0x20;
          bytes[1] = (f.state << 6) | (f.poll ? 0x20 : 0) | (f.final ? 0x10 : 0);
          bytes[2] = f.mult;
          bytes[3] = 24;
          view.setUint32(4, 99);
          view.setUint32(8, f.yours);
          view.setUint32(12, f.tx);
          view.setUint32(16, f.rx);
          return bytes;
        }),
      ),
      (bytes) => {
        network.inject(B, A, bytes);
        clock.tick(1);
      },
    ),
    { numRuns: 500 },
  );
  // Whatever arrived, the session is in a valid state and timers still run.
  assert.ok(["AdminDown", "Down", "Init", "Up"].includes(a.state(B)!));
  await a.close();
  await b.close();
  clock.tick(10);
  assert.equal(clock.pending, 0);
});

Deno.test("bfdMetrics() reports state changes as bfdState(peer, state, previous)", async () => {
  const { bfdMetrics } = await import("../../../src/bfd/metrics.ts");
  const states: string[] = [];
  let sent = 0;
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  const metrics = bfdMetrics({
    bfdState: (peer, state, previous) => states.push(`${peer} ${previous}->${state}`),
    bfdPacket: (_peer, direction) => direction === "sent" && sent++,
  });
  const a = new BfdManager({ transport: network.transport(A), clock, metrics });
  const b = new BfdManager({ transport: network.transport(B), clock });
  await a.start();
  await b.start();
  await a.addSession(B, { localAddress: A, ...TIMERS });
  await b.addSession(A, { localAddress: B, ...TIMERS });
  clock.tick(100);
  assert.deepEqual(states, [`${B} Down->Init`, `${B} Init->Up`]);
  assert.ok(sent > 0);
  await a.close();
  await b.close();
});

/** A State Down packet from B with the right discriminators: what a spoofer would send. */
function downFrom(myDiscriminator: number, yourDiscriminator: number): Uint8Array {
  return encodeControlPacket({
    diagnostic: 0,
    state: BfdState.Down,
    poll: false,
    final: false,
    controlPlaneIndependent: false,
    demand: false,
    multipoint: false,
    detectMultiplier: 3,
    myDiscriminator,
    yourDiscriminator,
    desiredMinTxUs: 50_000,
    requiredMinRxUs: 50_000,
    requiredMinEchoRxUs: 0,
  });
}

Deno.test("BfdManager drops a single-hop packet whose TTL is not 255 and counts it (RFC 5881 §5)", async () => {
  const dropped: string[] = [];
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  const a = new BfdManager({
    transport: network.transport(A),
    clock,
    random: seededRandom(1),
    metrics: {
      stateChanged() {},
      packetSent() {},
      packetReceived() {},
      packetDropped: (_peer, reason) => dropped.push(reason),
    },
  });
  const b = new BfdManager({ transport: network.transport(B), clock, random: seededRandom(2) });
  await a.start();
  await b.start();
  await a.addSession(B, { localAddress: A, ...TIMERS });
  await b.addSession(A, { localAddress: B, ...TIMERS });
  clock.tick(100);
  assert.equal(a.state(B), "Up");
  const spoof = downFrom(b.session(A)!.localDiscriminator, a.session(B)!.localDiscriminator);
  // Sent from two hops away: it arrives with TTL 254.
  network.inject(B, A, spoof, false, 254);
  network.inject(B, A, spoof, false, 1);
  assert.equal(a.state(B), "Up");
  assert.equal(a.drops()["ttl-not-255"], 2);
  assert.deepEqual(dropped, ["ttl-not-255", "ttl-not-255"]);
  // The same packet with TTL 255 is accepted: the check is what kept the session Up.
  network.inject(B, A, spoof, false, 255);
  assert.equal(a.state(B), "Down");
});

Deno.test("BfdManager applies the configured minimum TTL to multihop packets (RFC 5883 §2)", async () => {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  const a = new BfdManager({ transport: network.transport(A), clock, random: seededRandom(1) });
  await a.start();
  await a.addSession(B, { localAddress: A, multihop: true, minimumTtl: 250, ...TIMERS });
  const mine = a.session(B)!.localDiscriminator;
  network.inject(B, A, downFrom(42, 0), true, 249);
  assert.equal(a.drops()["ttl-below-minimum"], 1);
  assert.equal(a.session(B)!.remoteDiscriminator, 0);
  network.inject(B, A, downFrom(42, 0), true, 250);
  assert.equal(a.drops()["ttl-below-minimum"], 1);
  assert.equal(a.session(B)!.remoteDiscriminator, 42);
  assert.notEqual(mine, 0);
});

Deno.test("BfdManager's multihop minimum TTL defaults to 254", async () => {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  const a = new BfdManager({ transport: network.transport(A), clock, random: seededRandom(1) });
  await a.start();
  await a.addSession(B, { localAddress: A, multihop: true, ...TIMERS });
  network.inject(B, A, downFrom(42, 0), true, 253);
  network.inject(B, A, downFrom(42, 0), true, 254);
  assert.equal(a.drops()["ttl-below-minimum"], 1);
  assert.equal(a.session(B)!.remoteDiscriminator, 42);
});
