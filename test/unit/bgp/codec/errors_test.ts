/**
 * One negative test per malformed case: the exact NOTIFICATION (code/subcode)
 * for session resets, or the RFC 7606 action (treat-as-withdraw, attribute
 * discard). docs/bgp-coverage.md lists the same table.
 */
import assert from "node:assert/strict";
import {
  BgpDecodeError,
  type CodecContext,
  decodeMessage,
  type UpdateMessage,
  UpdateSubcode,
} from "../../../../src/bgp/mod.ts";
import { EBGP2, EBGP4, hex, IBGP4, updateFrame } from "./_helpers.ts";

const ORIGIN = "40010100";
const AS_PATH = "4002060201 0000fde9";
const NEXT_HOP = "400304 c00002fe";
const BASE = ORIGIN + AS_PATH + NEXT_HOP;
const NLRI = "18c63364";
const V4_ONLY: CodecContext = { ...EBGP4, families: ["ipv4-unicast"] };

type Outcome =
  | { reset: number; data?: string }
  | { withdraw: true }
  | { discard: number[] };

interface Case {
  name: string;
  ctx?: CodecContext;
  withdrawn?: string;
  attributes: string;
  nlri?: string;
  expect: Outcome;
}

const MP_V6 = (body: string) => {
  const b = body.replace(/\s/g, "");
  return "800e" + (b.length / 2).toString(16).padStart(2, "0") + b;
};

