/**
 * ROUTE-REFRESH message, RFC 2918 §3, with the RFC 7313 §3.2 subtype.
 *
 * ```
 *  0       7      15      23      31
 * +-------+-------+-------+-------+
 * |      AFI      |Subtype| SAFI  |
 * +-------+-------+-------+-------+
 * ```
 *
 * Subtype 0 normal request, 1 BoRR, 2 EoRR. A length other than 23 is a
 * ROUTE-REFRESH Message Error / Invalid Message Length, data = the message
 * (RFC 7313 §5). Other subtypes decode as "unknown" and must be ignored
 * (RFC 7313 §5).
 *
 * @module
 */
import { finishMessage, startMessage } from "./header.ts";
import {
  BgpDecodeError,
  ErrorCode,
  HEADER_LENGTH,
  MessageTypeCode,
  type RouteRefreshMessage,
  RouteRefreshSubcode,
} from "./types.ts";

const SUBTYPES = ["normal", "borr", "eorr"] as const;

export function encodeRouteRefresh(msg: RouteRefreshMessage): Uint8Array {
  const subtype = SUBTYPES.indexOf(msg.subtype as (typeof SUBTYPES)[number]);
  if (subtype < 0) throw new TypeError(`Cannot encode ROUTE-REFRESH subtype "${msg.subtype}"`);
  const w = startMessage(MessageTypeCode["route-refresh"], 23);
  w.u16(msg.afi).u8(subtype).u8(msg.safi);
  return finishMessage(w);
}

export function decodeRouteRefresh(frame: Uint8Array): RouteRefreshMessage {
  if (frame.length !== HEADER_LENGTH + 4) {
    throw new BgpDecodeError(
      ErrorCode.ROUTE_REFRESH_MESSAGE,
      RouteRefreshSubcode.INVALID_MESSAGE_LENGTH,
      `Cannot decode ROUTE-REFRESH: length ${frame.length}`,
      frame.slice(),
    );
  }
  const afi = (frame[19]! << 8) | frame[20]!;
  const subtype = SUBTYPES[frame[21]!] ?? "unknown";
  return { type: "route-refresh", afi, safi: frame[22]!, subtype };
}
