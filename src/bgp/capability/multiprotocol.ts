/**
 * Multiprotocol Extensions capability (code 1), RFC 4760 §8.
 *
 * ```
 *  0       7      15      23      31
 * +-------+-------+-------+-------+
 * |      AFI      | Res.  | SAFI  |
 * +-------+-------+-------+-------+
 * ```
 *
 * @module
 */
import type { MultiprotocolCapability } from "../message/types.ts";
import { badCapability, type CapabilitySpec } from "./_spec.ts";

export const MULTIPROTOCOL: CapabilitySpec<MultiprotocolCapability> = {
  code: 1,
  kind: "multiprotocol",
  encode(cap) {
    return new Uint8Array([cap.afi >> 8, cap.afi & 0xff, 0, cap.safi]);
  },
  decode(v) {
    if (v.length !== 4) throw badCapability(1, v, `length ${v.length}, expected 4`);
    return { kind: "multiprotocol", afi: (v[0]! << 8) | v[1]!, safi: v[3]! };
  },
};
