/**
 * Which address families a neighbor carries by default, and whether it can
 * carry a given prefix at all.
 *
 * A session negotiates its families with the Multiprotocol capability
 * (RFC 4760 §8), independently of the address family of the TCP connection:
 * an IPv4 session carries IPv6 routes in MP_REACH_NLRI with an IPv6 next hop
 * (RFC 2545 §3). The next hop must be of the route's family, so a route over
 * a session of the other family needs a configured `nextHop`; the session's
 * own local address serves only routes of its own family (route.ts).
 *
 * @module
 */
import type { Family } from "./model.ts";

/** The parts of a prefix that decide which sessions can carry it. */
export interface CarriedPrefix {
  family: Family;
  nextHop?: string | undefined;
}

/** The family of the session's own addresses (its local address, else the peer's). */
export function sessionFamily(address: string, localAddress?: string): Family {
  return (localAddress ?? address).includes(":") ? "ipv6-unicast" : "ipv4-unicast";
}

/** True when a route for `p` has a next hop on a session of family `session`. */
export function hasNextHop(p: CarriedPrefix, session: Family): boolean {
  return p.nextHop !== undefined || p.family === session;
}

/**
 * Families a neighbor negotiates when its config names none: its own
 * address family, plus the family of every prefix it can give a next hop.
 * IPv4 first, as the order of the capabilities in our OPEN.
 */
export function defaultFamilies(session: Family, prefixes: readonly CarriedPrefix[]): Family[] {
  const wanted = new Set<Family>([session]);
  for (const p of prefixes) if (hasNextHop(p, session)) wanted.add(p.family);
  return (["ipv4-unicast", "ipv6-unicast"] as const).filter((f) => wanted.has(f));
}

/** True when a neighbor with these families and session family can announce `p`. */
export function canCarry(p: CarriedPrefix, families: readonly Family[], session: Family): boolean {
  return families.includes(p.family) && hasNextHop(p, session);
}
