/**
 * A route we originate, as the speaker holds it, and how it becomes the
 * attributes sent to one peer (RFC 4271 §5.1).
 *
 * @module
 */
import type { Family, RouteAttributes } from "../config/model.ts";
import type { AsPathSegment, PathAttributes } from "./message/types.ts";
import type { OutRoute } from "./rib.ts";

/** What the speaker announces for one prefix. */
export interface RouteSpec {
  prefix: string;
  family: Family;
  origin: "igp" | "egp" | "incomplete";
  /** Next hop; undefined = the session's local address. */
  nextHop?: string;
  nextHopLinkLocal?: string;
  attributes: RouteAttributes;
  /** ASN used for the prepends; default the local AS. */
  prependAsn?: number;
}

/** RFC 4271 §5.1.5: LOCAL_PREF sent to internal peers when nothing else is configured. */
export const DEFAULT_LOCAL_PREF = 100;

export interface PeerView {
  localAsn: number;
  ibgp: boolean;
  /** The session's local address (the default next hop). */
  localAddress: string;
}

/** The family of a prefix in canonical text form. */
export function familyOfPrefix(prefix: string): Family {
  return prefix.includes(":") ? "ipv6-unicast" : "ipv4-unicast";
}

/**
 * The next hop when none is configured: the session's local address when it
 * is of the route's family; undefined otherwise. 0.0.0.0 is not a valid
 * NEXT_HOP (RFC 4271 §5.1.3, RFC 7606 §7.3), and an IPv4-mapped address is
 * not the global IPv6 address RFC 2545 §3 asks for (BIRD drops such a route:
 * "Missing next hop address").
 */
export function defaultNextHop(family: Family, localAddress: string): string | undefined {
  const v6 = localAddress.includes(":");
  return v6 === (family === "ipv6-unicast") ? localAddress : undefined;
}

/**
 * Build the per-peer route: AS_PATH, LOCAL_PREF and next hop depend on the session.
 * Throws a RangeError when no valid next hop can be derived.
 */
export function outRouteFor(spec: RouteSpec, peer: PeerView): OutRoute {
  const a = spec.attributes;
  const prepends = Math.max(0, a.asPathPrepend);
  const ownAs = peer.ibgp ? [] : [peer.localAsn]; // RFC 4271 §5.1.2: own AS only towards eBGP
  // Our AS stays leftmost: peers enforce that the first AS is the neighbor's (RFC 4271 §6.3).
  // Herald's list form names the prepended ASNs; the count form repeats one.
  const prepended = a.asPathPrependAsns ??
    Array<number>(prepends).fill(spec.prependAsn ?? peer.localAsn);
  const asns = [...ownAs, ...prepended];
  const asPath: AsPathSegment[] = asns.length > 0 ? [{ type: "sequence", asns }] : [];
  const attributes: PathAttributes = { origin: spec.origin, asPath };
  if (a.med !== undefined) attributes.med = a.med;
  // RFC 4271 §5.1.5: LOCAL_PREF only inside the AS.
  if (peer.ibgp) attributes.localPref = a.localPref ?? DEFAULT_LOCAL_PREF;
  if (a.communities.length > 0) attributes.communities = [...a.communities];
  if (a.extendedCommunities.length > 0) {
    attributes.extendedCommunities = [...a.extendedCommunities];
  }
  if (a.largeCommunities.length > 0) attributes.largeCommunities = [...a.largeCommunities];
  const nextHop = spec.nextHop ?? defaultNextHop(spec.family, peer.localAddress);
  if (nextHop === undefined) {
    throw new RangeError(
      `Cannot pick a next hop for ${spec.prefix} over a session from ${peer.localAddress}: configure nextHop`,
    );
  }
  const route: OutRoute = { prefix: spec.prefix, family: spec.family, attributes, nextHop };
  if (spec.nextHopLinkLocal && spec.family === "ipv6-unicast") {
    route.nextHopLinkLocal = spec.nextHopLinkLocal;
  }
  return route;
}
