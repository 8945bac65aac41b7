import assert from "node:assert/strict";
import {
  decodeSockaddr,
  encodeSockaddr,
  formatIpv6,
  parseIpv6,
} from "../../../src/net/sockaddr.ts";

// Every field has its own byte pattern so swapped offsets fail.
const V4 = Uint8Array.from([2, 0, 0x12, 0x34, 192, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
const V6 = Uint8Array.from([
  10,
  0,
  0x00,
  0xb3,
  0,
  0,
  0,
  0, // family 10, port 179, flowinfo
  0x20,
  0x01,
  0x0d,
  0xb8,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0xab,
  0xcd, // 2001:db8::abcd
  0,
  0,
  0,
  0, // scope id
]);

Deno.test("encodeSockaddr() writes sockaddr_in with the port in network order", () => {
  assert.deepEqual(encodeSockaddr("192.0.2.1", 0x1234), V4);
  assert.deepEqual(decodeSockaddr(V4), { address: "192.0.2.1", port: 0x1234 });
});

Deno.test("encodeSockaddr() writes sockaddr_in6", () => {
  assert.deepEqual(encodeSockaddr("2001:db8::abcd", 179), V6);
  assert.deepEqual(decodeSockaddr(V6), { address: "2001:db8::abcd", port: 179 });
});

Deno.test("encodeSockaddr() pads to the size asked for", () => {
  assert.equal(encodeSockaddr("192.0.2.1", 1, 128).length, 128);
});

Deno.test("encodeSockaddr() rejects a bad address or port", () => {
  assert.throws(() => encodeSockaddr("192.0.2.256", 1), TypeError);
  assert.throws(() => encodeSockaddr("2001:db8:::1", 1), TypeError);
  assert.throws(() => encodeSockaddr("192.0.2.1", 65536), RangeError);
});

Deno.test("decodeSockaddr() rejects a short buffer and an unknown family", () => {
  assert.throws(() => decodeSockaddr(new Uint8Array(8)), RangeError);
  assert.throws(() => decodeSockaddr(new Uint8Array(16).fill(1)), RangeError);
});

Deno.test("parseIpv6() reads an embedded IPv4 tail; formatIpv6() gives it back as IPv4", () => {
  const mapped = parseIpv6("::ffff:192.0.2.1");
  assert.deepEqual([...mapped.subarray(10)], [0xff, 0xff, 192, 0, 2, 1]);
  assert.equal(formatIpv6(mapped), "192.0.2.1");
  assert.equal(formatIpv6(parseIpv6("2001:db8:0:0:1:0:0:1")), "2001:db8::1:0:0:1");
  assert.equal(formatIpv6(parseIpv6("::")), "::");
  assert.equal(formatIpv6(parseIpv6("::1")), "::1");
});
