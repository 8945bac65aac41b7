/**
 * Message dispatch: `encodeMessage` / `decodeMessage` over the closed union.
 *
 * @module
 */
import { messageLength } from "./header.ts";
import { decodeKeepalive, encodeKeepalive } from "./keepalive.ts";
import { decodeNotification, encodeNotification } from "./notification.ts";
import { decodeOpen, encodeOpen } from "./open.ts";
import { decodeRouteRefresh, encodeRouteRefresh } from "./route_refresh.ts";
import { decodeUpdate, encodeUpdate, maxUpdateLength } from "./update.ts";
import {
  BgpDecodeError,
  type BgpMessage,
  type CodecContext,
  type DecodeResult,
  ErrorCode,
  HeaderSubcode,
  type NotificationMessage,
} from "./types.ts";

/**
 * Encodes any message, header included. Throws RangeError/TypeError on
 * values that cannot be encoded (bad prefix text, oversized UPDATE...).
 */
export function encodeMessage(msg: BgpMessage, ctx: CodecContext): Uint8Array {
  switch (msg.type) {
    case "open":
      return encodeOpen(msg);
    case "update":
      return encodeUpdate(msg, ctx);
    case "notification":
      return encodeNotification(msg);
    case "keepalive":
      return encodeKeepalive();
    case "route-refresh":
      return encodeRouteRefresh(msg);
  }
}

/**
 * Decodes one framed message: exactly the `messageLength()` bytes, header
 * included. Throws BgpDecodeError for errors that reset the session; RFC 7606
 * outcomes of an UPDATE are in the result (see {@link DecodeResult}).
 */
export function decodeMessage(frame: Uint8Array, ctx: CodecContext): DecodeResult {
  const length = messageLength(frame, maxUpdateLength(ctx));
  if (length === undefined || length !== frame.length) {
    throw new BgpDecodeError(
      ErrorCode.MESSAGE_HEADER,
      HeaderSubcode.BAD_MESSAGE_LENGTH,
      `Cannot decode message: frame is ${frame.length} bytes, header says ${length ?? "nothing"}`,
      frame.length >= 18 ? frame.slice(16, 18) : new Uint8Array(0),
    );
  }
  const type = frame[18];
  if (type === 2) return decodeUpdate(frame, ctx);
  let message: BgpMessage;
  if (type === 1) message = decodeOpen(frame);
  else if (type === 3) message = decodeNotification(frame);
  else if (type === 4) message = decodeKeepalive(frame);
  else message = decodeRouteRefresh(frame); // messageLength() admits types 1-5 only
  const warnings: string[] = [];
  if (message.type === "route-refresh") {
    if (message.subtype === "unknown") {
      warnings.push(`Ignore ROUTE-REFRESH with reserved subtype ${frame[21]} (RFC 7313 §5)`);
    } else if (message.orfBytes !== undefined) {
      warnings.push(
        `ROUTE-REFRESH carries ${message.orfBytes} bytes of ORF entries: ORF is not supported, ` +
          "answered as a normal request (RFC 5291, RFC 7313 §5)",
      );
    }
  }
  return { message, treatAsWithdraw: false, discarded: [], warnings };
}

/** The NOTIFICATION to send for a decode error (RFC 4271 §6). */
export function notificationFor(err: BgpDecodeError): NotificationMessage {
  return { type: "notification", code: err.code, subcode: err.subcode, data: err.data };
}
