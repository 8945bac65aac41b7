/**
 * The path attribute table (RFC 4271 §4.3, §5) and its driver: one row per
 * attribute type we understand, in ascending type code order (the order
 * RFC 4271 §5 says to send them in). RFC 7606 error handling lives here:
 * flags conflicts, framing errors, duplicates and unknown attributes; each
 * row decides what a malformed value of its own means.
 *
 * Attribute header (RFC 4271 §4.3):
 *
 * ```
 *  0                   1
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Attr. Flags  |Attr. Type Code|  then Attr. Length (1 octet, or 2 with
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  Extended Length), then the value
 *  O T P E 0 0 0 0
 * ```
 *
 * @module
 */
import type { ByteWriter } from "../_bytes.ts";
import {
  AttributeCode,
  AttributeFlag,
  BgpDecodeError,
  type CodecContext,
  ErrorCode,
  type PathAttributes,
  UpdateSubcode,
} from "../message/types.ts";
import {
  type AttributeDecodeState,
  type AttributeSpec,
  MalformedAttribute,
  recordDiscard,
  recordWithdraw,
} from "./_spec.ts";
import { ORIGIN } from "./origin.ts";
import { AS4_PATH, AS_PATH } from "./as_path.ts";
import { NEXT_HOP } from "./next_hop.ts";
import { MULTI_EXIT_DISC } from "./med.ts";
import { LOCAL_PREF } from "./local_pref.ts";
import { ATOMIC_AGGREGATE } from "./atomic_aggregate.ts";
import { AGGREGATOR, AS4_AGGREGATOR } from "./aggregator.ts";
import { COMMUNITIES } from "./communities.ts";
import { MP_REACH_NLRI } from "./mp_reach_nlri.ts";
import { MP_UNREACH_NLRI } from "./mp_unreach_nlri.ts";
import { EXTENDED_COMMUNITIES } from "./extended_communities.ts";
import { LARGE_COMMUNITY } from "./large_community.ts";

export type { AttributeDecodeState, AttributeSpec } from "./_spec.ts";

export const ATTRIBUTE_TABLE: readonly AttributeSpec[] = [
  ORIGIN,
  AS_PATH,
  NEXT_HOP,
  MULTI_EXIT_DISC,
  LOCAL_PREF,
  ATOMIC_AGGREGATE,
  AGGREGATOR,
  COMMUNITIES,
  MP_REACH_NLRI,
  MP_UNREACH_NLRI,
  EXTENDED_COMMUNITIES,
  AS4_PATH,
  AS4_AGGREGATOR,
  LARGE_COMMUNITY,
];

const BY_CODE: (AttributeSpec | undefined)[] = new Array(256);
for (const spec of ATTRIBUTE_TABLE) BY_CODE[spec.code] = spec;

/** "NEXT_HOP" for a code with a codec, else "attribute 99". */
function nameOf(code: number): string {
  return BY_CODE[code]?.name ?? `attribute ${code}`;
}

/** The row for a type code, if we understand it. */
export function attributeSpec(code: number): AttributeSpec | undefined {
  return BY_CODE[code];
}

const FLAG_BITS = AttributeFlag.OPTIONAL | AttributeFlag.TRANSITIVE;

/** Writes one attribute header + value; Extended Length only when the value exceeds 255 bytes. */
export function writeAttribute(
  w: ByteWriter,
  flags: number,
  code: number,
  value: Uint8Array,
): void {
  if (value.length > 0xffff) {
    throw new RangeError(`Cannot encode attribute ${code}: value too long`);
  }
  if (value.length > 255) {
    w.u8((flags | AttributeFlag.EXTENDED_LENGTH) & 0xf0).u8(code).u16(value.length);
  } else {
    w.u8(flags & ~AttributeFlag.EXTENDED_LENGTH & 0xf0).u8(code).u8(value.length);
  }
  w.bytes(value);
}

