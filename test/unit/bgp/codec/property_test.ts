/** fast-check round trips: message -> bytes -> message. */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type AsPathSegment,
  type Capability,
  type CodecContext,
  decodeMessage,
  DEFAULT_OPEN_CONTEXT,
  encodeMessage,
  type NotificationMessage,
  type OpenMessage,
  type PathAttributes,
  type UpdateMessage,
} from "../../../../src/bgp/mod.ts";
import { formatIpv6 } from "../../../../src/bgp/nlri.ts";

/** Deep copy with ordinary prototypes (fast-check records have a null prototype). */
function plain<T>(x: T): T {
  if (x instanceof Uint8Array) return x;
  if (Array.isArray(x)) return x.map(plain) as T;
  if (x !== null && typeof x === "object") {
    return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, plain(v)])) as T;
  }
  return x;
}

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const ipv4 = fc.tuple(fc.integer({ min: 1, max: 223 }), fc.nat(255), fc.nat(255), fc.nat(255))
  .map((b) => b.join("."));

const prefix4 = fc.tuple(u32, fc.integer({ min: 0, max: 32 })).map(([addr, len]) => {
  const masked = len === 0 ? 0 : (addr & (~0 << (32 - len))) >>> 0;
  return `${masked >>> 24}.${(masked >>> 16) & 255}.${(masked >>> 8) & 255}.${masked & 255}/${len}`;
});
const prefix6 = fc.tuple(
  fc.uint8Array({ minLength: 16, maxLength: 16 }),
  fc.integer({ min: 0, max: 128 }),
)
  .map(([bytes, len]) => {
    const b = bytes.slice();
    for (let i = 0; i < 16; i++) {
      const keep = Math.max(0, Math.min(8, len - i * 8));
      b[i]! &= (0xff00 >> keep) & 0xff;
    }
    return `${formatIpv6(b)}/${len}`;
  });
const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => formatIpv6(b));

const segment: fc.Arbitrary<AsPathSegment> = fc.record({
  type: fc.constantFrom(
    "sequence" as const,
    "set" as const,
    "confed-sequence" as const,
    "confed-set" as const,
  ),
  asns: fc.array(u32, { minLength: 1, maxLength: 12 }),
});
const extCommunity = fc.oneof(
  fc.tuple(fc.constantFrom("rt", "soo"), u16, u32).map(([t, a, n]) => `${t}:${a}:${n}`),
  fc.tuple(fc.constantFrom("rt", "soo"), ipv4, u16).map(([t, a, n]) => `${t}:${a}:${n}`),
  fc.tuple(fc.constantFrom("rt", "soo"), fc.integer({ min: 65536, max: 0xffffffff }), u16)
    .map(([t, a, n]) => `${t}:${a}:${n}`),
  fc.constant("0x030c000000000007"),
);

function attributes(family: "ipv4-unicast" | "ipv6-unicast"): fc.Arbitrary<PathAttributes> {
  return fc.record({
    origin: fc.constantFrom("igp" as const, "egp" as const, "incomplete" as const),
    asPath: fc.array(segment, { maxLength: 4 }),
    nextHop: ipv4,
    med: u32,
    localPref: u32,
    atomicAggregate: fc.constant(true),
    aggregator: fc.record({ asn: u32, address: ipv4 }),
    communities: fc.array(fc.tuple(u16, u16).map(([a, b]) => `${a}:${b}`), {
      minLength: 1,
      maxLength: 8,
    }),
    extendedCommunities: fc.array(extCommunity, { minLength: 1, maxLength: 5 }),
    largeCommunities: fc.array(fc.tuple(u32, u32, u32).map((t) => t.join(":")), {
      minLength: 1,
      maxLength: 5,
    }),
    mpReach: family === "ipv6-unicast"
      ? fc.oneof(
        fc.record({
          family: fc.constant(family),
          nextHop: ipv6,
          nlri: fc.array(prefix6, { maxLength: 20 }),
        }),
        fc.record({
          family: fc.constant(family),
          nextHop: ipv6,
          nextHopLinkLocal: ipv6,
          nlri: fc.array(prefix6, { maxLength: 20 }),
        }),
      )
      : fc.record({
        family: fc.constant(family),
        nextHop: ipv4,
        nlri: fc.array(prefix4, { maxLength: 20 }),
      }),
    mpUnreach: family === "ipv6-unicast"
      ? fc.record({ family: fc.constant(family), withdrawn: fc.array(prefix6, { maxLength: 20 }) })
      : fc.record({ family: fc.constant(family), withdrawn: fc.array(prefix4, { maxLength: 20 }) }),
    unknown: fc.array(
      fc.record({
        code: fc.integer({ min: 100, max: 200 }),
        flags: fc.constant(0xe0),
        value: fc.uint8Array({ maxLength: 300 }),
      }),
      { minLength: 1, maxLength: 3 },
    ).map((list) => list.filter((u, i) => list.findIndex((v) => v.code === u.code) === i)),
  }, { requiredKeys: [] });
}

function update(family: "ipv4-unicast" | "ipv6-unicast"): fc.Arbitrary<UpdateMessage> {
  return fc.record({
    type: fc.constant("update" as const),
    withdrawn: fc.array(prefix4, { maxLength: 30 }),
    attributes: attributes(family),
    nlri: fc.array(prefix4, { maxLength: 30 }),
  });
}

