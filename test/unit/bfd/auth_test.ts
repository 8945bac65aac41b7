import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { type BfdAuthMode, BfdKeyedAuthenticator } from "../../../src/bfd/auth.ts";
import {
  type BfdControlPacket,
  BfdState,
  decodeControlPacket,
  encodeControlPacket,
} from "../../../src/bfd/packet.ts";
import { Pair } from "./_harness.ts";

const PACKET: BfdControlPacket = {
  diagnostic: 0,
  state: BfdState.Up,
  poll: false,
  final: false,
  controlPlaneIndependent: false,
  demand: false,
  multipoint: false,
  detectMultiplier: 3,
  myDiscriminator: 0x01020304,
  yourDiscriminator: 0x05060708,
  desiredMinTxUs: 50_000,
  requiredMinRxUs: 50_000,
  requiredMinEchoRxUs: 0,
};

const MODES: BfdAuthMode[] = [
  "simple-password",
  "keyed-md5",
  "meticulous-keyed-md5",
  "keyed-sha1",
  "meticulous-keyed-sha1",
];

/** Sign with `tx`, put on the wire, decode, verify with `rx`. */
function wire(tx: BfdKeyedAuthenticator, rx: BfdKeyedAuthenticator, packet = PACKET): boolean {
  const bytes = encodeControlPacket(tx.sign(packet));
  return rx.verify(decodeControlPacket(bytes), bytes);
}

Deno.test("BfdKeyedAuthenticator signs Keyed SHA1 over the packet with the key in the hash field (RFC 5880 §6.7.4)", () => {
  const auth = new BfdKeyedAuthenticator({ mode: "keyed-sha1", keyId: 5, secret: "s3cret" }, 99);
  const signed = auth.sign(PACKET);
  assert.ok(signed.auth && signed.auth.type === 4);
  assert.equal(signed.auth.sequence, 100);
  // Built by hand: header with A bit and Length 52, then type 4, len 28, key 5, reserved, seq 100, key padded to 20.
  const bytes = [
    0x20,
    0xc4,
    0x03,
    0x34,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    0x00,
    0x00,
    0xc3,
    0x50,
    0x00,
    0x00,
    0xc3,
    0x50,
    0,
    0,
    0,
    0,
    4,
    28,
    5,
    0,
    0,
    0,
    0,
    100,
    ...new TextEncoder().encode("s3cret"),
    ...new Array(14).fill(0),
  ];
  const expected = createHash("sha1").update(new Uint8Array(bytes)).digest();
  assert.deepEqual([...signed.auth.digest], [...expected]);
});

Deno.test("BfdKeyedAuthenticator signs Keyed MD5 with a 16-byte digest and Auth Len 24 (RFC 5880 §6.7.3)", () => {
  const auth = new BfdKeyedAuthenticator({ mode: "keyed-md5", keyId: 1, secret: "k" }, 0);
  const bytes = encodeControlPacket(auth.sign(PACKET));
  assert.equal(bytes.length, 48);
  assert.equal(bytes[24], 2);
  assert.equal(bytes[25], 24);
  const copy = bytes.slice();
  copy.set([0x6b, ...new Array(15).fill(0)], 32);
  assert.deepEqual([...bytes.subarray(32)], [...createHash("md5").update(copy).digest()]);
});

for (const mode of MODES) {
  Deno.test(`BfdKeyedAuthenticator ${mode}: the peer verifies, a wrong secret or key id fails`, () => {
    const secret = "pa55word";
    const tx = new BfdKeyedAuthenticator({ mode, keyId: 7, secret }, 1000);
    assert.equal(wire(tx, new BfdKeyedAuthenticator({ mode, keyId: 7, secret })), true);
    assert.equal(wire(tx, new BfdKeyedAuthenticator({ mode, keyId: 7, secret: "other" })), false);
    assert.equal(wire(tx, new BfdKeyedAuthenticator({ mode, keyId: 8, secret })), false);
  });
}

Deno.test("BfdKeyedAuthenticator rejects a packet changed after signing", () => {
  const tx = new BfdKeyedAuthenticator({ mode: "keyed-sha1", keyId: 1, secret: "x" }, 0);
  const rx = new BfdKeyedAuthenticator({ mode: "keyed-sha1", keyId: 1, secret: "x" });
  const bytes = encodeControlPacket(tx.sign(PACKET));
  bytes[2] = 9; // detect multiplier
  assert.equal(rx.verify(decodeControlPacket(bytes), bytes), false);
});

