/**
 * COMMUNITIES (type code 8), RFC 1997: optional transitive, a list of 4-octet
 * values, each "AS:value" (2 octets each).
 *
 * ```
 * +-------------------------------+-------------------------------+
 * | AS (2 octets)                 | value (2 octets)              |  ... repeated
 * +-------------------------------+-------------------------------+
 * ```
 *
 * Text form is "AS:value" in decimal. Well-known names are accepted on input:
 * no-export 65535:65281, no-advertise 65535:65282, no-export-subconfed
 * 65535:65283 (RFC 1997), graceful-shutdown 65535:0 (RFC 8326), blackhole
 * 65535:666 (RFC 7999). An empty list is never encoded. Length zero or not a
 * multiple of 4: treat-as-withdraw (RFC 7606 §7.8).
 *
 * @module
 */
import { AttributeCode, AttributeFlag, UpdateSubcode } from "../message/types.ts";
import { type AttributeSpec, expectLength, u16 } from "./_spec.ts";

export const WELL_KNOWN_COMMUNITIES: Readonly<Record<string, string>> = Object.freeze({
  "graceful-shutdown": "65535:0",
  "blackhole": "65535:666",
  "no-export": "65535:65281",
  "no-advertise": "65535:65282",
  "no-export-subconfed": "65535:65283",
});

const COMMUNITY_RE = /^(\d{1,5}):(\d{1,5})$/;

/** Parses "AS:value" or a well-known name into the 32-bit value; TypeError otherwise. */
export function parseCommunity(text: string): number {
  const named = Object.hasOwn(WELL_KNOWN_COMMUNITIES, text.toLowerCase())
    ? WELL_KNOWN_COMMUNITIES[text.toLowerCase()]
    : undefined;
  const m = COMMUNITY_RE.exec(named ?? text);
  if (m === null) throw new TypeError(`Cannot parse community: "${text}"`);
  const hi = Number(m[1]), lo = Number(m[2]);
  if (hi > 0xffff || lo > 0xffff) throw new TypeError(`Cannot parse community: "${text}"`);
  return ((hi << 16) | lo) >>> 0;
}

/** "AS:value" text of a 32-bit community. */
export function formatCommunity(value: number): string {
  return `${value >>> 16}:${value & 0xffff}`;
}

export const COMMUNITIES: AttributeSpec = {
  code: AttributeCode.COMMUNITIES,
  name: "COMMUNITIES",
  flags: AttributeFlag.OPTIONAL | AttributeFlag.TRANSITIVE,
  onMalformed: "withdraw",
  resetSubcode: UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR,
  encode(attrs) {
    const list = attrs.communities;
    if (list === undefined || list.length === 0) return undefined;
    const out = new Uint8Array(list.length * 4);
    const dv = new DataView(out.buffer);
    list.forEach((c, i) => dv.setUint32(i * 4, parseCommunity(c)));
    return out;
  },
  decode(value, st) {
    expectLength(value, value.length > 0 && value.length % 4 === 0, "COMMUNITIES");
    const out: string[] = [];
    for (let p = 0; p < value.length; p += 4) out.push(`${u16(value, p)}:${u16(value, p + 2)}`);
    st.attrs.communities = out;
  },
};
