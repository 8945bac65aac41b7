import assert from "node:assert/strict";
import {
  BgpDecodeError,
  ErrorCode,
  HeaderSubcode,
  messageLength,
} from "../../../../src/bgp/mod.ts";
import { frame, fromHex } from "./_helpers.ts";

function headerError(fn: () => unknown, subcode: number, data?: string): void {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof BgpDecodeError);
    assert.equal(e.code, ErrorCode.MESSAGE_HEADER);
    assert.equal(e.subcode, subcode);
    assert.equal(e.action, "session-reset");
    if (data !== undefined) assert.deepEqual(e.data, fromHex(data));
    return true;
  });
}

Deno.test("messageLength() waits for the 19-byte header", () => {
  const keepalive = frame(4, "");
  assert.equal(messageLength(keepalive.subarray(0, 18), 4096), undefined);
  assert.equal(messageLength(keepalive, 4096), 19);
});

Deno.test("messageLength() reads the length of a partial message", () => {
  const update = frame(2, "0000 0000" + "18c00002".repeat(3));
  assert.equal(messageLength(update.subarray(0, 19), 4096), update.length);
});

Deno.test("messageLength() rejects a marker that is not all ones (Connection Not Synchronized)", () => {
  const bad = frame(4, "");
  bad[7] = 0xfe;
  headerError(() => messageLength(bad, 4096), HeaderSubcode.CONNECTION_NOT_SYNCHRONIZED);
});

Deno.test("messageLength() rejects length 18 with the length field as data", () => {
  const bad = frame(4, "");
  bad[17] = 18;
  headerError(() => messageLength(bad, 4096), HeaderSubcode.BAD_MESSAGE_LENGTH, "0012");
});

Deno.test("messageLength() rejects length above the maximum", () => {
  const bad = frame(2, "00000000");
  bad[16] = 0x10;
  bad[17] = 0x01; // 4097
  headerError(() => messageLength(bad, 4096), HeaderSubcode.BAD_MESSAGE_LENGTH, "1001");
  assert.equal(messageLength(bad, 65535), 4097);
});

Deno.test("messageLength() rejects an OPEN above 4096 even with extended messages (RFC 8654 §4)", () => {
  const bad = frame(1, "00");
  bad[16] = 0x10;
  bad[17] = 0x01;
  headerError(() => messageLength(bad, 65535), HeaderSubcode.BAD_MESSAGE_LENGTH, "1001");
});

Deno.test("messageLength() rejects a KEEPALIVE that is not 19 bytes", () => {
  headerError(() => messageLength(frame(4, "00"), 4096), HeaderSubcode.BAD_MESSAGE_LENGTH, "0014");
});

for (
  const [type, name, minimum] of [[1, "OPEN", 29], [2, "UPDATE", 23], [3, "NOTIFICATION", 21], [
    5,
    "ROUTE-REFRESH",
    23,
  ]] as const
) {
  Deno.test(`messageLength() rejects a ${name} shorter than ${minimum}`, () => {
    const bad = frame(type, "00".repeat(minimum - 20));
    headerError(
      () => messageLength(bad, 4096),
      HeaderSubcode.BAD_MESSAGE_LENGTH,
      (minimum - 1).toString(16).padStart(4, "0"),
    );
    assert.equal(messageLength(frame(type, "00".repeat(minimum - 19)), 4096), minimum);
  });
}

Deno.test("messageLength() rejects an unknown type with the type as data (Bad Message Type)", () => {
  headerError(
    () => messageLength(frame(6, "00000000"), 4096),
    HeaderSubcode.BAD_MESSAGE_TYPE,
    "06",
  );
  headerError(
    () => messageLength(frame(0, "00000000"), 4096),
    HeaderSubcode.BAD_MESSAGE_TYPE,
    "00",
  );
});