Deno.test("BfdKeyedAuthenticator rejects a different auth type", () => {
  const tx = new BfdKeyedAuthenticator({ mode: "keyed-md5", keyId: 1, secret: "x" }, 0);
  const rx = new BfdKeyedAuthenticator({ mode: "meticulous-keyed-md5", keyId: 1, secret: "x" });
  assert.equal(wire(tx, rx), false);
});

Deno.test("Meticulous Keyed SHA1 rejects a replayed sequence number (RFC 5880 §6.7.4)", () => {
  const tx = new BfdKeyedAuthenticator(
    { mode: "meticulous-keyed-sha1", keyId: 1, secret: "x" },
    10,
  );
  const rx = new BfdKeyedAuthenticator({ mode: "meticulous-keyed-sha1", keyId: 1, secret: "x" });
  const bytes = encodeControlPacket(tx.sign(PACKET));
  assert.equal(rx.verify(decodeControlPacket(bytes), bytes), true);
  assert.equal(rx.verify(decodeControlPacket(bytes), bytes), false);
  assert.equal(wire(tx, rx), true);
});

Deno.test("Keyed MD5 accepts the same sequence but not one beyond 3 × Detect Mult (RFC 5880 §6.7.3)", () => {
  const rx = new BfdKeyedAuthenticator({ mode: "keyed-md5", keyId: 1, secret: "x" });
  const at = (seq: number) =>
    new BfdKeyedAuthenticator({ mode: "keyed-md5", keyId: 1, secret: "x" }, seq - 1);
  assert.equal(wire(at(100), rx), true);
  assert.equal(wire(at(100), rx), true); // same number: inside the Keyed window
  assert.equal(wire(at(109), rx), true); // 100 + 3 × 3
  assert.equal(wire(at(119), rx), false); // 109 + 10
  assert.equal(wire(at(99), rx), false); // behind
  rx.sessionTimedOut(); // §6.8.1: sequence no longer known, anything goes
  assert.equal(wire(at(5), rx), true);
});

Deno.test("Meticulous sequence numbers wrap modulo 2^32", () => {
  const tx = new BfdKeyedAuthenticator(
    { mode: "meticulous-keyed-md5", keyId: 1, secret: "x" },
    0xfffffffe,
  );
  const rx = new BfdKeyedAuthenticator({ mode: "meticulous-keyed-md5", keyId: 1, secret: "x" });
  assert.equal(wire(tx, rx), true); // 0xffffffff
  assert.equal(wire(tx, rx), true); // 0
  assert.equal(rx.state.rcvSeq, 0);
});

Deno.test("new BfdKeyedAuthenticator() rejects a 21-byte SHA1 key and a 17-byte password", () => {
  assert.throws(
    () => new BfdKeyedAuthenticator({ mode: "keyed-sha1", keyId: 1, secret: "x".repeat(21) }),
    /21 bytes \(1-20\)/,
  );
  assert.throws(
    () => new BfdKeyedAuthenticator({ mode: "simple-password", keyId: 1, secret: "x".repeat(17) }),
    /17 bytes \(1-16\)/,
  );
});

Deno.test("two sessions with Meticulous Keyed SHA1 come Up; with different secrets they stay Down", () => {
  const auth = (secret: string) =>
    new BfdKeyedAuthenticator({ mode: "meticulous-keyed-sha1", keyId: 2, secret });
  const good = new Pair({ auth: auth("same") }, { auth: auth("same") });
  good.start();
  good.clock.tick(2000);
  assert.equal(good.a.state, BfdState.Up);
  assert.equal(good.b.state, BfdState.Up);
  assert.ok(good.wire.every((w) => w.packet.auth?.type === 5));

  const bad = new Pair({ auth: auth("one") }, { auth: auth("two") });
  bad.start();
  bad.clock.tick(5000);
  assert.equal(bad.a.state, BfdState.Down);
  assert.equal(bad.b.state, BfdState.Down);
  assert.equal(bad.a.info().packetsReceived, 0);
});
