/**
 * Validation of control API request bodies. Every failure is a
 * `ControlError` 400 whose message names the field.
 *
 * @module
 */
import ipaddr from "ipaddr.js";
import { parseCommunity, parseLargeCommunity } from "../config/communities.ts";
import { nextHopRefusal, prefixRefusal } from "./route_safety.ts";
import {
  ControlError,
  type ManualAnnounce,
  type OperatorOptions,
  type PrefixTarget,
} from "./types.ts";

function bad(message: string): ControlError {
  return new ControlError(400, message);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function expectObject(body: unknown): Record<string, unknown> {
  if (!isRecord(body)) throw bad("Request body must be a JSON object");
  return body;
}

function rejectUnknown(body: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key)) {
      throw bad(`Unknown field "${key}" (allowed: ${allowed.join(", ")})`);
    }
  }
}

/** Canonical CIDR ("192.0.2.1/32"); a bare address gets /32 or /128; host bits must be zero. */
export function canonicalPrefix(text: unknown): string {
  if (typeof text !== "string" || text === "") throw bad(`Invalid prefix: expected a CIDR string`);
  const withLength = text.includes("/") ? text : `${text}/${text.includes(":") ? 128 : 32}`;
  // ipaddr.js also reads "010.0.0.1" (octal: 8.0.0.1), "10.1" and "0x0a.0.0.1":
  // an operator's typo must not announce someone else's address.
  if (!plainAddress(withLength.slice(0, withLength.indexOf("/")))) {
    throw bad(`Invalid prefix "${text}"`);
  }
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  let length: number;
  try {
    [addr, length] = ipaddr.parseCIDR(withLength);
  } catch {
    throw bad(`Invalid prefix "${text}"`);
  }
  const network = addr.kind() === "ipv4"
    ? ipaddr.IPv4.networkAddressFromCIDR(withLength)
    : ipaddr.IPv6.networkAddressFromCIDR(withLength);
  const canonical = `${network.toString()}/${length}`;
  if (network.toString() !== addr.toString()) {
    throw bad(`Invalid prefix "${text}": host bits set (did you mean ${canonical}?)`);
  }
  return canonical;
}

/** Dotted-quad decimal IPv4, or IPv6 without a zone. */
function plainAddress(text: string): boolean {
  if (text.includes(":")) return !text.includes("%") && ipaddr.IPv6.isValid(text);
  return ipaddr.IPv4.isValidFourPartDecimal(text);
}

function address(text: unknown, field: string): string {
  if (typeof text !== "string" || !plainAddress(text)) {
    throw bad(`Invalid ${field}: expected an IP address`);
  }
  return ipaddr.parse(text).toString();
}

function stringList(v: unknown, field: string, parse: (s: string) => string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw bad(`Invalid ${field}: expected an array of strings`);
  return v.map((item) => {
    if (typeof item !== "string") throw bad(`Invalid ${field}: expected an array of strings`);
    try {
      return parse(item);
    } catch {
      throw bad(`Invalid ${field} entry "${item}"`);
    }
  });
}

/**
 * Body of `POST /v1/announce`. Default routes, special-purpose ranges and
 * next hops that cannot forward are refused here (see route_safety.ts);
 * `api.allowedPrefixes` is the backend's business.
 */
export function parseAnnounce(body: unknown): ManualAnnounce {
  const b = expectObject(body);
  rejectUnknown(b, ["prefix", "nextHop", "communities", "largeCommunities", "med"]);
  const prefix = canonicalPrefix(b.prefix);
  const refusal = prefixRefusal(prefix);
  if (refusal !== undefined) throw bad(refusal);
  const request: ManualAnnounce = {
    prefix,
    communities: stringList(b.communities, "communities", parseCommunity),
    largeCommunities: stringList(b.largeCommunities, "largeCommunities", parseLargeCommunity),
  };
  if (b.nextHop !== undefined) {
    request.nextHop = address(b.nextHop, "nextHop");
    if (request.nextHop.includes(":") !== request.prefix.includes(":")) {
      // An IPv4-mapped next hop for IPv6 is the speaker's business, not an operator's.
      throw bad(`Invalid nextHop: ${request.nextHop} is not in the family of ${request.prefix}`);
    }
    const unusable = nextHopRefusal(request.nextHop);
    if (unusable !== undefined) throw bad(unusable);
  }
  if (b.med !== undefined) {
    if (typeof b.med !== "number" || !Number.isInteger(b.med) || b.med < 0 || b.med > 4294967295) {
      throw bad("Invalid med: expected an integer 0-4294967295");
    }
    request.med = b.med;
  }
  return request;
}

/** Body of `POST /v1/withdraw`. */
export function parsePrefixBody(body: unknown): string {
  const b = expectObject(body);
  rejectUnknown(b, ["prefix", "force"]);
  return canonicalPrefix(b.prefix);
}

/** Body of `POST /v1/drain` and `/v1/undrain`: `{prefix}` or `{all: true}`. */
export function parseTarget(body: unknown): PrefixTarget {
  const b = expectObject(body);
  rejectUnknown(b, ["prefix", "all", "force"]);
  if (b.all !== undefined) {
    if (b.all !== true) throw bad(`Invalid all: expected true`);
    if (b.prefix !== undefined) throw bad(`Give either prefix or all, not both`);
    return { all: true };
  }
  if (b.prefix === undefined) throw bad(`Missing prefix (or all: true)`);
  return { prefix: canonicalPrefix(b.prefix) };
}

/** Body of `POST /v1/maintenance`. */
export function parseMaintenance(body: unknown): { prefix: string; on: boolean } {
  const b = expectObject(body);
  rejectUnknown(b, ["prefix", "on", "force"]);
  if (typeof b.on !== "boolean") throw bad(`Invalid on: expected true or false`);
  return { prefix: canonicalPrefix(b.prefix), on: b.on };
}

/** `force` of a withdraw, drain or maintenance body: override the fleet guard's floor. */
export function parseForce(body: unknown): OperatorOptions {
  const b = expectObject(body);
  if (b.force === undefined) return {};
  if (typeof b.force !== "boolean") throw bad(`Invalid force: expected true or false`);
  return { force: b.force };
}
