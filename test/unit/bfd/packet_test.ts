import assert from "node:assert/strict";
import fc from "fast-check";
import {
  BfdAuthType,
  type BfdControlPacket,
  BfdPacketError,
  BfdState,
  decodeControlPacket,
  diagnosticName,
  encodeControlPacket,
} from "../../../src/bfd/packet.ts";

// Every field a distinct byte pattern, so a swapped offset fails (RFC 5880 §4.1).
const PLAIN: { bytes: number[]; packet: BfdControlPacket } = {
  bytes: [
    0x35, // Vers 1, Diag 0x15
    0xaa, // Sta Init(2), P=1 F=0 C=1 A=0 D=1 M=0
    0x05, // Detect Mult
    0x18, // Length 24
    0x11,
    0x22,
    0x33,
    0x44, // My Discriminator
    0x55,
    0x66,
    0x77,
    0x88, // Your Discriminator
    0x0a,
    0x0b,
    0x0c,
    0x0d, // Desired Min TX Interval
    0x1a,
    0x1b,
    0x1c,
    0x1d, // Required Min RX Interval
    0x2a,
    0x2b,
    0x2c,
    0x2d, // Required Min Echo RX Interval
  ],
  packet: {
    diagnostic: 0x15,
    state: BfdState.Init,
    poll: true,
    final: false,
    controlPlaneIndependent: true,
    demand: true,
    multipoint: false,
    detectMultiplier: 5,
    myDiscriminator: 0x11223344,
    yourDiscriminator: 0x55667788,
    desiredMinTxUs: 0x0a0b0c0d,
    requiredMinRxUs: 0x1a1b1c1d,
    requiredMinEchoRxUs: 0x2a2b2c2d,
  },
};

const SHA1_HASH = Array.from({ length: 20 }, (_, i) => 0x60 + i);
const WITH_SHA1: { bytes: number[]; packet: BfdControlPacket } = {
  bytes: [
    0x27, // Vers 1, Diag 7
    0xd4, // Sta Up(3), P=0 F=1 C=0 A=1 D=0 M=0
    0x03,
    0x34, // Length 24 + 28
    0x01,
    0x02,
    0x03,
    0x04,
    0x05,
    0x06,
    0x07,
    0x08,
    0x00,
    0x0f,
    0x42,
    0x40, // 1,000,000 us
    0x00,
    0x00,
    0xc3,
    0x50, // 50,000 us
    0x00,
    0x00,
    0x00,
    0x00,
    0x04, // Auth Type: Keyed SHA1
    0x1c, // Auth Len 28
    0x3c, // Key ID
    0x00, // Reserved
    0xde,
    0xad,
    0xbe,
    0xef, // Sequence Number
    ...SHA1_HASH,
  ],
  packet: {
    diagnostic: 7,
    state: BfdState.Up,
    poll: false,
    final: true,
    controlPlaneIndependent: false,
    demand: false,
    multipoint: false,
    detectMultiplier: 3,
    myDiscriminator: 0x01020304,
    yourDiscriminator: 0x05060708,
    desiredMinTxUs: 1_000_000,
    requiredMinRxUs: 50_000,
    requiredMinEchoRxUs: 0,
    auth: {
      type: BfdAuthType.KeyedSha1,
      keyId: 0x3c,
      sequence: 0xdeadbeef,
      digest: new Uint8Array(SHA1_HASH),
    },
  },
};

const WITH_PASSWORD: { bytes: number[]; packet: BfdControlPacket } = {
  bytes: [
    0x20,
    0x44,
    0x09,
    0x20, // Vers 1 Diag 0, Sta Down A=1, mult 9, length 32
    0x0a,
    0x0b,
    0x0c,
    0x0d,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x0f,
    0x42,
    0x40,
    0x00,
    0x0f,
    0x42,
    0x41,
    0x00,
    0x00,
    0x00,
    0x00,
    0x01,
    0x08,
    0x09,
    0x61,
    0x62,
    0x63,
    0x64,
    0x65, // type 1, len 8, key 9, "abcde"
  ],
  packet: {
    diagnostic: 0,
    state: BfdState.Down,
    poll: false,
    final: false,
    controlPlaneIndependent: false,
    demand: false,
    multipoint: false,
    detectMultiplier: 9,
    myDiscriminator: 0x0a0b0c0d,
    yourDiscriminator: 0,
    desiredMinTxUs: 1_000_000,
    requiredMinRxUs: 1_000_001,
    requiredMinEchoRxUs: 0,
    auth: {
      type: BfdAuthType.SimplePassword,
      keyId: 9,
      password: new TextEncoder().encode("abcde"),
    },
  },
};

