/**
 * AS_PATH (type code 2), RFC 4271 §4.3 / §5.1.2, and AS4_PATH (type code 17),
 * RFC 6793 §3. A sequence of segments:
 *
 * ```
 * +-----------------+------------------+---------------------------+
 * | segment type    | segment length   | AS numbers (2 or 4 octets |
 * | (1 octet)       | (1 octet, #ASes) |  each, length of them)    |
 * +-----------------+------------------+---------------------------+
 * ```
 *
 * Types: 1 AS_SET, 2 AS_SEQUENCE, 3 AS_CONFED_SEQUENCE, 4 AS_CONFED_SET
 * (RFC 5065). AS_PATH carries 4-octet AS numbers when both sides sent the
 * four-octet AS capability, else 2-octet ones with AS_TRANS for larger
 * numbers; then the real path also goes into AS4_PATH (RFC 6793 §4.2.2),
 * and on decode AS4_PATH is merged back (RFC 6793 §4.2.3, see update.ts).
 *
 * Malformed AS_PATH: treat-as-withdraw (RFC 7606 §7.2); that includes
 * AS_CONFED_SEQUENCE / AS_CONFED_SET from an eBGP peer (RFC 5065 §5, RFC 7606
 * §7.2: we are in no confederation, so every external peer is outside it).
 * Malformed AS4_PATH, or AS4_PATH from a four-octet peer: attribute discard
 * (RFC 6793 §6 and §4.1); confederation segments in AS4_PATH are dropped and
 * the rest is merged (RFC 6793 §6).
 *
 * @module
 */
import { ByteWriter } from "../_bytes.ts";
import {
  AS_TRANS,
  type AsPathSegment,
  AttributeCode,
  AttributeFlag,
  UpdateSubcode,
} from "../message/types.ts";
import { type AttributeSpec, MalformedAttribute, u16, u32 } from "./_spec.ts";

const SEGMENT_TYPES: Record<number, AsPathSegment["type"]> = {
  1: "set",
  2: "sequence",
  3: "confed-sequence",
  4: "confed-set",
};
const SEGMENT_CODES: Record<AsPathSegment["type"], number> = {
  "set": 1,
  "sequence": 2,
  "confed-sequence": 3,
  "confed-set": 4,
};

/** Encodes segments with 2- or 4-octet AS numbers; 2-octet writes AS_TRANS for larger ones. */
export function encodeAsPath(segments: AsPathSegment[], fourOctet: boolean): Uint8Array {
  const w = new ByteWriter(2 + segments.length * 20);
  for (const seg of segments) {
    const code = SEGMENT_CODES[seg.type];
    if (code === undefined) throw new TypeError(`Cannot encode AS_PATH segment type "${seg.type}"`);
    // A segment holds at most 255 AS numbers: split longer ones. Empty segments
    // are malformed (RFC 7606 §7.2), so none is written.
    for (let i = 0; i < seg.asns.length; i += 255) {
      const chunk = seg.asns.slice(i, i + 255);
      w.u8(code).u8(chunk.length);
      for (const asn of chunk) {
        if (!Number.isInteger(asn) || asn < 0 || asn > 0xffffffff) {
          throw new RangeError(`Cannot encode AS number ${asn}`);
        }
        if (fourOctet) w.u32(asn);
        else w.u16(asn > 0xffff ? AS_TRANS : asn);
      }
    }
  }
  return w.finish();
}

/** Decodes segments; throws MalformedAttribute (RFC 7606 §7.2 rules). */
export function decodeAsPath(value: Uint8Array, fourOctet: boolean, name: string): AsPathSegment[] {
  const size = fourOctet ? 4 : 2;
  const out: AsPathSegment[] = [];
  let p = 0;
  while (p < value.length) {
    if (p + 2 > value.length) throw new MalformedAttribute(`${name} segment header overruns`);
    const type = SEGMENT_TYPES[value[p]!];
    const count = value[p + 1]!;
    if (type === undefined) throw new MalformedAttribute(`${name} has segment type ${value[p]}`);
    if (count === 0) throw new MalformedAttribute(`${name} has an empty segment`);
    p += 2;
    if (p + count * size > value.length) throw new MalformedAttribute(`${name} segment overruns`);
    const asns = new Array<number>(count);
    for (let i = 0; i < count; i++, p += size) asns[i] = fourOctet ? u32(value, p) : u16(value, p);
    out.push({ type, asns });
  }
  return out;
}