/** Size of an attribute with a value of `valueLength` bytes, header included. */
export function attributeSize(valueLength: number): number {
  return valueLength + (valueLength > 255 ? 4 : 3);
}

/** Encoded attributes in ascending type code order, as (code, flags, value) triples. */
export function encodedAttributes(
  attrs: PathAttributes,
  ctx: CodecContext,
): { code: number; flags: number; value: Uint8Array }[] {
  const out: { code: number; flags: number; value: Uint8Array }[] = [];
  for (const spec of ATTRIBUTE_TABLE) {
    const value = spec.encode(attrs, ctx);
    if (value !== undefined) out.push({ code: spec.code, flags: spec.flags, value });
  }
  for (const u of attrs.unknown ?? []) {
    if (BY_CODE[u.code] !== undefined) {
      throw new TypeError(`Cannot encode attribute ${u.code} as unknown: it has a codec`);
    }
    // RFC 4271 §5: an unrecognised optional transitive attribute is passed on with Partial set.
    const transitive = (u.flags & FLAG_BITS) === FLAG_BITS;
    if (!transitive) continue;
    out.push({ code: u.code, flags: u.flags | AttributeFlag.PARTIAL, value: u.value });
  }
  out.sort((a, b) => a.code - b.code);
  return out;
}

export function encodeAttributes(w: ByteWriter, attrs: PathAttributes, ctx: CodecContext): void {
  for (const a of encodedAttributes(attrs, ctx)) writeAttribute(w, a.flags, a.code, a.value);
}

function reset(subcode: number, message: string, data: Uint8Array): BgpDecodeError {
  return new BgpDecodeError(ErrorCode.UPDATE_MESSAGE, subcode, message, data);
}

/**
 * Decodes the Path Attributes field `buf[start, end)` into `st`. Throws
 * BgpDecodeError for session-reset cases; records RFC 7606 treat-as-withdraw
 * and attribute-discard outcomes in `st`.
 */
export function decodeAttributes(
  buf: Uint8Array,
  start: number,
  end: number,
  st: AttributeDecodeState,
): void {
  const seen = new Uint8Array(256);
  let p = start;
  while (p < end) {
    const flags = buf[p]!;
    const code = p + 1 < end ? buf[p + 1]! : -1;
    const headerSize = flags & AttributeFlag.EXTENDED_LENGTH ? 4 : 3;
    let length = -1;
    if (p + headerSize <= end) {
      length = headerSize === 4 ? (buf[p + 2]! << 8) | buf[p + 3]! : buf[p + 2]!;
    }
    if (length < 0 || p + headerSize + length > end) {
      framingError(st, buf, p, end, code);
      return;
    }
    const attrStart = p;
    const value = buf.subarray(p + headerSize, p + headerSize + length);
    p += headerSize + length;
    const whole = () => buf.slice(attrStart, p);

    if (seen[code]) {
      // RFC 7606 §3 g: keep the first, except MP_REACH/MP_UNREACH_NLRI which reset.
      if (code === AttributeCode.MP_REACH_NLRI || code === AttributeCode.MP_UNREACH_NLRI) {
        throw reset(
          UpdateSubcode.MALFORMED_ATTRIBUTE_LIST,
          `Duplicate attribute ${code}`,
          new Uint8Array(0),
        );
      }
      recordDiscard(st, code, nameOf(code), "duplicate (RFC 7606 §3 g)");
      st.warnings.push(`Discarded duplicate attribute ${code} (RFC 7606 §3 g)`);
      continue;
    }
    seen[code] = 1;

    const spec = BY_CODE[code];
    if (spec === undefined) {
      if (!(flags & AttributeFlag.OPTIONAL)) {
        throw reset(
          UpdateSubcode.UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE,
          `Unrecognized well-known attribute ${code}`,
          whole(),
        );
      }
      if (flags & AttributeFlag.TRANSITIVE) {
        (st.attrs.unknown ??= []).push({ code, flags: flags & 0xf0, value: value.slice() });
      } else {
        recordDiscard(st, code, nameOf(code), "unknown optional non-transitive attribute");
        st.warnings.push(`Ignored unknown optional non-transitive attribute ${code}`);
      }
      continue;
    }

    if ((flags & FLAG_BITS) !== spec.flags) {
      flagsConflict(spec, flags, value, whole, st);
      continue;
    }
    try {
      spec.decode(value, st);
    } catch (e) {
      if (!(e instanceof MalformedAttribute)) throw e;
      const action = e.action ?? spec.onMalformed;
      if (action === "reset") {
        throw reset(e.subcode ?? spec.resetSubcode, `Cannot decode ${e.message}`, whole());
      }
      if (action === "withdraw") {
        recordWithdraw(st, spec.name, e.message);
        st.warnings.push(`Treat-as-withdraw: ${e.message} (RFC 7606)`);
      } else {
        recordDiscard(st, code, spec.name, e.message);
        st.warnings.push(`Discarded attribute: ${e.message} (RFC 7606)`);
      }
    }
  }
}

