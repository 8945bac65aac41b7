import assert from "node:assert/strict";
import {
  BgpDecodeError,
  decodeMessage,
  DEFAULT_OPEN_CONTEXT,
  encodeMessage,
  ErrorCode,
  notificationFor,
  type NotificationMessage,
  type RouteRefreshMessage,
  RouteRefreshSubcode,
} from "../../../../src/bgp/mod.ts";
import { frame, hex } from "./_helpers.ts";

const ctx = DEFAULT_OPEN_CONTEXT;

Deno.test("NOTIFICATION golden bytes both ways", () => {
  const bytes = frame(3, "03 0b a1b2c3");
  const value: NotificationMessage = {
    type: "notification",
    code: 3,
    subcode: 11,
    data: new Uint8Array([0xa1, 0xb2, 0xc3]),
  };
  assert.equal(hex(encodeMessage(value, ctx)), hex(bytes));
  assert.deepEqual(decodeMessage(bytes, ctx).message, value);
});

Deno.test("NOTIFICATION Cease/Administrative Shutdown carries an RFC 9003 communication", () => {
  const bytes = frame(3, "06 02 0b 6d61696e742028e29c8529"); // "maint (✅)"
  const value: NotificationMessage = {
    type: "notification",
    code: 6,
    subcode: 2,
    data: bytes.slice(21),
    communication: "maint (✅)",
  };
  assert.equal(hex(encodeMessage({ ...value, data: new Uint8Array(0) }, ctx)), hex(bytes));
  assert.deepEqual(decodeMessage(bytes, ctx).message, value);
});

Deno.test("NOTIFICATION Cease/Administrative Reset with an empty communication", () => {
  const bytes = frame(3, "06 04 00");
  const m = decodeMessage(bytes, ctx).message as NotificationMessage;
  assert.equal(m.communication, "");
  assert.equal(
    hex(
      encodeMessage({
        type: "notification",
        code: 6,
        subcode: 4,
        data: new Uint8Array(),
        communication: "",
      }, ctx),
    ),
    hex(bytes),
  );
});

Deno.test("encodeMessage() cuts a shutdown communication at 255 bytes on a character boundary", () => {
  const text = "é".repeat(200); // 400 bytes of UTF-8
  const bytes = encodeMessage({
    type: "notification",
    code: 6,
    subcode: 2,
    data: new Uint8Array(),
    communication: text,
  }, ctx);
  assert.equal(bytes[21], 254);
  const m = decodeMessage(bytes, ctx).message as NotificationMessage;
  assert.equal(m.communication, "é".repeat(127));
});

Deno.test("decodeMessage() leaves a malformed shutdown communication as raw data", () => {
  const overrun = decodeMessage(frame(3, "06 02 09 6869"), ctx).message as NotificationMessage;
  assert.equal(overrun.communication, undefined);
  assert.equal(hex(overrun.data), "096869");
  const badUtf8 = decodeMessage(frame(3, "06 02 02 c328"), ctx).message as NotificationMessage;
  assert.equal(badUtf8.communication, undefined);
});

Deno.test("notificationFor() turns a decode error into its NOTIFICATION", () => {
  const err = new BgpDecodeError(2, 6, "hold time", new Uint8Array([1]));
  assert.deepEqual(notificationFor(err), {
    type: "notification",
    code: 2,
    subcode: 6,
    data: new Uint8Array([1]),
  });
});

Deno.test("KEEPALIVE golden bytes both ways", () => {
  const bytes = frame(4, "");
  assert.equal(hex(encodeMessage({ type: "keepalive" }, ctx)), hex(bytes));
  assert.deepEqual(decodeMessage(bytes, ctx).message, { type: "keepalive" });
});

for (const [subtype, code] of [["normal", "00"], ["borr", "01"], ["eorr", "02"]] as const) {
  Deno.test(`ROUTE-REFRESH ${subtype} golden bytes both ways (RFC 2918, RFC 7313)`, () => {
    const bytes = frame(5, `0002 ${code} 01`.replace(/\s/g, ""));
    const value: RouteRefreshMessage = { type: "route-refresh", afi: 2, safi: 1, subtype };
    assert.equal(hex(encodeMessage(value, ctx)), hex(bytes));
    assert.deepEqual(decodeMessage(bytes, ctx).message, value);
  });
}

Deno.test("decodeMessage() marks a reserved ROUTE-REFRESH subtype to be ignored (RFC 7313 §5)", () => {
  const r = decodeMessage(frame(5, "00010701"), ctx);
  assert.equal((r.message as RouteRefreshMessage).subtype, "unknown");
  assert.equal(r.warnings.length, 1);
});

Deno.test("decodeMessage() rejects a BoRR of 24 bytes (RFC 7313 §5 Invalid Message Length)", () => {
  const bytes = frame(5, "0001010100");
  assert.throws(() => decodeMessage(bytes, ctx), (e) => {
    assert.ok(e instanceof BgpDecodeError);
    assert.equal(e.code, ErrorCode.ROUTE_REFRESH_MESSAGE);
    assert.equal(e.subcode, RouteRefreshSubcode.INVALID_MESSAGE_LENGTH);
    assert.equal(hex(e.data), hex(bytes));
    return true;
  });
});
