/**
 * RFC deviations closed by issue 13 (codec items 4, 7-11). Each test names
 * the RFC section it checks; docs/bgp-coverage.md has one row per test.
 */
import assert from "node:assert/strict";
import {
  BgpDecodeError,
  ceaseFor,
  type CodecContext,
  decodeMessage,
  describeNotification,
  ErrorCode,
  type NotificationFields,
  type RouteRefreshMessage,
  RouteRefreshSubcode,
  type SessionStopOptions,
  type UpdateMessage,
} from "../../../../src/bgp/mod.ts";
import { EBGP2, EBGP4, frame, hex, IBGP4, updateFrame } from "./_helpers.ts";

const ORIGIN = "40010100";
const AS_PATH = "4002060201 0000fde9";
const NEXT_HOP = "400304 c00002fe";
const BASE = ORIGIN + AS_PATH + NEXT_HOP;
const NLRI = "18c63364";
const V4_ONLY: CodecContext = { ...EBGP4, families: ["ipv4-unicast"] };

function decodeUpdate(attributes: string, ctx: CodecContext = EBGP4, nlri = NLRI) {
  const r = decodeMessage(updateFrame("", attributes.replace(/\s/g, ""), nlri), ctx);
  return { ...r, update: r.message as UpdateMessage };
}

// ---------------------------------------------------------------- item 7

for (
  const [address, bytes] of [
    ["0.0.0.1", "00000001"],
    ["0.255.255.255", "00ffffff"],
    ["240.0.0.1", "f0000001"],
    ["255.255.255.255", "ffffffff"],
  ] as const
) {
  Deno.test(`decodeMessage() treats NEXT_HOP ${address} as withdraw (RFC 4271 §6.3, RFC 1122 §3.2.1.3)`, () => {
    const r = decodeUpdate(ORIGIN + AS_PATH + "400304" + bytes);
    assert.equal(r.treatAsWithdraw, true);
    assert.match(r.warnings.join("\n"), /not a host address/);
  });
}

Deno.test("decodeMessage() accepts NEXT_HOP 1.0.0.1 and 223.255.255.254 (RFC 4271 §6.3)", () => {
  for (const bytes of ["01000001", "dffffffe"]) {
    assert.equal(decodeUpdate(ORIGIN + AS_PATH + "400304" + bytes).treatAsWithdraw, false);
  }
});

// ---------------------------------------------------------------- item 8

const CONFED_PATH = "40020c 0301 0000fc00 0201 0000fde9"; // (64512) 65001

Deno.test("decodeMessage() treats AS_CONFED_SEQUENCE from an eBGP peer as withdraw (RFC 5065 §5, RFC 7606 §7.2)", () => {
  const r = decodeUpdate(ORIGIN + CONFED_PATH + NEXT_HOP);
  assert.equal(r.treatAsWithdraw, true);
  assert.match(r.warnings.join("\n"), /confederation segments/);
});

Deno.test("decodeMessage() treats AS_CONFED_SET from an eBGP peer as withdraw (RFC 5065 §5, RFC 7606 §7.2)", () => {
  const r = decodeUpdate(ORIGIN + "40020c 0401 0000fc00 0201 0000fde9" + NEXT_HOP);
  assert.equal(r.treatAsWithdraw, true);
});

Deno.test("decodeMessage() keeps confederation segments from an iBGP peer (RFC 5065 §5)", () => {
  const r = decodeUpdate(ORIGIN + CONFED_PATH + NEXT_HOP, IBGP4);
  assert.equal(r.treatAsWithdraw, false);
  assert.deepEqual(r.update.attributes.asPath, [
    { type: "confed-sequence", asns: [64512] },
    { type: "sequence", asns: [65001] },
  ]);
});

// ---------------------------------------------------------------- item 9

Deno.test("decodeMessage() drops confederation segments of AS4_PATH and merges the rest (RFC 6793 §6)", () => {
  // AS_PATH 100 23456 from a 2-octet peer; AS4_PATH (64512) 4200000000.
  const asPath = "400206 0202 0064 5ba0";
  const as4Path = "c0110c 0301 0000fc00 0201 fa56ea00";
  const r = decodeUpdate(ORIGIN + asPath + NEXT_HOP + as4Path, EBGP2);
  assert.equal(r.treatAsWithdraw, false);
  assert.deepEqual(r.discarded, []);
  assert.deepEqual(r.update.attributes.asPath, [{ type: "sequence", asns: [100, 4200000000] }]);
  assert.match(r.warnings.join("\n"), /RFC 6793 §6/);
});

