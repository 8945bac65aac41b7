/**
 * Extended Message capability (code 6), RFC 8654 §3: no value.
 *
 * ```
 * +------------------+------------------+
 * | Code = 6 (1 oct) | Length = 0       |
 * +------------------+------------------+
 * ```
 *
 * @module
 */
import type { ExtendedMessageCapability } from "../message/types.ts";
import { badCapability, type CapabilitySpec } from "./_spec.ts";

export const EXTENDED_MESSAGE: CapabilitySpec<ExtendedMessageCapability> = {
  code: 6,
  kind: "extended-message",
  encode() {
    return new Uint8Array(0);
  },
  decode(v) {
    if (v.length !== 0) throw badCapability(6, v, `length ${v.length}, expected 0`);
    return { kind: "extended-message" };
  },
};