/** Decoded attributes come back sorted by type code; unknowns sorted by code too. */
function normalise(u: UpdateMessage): UpdateMessage {
  u = plain(u);
  const attrs = { ...u.attributes };
  if (attrs.unknown !== undefined) {
    attrs.unknown = [...attrs.unknown].sort((a, b) => a.code - b.code);
  }
  return { ...u, attributes: attrs };
}

const CTX: CodecContext = {
  fourOctetAs: true,
  extendedMessage: true,
  ibgp: true,
  families: ["ipv4-unicast", "ipv6-unicast"],
};

Deno.test("UPDATE (IPv4, all attributes) survives encode -> decode", () => {
  fc.assert(
    fc.property(update("ipv4-unicast"), (u) => {
      const decoded = decodeMessage(encodeMessage(u, CTX), CTX);
      assert.deepEqual(decoded.message, normalise(u));
      assert.deepEqual(decoded.discarded, []);
    }),
    { numRuns: 300 },
  );
});

Deno.test("UPDATE (IPv6 MP_REACH/MP_UNREACH, all attributes) survives encode -> decode", () => {
  fc.assert(
    fc.property(update("ipv6-unicast"), (u) => {
      const decoded = decodeMessage(encodeMessage(u, CTX), CTX);
      assert.deepEqual(decoded.message, normalise(u));
    }),
    { numRuns: 300 },
  );
});

Deno.test("UPDATE towards a 2-octet peer keeps 4-octet AS numbers via AS4_PATH/AS4_AGGREGATOR", () => {
  const ctx2 = { ...CTX, fourOctetAs: false };
  fc.assert(
    fc.property(
      fc.array(u32, { minLength: 1, maxLength: 200 }),
      // RFC 6793 §4.2.3: AS4_PATH only counts when AGGREGATOR (if any) is AS_TRANS.
      fc.option(fc.record({ asn: fc.integer({ min: 65536, max: 0xffffffff }), address: ipv4 })),
      (asns, aggregator) => {
        const u: UpdateMessage = {
          type: "update",
          withdrawn: [],
          attributes: aggregator === null
            ? { asPath: [{ type: "sequence", asns }] }
            : { asPath: [{ type: "sequence", asns }], aggregator },
          nlri: [],
        };
        const decoded = decodeMessage(encodeMessage(u, ctx2), ctx2);
        assert.deepEqual(decoded.message, plain(u));
      },
    ),
    { numRuns: 300 },
  );
});

const capability: fc.Arbitrary<Capability> = fc.oneof(
  fc.record({ kind: fc.constant("multiprotocol" as const), afi: u16, safi: fc.nat(255) }),
  fc.constant({ kind: "route-refresh" as const }),
  fc.constant({ kind: "extended-message" as const }),
  fc.constant({ kind: "enhanced-route-refresh" as const }),
  fc.record({ kind: fc.constant("four-octet-as" as const), asn: u32 }),
  fc.record({
    kind: fc.constant("graceful-restart" as const),
    restarting: fc.boolean(),
    notification: fc.boolean(),
    restartTime: fc.integer({ min: 0, max: 4095 }),
    families: fc.array(
      fc.record({ afi: u16, safi: fc.nat(255), forwardingPreserved: fc.boolean() }),
      {
        maxLength: 4,
      },
    ),
  }),
  fc.record({
    kind: fc.constant("unknown" as const),
    code: fc.integer({ min: 71, max: 255 }),
    value: fc.uint8Array({ maxLength: 20 }),
  }),
);

Deno.test("OPEN survives encode -> decode", () => {
  fc.assert(
    fc.property(
      fc.record({
        type: fc.constant("open" as const),
        version: fc.constant(4),
        asn: fc.integer({ min: 1, max: 65535 }),
        holdTime: fc.oneof(fc.constant(0), fc.integer({ min: 3, max: 65535 })),
        bgpId: ipv4,
        capabilities: fc.array(capability, { maxLength: 50 }),
      }),
      (open: OpenMessage) => {
        assert.deepEqual(
          decodeMessage(encodeMessage(open, DEFAULT_OPEN_CONTEXT), DEFAULT_OPEN_CONTEXT).message,
          plain(open),
        );
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("NOTIFICATION survives encode -> decode", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 7 }),
      fc.nat(255),
      fc.uint8Array({ maxLength: 200 }),
      (code, subcode, data) => {
        const n: NotificationMessage = { type: "notification", code, subcode, data };
        const back = decodeMessage(encodeMessage(n, DEFAULT_OPEN_CONTEXT), DEFAULT_OPEN_CONTEXT)
          .message as NotificationMessage;
        assert.equal(back.code, code);
        assert.equal(back.subcode, subcode);
        assert.deepEqual(back.data, data);
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("shutdown communication survives encode -> decode", () => {
  fc.assert(
    fc.property(
      fc.string({ maxLength: 60, unit: "grapheme" }),
      fc.constantFrom(2, 4),
      (text, subcode) => {
        const n: NotificationMessage = {
          type: "notification",
          code: 6,
          subcode,
          data: new Uint8Array(),
          communication: text,
        };
        const back = decodeMessage(encodeMessage(n, DEFAULT_OPEN_CONTEXT), DEFAULT_OPEN_CONTEXT)
          .message as NotificationMessage;
        assert.equal(
          back.communication,
          new TextEncoder().encode(text).length <= 255 ? text : back.communication,
        );
      },
    ),
    { numRuns: 200 },
  );
});
