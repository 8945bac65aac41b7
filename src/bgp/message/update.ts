/**
 * UPDATE message, RFC 4271 §4.3, with RFC 7606 revised error handling and
 * RFC 6793 §4.2.3 AS4_PATH / AS4_AGGREGATOR reconstruction.
 *
 * ```
 * +-----------------------------------------------------+
 * |   Withdrawn Routes Length (2 octets)                |
 * +-----------------------------------------------------+
 * |   Withdrawn Routes (variable)                       |
 * +-----------------------------------------------------+
 * |   Total Path Attribute Length (2 octets)            |
 * +-----------------------------------------------------+
 * |   Path Attributes (variable)                        |
 * +-----------------------------------------------------+
 * |   Network Layer Reachability Information (variable) |
 * +-----------------------------------------------------+
 * ```
 *
 * @module
 */
import { type AttributeDecodeState, recordDiscard, recordWithdraw } from "../attribute/_spec.ts";
import { mergeAs4Path } from "../attribute/as_path.ts";
import { decodeAttributes, encodeAttributes } from "../attribute/mod.ts";
import { decodeIpv4Prefixes, writePrefixText } from "../nlri.ts";
import { finishMessage, startMessage } from "./header.ts";
import {
  AS_TRANS,
  AttributeCode,
  AttributeFlag,
  BgpDecodeError,
  type CodecContext,
  type DecodeResult,
  ErrorCode,
  type Family,
  HEADER_LENGTH,
  MAX_EXTENDED_MESSAGE_LENGTH,
  MAX_MESSAGE_LENGTH,
  MessageTypeCode,
  type UpdateMessage,
  UpdateSubcode,
} from "./types.ts";

/** Largest UPDATE allowed in this context (RFC 8654). */
export function maxUpdateLength(ctx: CodecContext): number {
  return ctx.extendedMessage ? MAX_EXTENDED_MESSAGE_LENGTH : MAX_MESSAGE_LENGTH;
}

/** Encodes an UPDATE; RangeError when it exceeds the context's maximum size. */
export function encodeUpdate(msg: UpdateMessage, ctx: CodecContext): Uint8Array {
  const w = startMessage(MessageTypeCode.update, 256 + msg.nlri.length * 5);
  const withdrawnAt = w.placeholderU16();
  for (const p of msg.withdrawn) writePrefixText(w, p, "ipv4-unicast");
  w.fillU16(withdrawnAt);
  const attrsAt = w.placeholderU16();
  encodeAttributes(w, msg.attributes, ctx);
  w.fillU16(attrsAt);
  for (const p of msg.nlri) writePrefixText(w, p, "ipv4-unicast");
  return finishMessage(w, maxUpdateLength(ctx));
}

function malformedList(message: string): BgpDecodeError {
  return new BgpDecodeError(
    ErrorCode.UPDATE_MESSAGE,
    UpdateSubcode.MALFORMED_ATTRIBUTE_LIST,
    message,
  );
}

export function decodeUpdate(frame: Uint8Array, ctx: CodecContext): DecodeResult {
  const end = frame.length;
  let p = HEADER_LENGTH;
  const withdrawnLength = (frame[p]! << 8) | frame[p + 1]!;
  p += 2;
  // RFC 4271 §6.3: lengths that do not fit the message are a Malformed Attribute List.
  if (p + withdrawnLength + 2 > end) {
    throw malformedList(
      `Cannot decode UPDATE: withdrawn routes length ${withdrawnLength} overruns`,
    );
  }
  const withdrawn: string[] = [];
  decodeIpv4Prefixes(
    frame,
    p,
    p + withdrawnLength,
    withdrawn,
    UpdateSubcode.INVALID_NETWORK_FIELD,
    "withdrawn routes",
  );
  p += withdrawnLength;
  const attributesLength = (frame[p]! << 8) | frame[p + 1]!;
  p += 2;
  if (p + attributesLength > end) {
    throw malformedList(`Cannot decode UPDATE: path attribute length ${attributesLength} overruns`);
  }
  const st: AttributeDecodeState = {
    ctx,
    attrs: {},
    treatAsWithdraw: false,
    discarded: [],
    warnings: [],
    outcomes: [],
  };
  const attributesStart = p;
  decodeAttributes(frame, p, p + attributesLength, st);
  p += attributesLength;
  const nlri: string[] = [];
  decodeIpv4Prefixes(frame, p, end, nlri, UpdateSubcode.INVALID_NETWORK_FIELD, "NLRI");

  reconstructAs4(st);
  const attrs = st.attrs;
  // RFC 7606 §3 d: missing well-known mandatory attributes with NLRI present.
  const reachable = nlri.length > 0 || (attrs.mpReach?.nlri.length ?? 0) > 0;
  // Already treat-as-withdraw: an attribute present but malformed is not also "missing".
  if (reachable && !st.treatAsWithdraw) {
    const missing: string[] = [];
    if (attrs.origin === undefined) missing.push("ORIGIN");
    if (attrs.asPath === undefined) missing.push("AS_PATH");
    if (nlri.length > 0 && attrs.nextHop === undefined) missing.push("NEXT_HOP");
    if (missing.length > 0) {
      recordWithdraw(st, missing.join(", "), "missing well-known attribute (RFC 7606 §3 d)");
      st.warnings.push(`Treat-as-withdraw: missing ${missing.join(", ")} (RFC 7606 §3 d)`);
    }
  }
  const result: DecodeResult = {
    message: { type: "update", withdrawn, attributes: attrs, nlri },
    treatAsWithdraw: st.treatAsWithdraw,
    discarded: st.discarded,
    warnings: st.warnings,
  };
  const eor = endOfRibOf(frame, withdrawnLength, attributesStart, attributesLength, st);
  if (eor !== undefined) result.endOfRib = eor;
  if (st.outcomes.length > 0) result.outcomes = st.outcomes;
  return result;
}