const CASES: Case[] = [
  {
    name: "ORIGIN of length 2 is treat-as-withdraw (RFC 7606 §7.1)",
    attributes: "40010200 00" + AS_PATH + NEXT_HOP,
    expect: { withdraw: true },
  },
  {
    name: "ORIGIN value 3 is treat-as-withdraw (RFC 7606 §7.1)",
    attributes: "40010103" + AS_PATH + NEXT_HOP,
    expect: { withdraw: true },
  },
  {
    name: "ORIGIN with the Optional flag is treat-as-withdraw (RFC 7606 §3 c)",
    attributes: "c0010100" + AS_PATH + NEXT_HOP,
    expect: { withdraw: true },
  },
  {
    name: "AS_PATH with segment type 5 is treat-as-withdraw (RFC 7606 §7.2)",
    attributes: ORIGIN + "4002060501 0000fde9" + NEXT_HOP,
    expect: { withdraw: true },
  },
  {
    name: "AS_PATH segment overrun is treat-as-withdraw (RFC 7606 §7.2)",
    attributes: ORIGIN + "4002060202 0000fde9" + NEXT_HOP,
    expect: { withdraw: true },
  },
  {
    name: "AS_PATH empty segment is treat-as-withdraw (RFC 7606 §7.2)",
    attributes: ORIGIN + "4002020200" + NEXT_HOP,
    expect: { withdraw: true },
  },
  {
    name: "AS_PATH 2-octet odd length is treat-as-withdraw",
    ctx: EBGP2,
    attributes: ORIGIN + "4002050201 fde9 00" + NEXT_HOP,
    expect: { withdraw: true },
  },
  {
    name: "NEXT_HOP of length 5 is treat-as-withdraw (RFC 7606 §7.3)",
    attributes: ORIGIN + AS_PATH + "400305 c00002fe00",
    expect: { withdraw: true },
  },
  {
    name: "NEXT_HOP 0.0.0.0 is treat-as-withdraw (RFC 7606 §7.3)",
    attributes: ORIGIN + AS_PATH + "400304 00000000",
    expect: { withdraw: true },
  },
  {
    name: "NEXT_HOP 224.0.0.1 is treat-as-withdraw (RFC 7606 §7.3)",
    attributes: ORIGIN + AS_PATH + "400304 e0000001",
    expect: { withdraw: true },
  },
  {
    name: "missing ORIGIN with NLRI is treat-as-withdraw (RFC 7606 §3 d)",
    attributes: AS_PATH + NEXT_HOP,
    expect: { withdraw: true },
  },
  {
    name: "missing AS_PATH with NLRI is treat-as-withdraw (RFC 7606 §3 d)",
    attributes: ORIGIN + NEXT_HOP,
    expect: { withdraw: true },
  },
  {
    name: "missing NEXT_HOP with NLRI is treat-as-withdraw (RFC 7606 §3 d)",
    attributes: ORIGIN + AS_PATH,
    expect: { withdraw: true },
  },
  {
    name: "missing ORIGIN with MP_REACH NLRI is treat-as-withdraw (RFC 7606 §3 d)",
    attributes: AS_PATH + MP_V6("0002 01 10 20010db8000000000000000000000001 00 20 20010db8"),
    nlri: "",
    expect: { withdraw: true },
  },
  {
    name: "MULTI_EXIT_DISC of length 3 is treat-as-withdraw (RFC 7606 §7.4)",
    attributes: BASE + "800403 000001",
    expect: { withdraw: true },
  },
  {
    name: "MULTI_EXIT_DISC with the Transitive flag is treat-as-withdraw (RFC 7606 §3 c)",
    attributes: BASE + "c00404 00000001",
    expect: { withdraw: true },
  },
  {
    name: "LOCAL_PREF of length 2 from iBGP is treat-as-withdraw (RFC 7606 §7.5)",
    ctx: IBGP4,
    attributes: BASE + "400502 0064",
    expect: { withdraw: true },
  },
  {
    name: "LOCAL_PREF from eBGP is discarded (RFC 7606 §7.5)",
    attributes: BASE + "400504 00000064",
    expect: { discard: [5] },
  },
  {
    name: "ATOMIC_AGGREGATE of length 1 is discarded (RFC 7606 §7.6)",
    attributes: BASE + "400601 00",
    expect: { discard: [6] },
  },
  {
    name: "AGGREGATOR of length 7 is discarded (RFC 7606 §7.7)",
    attributes: BASE + "c00707 fa56ea01c63364",
    expect: { discard: [7] },
  },
  {
    name: "AGGREGATOR of length 8 from a 2-octet peer is discarded (RFC 7606 §7.7)",
    ctx: EBGP2,
    attributes: ORIGIN + "4002040201fde9" + NEXT_HOP + "c00708 fa56ea01c6336407",
    expect: { discard: [7] },
  },
  {
    name: "COMMUNITIES of length 5 is treat-as-withdraw (RFC 7606 §7.8)",
    attributes: BASE + "c00805 fde9006400",
    expect: { withdraw: true },
  },
  {
    name: "COMMUNITIES of length 0 is treat-as-withdraw (RFC 7606 §7.8)",
    attributes: BASE + "c00800",
    expect: { withdraw: true },
  },
  {
    name: "EXTENDED_COMMUNITIES of length 12 is treat-as-withdraw (RFC 7606 §7.14)",
    attributes: BASE + "c0100c 0002fde900000064 00000000",
    expect: { withdraw: true },
  },
  {
    name: "LARGE_COMMUNITY of length 8 is treat-as-withdraw (RFC 8092 §5)",
    attributes: BASE + "c02008 0000000100000002",
    expect: { withdraw: true },
  },
  {
    name: "AS4_PATH from a four-octet peer is discarded (RFC 6793 §4.1)",
    attributes: BASE + "c01106 0201fa56ea01",
    expect: { discard: [17] },
  },
  {
    name: "malformed AS4_PATH is discarded (RFC 6793 §6)",
    ctx: EBGP2,
    attributes: ORIGIN + "4002040201fde9" + NEXT_HOP + "c01105 0201fa56ea",
    expect: { discard: [17] },
  },
  {
    name: "AS4_AGGREGATOR of length 6 is discarded (RFC 6793 §6)",
    ctx: EBGP2,
    attributes: ORIGIN + "4002040201fde9" + NEXT_HOP + "c01206 5ba0c6336407",
    expect: { discard: [18] },
  },
  {
    name: "duplicate COMMUNITIES keeps the first (RFC 7606 §3 g)",
    attributes: BASE + "c00804 fde90064 c00804 fde90065",
    expect: { discard: [8] },
  },
  {
    name: "unknown optional non-transitive attribute is ignored",
    attributes: BASE + "806302 abcd",
    expect: { discard: [99] },
  },
  {
    name:
      "attribute overrunning the list is treat-as-withdraw when only IPv4 is negotiated (RFC 7606 §4)",
    ctx: V4_ONLY,
    attributes: BASE + "c00808 fde90064",
    expect: { withdraw: true },
  },
  {
    name:
      "attribute header cut short is treat-as-withdraw when only IPv4 is negotiated (RFC 7606 §4)",
    ctx: V4_ONLY,
    attributes: BASE + "c0",
    expect: { withdraw: true },
  },
  {
    name: "attribute overrunning the list resets when MP attributes may hide (RFC 7606 §4)",
    attributes: BASE + "c00808 fde90064",
    expect: { reset: UpdateSubcode.MALFORMED_ATTRIBUTE_LIST },
  },
  {
    name: "unrecognized well-known attribute resets with the attribute as data",
    attributes: BASE + "406302 abcd",
    expect: { reset: UpdateSubcode.UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE, data: "406302abcd" },
  },
  {
    name: "duplicate MP_REACH_NLRI resets (RFC 7606 §3 g)",
    attributes: ORIGIN + AS_PATH + MP_V6("0002 01 10 20010db8000000000000000000000001 00") +
      MP_V6("0002 01 10 20010db8000000000000000000000001 00"),
    nlri: "",
    expect: { reset: UpdateSubcode.MALFORMED_ATTRIBUTE_LIST },
  },
  {
    name: "duplicate MP_UNREACH_NLRI resets (RFC 7606 §3 g)",
    attributes: "800f03000201 800f03000201",
    nlri: "",
    expect: { reset: UpdateSubcode.MALFORMED_ATTRIBUTE_LIST },
  },
  {
    name: "MP_REACH_NLRI with an IPv6 next hop of length 5 resets (RFC 7606 §7.11)",
    attributes: ORIGIN + AS_PATH + MP_V6("0002 01 05 2001db8000 00"),
    nlri: "",
    expect: { reset: UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR },
  },
  {
    name: "MP_REACH_NLRI with prefix length 129 resets (RFC 7606 §5.3)",
    attributes: ORIGIN + AS_PATH +
      MP_V6(
        "0002 01 10 20010db8000000000000000000000001 00 81 20010db8000000000000000000000001 00",
      ),
    nlri: "",
    expect: { reset: UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR },
  },
  {
    name: "MP_REACH_NLRI with an overrunning prefix resets (RFC 7606 §5.3)",
    attributes: ORIGIN + AS_PATH +
      MP_V6("0002 01 10 20010db8000000000000000000000001 00 40 20010db8"),
    nlri: "",
    expect: { reset: UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR },
  },
  {
    name: "MP_REACH_NLRI shorter than 5 bytes resets (RFC 7606 §7.11)",
    attributes: ORIGIN + AS_PATH + "800e03 000201",
    nlri: "",
    expect: { reset: UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR },
  },
  {
    name:
      "MP_REACH_NLRI with the Transitive flag is treat-as-withdraw, its NLRI decoded (RFC 7606 §3 c)",
    attributes: ORIGIN + AS_PATH + "c00e1500020110 20010db8000000000000000000000001 00",
    nlri: "",
    expect: { withdraw: true },
  },
  {
    name: "MP_UNREACH_NLRI with an overrunning prefix resets (RFC 7606 §5.3)",
    attributes: "800f05 000201 4020",
    nlri: "",
    expect: { reset: UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR },
  },
  {
    name: "MP_REACH_NLRI for a family not negotiated is discarded",
    ctx: V4_ONLY,
    attributes: BASE + MP_V6("0002 01 10 20010db8000000000000000000000001 00 20 20010db8"),
    expect: { discard: [14] },
  },
  {
    name: "NLRI prefix length 33 resets with Invalid Network Field (RFC 7606 §5.3)",
    attributes: BASE,
    nlri: "21c0000201ff",
    expect: { reset: UpdateSubcode.INVALID_NETWORK_FIELD },
  },
  {
    name: "NLRI prefix overrun resets with Invalid Network Field (RFC 7606 §5.3)",
    attributes: BASE,
    nlri: "18c633",
    expect: { reset: UpdateSubcode.INVALID_NETWORK_FIELD },
  },
  {
    name: "withdrawn prefix length 40 resets with Invalid Network Field",
    withdrawn: "28 0a000000 00",
    attributes: "",
    nlri: "",
    expect: { reset: UpdateSubcode.INVALID_NETWORK_FIELD },
  },
];

