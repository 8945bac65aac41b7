/**
 * What the control API may never announce, and what it may announce at all.
 *
 * The control API is a route-injection surface: a typo or a script bug there
 * reaches every peer. So, whatever `api.allowedPrefixes` says:
 *
 * - default routes (0.0.0.0/0, ::/0) are refused;
 * - a prefix that overlaps a special-purpose range (RFC 6890 and its IANA
 *   registries: "this network", loopback, multicast, reserved, broadcast,
 *   unspecified, link-local, IPv4-mapped) is refused, whether it lies inside
 *   the range or covers it;
 * - a next hop that cannot forward (unspecified, "this network", loopback,
 *   multicast, reserved/broadcast) is refused.
 *
 * On top of that, `api.allowedPrefixes` lists the ranges inside which the API
 * may announce; without it the API may not announce new prefixes at all.
 *
 * @module
 */
import ipaddr from "ipaddr.js";

interface Range {
  cidr: string;
  what: string;
  addr: ipaddr.IPv4 | ipaddr.IPv6;
  length: number;
}

function range(cidr: string, what: string): Range {
  const [addr, length] = ipaddr.parseCIDR(cidr);
  return { cidr, what, addr, length };
}

/** Ranges no announced prefix may overlap (RFC 6890, RFC 5771, RFC 4291). */
export const SPECIAL_PURPOSE_RANGES: readonly Range[] = [
  range("0.0.0.0/8", '"this network", RFC 791/RFC 6890'),
  range("127.0.0.0/8", "loopback, RFC 1122"),
  range("224.0.0.0/4", "multicast, RFC 5771"),
  range("240.0.0.0/4", "reserved, RFC 1112"),
  range("255.255.255.255/32", "limited broadcast, RFC 919"),
  range("::/128", "unspecified address, RFC 4291"),
  range("::1/128", "loopback, RFC 4291"),
  range("::ffff:0:0/96", "IPv4-mapped addresses, RFC 4291"),
  range("fe80::/10", "link-local unicast, RFC 4291"),
  range("ff00::/8", "multicast, RFC 4291"),
];

/** Ranges no next hop may lie in. */
const BAD_NEXT_HOPS: readonly Range[] = [
  range("0.0.0.0/8", 'unspecified or "this network"'),
  range("127.0.0.0/8", "loopback"),
  range("224.0.0.0/4", "multicast"),
  range("240.0.0.0/4", "reserved or broadcast"),
  range("::/128", "unspecified"),
  range("::1/128", "loopback"),
  range("ff00::/8", "multicast"),
];

/** A parsed canonical prefix ("198.51.100.0/24"). */
function parsed(prefix: string): { addr: ipaddr.IPv4 | ipaddr.IPv6; length: number } {
  const [addr, length] = ipaddr.parseCIDR(prefix);
  return { addr, length };
}

/** `inner` lies inside `outer` (or is it). */
function within(
  inner: { addr: ipaddr.IPv4 | ipaddr.IPv6; length: number },
  outer: { addr: ipaddr.IPv4 | ipaddr.IPv6; length: number },
): boolean {
  if (inner.addr.kind() !== outer.addr.kind() || inner.length < outer.length) return false;
  return inner.addr.match(outer.addr, outer.length);
}

/**
 * Why the control API must not announce `prefix` (canonical CIDR), or
 * undefined when it is not a default route and overlaps no special-purpose range.
 */
export function prefixRefusal(prefix: string): string | undefined {
  const p = parsed(prefix);
  if (p.length === 0) {
    return `Refused ${prefix}: the control API never announces a default route`;
  }
  for (const r of SPECIAL_PURPOSE_RANGES) {
    if (within(p, r) || within(r, p)) {
      const how = within(p, r) ? (p.length === r.length ? "is" : "lies inside") : "covers";
      return `Refused ${prefix}: it ${how} ${r.cidr} (${r.what}), a special-purpose range ` +
        "the control API never announces";
    }
  }
  return undefined;
}

/** Why `address` (canonical) cannot be a next hop, or undefined when it can. */
export function nextHopRefusal(address: string): string | undefined {
  const addr = ipaddr.parse(address);
  for (const r of BAD_NEXT_HOPS) {
    if (addr.kind() === r.addr.kind() && addr.match(r.addr, r.length)) {
      return `Refused nextHop ${address}: a ${r.what} address (in ${r.cidr}) cannot forward traffic`;
    }
  }
  return undefined;
}

/** The entry of `allowed` (CIDR ranges) that `prefix` lies inside, or undefined. */
export function allowingRange(prefix: string, allowed: readonly string[]): string | undefined {
  const p = parsed(prefix);
  return allowed.find((cidr) => within(p, parsed(cidr)));
}