/** True when a 2-octet peer needs AS4_PATH to see the real path. */
export function needsAs4Path(segments: AsPathSegment[]): boolean {
  return segments.some((s) => s.asns.some((a) => a > 0xffff));
}

function isConfedSegment(s: AsPathSegment): boolean {
  return s.type === "confed-sequence" || s.type === "confed-set";
}

export const AS_PATH: AttributeSpec = {
  code: AttributeCode.AS_PATH,
  name: "AS_PATH",
  flags: AttributeFlag.TRANSITIVE,
  onMalformed: "withdraw",
  resetSubcode: UpdateSubcode.MALFORMED_AS_PATH,
  encode(attrs, ctx) {
    if (attrs.asPath === undefined) return undefined;
    return encodeAsPath(attrs.asPath, ctx.fourOctetAs);
  },
  decode(value, st) {
    const path = decodeAsPath(value, st.ctx.fourOctetAs, "AS_PATH");
    if (!st.ctx.ibgp && path.some(isConfedSegment)) {
      // RFC 5065 §5: confederation segments never leave the confederation; RFC 7606 §7.2.
      throw new MalformedAttribute("AS_PATH from an eBGP peer carries confederation segments");
    }
    st.attrs.asPath = path;
  },
};

export const AS4_PATH: AttributeSpec = {
  code: AttributeCode.AS4_PATH,
  name: "AS4_PATH",
  flags: AttributeFlag.OPTIONAL | AttributeFlag.TRANSITIVE,
  onMalformed: "discard",
  resetSubcode: UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR,
  encode(attrs, ctx) {
    // RFC 6793 §4.2.2: only towards 2-octet peers, only when some AS does not fit,
    // and without confederation segments.
    if (ctx.fourOctetAs || attrs.asPath === undefined || !needsAs4Path(attrs.asPath)) {
      return undefined;
    }
    const plain = attrs.asPath.filter((s) => s.type === "set" || s.type === "sequence");
    return encodeAsPath(plain, true);
  },
  decode(value, st) {
    if (st.ctx.fourOctetAs) {
      // RFC 6793 §4.1: a NEW speaker never sends AS4_PATH to a NEW speaker; ignore it.
      throw new MalformedAttribute("AS4_PATH received from a four-octet AS peer", "discard");
    }
    const path = decodeAsPath(value, true, "AS4_PATH");
    if (path.some(isConfedSegment)) {
      // RFC 6793 §6: discard the confederation segments, keep processing the rest.
      st.warnings.push(
        "Dropped confederation segments from AS4_PATH, merged the rest (RFC 6793 §6)",
      );
    }
    st.as4Path = path.filter((s) => !isConfedSegment(s));
  },
};

/** Number of AS numbers a path counts for in RFC 6793 §4.2.3 (AS_SET = 1, confed = 0). */
function pathLength(path: AsPathSegment[]): number {
  let n = 0;
  for (const s of path) {
    if (s.type === "sequence") n += s.asns.length;
    else if (s.type === "set") n += 1;
  }
  return n;
}

/**
 * RFC 6793 §4.2.3: rebuild the real path from a 2-octet AS_PATH and AS4_PATH.
 * When AS_PATH is shorter than AS4_PATH, AS4_PATH is ignored.
 */
export function mergeAs4Path(asPath: AsPathSegment[], as4Path: AsPathSegment[]): AsPathSegment[] {
  const keep = pathLength(asPath) - pathLength(as4Path);
  if (keep < 0) return asPath;
  const out: AsPathSegment[] = [];
  let left = keep;
  for (const seg of asPath) {
    if (left === 0 && seg.type !== "confed-sequence" && seg.type !== "confed-set") break;
    if (seg.type === "sequence") {
      const take = Math.min(left, seg.asns.length);
      out.push({ type: "sequence", asns: seg.asns.slice(0, take) });
      left -= take;
    } else if (seg.type === "set") {
      out.push({ type: "set", asns: [...seg.asns] });
      left -= 1;
    } else {
      out.push({ type: seg.type, asns: [...seg.asns] });
    }
  }
  const merged = [...out, ...as4Path.map((s) => ({ type: s.type, asns: [...s.asns] }))];
  // Join adjacent sequences split by the merge.
  const joined: AsPathSegment[] = [];
  for (const s of merged) {
    const last = joined[joined.length - 1];
    if (s.asns.length === 0) continue;
    if (
      last && last.type === "sequence" && s.type === "sequence" &&
      last.asns.length + s.asns.length <= 255
    ) {
      last.asns.push(...s.asns);
    } else joined.push(s);
  }
  return joined;
}
