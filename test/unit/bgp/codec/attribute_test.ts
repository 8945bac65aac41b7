/**
 * Golden attribute tests: one (bytes, value) fixture per attribute drives
 * both the encoder (the table's encode into the Path Attributes field) and
 * the decoder (a whole UPDATE carrying just these attributes).
 */
import assert from "node:assert/strict";
import {
  type CodecContext,
  decodeMessage,
  encodeMessage,
  type PathAttributes,
  type UpdateMessage,
} from "../../../../src/bgp/mod.ts";
import { EBGP2, EBGP4, hex, IBGP4, updateFrame } from "./_helpers.ts";

interface Fixture {
  name: string;
  ctx: CodecContext;
  /** The Path Attributes field. */
  bytes: string;
  value: PathAttributes;
  /** When decoding yields something else than `value` (e.g. Partial bit now set). */
  decoded?: PathAttributes;
}

const FIXTURES: Fixture[] = [
  { name: "ORIGIN incomplete", ctx: IBGP4, bytes: "40 01 01 02", value: { origin: "incomplete" } },
  { name: "ORIGIN egp", ctx: IBGP4, bytes: "40 01 01 01", value: { origin: "egp" } },
  {
    name: "AS_PATH 4-octet sequence and set",
    ctx: IBGP4,
    bytes: "40 02 10 02 02 0000fde9 fa56ea01 01 01 00010002",
    value: {
      asPath: [{ type: "sequence", asns: [65001, 4200000001] }, { type: "set", asns: [65538] }],
    },
  },
  {
    name: "AS_PATH 2-octet",
    ctx: EBGP2,
    bytes: "40 02 06 02 02 fde9 0102",
    value: { asPath: [{ type: "sequence", asns: [65001, 258] }] },
  },
  {
    name: "AS_PATH with AS_TRANS and AS4_PATH towards a 2-octet peer (RFC 6793)",
    ctx: EBGP2,
    bytes: "40 02 06 02 02 fde9 5ba0  c0 11 0a 02 02 0000fde9 fa56ea01",
    value: { asPath: [{ type: "sequence", asns: [65001, 4200000001] }] },
  },
  {
    name: "AS_PATH confederation segments (RFC 5065)",
    ctx: IBGP4,
    bytes: "40 02 0c 03 01 0000fc00 04 01 0000fc01",
    value: {
      asPath: [{ type: "confed-sequence", asns: [64512] }, { type: "confed-set", asns: [64513] }],
    },
  },
  { name: "empty AS_PATH", ctx: IBGP4, bytes: "40 02 00", value: { asPath: [] } },
  { name: "NEXT_HOP", ctx: IBGP4, bytes: "40 03 04 c00002fe", value: { nextHop: "192.0.2.254" } },
  { name: "MULTI_EXIT_DISC", ctx: IBGP4, bytes: "80 04 04 01020304", value: { med: 16909060 } },
  { name: "LOCAL_PREF", ctx: IBGP4, bytes: "40 05 04 0000012c", value: { localPref: 300 } },
  { name: "ATOMIC_AGGREGATE", ctx: IBGP4, bytes: "40 06 00", value: { atomicAggregate: true } },
  {
    name: "AGGREGATOR 4-octet",
    ctx: IBGP4,
    bytes: "c0 07 08 fa56ea01 c6336407",
    value: { aggregator: { asn: 4200000001, address: "198.51.100.7" } },
  },
  {
    name: "AGGREGATOR 2-octet",
    ctx: EBGP2,
    bytes: "c0 07 06 fde9 c6336407",
    value: { aggregator: { asn: 65001, address: "198.51.100.7" } },
  },
  {
    name: "AGGREGATOR with AS4_AGGREGATOR towards a 2-octet peer",
    ctx: EBGP2,
    bytes: "c0 07 06 5ba0 c6336407  c0 12 08 fa56ea01 c6336407",
    value: { aggregator: { asn: 4200000001, address: "198.51.100.7" } },
  },
  {
    name: "COMMUNITIES",
    ctx: IBGP4,
    bytes: "c0 08 14 fde90064 ffffff01 ffffff02 ffffff03 ffff0000",
    value: {
      communities: ["65001:100", "65535:65281", "65535:65282", "65535:65283", "65535:0"],
    },
  },
  {
    name: "COMMUNITIES with Extended Length above 255 bytes",
    ctx: IBGP4,
    bytes: "d0 08 0118 " + "0001fffe".repeat(70),
    value: { communities: Array.from({ length: 70 }, () => "1:65534") },
  },
  {
    name: "MP_REACH_NLRI IPv6 with link-local next hop (RFC 2545)",
    ctx: IBGP4,
    bytes:
      "40 01 01 00 40 02 00 80 0e 2c 0002 01 20 20010db8000000000000000000000001 fe800000000000000000000000000002 00" +
      " 30 20010db80001",
    value: {
      origin: "igp",
      asPath: [],
      mpReach: {
        family: "ipv6-unicast",
        nextHop: "2001:db8::1",
        nextHopLinkLocal: "fe80::2",
        nlri: ["2001:db8:1::/48"],
      },
    },
  },
  {
    name: "MP_REACH_NLRI IPv6 with a global next hop",
    ctx: IBGP4,
    bytes: "40 01 01 00 40 02 00 80 0e 27 0002 01 10 20010db80000000000000000000000fe 00" +
      " 80 20010db8000000000000000000000009 00",
    value: {
      origin: "igp",
      asPath: [],
      mpReach: {
        family: "ipv6-unicast",
        nextHop: "2001:db8::fe",
        nlri: ["2001:db8::9/128", "::/0"],
      },
    },
  },
  {
    name: "MP_REACH_NLRI IPv4",
    ctx: IBGP4,
    bytes: "40 01 01 00 40 02 00 80 0e 0d 0001 01 04 c00002fe 00 18 c63364",
    value: {
      origin: "igp",
      asPath: [],
      mpReach: { family: "ipv4-unicast", nextHop: "192.0.2.254", nlri: ["198.51.100.0/24"] },
    },
  },
  {
    name: "MP_UNREACH_NLRI IPv6",
    ctx: IBGP4,
    bytes: "80 0f 0c 0002 01 40 20010db800020003",
    value: { mpUnreach: { family: "ipv6-unicast", withdrawn: ["2001:db8:2:3::/64"] } },
  },
  {
    name: "EXTENDED_COMMUNITIES",
    ctx: IBGP4,
    bytes: "c0 10 20 0002fde900000064 0103c00002070009 0202fa56ea01000b 030c000000000007",
    value: {
      extendedCommunities: [
        "rt:65001:100",
        "soo:192.0.2.7:9",
        "rt:4200000001:11",
        "0x030c000000000007",
      ],
    },
  },
  {
    name: "LARGE_COMMUNITY",
    ctx: IBGP4,
    bytes: "c0 20 18 fa56ea01 00000001 00000002 0000fde9 ffffffff 00000000",
    value: { largeCommunities: ["4200000001:1:2", "65001:4294967295:0"] },
  },
  {
    name: "unknown optional transitive attribute (re-encoded with Partial)",
    ctx: IBGP4,
    bytes: "e0 63 02 abcd",
    value: { unknown: [{ code: 99, flags: 0xc0, value: new Uint8Array([0xab, 0xcd]) }] },
    decoded: { unknown: [{ code: 99, flags: 0xe0, value: new Uint8Array([0xab, 0xcd]) }] },
  },
  {
    name: "all attributes in type code order",
    ctx: IBGP4,
    bytes: "40 01 01 00  40 02 06 02 01 0000fde9  40 03 04 c00002fe  80 04 04 00000005" +
      "  40 05 04 00000064  c0 08 04 fde90064  c0 20 0c 00000001 00000002 00000003",
    value: {
      origin: "igp",
      asPath: [{ type: "sequence", asns: [65001] }],
      nextHop: "192.0.2.254",
      med: 5,
      localPref: 100,
      communities: ["65001:100"],
      largeCommunities: ["1:2:3"],
    },
  },
];