for (const [name, fixture] of Object.entries({ PLAIN, WITH_SHA1, WITH_PASSWORD })) {
  Deno.test(`encodeControlPacket() writes the golden bytes (${name})`, () => {
    assert.deepEqual([...encodeControlPacket(fixture.packet)], fixture.bytes);
  });
  Deno.test(`decodeControlPacket() reads the golden bytes (${name})`, () => {
    assert.deepEqual(decodeControlPacket(new Uint8Array(fixture.bytes)), fixture.packet);
  });
}

Deno.test("decodeControlPacket() reads a keyed MD5 section (RFC 5880 §4.3)", () => {
  const packet: BfdControlPacket = {
    ...PLAIN.packet,
    auth: {
      type: BfdAuthType.MeticulousKeyedMd5,
      keyId: 2,
      sequence: 7,
      digest: new Uint8Array(16).fill(0x99),
    },
  };
  const bytes = encodeControlPacket(packet);
  assert.equal(bytes.length, 48);
  assert.equal(bytes[25], 24);
  assert.deepEqual(decodeControlPacket(bytes), packet);
});

Deno.test("decodeControlPacket() ignores bytes after Length (RFC 5880 §6.8.6)", () => {
  const bytes = new Uint8Array([...PLAIN.bytes, 0xff, 0xff]);
  assert.deepEqual(decodeControlPacket(bytes), PLAIN.packet);
});

function rejects(bytes: number[] | Uint8Array, reason: string, pattern?: RegExp): void {
  assert.throws(
    () => decodeControlPacket(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)),
    (e: unknown) => {
      assert.ok(e instanceof BfdPacketError);
      assert.equal(e.reason, reason);
      if (pattern) assert.match(e.message, pattern);
      return true;
    },
  );
}

function patched(base: number[], patch: Record<number, number>): number[] {
  const out = [...base];
  for (const [i, v] of Object.entries(patch)) out[Number(i)] = v;
  return out;
}

Deno.test("decodeControlPacket() rejects version 0 and version 2", () => {
  rejects(patched(PLAIN.bytes, { 0: 0x15 }), "bad-version", /version 0/);
  rejects(patched(PLAIN.bytes, { 0: 0x55 }), "bad-version", /version 2/);
});

Deno.test("decodeControlPacket() rejects a payload shorter than 24 bytes", () => {
  rejects(PLAIN.bytes.slice(0, 23), "bad-length", /23 bytes/);
});

Deno.test("decodeControlPacket() rejects Length 23", () => {
  rejects(patched(PLAIN.bytes, { 3: 23 }), "bad-length", /length 23 < 24/);
});

Deno.test("decodeControlPacket() rejects Length 25 with the A bit set (< 26)", () => {
  const bytes = patched([...PLAIN.bytes, 1, 3, 0], { 1: 0xae, 3: 25 });
  rejects(bytes, "bad-length", /length 25 < 26/);
});

Deno.test("decodeControlPacket() rejects Length greater than the payload", () => {
  rejects(patched(PLAIN.bytes, { 3: 25 }), "bad-length", /exceeds payload 24/);
});

Deno.test("decodeControlPacket() rejects detect multiplier 0", () => {
  rejects(patched(PLAIN.bytes, { 2: 0 }), "zero-multiplier");
});

Deno.test("decodeControlPacket() rejects the Multipoint bit", () => {
  const bytes = encodeControlPacket({ ...PLAIN.packet, multipoint: true });
  assert.equal(bytes[1]! & 0x01, 1);
  rejects(bytes, "multipoint");
});

