/**
 * EXTENDED_COMMUNITIES (type code 16), RFC 4360 §2: optional transitive, a
 * list of 8-octet values.
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Type high    |  Type low(*)  |                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+          Value                |
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 *
 * Text forms (sub-type 0x02 route target "rt", 0x03 route origin "soo"):
 * - type 0x00, 2-octet AS specific (RFC 4360 §3.1): "rt:65000:4294967295"
 * - type 0x01, IPv4 address specific (§3.2): "rt:192.0.2.1:65535"
 * - type 0x02, 4-octet AS specific (RFC 5668): "rt:4200000000:65535"
 *   (chosen when the AS is above 65535)
 * - anything else: "0x" + 16 hex digits, kept byte for byte.
 *
 * An empty list is never encoded. Length zero or not a multiple of 8:
 * treat-as-withdraw (RFC 7606 §7.14).
 *
 * @module
 */
import { fromHex, hex } from "../_bytes.ts";
import { AttributeCode, AttributeFlag, UpdateSubcode } from "../message/types.ts";
import { formatIpv4, parseIpv4 } from "../nlri.ts";
import { type AttributeSpec, expectLength, u16, u32 } from "./_spec.ts";

const SUBTYPES: Record<string, number> = { rt: 0x02, soo: 0x03 };
const SUBTYPE_NAMES: Record<number, string> = { 0x02: "rt", 0x03: "soo" };
const TEXT_RE = /^(rt|soo):(\d{1,10}|\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}):(\d{1,10})$/;

/** 8 bytes of an extended community from its text form; TypeError when malformed. */
export function parseExtendedCommunity(text: string): Uint8Array {
  if (/^0x[0-9a-f]{16}$/i.test(text)) return fromHex(text.slice(2));
  const m = TEXT_RE.exec(text.toLowerCase());
  if (m === null) throw new TypeError(`Cannot parse extended community: "${text}"`);
  const sub = SUBTYPES[m[1]!]!;
  const admin = m[2]!, local = Number(m[3]);
  const out = new Uint8Array(8);
  const dv = new DataView(out.buffer);
  out[1] = sub;
  if (admin.includes(".")) {
    if (local > 0xffff) throw new TypeError(`Cannot parse extended community: "${text}"`);
    out[0] = 0x01;
    out.set(parseIpv4(admin), 2);
    dv.setUint16(6, local);
  } else {
    const asn = Number(admin);
    if (asn <= 0xffff && local <= 0xffffffff) {
      out[0] = 0x00;
      dv.setUint16(2, asn);
      dv.setUint32(4, local);
    } else if (asn <= 0xffffffff && local <= 0xffff && asn > 0xffff) {
      out[0] = 0x02;
      dv.setUint32(2, asn);
      dv.setUint16(6, local);
    } else {
      throw new TypeError(`Cannot parse extended community: "${text}"`);
    }
  }
  return out;
}

/** Text form of 8 bytes at `at` (see module doc). */
export function formatExtendedCommunity(v: Uint8Array, at = 0): string {
  const type = v[at]!, sub = SUBTYPE_NAMES[v[at + 1]!];
  if (sub !== undefined) {
    if (type === 0x00) return `${sub}:${u16(v, at + 2)}:${u32(v, at + 4)}`;
    if (type === 0x01) return `${sub}:${formatIpv4(v, at + 2)}:${u16(v, at + 6)}`;
    // A 4-octet AS that would fit 2 octets has no unambiguous text form: use hex.
    if (type === 0x02 && u32(v, at + 2) > 0xffff) {
      return `${sub}:${u32(v, at + 2)}:${u16(v, at + 6)}`;
    }
  }
  return "0x" + hex(v.subarray(at, at + 8));
}

export const EXTENDED_COMMUNITIES: AttributeSpec = {
  code: AttributeCode.EXTENDED_COMMUNITIES,
  name: "EXTENDED_COMMUNITIES",
  flags: AttributeFlag.OPTIONAL | AttributeFlag.TRANSITIVE,
  onMalformed: "withdraw",
  resetSubcode: UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR,
  encode(attrs) {
    const list = attrs.extendedCommunities;
    if (list === undefined || list.length === 0) return undefined;
    const out = new Uint8Array(list.length * 8);
    list.forEach((c, i) => out.set(parseExtendedCommunity(c), i * 8));
    return out;
  },
  decode(value, st) {
    expectLength(value, value.length > 0 && value.length % 8 === 0, "EXTENDED_COMMUNITIES");
    const out: string[] = [];
    for (let p = 0; p < value.length; p += 8) out.push(formatExtendedCommunity(value, p));
    st.attrs.extendedCommunities = out;
  },
};
