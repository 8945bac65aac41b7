/**
 * RFC 4271 §4.1 Message Header Format, and framing.
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                                                               |
 * +                                                               +
 * |                                                               |
 * +                                                               +
 * |                           Marker                              |
 * +                                                               +
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Length               |      Type     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 *
 * @module
 */
import { ByteWriter } from "../_bytes.ts";
import {
  BgpDecodeError,
  ErrorCode,
  HEADER_LENGTH,
  HeaderSubcode,
  MAX_MESSAGE_LENGTH,
} from "./types.ts";

/** RFC 4271 §4.2-4.4, RFC 2918 §3: smallest valid length per type code. */
const MIN_LENGTH: Record<number, number> = {
  1: 29,
  2: 23,
  3: 21,
  4: 19,
  5: 23,
};

/**
 * How long the message at the start of `buf` is, once its 19-byte header has
 * arrived; undefined before that. Validates the header (RFC 4271 §6.1) and
 * throws BgpDecodeError with a Message Header Error otherwise. `maxLength` is
 * 4096, or 65535 after RFC 8654 was negotiated (OPEN and KEEPALIVE stay at 4096).
 */
export function messageLength(buf: Uint8Array, maxLength: number): number | undefined {
  if (buf.length < HEADER_LENGTH) return undefined;
  for (let i = 0; i < 16; i++) {
    if (buf[i] !== 0xff) {
      throw new BgpDecodeError(
        ErrorCode.MESSAGE_HEADER,
        HeaderSubcode.CONNECTION_NOT_SYNCHRONIZED,
        "Cannot frame message: marker is not all ones",
      );
    }
  }
  const length = (buf[16]! << 8) | buf[17]!;
  const type = buf[18]!;
  const lengthField = buf.slice(16, 18);
  if (length < HEADER_LENGTH || length > maxLength) {
    throw new BgpDecodeError(
      ErrorCode.MESSAGE_HEADER,
      HeaderSubcode.BAD_MESSAGE_LENGTH,
      `Cannot frame message: length ${length} outside ${HEADER_LENGTH}..${maxLength}`,
      lengthField,
    );
  }
  const min = MIN_LENGTH[type];
  if (min === undefined) {
    throw new BgpDecodeError(
      ErrorCode.MESSAGE_HEADER,
      HeaderSubcode.BAD_MESSAGE_TYPE,
      `Cannot frame message: unknown type ${type}`,
      new Uint8Array([type]),
    );
  }
  // RFC 8654 §4: OPEN and KEEPALIVE never exceed 4096; KEEPALIVE is exactly 19 (RFC 4271 §4.4).
  const tooLong = (type === 1 || type === 4) && length > MAX_MESSAGE_LENGTH;
  if (length < min || tooLong || (type === 4 && length !== HEADER_LENGTH)) {
    throw new BgpDecodeError(
      ErrorCode.MESSAGE_HEADER,
      HeaderSubcode.BAD_MESSAGE_LENGTH,
      `Cannot frame message: length ${length} invalid for type ${type}`,
      lengthField,
    );
  }
  return length;
}

/** Starts a message: marker, zero length placeholder, type. Finish with `finishMessage`. */
export function startMessage(type: number, sizeHint = 64): ByteWriter {
  const w = new ByteWriter(sizeHint);
  for (let i = 0; i < 16; i++) w.u8(0xff);
  w.u16(0);
  w.u8(type);
  return w;
}

/** Fills in the header length and returns the bytes; throws RangeError above `maxLength`. */
export function finishMessage(w: ByteWriter, maxLength = 65535): Uint8Array {
  if (w.length > maxLength) {
    throw new RangeError(`Cannot encode message: ${w.length} bytes exceeds ${maxLength}`);
  }
  w.setU16(16, w.length);
  return w.finish();
}