function run(c: Case) {
  const clean = (s: string) => s.replace(/\s/g, "");
  const f = updateFrame(clean(c.withdrawn ?? ""), clean(c.attributes), clean(c.nlri ?? NLRI));
  return decodeMessage(f, c.ctx ?? EBGP4);
}

for (const c of CASES) {
  Deno.test(`decodeUpdate(): ${c.name}`, () => {
    const e = c.expect;
    if ("reset" in e) {
      assert.throws(() => run(c), (err) => {
        assert.ok(err instanceof BgpDecodeError, String(err));
        assert.equal(err.code, 3);
        assert.equal(err.subcode, e.reset);
        if (e.data !== undefined) assert.equal(hex(err.data), e.data);
        return true;
      });
      return;
    }
    const r = run(c);
    if ("withdraw" in e) {
      assert.equal(r.treatAsWithdraw, true, r.warnings.join("; "));
      assert.ok(r.warnings.length > 0);
    } else {
      assert.equal(r.treatAsWithdraw, false, r.warnings.join("; "));
      assert.deepEqual(r.discarded, e.discard);
      assert.equal(r.warnings.length, e.discard.length);
    }
  });
}

Deno.test("decodeUpdate(): a duplicate keeps the first value", () => {
  const r = run(CASES.find((c) => c.name.startsWith("duplicate COMMUNITIES"))!);
  assert.deepEqual((r.message as UpdateMessage).attributes.communities, ["65001:100"]);
});