function update(attributes: PathAttributes): UpdateMessage {
  return { type: "update", withdrawn: [], attributes, nlri: [] };
}

for (const f of FIXTURES) {
  Deno.test(`encodeMessage() writes the golden ${f.name}`, () => {
    assert.equal(
      hex(encodeMessage(update(f.value), f.ctx)),
      hex(updateFrame("", f.bytes.replace(/\s/g, ""))),
    );
  });
  Deno.test(`decodeMessage() reads the golden ${f.name}`, () => {
    const r = decodeMessage(updateFrame("", f.bytes.replace(/\s/g, "")), f.ctx);
    assert.deepEqual(r.message, update(f.decoded ?? f.value));
    assert.equal(r.treatAsWithdraw, false);
    assert.deepEqual(r.discarded, []);
    assert.deepEqual(r.warnings, []);
  });
}

Deno.test("encodeMessage() accepts well-known community names", () => {
  const named = update({
    communities: [
      "no-export",
      "graceful-shutdown",
      "blackhole",
      "no-advertise",
      "no-export-subconfed",
    ],
  });
  assert.equal(
    hex(encodeMessage(named, IBGP4)),
    hex(
      updateFrame("", "c0 08 14 ffffff01 ffff0000 ffff029a ffffff02 ffffff03".replace(/\s/g, "")),
    ),
  );
});

