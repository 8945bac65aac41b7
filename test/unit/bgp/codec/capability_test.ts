/** Golden capability TLVs both ways, and malformed lengths (OPEN Message Error). */
import assert from "node:assert/strict";
import { ByteReader, ByteWriter } from "../../../../src/bgp/_bytes.ts";
import { readCapabilities, writeCapability } from "../../../../src/bgp/capability/mod.ts";
import {
  BgpDecodeError,
  type Capability,
  ErrorCode,
  OpenSubcode,
} from "../../../../src/bgp/mod.ts";
import { fromHex, hex } from "./_helpers.ts";

const FIXTURES: [string, string, Capability][] = [
  ["multiprotocol IPv6 unicast", "01 04 0002 00 01", { kind: "multiprotocol", afi: 2, safi: 1 }],
  ["multiprotocol AFI 0x0102 SAFI 0x85", "01 04 0102 00 85", {
    kind: "multiprotocol",
    afi: 0x0102,
    safi: 0x85,
  }],
  ["route refresh", "02 00", { kind: "route-refresh" }],
  ["extended message", "06 00", { kind: "extended-message" }],
  [
    "graceful restart R+N, 4095 s, two families",
    "40 0a cfff 0001 01 80 0002 01 00",
    {
      kind: "graceful-restart",
      restarting: true,
      notification: true,
      restartTime: 4095,
      families: [
        { afi: 1, safi: 1, forwardingPreserved: true },
        { afi: 2, safi: 1, forwardingPreserved: false },
      ],
    },
  ],
  [
    "graceful restart N only, 258 s, no families",
    "40 02 4102",
    {
      kind: "graceful-restart",
      restarting: false,
      notification: true,
      restartTime: 258,
      families: [],
    },
  ],
  ["four-octet AS", "41 04 01020304", { kind: "four-octet-as", asn: 0x01020304 }],
  ["enhanced route refresh", "46 00", { kind: "enhanced-route-refresh" }],
  ["unknown code 128", "80 03 0a0b0c", { kind: "unknown", code: 128, value: fromHex("0a0b0c") }],
];

const clean = (s: string) => s.replace(/\s/g, "");
const short = (what: string) => new BgpDecodeError(2, 0, what);

for (const [name, bytes, value] of FIXTURES) {
  Deno.test(`writeCapability() writes the golden ${name}`, () => {
    const w = new ByteWriter();
    writeCapability(w, value);
    assert.equal(hex(w.finish()), clean(bytes));
  });
  Deno.test(`readCapabilities() reads the golden ${name}`, () => {
    const out: Capability[] = [];
    readCapabilities(new ByteReader(fromHex(bytes), short), out);
    assert.deepEqual(out, [value]);
  });
}

for (
  const [name, bytes] of [
    ["multiprotocol of length 3", "01 03 000100"],
    ["route refresh of length 1", "02 01 00"],
    ["extended message of length 1", "06 01 00"],
    ["graceful restart of length 3", "40 03 000000"],
    ["graceful restart of length 1", "40 01 00"],
    ["four-octet AS of length 2", "41 02 fde9"],
    ["enhanced route refresh of length 2", "46 02 0000"],
  ]
) {
  Deno.test(`readCapabilities() rejects ${name} with the TLV as data`, () => {
    assert.throws(() => readCapabilities(new ByteReader(fromHex(bytes!), short), []), (e) => {
      assert.ok(e instanceof BgpDecodeError);
      assert.equal(e.code, ErrorCode.OPEN_MESSAGE);
      assert.equal(e.subcode, OpenSubcode.UNSPECIFIC);
      assert.equal(hex(e.data), clean(bytes!));
      return true;
    });
  });
}

Deno.test("writeCapability() refuses a restart time above 4095", () => {
  assert.throws(
    () =>
      writeCapability(new ByteWriter(), {
        kind: "graceful-restart",
        restarting: false,
        notification: false,
        restartTime: 4096,
        families: [],
      }),
    RangeError,
  );
});
