import assert from "node:assert/strict";
import { BfdState, encodeControlPacket } from "../../../src/bfd/packet.ts";
import { BfdSession } from "../../../src/bfd/session.ts";
import { Pair, StallClock } from "./_harness.ts";

const { Down, Init, Up, AdminDown } = BfdState;

function upPair(): Pair {
  const pair = new Pair();
  pair.start();
  pair.clock.tick(20);
  assert.equal(pair.a.state, Up);
  assert.equal(pair.b.state, Up);
  pair.clock.tick(500); // let the Poll Sequences that follow Up finish
  return pair;
}

Deno.test("two sessions complete the three-way handshake Down -> Init -> Up (RFC 5880 §6.2)", () => {
  const pair = new Pair();
  pair.start();
  pair.clock.tick(20);
  const path = (side: string) => pair.changes.filter((c) => c.side === side).map((c) => c.to);
  assert.deepEqual(path("a"), ["Init", "Up"]);
  assert.deepEqual(path("b"), ["Init", "Up"]);
  const upA = pair.changes.find((c) => c.side === "a" && c.to === "Up")!;
  assert.equal(upA.notify, "up");
  assert.equal(upA.diagnostic, "none");
  // The first packets are Down with Your Discriminator 0, then each side learns the other's.
  const first = pair.wire[0]!.packet;
  assert.equal(first.state, Down);
  assert.equal(first.yourDiscriminator, 0);
  assert.ok(pair.wire.some((w) => w.from === "a" && w.packet.yourDiscriminator === 0xb2));
});

Deno.test("a session transmits at 1 s intervals until Up (RFC 5880 §6.8.3)", () => {
  const pair = new Pair();
  pair.cut.ab = true; // B never hears A: A stays Down
  pair.cut.ba = true;
  pair.start();
  pair.clock.tick(20_000);
  const gaps = pair.gaps("a");
  assert.ok(gaps.length >= 19, `only ${gaps.length} gaps`);
  for (const gap of gaps) assert.ok(gap >= 750 && gap <= 1000, `gap ${gap}`);
  for (const w of pair.wire) assert.equal(w.packet.desiredMinTxUs, 1_000_000);
  assert.equal(pair.a.state, Down);
});

Deno.test("after Up the Poll Sequence moves both sides to 50 ms and detection to 150 ms (§6.8.3, §6.8.4)", () => {
  const pair = upPair();
  const info = pair.a.info();
  assert.equal(info.pollInProgress, false);
  assert.equal(info.transmitIntervalMs, 50);
  // §6.8.4: remote Detect Mult × max(local RequiredMinRx, remote DesiredMinTx) = 3 × 50.
  assert.equal(info.detectionTimeMs, 150);
  const t = pair.clock.now();
  pair.clock.tick(2000);
  for (const gap of pair.gaps("a", t)) assert.ok(gap >= 37.5 && gap <= 50, `gap ${gap}`);
  // A Poll was answered by a Final, and no packet ever carried both bits (§6.8.7).
  assert.ok(pair.wire.some((w) => w.from === "a" && w.packet.poll));
  assert.ok(pair.wire.some((w) => w.from === "b" && w.packet.final));
  assert.ok(pair.wire.every((w) => !(w.packet.poll && w.packet.final)));
});

Deno.test("a one-way failure is detected within the Detection Time and recovers (§6.8.4)", () => {
  const pair = upPair();
  pair.clock.tick(1000);
  const cutAt = pair.clock.now();
  const lastHeard = pair.wire.filter((w) => w.from === "a").at(-1)!.at + pair.latencyMs;
  pair.cut.ab = true;
  pair.clock.tick(1000);
  const downB = pair.changes.find((c) => c.side === "b" && c.to === "Down")!;
  assert.ok(downB, "B never went Down");
  assert.equal(downB.diagnostic, "control-detection-time-expired");
  assert.equal(downB.notify, "down");
  assert.ok(downB.at >= cutAt, `down at ${downB.at} before the cut at ${cutAt}`);
  assert.ok(downB.at - lastHeard <= 150, `detected after ${downB.at - lastHeard} ms`);
  // A hears B's Down (§6.8.6 Up + received Down) and goes Down with diag 3.
  const downA = pair.changes.find((c) => c.side === "a" && c.to === "Down")!;
  assert.equal(downA.diagnostic, "neighbor-signaled-session-down");
  assert.equal(downA.notify, "down");
  assert.equal(pair.b.info().remoteDiscriminator, 0); // §6.8.1
  pair.cut.ab = false;
  pair.clock.tick(3000);
  assert.equal(pair.a.state, Up);
  assert.equal(pair.b.state, Up);
});