Deno.test("encodeMessage() omits empty COMMUNITIES, LARGE_COMMUNITY and EXTENDED_COMMUNITIES", () => {
  const empty = update({ communities: [], largeCommunities: [], extendedCommunities: [] });
  assert.equal(hex(encodeMessage(empty, IBGP4)), hex(updateFrame("", "")));
});

Deno.test("encodeMessage() omits LOCAL_PREF towards an eBGP peer (RFC 4271 §5.1.5)", () => {
  assert.equal(hex(encodeMessage(update({ localPref: 100 }), EBGP4)), hex(updateFrame("", "")));
});

Deno.test("encodeMessage() drops unknown non-transitive attributes", () => {
  const u = update({ unknown: [{ code: 99, flags: 0x80, value: new Uint8Array([1]) }] });
  assert.equal(hex(encodeMessage(u, IBGP4)), hex(updateFrame("", "")));
});

Deno.test("decodeMessage() merges AS4_PATH into a longer AS_PATH (RFC 6793 §4.2.3)", () => {
  // AS_PATH: 65001 AS_TRANS AS_TRANS 65002; AS4_PATH: 4200000001 4200000002 65002
  const bytes = "40 02 0a 02 04 fde9 5ba0 5ba0 fdea  c0 11 0e 02 03 fa56ea01 fa56ea02 0000fdea";
  const r = decodeMessage(updateFrame("", bytes.replace(/\s/g, "")), EBGP2);
  assert.deepEqual((r.message as UpdateMessage).attributes.asPath, [
    { type: "sequence", asns: [65001, 4200000001, 4200000002, 65002] },
  ]);
});

Deno.test("decodeMessage() ignores AS4_PATH longer than AS_PATH (RFC 6793 §4.2.3)", () => {
  const bytes = "40 02 04 02 01 5ba0  c0 11 0a 02 02 fa56ea01 fa56ea02";
  const r = decodeMessage(updateFrame("", bytes.replace(/\s/g, "")), EBGP2);
  assert.deepEqual((r.message as UpdateMessage).attributes.asPath, [
    { type: "sequence", asns: [23456] },
  ]);
});

Deno.test("decodeMessage() ignores AS4_* when AGGREGATOR is not AS_TRANS (RFC 6793 §4.2.3)", () => {
  const bytes =
    "40 02 04 02 01 5ba0  c0 07 06 fde9 c6336407  c0 11 06 02 01 fa56ea01  c0 12 08 fa56ea01 c6336407";
  const r = decodeMessage(updateFrame("", bytes.replace(/\s/g, "")), EBGP2);
  const attrs = (r.message as UpdateMessage).attributes;
  assert.deepEqual(attrs.asPath, [{ type: "sequence", asns: [23456] }]);
  assert.deepEqual(attrs.aggregator, { asn: 65001, address: "198.51.100.7" });
  assert.deepEqual(r.discarded.sort(), [17, 18]);
});

Deno.test("encodeMessage() splits an AS_SEQUENCE longer than 255 into two segments", () => {
  const asns = Array.from({ length: 300 }, (_, i) => 64512 + i);
  const u = update({ asPath: [{ type: "sequence", asns }] });
  const bytes = encodeMessage(u, IBGP4);
  // Extended Length: 2 + 255*4 + 2 + 45*4 = 1204 bytes.
  assert.equal(hex(bytes.subarray(23, 29)), "500204b402ff");
  const back = decodeMessage(bytes, IBGP4).message as UpdateMessage;
  assert.deepEqual(back.attributes.asPath, [
    { type: "sequence", asns: asns.slice(0, 255) },
    { type: "sequence", asns: asns.slice(255) },
  ]);
});

Deno.test("decodeMessage() accepts Extended Length on a short attribute", () => {
  const r = decodeMessage(updateFrame("", "d0080004fde90064"), IBGP4);
  assert.deepEqual((r.message as UpdateMessage).attributes.communities, ["65001:100"]);
  assert.equal(r.treatAsWithdraw, false);
});
