import assert from "node:assert/strict";
import { ByteWriter } from "../../../../src/bgp/_bytes.ts";
import { parsePrefix, prefixTextWireSize, writePrefixText } from "../../../../src/bgp/nlri.ts";
import { hex } from "./_helpers.ts";

Deno.test("parsePrefix() encodes the minimum octets and clears host bits", () => {
  assert.deepEqual(parsePrefix("203.0.113.255/25", "ipv4-unicast"), {
    length: 25,
    bytes: new Uint8Array([203, 0, 113, 128]),
  });
  assert.deepEqual(parsePrefix("0.0.0.0/0", "ipv4-unicast"), {
    length: 0,
    bytes: new Uint8Array(),
  });
  assert.deepEqual(parsePrefix("2001:db8:ffff::/33", "ipv6-unicast"), {
    length: 33,
    bytes: new Uint8Array([0x20, 0x01, 0x0d, 0xb8, 0x80]),
  });
});

Deno.test("writePrefixText() writes length and prefix octets", () => {
  const w = new ByteWriter();
  writePrefixText(w, "198.51.100.0/22", "ipv4-unicast");
  writePrefixText(w, "192.0.2.1/32", "ipv4-unicast");
  writePrefixText(w, "2001:db8::/32", "ipv6-unicast");
  assert.equal(hex(w.finish()), "16c63364" + "20c0000201" + "2020010db8");
  assert.equal(prefixTextWireSize("10.0.0.0/9", "ipv4-unicast"), 3);
  assert.equal(prefixTextWireSize("::/0", "ipv6-unicast"), 1);
});

for (
  const bad of [
    "10.0.0.0/33",
    "10.0.0/8",
    "10.0.0.256/32",
    "1000.0.0.0/8",
    "10..0.0/8",
    "a.b.c.d/8",
    "10.0.0.0",
    "10.0.0.0/",
    "10.0.0.0/8x",
    "10.0.0.0/123",
    " 10.0.0.0/8",
    "2001:db8::/32",
  ]
) {
  Deno.test(`parsePrefix() rejects IPv4 prefix "${bad}"`, () => {
    assert.throws(() => parsePrefix(bad, "ipv4-unicast"), TypeError);
    assert.throws(() => writePrefixText(new ByteWriter(), bad, "ipv4-unicast"), TypeError);
  });
}

for (
  const bad of ["2001:db8::/129", "2001:db8::", "2001:db8:::/32", "10.0.0.0/8", "fe80::1%eth0/128"]
) {
  Deno.test(`parsePrefix() rejects IPv6 prefix "${bad}"`, () => {
    assert.throws(() => parsePrefix(bad, "ipv6-unicast"), TypeError);
  });
}
