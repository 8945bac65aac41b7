/**
 * NOTIFICATION message, RFC 4271 §4.5, with the RFC 9003 shutdown
 * communication for Cease / Administrative Shutdown (2) and Administrative
 * Reset (4).
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Error code    | Error subcode |   Data (variable)             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * RFC 9003 §2 data for Cease 2 and 4:
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |    Length     |  Shutdown Communication (UTF-8, Length octets) ...
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 *
 * A NOTIFICATION never fails to decode once framed: a malformed shutdown
 * communication only leaves `communication` unset (RFC 9003 §4: log it).
 *
 * @module
 */
import { finishMessage, startMessage } from "./header.ts";
import {
  CeaseSubcode,
  ErrorCode,
  HEADER_LENGTH,
  MessageTypeCode,
  type NotificationMessage,
  type ShutdownCeaseSubcode,
} from "./types.ts";

/** RFC 9003 §2: at most 255 octets. */
export const MAX_SHUTDOWN_COMMUNICATION = 255;

/** RFC 9003 §2: Cease 2 and 4 carry a shutdown communication; nothing else does. */
export function carriesCommunication(
  code: number,
  subcode: number,
): subcode is ShutdownCeaseSubcode {
  return code === ErrorCode.CEASE &&
    (subcode === CeaseSubcode.ADMINISTRATIVE_SHUTDOWN ||
      subcode === CeaseSubcode.ADMINISTRATIVE_RESET);
}

/** UTF-8 of `text`, cut at a character boundary to at most 255 bytes. */
export function shutdownCommunicationBytes(text: string): Uint8Array {
  const utf8 = new TextEncoder().encode(text);
  if (utf8.length <= MAX_SHUTDOWN_COMMUNICATION) return utf8;
  let end = MAX_SHUTDOWN_COMMUNICATION;
  while (end > 0 && (utf8[end]! & 0xc0) === 0x80) end--; // do not split a character
  return utf8.slice(0, end);
}

export function encodeNotification(msg: NotificationMessage): Uint8Array {
  const w = startMessage(MessageTypeCode.notification, 21 + msg.data.length);
  w.u8(msg.code).u8(msg.subcode);
  if (msg.communication !== undefined && carriesCommunication(msg.code, msg.subcode)) {
    const text = shutdownCommunicationBytes(msg.communication);
    w.u8(text.length).bytes(text);
  } else {
    w.bytes(msg.data);
  }
  return finishMessage(w);
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

export function decodeNotification(frame: Uint8Array): NotificationMessage {
  const code = frame[HEADER_LENGTH]!;
  const subcode = frame[HEADER_LENGTH + 1]!;
  const data = frame.slice(HEADER_LENGTH + 2);
  if (!carriesCommunication(code, subcode) || data.length === 0) {
    return { type: "notification", code, subcode, data };
  }
  const msg: NotificationMessage = { type: "notification", code: ErrorCode.CEASE, subcode, data };
  const length = data[0]!;
  if (length + 1 <= data.length) {
    try {
      msg.communication = UTF8.decode(data.subarray(1, 1 + length));
    } catch {
      // invalid UTF-8: leave `communication` unset, the raw data stays available
    }
  }
  return msg;
}