// ---------------------------------------------------------------- item 10

for (
  const [name, attribute] of [
    ["ATOMIC_AGGREGATE with flags 0xc0", "c00600"],
    ["AGGREGATOR with flags 0x40", "400708 0000fde9 c6336401"],
    ["ATOMIC_AGGREGATE with flags 0xc0 and a bad length", "c00601 00"],
    ["AGGREGATOR with flags 0x40 and a bad length", "400707 0000fde9 c63364"],
    ["COMMUNITIES with flags 0x80", "800804 fde90064"],
    ["LARGE_COMMUNITY with flags 0x40", "40200c 0000fde9 00000001 00000002"],
    ["NEXT_HOP with flags 0xc0", "c00304 c00002fe"],
  ] as const
) {
  Deno.test(`decodeMessage() treats ${name} as withdraw, not discard (RFC 7606 §3 c)`, () => {
    const attrs = name.startsWith("NEXT_HOP")
      ? ORIGIN + AS_PATH + attribute
      : BASE + attribute.replace(/\s/g, "");
    const r = decodeUpdate(attrs);
    assert.equal(r.treatAsWithdraw, true);
    assert.deepEqual(r.discarded, []);
    assert.match(r.warnings.join("\n"), /RFC 7606 §3 c/);
  });
}

Deno.test("decodeMessage() withdraws the MP_REACH_NLRI prefixes of an MP_REACH_NLRI with wrong flags (RFC 7606 §3 c)", () => {
  const mp = "c00e1a 0002 01 10 20010db8000000000000000000000001 00 20 20010db8";
  const r = decodeUpdate(ORIGIN + AS_PATH + mp, EBGP4, "");
  assert.equal(r.treatAsWithdraw, true);
  assert.deepEqual(r.update.attributes.mpReach?.nlri, ["2001:db8::/32"]);
});

// ---------------------------------------------------------------- item 11

Deno.test("decodeMessage() reads a subtype-0 ROUTE-REFRESH with ORF entries as a normal request (RFC 7313 §5, RFC 5291 §4)", () => {
  // AFI 1, subtype 0, SAFI 1, then When-to-refresh 1 + ORF type 64 + length 0.
  const r = decodeMessage(frame(5, "00010001" + "01400000"), EBGP4);
  const msg = r.message as RouteRefreshMessage;
  assert.equal(msg.subtype, "normal");
  assert.equal(msg.afi, 1);
  assert.equal(msg.safi, 1);
  assert.equal(msg.orfBytes, 4);
  assert.match(r.warnings.join("\n"), /ORF is not supported/);
});

Deno.test("decodeMessage() ignores an unknown ROUTE-REFRESH subtype of any length (RFC 7313 §5)", () => {
  const r = decodeMessage(frame(5, "00010701" + "abcd"), EBGP4);
  assert.equal((r.message as RouteRefreshMessage).subtype, "unknown");
});

for (const [subtype, code] of [["BoRR", "01"], ["EoRR", "02"]] as const) {
  Deno.test(`decodeMessage() rejects a ${subtype} of 24 bytes with 7/1 (RFC 7313 §5)`, () => {
    const bytes = frame(5, `0001${code}01` + "00");
    assert.throws(() => decodeMessage(bytes, EBGP4), (e) => {
      assert.ok(e instanceof BgpDecodeError);
      assert.equal(e.code, ErrorCode.ROUTE_REFRESH_MESSAGE);
      assert.equal(e.subcode, RouteRefreshSubcode.INVALID_MESSAGE_LENGTH);
      assert.equal(hex(e.data), hex(bytes));
      return true;
    });
  });
}

// ---------------------------------------------------------------- item 4

