/**
 * ATOMIC_AGGREGATE (type code 6), RFC 4271 §4.3 / §5.1.6: well-known
 * discretionary, zero-length value.
 *
 * ```
 * (no value)
 * ```
 *
 * Non-zero length: attribute discard (RFC 7606 §7.6).
 *
 * @module
 */
import { AttributeCode, AttributeFlag, UpdateSubcode } from "../message/types.ts";
import { type AttributeSpec, expectLength } from "./_spec.ts";

export const ATOMIC_AGGREGATE: AttributeSpec = {
  code: AttributeCode.ATOMIC_AGGREGATE,
  name: "ATOMIC_AGGREGATE",
  flags: AttributeFlag.TRANSITIVE,
  onMalformed: "discard",
  resetSubcode: UpdateSubcode.ATTRIBUTE_LENGTH_ERROR,
  encode(attrs) {
    return attrs.atomicAggregate ? new Uint8Array(0) : undefined;
  },
  decode(value, st) {
    expectLength(value, value.length === 0, "ATOMIC_AGGREGATE");
    st.attrs.atomicAggregate = true;
  },
};
