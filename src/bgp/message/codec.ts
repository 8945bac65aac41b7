/**
 * Message dispatch: `encodeMessage` / `decodeMessage` over the closed union.
 *
 * @module
 */
import type {
  BgpDecodeError,
  BgpMessage,
  CodecContext,
  DecodeResult,
  NotificationMessage,
} from "./types.ts";

/** Encodes any message (header included). Throws RangeError/TypeError on values that cannot be encoded. */
export function encodeMessage(_msg: BgpMessage, _ctx: CodecContext): Uint8Array {
  throw new Error("not implemented");
}

/** Decodes one framed message (exactly `messageLength()` bytes). Throws BgpDecodeError for session-resetting errors. */
export function decodeMessage(_frame: Uint8Array, _ctx: CodecContext): DecodeResult {
  throw new Error("not implemented");
}

/** The NOTIFICATION to send for a decode error. */
export function notificationFor(err: BgpDecodeError): NotificationMessage {
  return { type: "notification", code: err.code, subcode: err.subcode, data: err.data };
}