Deno.test("raising DesiredMinTx while Up waits for the Final before slowing down (§6.8.3)", () => {
  const pair = upPair();
  pair.cut.ba = true; // A's Polls get no Final
  pair.a.setTimers({ desiredMinTxMs: 300, requiredMinRxMs: 50, multiplier: 3 });
  const t = pair.clock.now();
  pair.clock.tick(100);
  // A advertises the new value with P set, but keeps sending at the old rate.
  const polls = pair.wire.filter((w) => w.from === "a" && w.at >= t);
  assert.ok(polls.length >= 2);
  for (const w of polls) {
    assert.equal(w.packet.poll, true);
    assert.equal(w.packet.desiredMinTxUs, 300_000);
  }
  for (const gap of pair.gaps("a", t)) assert.ok(gap <= 50, `gap ${gap}`);
  assert.equal(pair.a.info().transmitIntervalMs, 50);
  pair.cut.ba = false;
  pair.clock.tick(100);
  // B answered with F: the Poll Sequence is over and the new interval is in effect.
  assert.equal(pair.a.info().pollInProgress, false);
  assert.equal(pair.a.info().transmitIntervalMs, 300);
  const t2 = pair.clock.now();
  pair.clock.tick(3000);
  for (const gap of pair.gaps("a", t2 + 300)) assert.ok(gap >= 225 && gap <= 300, `gap ${gap}`);
  assert.ok(
    pair.wire.filter((w) => w.from === "a" && w.at > t2 + 300).every((w) => !w.packet.poll),
  );
  // B's Detection Time for A follows A's advertised 300 ms (§6.8.4): 3 × 300.
  assert.equal(pair.b.info().detectionTimeMs, 900);
  assert.equal(pair.b.state, Up);
});

Deno.test("lowering RequiredMinRx keeps the old Detection Time until the Final (§6.8.3)", () => {
  const pair = new Pair({ requiredMinRxMs: 200 }, {});
  pair.start();
  pair.clock.tick(1000);
  assert.equal(pair.a.info().detectionTimeMs, 600);
  pair.cut.ba = true;
  pair.a.setTimers({ desiredMinTxMs: 50, requiredMinRxMs: 20, multiplier: 3 });
  assert.equal(pair.a.info().pollInProgress, true);
  assert.equal(pair.a.info().detectionTimeMs, 600);
  pair.cut.ba = false;
  pair.clock.tick(100);
  assert.equal(pair.a.info().pollInProgress, false);
  assert.equal(pair.a.info().detectionTimeMs, 150); // 3 × max(20, B's 50)
  // B now may send at max(50, 20) = 50 ms.
  assert.equal(pair.b.info().transmitIntervalMs, 50);
});

Deno.test("a passive session sends nothing until the peer's first packet (RFC 5880 §6.1)", () => {
  const pair = new Pair({}, { passive: true });
  pair.b.start();
  pair.clock.tick(10_000);
  assert.equal(pair.wire.length, 0);
  pair.a.start();
  pair.clock.tick(50);
  assert.equal(pair.a.state, Up);
  assert.equal(pair.b.state, Up);
  assert.equal(pair.wire[0]!.from, "a");
});

Deno.test("AdminDown tells the peer, which goes Down without a client failure (§6.8.16, RFC 5882 §3.2)", () => {
  const pair = upPair();
  pair.a.adminDown();
  pair.clock.tick(10);
  assert.equal(pair.a.state, AdminDown);
  assert.equal(pair.a.info().localDiagnostic, "administratively-down");
  const downB = pair.changes.find((c) => c.side === "b" && c.to === "Down")!;
  assert.equal(downB.diagnostic, "neighbor-signaled-session-down");
  assert.equal(downB.notify, undefined);
  assert.equal(pair.changes.find((c) => c.side === "a" && c.to === "AdminDown")!.notify, undefined);
  // AdminDown ignores received packets; B stays Down while A is AdminDown.
  pair.clock.tick(5000);
  assert.equal(pair.b.state, Down);
  assert.ok(pair.wire.filter((w) => w.from === "a").at(-1)!.packet.state === AdminDown);
  pair.a.adminUp();
  pair.clock.tick(3000);
  assert.equal(pair.a.state, Up);
  assert.equal(pair.b.state, Up);
});

Deno.test("receive() drops a packet with the A bit when no authentication is configured (§6.8.6)", () => {
  const clock = new StallClock();
  const session = new BfdSession({
    peer: "10.0.0.2",
    localDiscriminator: 7,
    desiredMinTxMs: 50,
    requiredMinRxMs: 50,
    multiplier: 3,
    clock,
    sender: { send() {} },
  });
  session.start();
  const reason = session.receive({
    diagnostic: 0,
    state: Down,
    poll: false,
    final: false,
    controlPlaneIndependent: false,
    demand: false,
    multipoint: false,
    detectMultiplier: 3,
    myDiscriminator: 9,
    yourDiscriminator: 0,
    desiredMinTxUs: 1_000_000,
    requiredMinRxUs: 50_000,
    requiredMinEchoRxUs: 0,
    auth: { type: 1, keyId: 1, password: new Uint8Array([1]) },
  });
  assert.equal(reason, "auth-mismatch");
  assert.equal(session.state, Down);
  assert.equal(session.info().packetsReceived, 0);
  assert.equal(session.info().remoteDiscriminator, 0);
});