Deno.test("decodeControlPacket() rejects My Discriminator 0", () => {
  rejects(patched(PLAIN.bytes, { 4: 0, 5: 0, 6: 0, 7: 0 }), "zero-my-discriminator");
});

Deno.test("decodeControlPacket() rejects Your Discriminator 0 in Init and Up", () => {
  const zeroYours = { 8: 0, 9: 0, 10: 0, 11: 0 };
  rejects(patched(PLAIN.bytes, zeroYours), "zero-your-discriminator", /state Init/);
  rejects(patched(PLAIN.bytes, { ...zeroYours, 1: 0xea }), "zero-your-discriminator", /state Up/);
});

Deno.test("decodeControlPacket() accepts Your Discriminator 0 in Down and AdminDown", () => {
  const zeroYours = { 8: 0, 9: 0, 10: 0, 11: 0 };
  assert.equal(
    decodeControlPacket(new Uint8Array(patched(PLAIN.bytes, { ...zeroYours, 1: 0x6a }))).state,
    BfdState.Down,
  );
  assert.equal(
    decodeControlPacket(new Uint8Array(patched(PLAIN.bytes, { ...zeroYours, 1: 0x2a }))).state,
    BfdState.AdminDown,
  );
});

Deno.test("decodeControlPacket() rejects an Auth Len that disagrees with the section", () => {
  rejects(patched(WITH_SHA1.bytes, { 25: 27 }), "bad-auth-section", /auth len 27/);
});

Deno.test("decodeControlPacket() rejects an Auth Len wrong for the auth type", () => {
  const bytes = patched(WITH_SHA1.bytes, { 24: BfdAuthType.KeyedMd5 });
  rejects(bytes, "bad-auth-section", /needs auth len 24/);
});

Deno.test("decodeControlPacket() rejects an unknown auth type", () => {
  rejects(patched(WITH_SHA1.bytes, { 24: 6 }), "bad-auth-section", /type 6/);
});

Deno.test("decodeControlPacket() rejects a simple password of 17 bytes", () => {
  const bytes = [...PLAIN.bytes.slice(0, 24), 1, 20, 1, ...new Array(17).fill(0x41)];
  bytes[1] = 0xae;
  bytes[3] = 44;
  rejects(bytes, "bad-auth-section", /simple password/);
});

Deno.test("diagnosticName() names RFC 5880 §4.1 codes and marks reserved ones", () => {
  assert.equal(diagnosticName(1), "control-detection-time-expired");
  assert.equal(diagnosticName(3), "neighbor-signaled-session-down");
  assert.equal(diagnosticName(7), "administratively-down");
  assert.equal(diagnosticName(21), "diag-21");
});

const packetArbitrary: fc.Arbitrary<BfdControlPacket> = fc.record({
  diagnostic: fc.integer({ min: 0, max: 31 }),
  state: fc.constantFrom(BfdState.AdminDown, BfdState.Down, BfdState.Init, BfdState.Up),
  poll: fc.boolean(),
  final: fc.boolean(),
  controlPlaneIndependent: fc.boolean(),
  demand: fc.boolean(),
  multipoint: fc.constant(false),
  detectMultiplier: fc.integer({ min: 1, max: 255 }),
  myDiscriminator: fc.integer({ min: 1, max: 0xffffffff }),
  yourDiscriminator: fc.integer({ min: 1, max: 0xffffffff }),
  desiredMinTxUs: fc.integer({ min: 0, max: 0xffffffff }),
  requiredMinRxUs: fc.integer({ min: 0, max: 0xffffffff }),
  requiredMinEchoRxUs: fc.integer({ min: 0, max: 0xffffffff }),
});

Deno.test("decodeControlPacket() inverts encodeControlPacket() (property)", () => {
  fc.assert(fc.property(packetArbitrary, (packet) => {
    assert.deepEqual(decodeControlPacket(encodeControlPacket(packet)), { ...packet });
  }));
});

Deno.test("decodeControlPacket() throws only BfdPacketError on random bytes (fuzz)", () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 80 }), (bytes) => {
      try {
        decodeControlPacket(bytes);
      } catch (e) {
        assert.ok(e instanceof BfdPacketError, String(e));
      }
    }),
    { numRuns: 2000 },
  );
});
