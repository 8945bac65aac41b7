/**
 * KEEPALIVE message, RFC 4271 §4.4: the 19-octet header alone.
 *
 * ```
 * +-------------------------------+
 * | Marker (16) | Length = 19 | 4 |
 * +-------------------------------+
 * ```
 *
 * The exact length is enforced by `messageLength` (RFC 4271 §6.1).
 *
 * @module
 */
import { finishMessage, startMessage } from "./header.ts";
import { type KeepaliveMessage, MessageTypeCode } from "./types.ts";

export function encodeKeepalive(): Uint8Array {
  return finishMessage(startMessage(MessageTypeCode.keepalive, 19));
}

export function decodeKeepalive(_frame: Uint8Array): KeepaliveMessage {
  return { type: "keepalive" };
}