Deno.test("decodeMessage() reports End-of-RIB for an empty UPDATE and an AFI/SAFI-only MP_UNREACH_NLRI (RFC 4724 §2)", () => {
  assert.equal(decodeMessage(updateFrame("", ""), EBGP4).endOfRib, "ipv4-unicast");
  assert.equal(decodeMessage(updateFrame("", "800f03000201"), EBGP4).endOfRib, "ipv6-unicast");
  // Extended Length on the MP_UNREACH_NLRI is still the marker.
  assert.equal(decodeMessage(updateFrame("", "900f0003000201"), EBGP4).endOfRib, "ipv6-unicast");
});

Deno.test("decodeMessage() does not take an UPDATE whose only attribute was discarded for End-of-RIB (RFC 4724 §2, RFC 7606)", () => {
  // ATOMIC_AGGREGATE of length 1: attribute discard leaves nothing decoded.
  const r = decodeMessage(updateFrame("", "400601 00".replace(/\s/g, "")), EBGP4);
  assert.deepEqual(r.discarded, [6]);
  assert.equal(r.endOfRib, undefined);
});

Deno.test("decodeMessage() does not take an IPv6 MP_UNREACH_NLRI on a v4-only session for End-of-RIB (RFC 4724 §2, RFC 4760 §7)", () => {
  const r = decodeMessage(updateFrame("", "800f03000201"), V4_ONLY);
  assert.equal(r.endOfRib, undefined);
});

Deno.test("decodeMessage() does not take an MP_UNREACH_NLRI with prefixes, or with other attributes, for End-of-RIB (RFC 4724 §2)", () => {
  assert.equal(
    decodeMessage(updateFrame("", "800f08000201 2020010db8"), EBGP4).endOfRib,
    undefined,
  );
  assert.equal(decodeMessage(updateFrame("", "800f03000201 40010100"), EBGP4).endOfRib, undefined);
  assert.equal(decodeMessage(updateFrame("", "", NLRI), EBGP4).endOfRib, undefined);
  assert.equal(decodeMessage(updateFrame(NLRI, ""), EBGP4).endOfRib, undefined);
});

// ---------------------------------------------------------------- item 3

Deno.test("the type system admits a shutdown communication only on Cease 6/2 and 6/4 (RFC 9003 §2)", () => {
  const ok: NotificationFields[] = [
    { code: 6, subcode: 2, communication: "maintenance" },
    { code: 6, subcode: 4, communication: "" },
    { code: 6, subcode: 3 },
  ];
  // @ts-expect-error: Peer De-configured carries no shutdown communication
  const deconfigured: NotificationFields = { code: 6, subcode: 3, communication: "bye" };
  // @ts-expect-error: Other Configuration Change carries none either
  const changed: NotificationFields = { code: 6, subcode: 6, communication: "bye" };
  // @ts-expect-error: a subcode only known at run time cannot carry one
  const dynamic: SessionStopOptions = { ceaseSubcode: 0 + 3, communication: "bye" };
  const stop: SessionStopOptions[] = [
    { communication: "bye" },
    { ceaseSubcode: 4, communication: "restart" },
    { ceaseSubcode: 10 },
  ];
  assert.equal(ok.length + stop.length, 6);
  assert.ok(deconfigured && changed && dynamic);
});

Deno.test("ceaseFor() drops a communication that reaches it with another subcode (RFC 9003 §2)", () => {
  // Through a cast (e.g. from JavaScript): the wire still never carries it.
  const spec = ceaseFor({ ceaseSubcode: 6, communication: "x" } as unknown as SessionStopOptions);
  assert.deepEqual(spec, { code: 6, subcode: 6 });
  assert.deepEqual(ceaseFor({ communication: "bye" }), {
    code: 6,
    subcode: 2,
    communication: "bye",
  });
});

Deno.test("describeNotification() names code and subcode from the one NOTIFICATION table", () => {
  assert.equal(
    describeNotification({ code: 6, subcode: 6 }),
    "6/6 (Cease, Other Configuration Change)",
  );
  assert.equal(
    describeNotification({ code: 2, subcode: 7 }),
    "2/7 (OPEN Message Error, Unsupported Capability)",
  );
  assert.equal(describeNotification({ code: 9, subcode: 1 }), "9/1 (unknown)");
});