/**
 * RFC 4724 §2: End-of-RIB is an UPDATE with no withdrawn routes, no path
 * attributes and no NLRI (IPv4 unicast), or whose only content is an
 * MP_UNREACH_NLRI with the AFI/SAFI and nothing else. Decided on the bytes,
 * not on what survived decoding: an UPDATE whose only attribute was discarded
 * as malformed is not an End-of-RIB, and neither is an MP_UNREACH_NLRI for a
 * family that was not negotiated (it was discarded).
 */
function endOfRibOf(
  frame: Uint8Array,
  withdrawnLength: number,
  attributesStart: number,
  attributesLength: number,
  st: AttributeDecodeState,
): Family | undefined {
  if (withdrawnLength !== 0 || attributesStart + attributesLength !== frame.length) {
    return undefined;
  }
  if (attributesLength === 0) {
    return st.ctx.families.includes("ipv4-unicast") ? "ipv4-unicast" : undefined;
  }
  if (st.treatAsWithdraw || st.discarded.length > 0) return undefined;
  // One attribute: flags, type 15, length 3 (1 or 2 octets), AFI (2) + SAFI (1).
  const flags = frame[attributesStart]!;
  const headerSize = flags & AttributeFlag.EXTENDED_LENGTH ? 4 : 3;
  if (attributesLength !== headerSize + 3) return undefined;
  if (frame[attributesStart + 1] !== AttributeCode.MP_UNREACH_NLRI) return undefined;
  const unreach = st.attrs.mpUnreach;
  if (unreach === undefined || unreach.withdrawn.length > 0) return undefined;
  return st.ctx.families.includes(unreach.family) ? unreach.family : undefined;
}

/** RFC 6793 §4.2.3: fold AS4_AGGREGATOR and AS4_PATH from a 2-octet peer back in. */
function reconstructAs4(st: AttributeDecodeState): void {
  const { as4Path, as4Aggregator, attrs } = st;
  if (as4Path === undefined && as4Aggregator === undefined) return;
  if (attrs.aggregator !== undefined && st.aggregatorAsReceived !== AS_TRANS) {
    // The aggregating speaker was 2-octet: AS4_* came from an older path, ignore them.
    const why = "AGGREGATOR is not AS_TRANS (RFC 6793 §4.2.3)";
    if (as4Aggregator !== undefined) {
      recordDiscard(st, AttributeCode.AS4_AGGREGATOR, "AS4_AGGREGATOR", why);
    }
    if (as4Path !== undefined) recordDiscard(st, AttributeCode.AS4_PATH, "AS4_PATH", why);
    st.warnings.push(
      "Ignored AS4_PATH/AS4_AGGREGATOR: AGGREGATOR is not AS_TRANS (RFC 6793 §4.2.3)",
    );
    return;
  }
  if (as4Aggregator !== undefined) {
    if (attrs.aggregator === undefined) {
      recordDiscard(st, AttributeCode.AS4_AGGREGATOR, "AS4_AGGREGATOR", "no AGGREGATOR");
      st.warnings.push("Ignored AS4_AGGREGATOR without AGGREGATOR (RFC 6793 §4.2.3)");
    } else {
      attrs.aggregator = as4Aggregator;
    }
  }
  if (as4Path !== undefined) {
    if (attrs.asPath === undefined) {
      recordDiscard(st, AttributeCode.AS4_PATH, "AS4_PATH", "no AS_PATH");
      st.warnings.push("Ignored AS4_PATH without AS_PATH");
    } else {
      attrs.asPath = mergeAs4Path(attrs.asPath, as4Path);
    }
  }
}
