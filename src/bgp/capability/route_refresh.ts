/**
 * Route Refresh capability (code 2), RFC 2918 §2: no value.
 *
 * ```
 * +------------------+------------------+
 * | Code = 2 (1 oct) | Length = 0       |
 * +------------------+------------------+
 * ```
 *
 * @module
 */
import type { RouteRefreshCapability } from "../message/types.ts";
import { badCapability, type CapabilitySpec } from "./_spec.ts";

export const ROUTE_REFRESH: CapabilitySpec<RouteRefreshCapability> = {
  code: 2,
  kind: "route-refresh",
  encode() {
    return new Uint8Array(0);
  },
  decode(v) {
    if (v.length !== 0) throw badCapability(2, v, `length ${v.length}, expected 0`);
    return { kind: "route-refresh" };
  },
};
