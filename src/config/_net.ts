/**
 * Address and prefix helpers for config validation (wrapping ipaddr.js).
 *
 * @module
 */
import ipaddr from "ipaddr.js";
import type { Family } from "./model.ts";

export type AddressKind = "ipv4" | "ipv6";

/** Dotted-quad IPv4 without leading zeros (what isValidFourPartDecimal accepts). */
const DOTTED_QUAD =
  /^(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})$/;

/**
 * The common case without ipaddr.js: a 100,000-prefix config spent seconds in
 * its general parser. Undefined when `text` is not a plain dotted quad.
 */
function ipv4Number(text: string): number | undefined {
  const m = DOTTED_QUAD.exec(text);
  if (!m) return undefined;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(m[i]);
    if (octet > 255) return undefined;
    n = n * 256 + octet;
  }
  return n;
}

function ipv4Text(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** Parse a plain IPv4 or IPv6 address (no prefix length); undefined when invalid. */
export function parseAddress(text: string): { kind: AddressKind; canonical: string } | undefined {
  if (ipv4Number(text) !== undefined) return { kind: "ipv4", canonical: text };
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) {
    return { kind: "ipv4", canonical: ipaddr.IPv4.parse(text).toString() };
  }
  if (!text.includes(":") || text.includes("%") || !ipaddr.IPv6.isValid(text)) return undefined;
  return { kind: "ipv6", canonical: ipaddr.IPv6.parse(text).toString() };
}

export function isIPv4(text: string): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(text);
}

export function isIPv6LinkLocal(text: string): boolean {
  const a = parseAddress(text);
  return a?.kind === "ipv6" && ipaddr.IPv6.parse(text).range() === "linkLocal";
}

export function familyOf(kind: AddressKind): Family {
  return kind === "ipv4" ? "ipv4-unicast" : "ipv6-unicast";
}

export type PrefixParse =
  | { ok: true; canonical: string; family: Family }
  | { ok: false; reason: "syntax" }
  | { ok: false; reason: "host-bits"; network: string };

/**
 * Parse "192.0.2.0/24" (or a bare address, meaning a host route) and check
 * that the host bits are zero: a prefix is announced as a network.
 */
export function parsePrefix(text: string): PrefixParse {
  const slash = text.indexOf("/");
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const address = parseAddress(addressText);
  if (!address) return { ok: false, reason: "syntax" };
  const max = address.kind === "ipv4" ? 32 : 128;
  let length = max;
  if (slash >= 0) {
    const lengthText = text.slice(slash + 1);
    if (!/^[0-9]{1,3}$/.test(lengthText)) return { ok: false, reason: "syntax" };
    length = Number(lengthText);
    if (length > max) return { ok: false, reason: "syntax" };
  }
  const v4 = ipv4Number(addressText);
  if (v4 !== undefined) {
    const hostBits = 32 - length;
    const network = hostBits === 32 ? 0 : Math.floor(v4 / 2 ** hostBits) * 2 ** hostBits;
    const canonical = `${ipv4Text(network)}/${length}`;
    if (network !== v4) return { ok: false, reason: "host-bits", network: canonical };
    return { ok: true, canonical, family: "ipv4-unicast" };
  }
  const parsed = ipaddr.parse(addressText);
  const network = address.kind === "ipv4"
    ? ipaddr.IPv4.networkAddressFromCIDR(`${addressText}/${length}`)
    : ipaddr.IPv6.networkAddressFromCIDR(`${addressText}/${length}`);
  const canonical = `${network.toString()}/${length}`;
  if (network.toString() !== parsed.toString()) {
    return { ok: false, reason: "host-bits", network: canonical };
  }
  return { ok: true, canonical, family: familyOf(address.kind) };
}

/** Parse "host:port" or "[v6]:port"; undefined when malformed. */
export function parseHostPort(text: string): { host: string; port: number } | undefined {
  const m = /^\[([^\]]+)\]:([0-9]{1,5})$/.exec(text) ?? /^([^:\[\]]+):([0-9]{1,5})$/.exec(text);
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  return { host: m[1] ?? "", port };
}
