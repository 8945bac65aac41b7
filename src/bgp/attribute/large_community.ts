/**
 * LARGE_COMMUNITY (type code 32), RFC 8092 §3: optional transitive, a list of
 * 12-octet values.
 *
 * ```
 * +-------------------------------+
 * | Global Administrator (4)      |
 * +-------------------------------+
 * | Local Data Part 1 (4)         |
 * +-------------------------------+
 * | Local Data Part 2 (4)         |
 * +-------------------------------+
 * ```
 *
 * Text form "global:local1:local2". An empty list is never encoded. Length
 * zero or not a multiple of 12: treat-as-withdraw (RFC 8092 §6, RFC 7606 §2).
 *
 * @module
 */
import { AttributeCode, AttributeFlag, UpdateSubcode } from "../message/types.ts";
import { type AttributeSpec, expectLength, u32 } from "./_spec.ts";

const LARGE_RE = /^(\d{1,10}):(\d{1,10}):(\d{1,10})$/;

export function parseLargeCommunity(text: string): [number, number, number] {
  const m = LARGE_RE.exec(text);
  const parts = m === null ? [] : [Number(m[1]), Number(m[2]), Number(m[3])];
  if (parts.length !== 3 || parts.some((n) => n > 0xffffffff)) {
    throw new TypeError(`Cannot parse large community: "${text}"`);
  }
  return parts as [number, number, number];
}

export const LARGE_COMMUNITY: AttributeSpec = {
  code: AttributeCode.LARGE_COMMUNITY,
  name: "LARGE_COMMUNITY",
  flags: AttributeFlag.OPTIONAL | AttributeFlag.TRANSITIVE,
  onMalformed: "withdraw",
  resetSubcode: UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR,
  encode(attrs) {
    const list = attrs.largeCommunities;
    if (list === undefined || list.length === 0) return undefined;
    const out = new Uint8Array(list.length * 12);
    const dv = new DataView(out.buffer);
    list.forEach((c, i) => {
      const [g, l1, l2] = parseLargeCommunity(c);
      dv.setUint32(i * 12, g);
      dv.setUint32(i * 12 + 4, l1);
      dv.setUint32(i * 12 + 8, l2);
    });
    return out;
  },
  decode(value, st) {
    expectLength(value, value.length > 0 && value.length % 12 === 0, "LARGE_COMMUNITY");
    const out: string[] = [];
    for (let p = 0; p < value.length; p += 12) {
      out.push(`${u32(value, p)}:${u32(value, p + 4)}:${u32(value, p + 8)}`);
    }
    st.attrs.largeCommunities = out;
  },
};
