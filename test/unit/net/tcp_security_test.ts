import assert from "node:assert/strict";
import { encodeMd5sig, encodeTcpAoAdd } from "../../../src/net/tcp_security.ts";

Deno.test("encodeMd5sig() lays out struct tcp_md5sig (216 bytes)", () => {
  const key = new TextEncoder().encode("s3cret");
  const b = encodeMd5sig("192.0.2.7", key, 4);
  assert.equal(b.length, 216);
  assert.deepEqual([...b.subarray(0, 8)], [2, 0, 0, 0, 192, 0, 2, 7]); // sockaddr_in, port 0
  assert.deepEqual([...b.subarray(128, 136)], [0, 0, 6, 0, 0, 0, 0, 0]); // flags, prefix, keylen 6, ifindex
  assert.deepEqual(b.subarray(136, 142), key);
  assert.ok(b.subarray(142).every((x) => x === 0));
});

Deno.test("encodeMd5sig() maps an IPv4 peer for an IPv6 socket", () => {
  const b = encodeMd5sig("192.0.2.7", new Uint8Array([1]), 6);
  assert.deepEqual([...b.subarray(0, 2)], [10, 0]);
  assert.deepEqual([...b.subarray(18, 24)], [0xff, 0xff, 192, 0, 2, 7]);
});

Deno.test("encodeMd5sig() rejects a key over 80 bytes", () => {
  assert.throws(() => encodeMd5sig("192.0.2.7", new Uint8Array(81), 4), RangeError);
});

Deno.test("encodeTcpAoAdd() lays out struct tcp_ao_add (288 bytes)", () => {
  const key = Uint8Array.from([0xaa, 0xbb, 0xcc]);
  const b = encodeTcpAoAdd(
    "2001:db8::2",
    { sendId: 7, recvId: 9, algorithm: "hmac(sha1)", key },
    6,
  );
  assert.equal(b.length, 288);
  assert.deepEqual([...b.subarray(0, 2)], [10, 0]);
  assert.equal(new TextDecoder().decode(b.subarray(128, 138)), "hmac(sha1)");
  assert.equal(b[138], 0);
  assert.deepEqual([...b.subarray(192, 208)], [
    0,
    0,
    0,
    0, // ifindex
    3,
    0,
    0,
    0, // set_current | set_rnext
    0,
    0, // reserved2
    128,
    7,
    9,
    0,
    0,
    3, // prefix, sndid, rcvid, maclen, keyflags, keylen
  ]);
  assert.deepEqual(b.subarray(208, 211), key);
});

Deno.test("encodeTcpAoAdd() rejects bad ids, keys and algorithms", () => {
  const ok = { sendId: 1, recvId: 1, algorithm: "hmac(sha1)" as const, key: new Uint8Array(4) };
  assert.throws(() => encodeTcpAoAdd("192.0.2.1", { ...ok, sendId: 256 }, 4), RangeError);
  assert.throws(() => encodeTcpAoAdd("192.0.2.1", { ...ok, key: new Uint8Array() }, 4), RangeError);
  assert.throws(
    () => encodeTcpAoAdd("192.0.2.1", { ...ok, algorithm: "md5" as "hmac(sha1)" }, 4),
    RangeError,
  );
});
