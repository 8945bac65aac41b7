import assert from "node:assert/strict";
import {
  announcedByUpdate,
  decodeMessage,
  encodeMessage,
  encodeUpdates,
  encodeWithdrawals,
  endOfRib,
  endOfRibFamily,
  isEndOfRib,
  packAnnouncements,
  packWithdrawals,
  type UpdateMessage,
  withdrawnByUpdate,
} from "../../../../src/bgp/mod.ts";
import { EBGP4, hex, IBGP4, updateFrame } from "./_helpers.ts";

const V4_BYTES = updateFrame(
  "08 0a  10 ac10  00".replace(/\s/g, ""), // 10.0.0.0/8, 172.16.0.0/16, 0.0.0.0/0
  "40 01 01 00  40 02 06 02 01 0000fde9  40 03 04 c00002fe".replace(/\s/g, ""),
  "20 c0000201  18 c63364  19 cb007180".replace(/\s/g, ""), // /32, /24, /25
);
const V4_VALUE: UpdateMessage = {
  type: "update",
  withdrawn: ["10.0.0.0/8", "172.16.0.0/16", "0.0.0.0/0"],
  attributes: {
    origin: "igp",
    asPath: [{ type: "sequence", asns: [65001] }],
    nextHop: "192.0.2.254",
  },
  nlri: ["192.0.2.1/32", "198.51.100.0/24", "203.0.113.128/25"],
};

Deno.test("encodeMessage() writes the golden IPv4 UPDATE", () => {
  assert.equal(hex(encodeMessage(V4_VALUE, EBGP4)), hex(V4_BYTES));
});

Deno.test("decodeMessage() reads the golden IPv4 UPDATE", () => {
  const r = decodeMessage(V4_BYTES, EBGP4);
  assert.deepEqual(r, { message: V4_VALUE, treatAsWithdraw: false, discarded: [], warnings: [] });
});

Deno.test("decodeMessage() clears host bits beyond the prefix length", () => {
  const r = decodeMessage(updateFrame("", "", "19 cb0071ff"), EBGP4);
  assert.deepEqual((r.message as UpdateMessage).nlri, ["203.0.113.128/25"]);
});

Deno.test("End-of-RIB: empty UPDATE for IPv4, empty MP_UNREACH_NLRI for IPv6 (RFC 4724 §2)", () => {
  assert.equal(hex(encodeMessage(endOfRib("ipv4-unicast"), EBGP4)), hex(updateFrame("", "")));
  const v6 = updateFrame("", "800f03000201");
  assert.equal(hex(encodeMessage(endOfRib("ipv6-unicast"), EBGP4)), hex(v6));
  const d4 = decodeMessage(updateFrame("", ""), EBGP4).message as UpdateMessage;
  const d6 = decodeMessage(v6, EBGP4).message as UpdateMessage;
  assert.equal(isEndOfRib(d4), true);
  assert.equal(endOfRibFamily(d4), "ipv4-unicast");
  assert.equal(endOfRibFamily(d6), "ipv6-unicast");
  assert.equal(isEndOfRib(V4_VALUE), false);
  assert.equal(isEndOfRib(packWithdrawals("ipv6-unicast", ["2001:db8::/32"], EBGP4)[0]!), false);
});

Deno.test("packAnnouncements() fills IPv4 UPDATEs up to 4096 bytes", () => {
  const prefixes = Array.from({ length: 3000 }, (_, i) => `10.${i >> 8}.${i & 255}.1/32`);
  const announcement = {
    family: "ipv4-unicast" as const,
    prefixes,
    attributes: { origin: "igp" as const, asPath: [{ type: "sequence" as const, asns: [65001] }] },
    nextHop: "192.0.2.1",
  };
  const frames = encodeUpdates(announcement, EBGP4);
  // 23 header + 20 attribute bytes leave 4053 bytes: 810 /32s (5 bytes each) per UPDATE.
  assert.deepEqual(frames.map((f) => f.length), [4093, 4093, 4093, 2893]);
  const back = frames.flatMap((f) => (decodeMessage(f, EBGP4).message as UpdateMessage).nlri);
  assert.deepEqual(back, prefixes);
  const packed = packAnnouncements(announcement, EBGP4);
  assert.equal(packed[0]!.attributes.nextHop, "192.0.2.1");
});