/**
 * RFC 7606 §3 c: the Optional or Transitive bit conflicts with the attribute's
 * definition. The attribute is malformed and the UPDATE treat-as-withdraw, for
 * well-known and optional attributes alike: the row's own `onMalformed` (e.g.
 * attribute discard for a bad ATOMIC_AGGREGATE length, RFC 7606 §7.6) covers
 * bad values, not flags. MP_REACH_NLRI / MP_UNREACH_NLRI are still decoded so
 * the prefixes they carry can be withdrawn; if their value is malformed too,
 * their own rule (session reset, RFC 7606 §7.11) applies.
 */
function flagsConflict(
  spec: AttributeSpec,
  flags: number,
  value: Uint8Array,
  whole: () => Uint8Array,
  st: AttributeDecodeState,
): void {
  const carriesNlri = spec.code === AttributeCode.MP_REACH_NLRI ||
    spec.code === AttributeCode.MP_UNREACH_NLRI;
  if (carriesNlri) {
    try {
      spec.decode(value, st);
    } catch (e) {
      if (!(e instanceof MalformedAttribute)) throw e;
      if ((e.action ?? spec.onMalformed) === "reset") {
        throw reset(e.subcode ?? spec.resetSubcode, `Cannot decode ${e.message}`, whole());
      }
    }
  }
  recordWithdraw(
    st,
    spec.name,
    `flags 0x${flags.toString(16).padStart(2, "0")} (RFC 7606 §3 c)`,
  );
  st.warnings.push(
    `Treat-as-withdraw: ${spec.name} has flags 0x${
      flags.toString(16).padStart(2, "0")
    }, expected 0x${spec.flags.toString(16).padStart(2, "0")} (RFC 7606 §3 c)`,
  );
}

/**
 * RFC 7606 §4: an attribute overruns the Path Attributes field. Treat-as-withdraw
 * is only safe when no MP_REACH/MP_UNREACH could hide in the unparsed rest,
 * i.e. when IPv4 unicast is the only negotiated family; otherwise reset.
 */
function framingError(
  st: AttributeDecodeState,
  buf: Uint8Array,
  at: number,
  end: number,
  code: number,
): void {
  const onlyIpv4 = st.ctx.families.every((f) => f === "ipv4-unicast");
  if (!onlyIpv4) {
    throw reset(
      UpdateSubcode.MALFORMED_ATTRIBUTE_LIST,
      `Cannot decode attribute ${code}: overruns the attribute list`,
      buf.slice(at, end),
    );
  }
  recordWithdraw(st, nameOf(code), "overruns the attribute list (RFC 7606 §4)");
  st.warnings.push(
    `Treat-as-withdraw: attribute ${code} overruns the attribute list (RFC 7606 §4)`,
  );
}