Deno.test("new BfdSession() rejects multiplier 0 and discriminator 0", () => {
  const base = {
    peer: "p",
    localDiscriminator: 1,
    desiredMinTxMs: 50,
    requiredMinRxMs: 50,
    multiplier: 3,
    sender: { send() {} },
  };
  assert.throws(() => new BfdSession({ ...base, multiplier: 0 }), /detect multiplier: 0/);
  assert.throws(() => new BfdSession({ ...base, localDiscriminator: 0 }), /discriminator: 0/);
});

Deno.test("a send error never escapes the timer", () => {
  const clock = new StallClock();
  const session = new BfdSession({
    peer: "p",
    localDiscriminator: 1,
    desiredMinTxMs: 50,
    requiredMinRxMs: 50,
    multiplier: 3,
    clock,
    sender: {
      send() {
        throw new Error("ENETUNREACH");
      },
    },
  });
  session.start();
  clock.tick(5000);
  assert.equal(session.info().packetsSent, 0);
  assert.equal(clock.inner.pending, 1); // still scheduled
});

Deno.test("after a stall longer than three Detection Times, a backlogged packet cannot keep the session Up", () => {
  const pair = upPair();
  // The event loop stalls for 1 s; B's packets pile up, then one is processed before any timer.
  pair.clock.stall(1000);
  const stale = pair.wire.filter((w) => w.from === "b").at(-1)!.packet;
  pair.a.receive(stale, encodeControlPacket(stale));
  const downA = pair.changes.find((c) => c.side === "a" && c.to === "Down");
  assert.ok(downA, "a stale packet kept the session Up");
  assert.equal(downA.diagnostic, "control-detection-time-expired");
  assert.equal(pair.a.state, Down);
});

Deno.test("after a stall, backlogged packets cannot complete a handshake (no false Up)", () => {
  const clock = new StallClock();
  const sent: number[] = [];
  const a = new BfdSession({
    peer: "10.0.0.2",
    localDiscriminator: 0xa1,
    desiredMinTxMs: 50,
    requiredMinRxMs: 50,
    multiplier: 3,
    clock,
    sender: { send: () => sent.push(clock.now()) },
  });
  a.start();
  clock.tick(10);
  const initFromPeer = {
    diagnostic: 0,
    state: Init,
    poll: false,
    final: false,
    controlPlaneIndependent: false,
    demand: false,
    multipoint: false,
    detectMultiplier: 3,
    myDiscriminator: 0xb2,
    yourDiscriminator: 0xa1,
    desiredMinTxUs: 1_000_000,
    requiredMinRxUs: 50_000,
    requiredMinEchoRxUs: 0,
  };
  clock.stall(5000); // the peer's Init waited 5 s in the socket buffer
  assert.equal(a.receive(initFromPeer), "stale-after-stall");
  assert.equal(a.state, Down);
  // The overdue transmit timer fires (the loop runs again); after the backlog
  // window (half the peer's 1 s interval) a fresh Init completes the handshake.
  clock.tick(4000);
  assert.equal(a.receive(initFromPeer), undefined);
  assert.equal(a.state, Up);
});

Deno.test("a short stall of our own is not a path failure: the session stays Up (no false Down)", () => {
  const pair = upPair();
  pair.clock.stall(250); // longer than the 150 ms Detection Time, shorter than three
  const stale = pair.wire.filter((w) => w.from === "b").at(-1)!.packet;
  assert.equal(pair.a.receive(stale, encodeControlPacket(stale)), undefined);
  pair.clock.tick(3000);
  assert.equal(pair.a.state, Up);
  assert.equal(pair.b.state, Up);
  assert.deepEqual(pair.changes.filter((c) => c.to === "Down"), []);
  assert.ok(pair.a.info().stalls >= 1);
});

Deno.test("after a short stall a dead peer is still declared Down within one Detection Time", () => {
  const pair = upPair();
  pair.cut.ab = true;
  pair.cut.ba = true; // the peer died during our stall
  pair.clock.stall(200);
  const resumedAt = pair.clock.now();
  pair.clock.tick(1000);
  const down = pair.changes.find((c) => c.side === "a" && c.to === "Down")!;
  assert.equal(down.diagnostic, "control-detection-time-expired");
  // The stall is noticed when the first overdue timer runs (within one 50 ms interval of
  // resuming on this fake clock); from there the peer gets one Detection Time.
  assert.ok(down.at - resumedAt <= 200, `Down ${down.at - resumedAt} ms after resuming`);
});
