/**
 * RFC 4271 §4.3 / RFC 4760 §5: prefix (length, prefix) encoding.
 *
 * @module
 */
import type { AfiSafi, Family } from "./message/types.ts";

export function afiSafiOf(family: Family): AfiSafi {
  return family === "ipv4-unicast" ? { afi: 1, safi: 1 } : { afi: 2, safi: 1 };
}
export function familyOf(afi: number, safi: number): Family | undefined {
  if (safi !== 1) return undefined;
  return afi === 1 ? "ipv4-unicast" : afi === 2 ? "ipv6-unicast" : undefined;
}
