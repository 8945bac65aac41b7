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
 * Subtype 0 normal request, 1 BoRR, 2 EoRR. RFC 7313 §5: a BoRR or EoRR
 * whose length is not 23 is a ROUTE-REFRESH Message Error / Invalid Message
 * Length, data = the message. A longer subtype-0 message carries ORF entries
 * (RFC 5291 §4): it is still a normal request; we support no ORF, so the
 * entries are ignored and reported in `orfBytes`. Other subtypes decode as
 * "unknown" and must be ignored (RFC 7313 §5), whatever their length.
 * Shorter than 23 bytes never gets here: framing rejects it (header.ts).
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
  const afi = (frame[19]! << 8) | frame[20]!;
  const code = frame[21]!;
  const subtype = SUBTYPES[code] ?? "unknown";
  const extra = frame.length - (HEADER_LENGTH + 4);
  if (extra !== 0 && (subtype === "borr" || subtype === "eorr")) {
    throw new BgpDecodeError(
      ErrorCode.ROUTE_REFRESH_MESSAGE,
      RouteRefreshSubcode.INVALID_MESSAGE_LENGTH,
      `Cannot decode ROUTE-REFRESH: length ${frame.length} for subtype ${code}`,
      frame.slice(),
    );
  }
  const msg: RouteRefreshMessage = { type: "route-refresh", afi, safi: frame[22]!, subtype };
  if (extra > 0 && subtype === "normal") msg.orfBytes = extra;
  return msg;
}
