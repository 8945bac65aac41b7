/**
 * MULTI_EXIT_DISC (type code 4), RFC 4271 §4.3 / §5.1.4: optional
 * non-transitive, a 4-octet unsigned integer.
 *
 * ```
 * +-------------------------------+
 * | MED (4 octets)                |
 * +-------------------------------+
 * ```
 *
 * Wrong length: treat-as-withdraw (RFC 7606 §7.4).
 *
 * @module
 */
import { AttributeCode, AttributeFlag, UpdateSubcode } from "../message/types.ts";
import { type AttributeSpec, expectLength, u32 } from "./_spec.ts";

export function encodeU32(v: number, name: string): Uint8Array {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new RangeError(`Cannot encode ${name} ${v}`);
  }
  return new Uint8Array([v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]);
}

export const MULTI_EXIT_DISC: AttributeSpec = {
  code: AttributeCode.MULTI_EXIT_DISC,
  name: "MULTI_EXIT_DISC",
  flags: AttributeFlag.OPTIONAL,
  onMalformed: "withdraw",
  resetSubcode: UpdateSubcode.ATTRIBUTE_LENGTH_ERROR,
  encode(attrs) {
    return attrs.med === undefined ? undefined : encodeU32(attrs.med, "MULTI_EXIT_DISC");
  },
  decode(value, st) {
    expectLength(value, value.length === 4, "MULTI_EXIT_DISC");
    st.attrs.med = u32(value, 0);
  },
};
