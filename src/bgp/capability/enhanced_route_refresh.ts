/**
 * Enhanced Route Refresh capability (code 70), RFC 7313 §3.1: no value.
 *
 * ```
 * +------------------+------------------+
 * | Code = 70 (1 oct) | Length = 0       |
 * +------------------+------------------+
 * ```
 *
 * @module
 */
import type { EnhancedRouteRefreshCapability } from "../message/types.ts";
import { badCapability, type CapabilitySpec } from "./_spec.ts";

export const ENHANCED_ROUTE_REFRESH: CapabilitySpec<EnhancedRouteRefreshCapability> = {
  code: 70,
  kind: "enhanced-route-refresh",
  encode() {
    return new Uint8Array(0);
  },
  decode(v) {
    if (v.length !== 0) throw badCapability(70, v, `length ${v.length}, expected 0`);
    return { kind: "enhanced-route-refresh" };
  },
};