Deno.test("decodeUpdate(): a withdraw-only UPDATE needs no mandatory attributes", () => {
  const r = decodeMessage(updateFrame("18c63364", "", ""), EBGP4);
  assert.equal(r.treatAsWithdraw, false);
  assert.deepEqual((r.message as UpdateMessage).withdrawn, ["198.51.100.0/24"]);
});

Deno.test("decodeUpdate(): withdrawn routes length overrunning the message resets (Malformed Attribute List)", () => {
  const f = updateFrame("", "");
  f[20] = 0x10;
  assert.throws(
    () => decodeMessage(f, EBGP4),
    (e) => e instanceof BgpDecodeError && e.subcode === 1,
  );
});

Deno.test("decodeUpdate(): total path attribute length overrunning the message resets (Malformed Attribute List)", () => {
  const f = updateFrame("", "");
  f[22] = 0x01;
  assert.throws(
    () => decodeMessage(f, EBGP4),
    (e) => e instanceof BgpDecodeError && e.subcode === 1,
  );
});

Deno.test("decodeMessage(): a frame shorter than its length field is Bad Message Length", () => {
  const f = updateFrame("", "", NLRI);
  assert.throws(() => decodeMessage(f.subarray(0, f.length - 1), EBGP4), (e) => {
    assert.ok(e instanceof BgpDecodeError);
    assert.equal(e.code, 1);
    assert.equal(e.subcode, 2);
    return true;
  });
});

Deno.test("decodeMessage(): an UPDATE above 4096 bytes without RFC 8654 is Bad Message Length", () => {
  const f = updateFrame("", "", "20c0000201".repeat(900));
  assert.throws(
    () => decodeMessage(f, EBGP4),
    (e) => e instanceof BgpDecodeError && e.subcode === 2,
  );
  assert.equal(
    (decodeMessage(f, { ...EBGP4, extendedMessage: true }).message as UpdateMessage).nlri.length,
    900,
  );
});