Deno.test("packAnnouncements() uses 65535-byte UPDATEs with RFC 8654", () => {
  const prefixes = Array.from({ length: 20000 }, (_, i) => `10.${i >> 8}.${i & 255}.1/32`);
  const frames = encodeUpdates(
    {
      family: "ipv4-unicast",
      prefixes,
      attributes: { origin: "igp", asPath: [] },
      nextHop: "192.0.2.1",
    },
    { ...EBGP4, extendedMessage: true },
  );
  assert.equal(frames.length, 2);
  assert.ok(frames[0]!.length <= 65535 && frames[0]!.length > 65500);
});

Deno.test("packAnnouncements() puts IPv6 in MP_REACH_NLRI with a 32-byte next hop", () => {
  const prefixes = Array.from({ length: 1000 }, (_, i) => `2001:db8:${(i + 1).toString(16)}::/48`);
  const frames = encodeUpdates({
    family: "ipv6-unicast",
    prefixes,
    attributes: { origin: "igp", asPath: [], nextHop: "192.0.2.1" },
    nextHop: "2001:db8::1",
    nextHopLinkLocal: "fe80::1",
  }, IBGP4);
  assert.ok(frames.every((f) => f.length <= 4096));
  assert.equal(frames.length, 2);
  const decoded = frames.map((f) => decodeMessage(f, IBGP4).message as UpdateMessage);
  assert.equal(decoded[0]!.attributes.nextHop, undefined); // RFC 4760: no NEXT_HOP without classic NLRI
  assert.equal(decoded[0]!.attributes.mpReach!.nextHopLinkLocal, "fe80::1");
  assert.deepEqual(decoded.flatMap((u) => u.attributes.mpReach!.nlri), prefixes);
  assert.deepEqual(announcedByUpdate(decoded[1]!, false)[0]!.family, "ipv6-unicast");
});

Deno.test("packWithdrawals() splits IPv4 and IPv6 withdrawals to fit", () => {
  const v4 = Array.from({ length: 1000 }, (_, i) => `10.0.${i >> 2}.${(i & 3) * 64}/26`);
  const f4 = encodeWithdrawals("ipv4-unicast", v4, EBGP4);
  assert.deepEqual(f4.map((f) => f.length), [4093, 953]);
  assert.deepEqual(
    f4.flatMap((f) => (decodeMessage(f, EBGP4).message as UpdateMessage).withdrawn),
    v4,
  );
  const v6 = Array.from({ length: 500 }, (_, i) => `2001:db8::${(i + 1).toString(16)}/128`);
  const f6 = encodeWithdrawals("ipv6-unicast", v6, EBGP4);
  assert.equal(f6.length, 3);
  const back = f6.map((f) => decodeMessage(f, EBGP4).message as UpdateMessage);
  assert.deepEqual(back.flatMap((u) => withdrawnByUpdate(u, false)[0]!.prefixes), v6);
});

Deno.test("withdrawnByUpdate() counts announced prefixes under treat-as-withdraw", () => {
  assert.deepEqual(withdrawnByUpdate(V4_VALUE, true), [{
    family: "ipv4-unicast",
    prefixes: [...V4_VALUE.withdrawn, ...V4_VALUE.nlri],
  }]);
  assert.deepEqual(announcedByUpdate(V4_VALUE, true), []);
});

Deno.test("encodeMessage() refuses an UPDATE above 4096 bytes", () => {
  const nlri = Array.from({ length: 900 }, (_, i) => `10.${i >> 8}.${i & 255}.1/32`);
  assert.throws(
    () => encodeMessage({ type: "update", withdrawn: [], attributes: {}, nlri }, EBGP4),
    RangeError,
  );
});

Deno.test("encodeMessage() refuses a bad prefix", () => {
  assert.throws(
    () =>
      encodeMessage(
        { type: "update", withdrawn: [], attributes: {}, nlri: ["10.0.0.0/33"] },
        EBGP4,
      ),
    TypeError,
  );
});
