/**
 * ORIGIN (type code 1), RFC 4271 §4.3 / §5.1.1: well-known mandatory, one octet.
 *
 * ```
 * +-----------+
 * | 0 IGP     |
 * | 1 EGP     |
 * | 2 INCOMPL |
 * +-----------+
 * ```
 *
 * Malformed (length != 1 or value > 2): treat-as-withdraw (RFC 7606 §7.1).
 *
 * @module
 */
import { AttributeCode, AttributeFlag, type Origin, UpdateSubcode } from "../message/types.ts";
import { type AttributeSpec, expectLength, MalformedAttribute } from "./_spec.ts";

const ORIGINS: readonly Origin[] = ["igp", "egp", "incomplete"];

export const ORIGIN: AttributeSpec = {
  code: AttributeCode.ORIGIN,
  name: "ORIGIN",
  flags: AttributeFlag.TRANSITIVE,
  onMalformed: "withdraw",
  resetSubcode: UpdateSubcode.INVALID_ORIGIN_ATTRIBUTE,
  encode(attrs) {
    if (attrs.origin === undefined) return undefined;
    const v = ORIGINS.indexOf(attrs.origin);
    if (v < 0) throw new TypeError(`Cannot encode ORIGIN: "${attrs.origin}"`);
    return new Uint8Array([v]);
  },
  decode(value, st) {
    expectLength(value, value.length === 1, "ORIGIN");
    const origin = ORIGINS[value[0]!];
    if (origin === undefined) throw new MalformedAttribute(`ORIGIN has invalid value ${value[0]}`);
    st.attrs.origin = origin;
  },
};
