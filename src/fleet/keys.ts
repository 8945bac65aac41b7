/**
 * Where the fleet keeps its state in etcd, and the record's text form.
 *
 *   <prefix>prefixes/<CIDR>/<site>  ->  {"site", "state", "reason", "since", "minSites", "minPercent"}
 *
 * e.g. `/anycast/prefixes/198.51.100.1/32/fra1`. Every key is written under the
 * site's lease, so a site that dies or loses etcd drops out when the lease expires.
 * The CIDR ends in "/<length>" and is followed by "/", so one prefix's range never
 * holds another's keys ("…/3/" vs "…/32/").
 *
 * @module
 */
import { SITE_STATES, type SiteRecord, type SiteState } from "./guard.ts";

/** The key range of every prefix: `<prefix>prefixes/`. */
export function prefixesRange(keyPrefix: string): string {
  return `${keyPrefix}prefixes/`;
}

/** The key range of one prefix's site records. */
export function prefixRange(keyPrefix: string, prefix: string): string {
  return `${prefixesRange(keyPrefix)}${prefix}/`;
}

export function siteKey(keyPrefix: string, prefix: string, site: string): string {
  return `${prefixRange(keyPrefix, prefix)}${site}`;
}

/** The prefix and site of a record key, or undefined for a key that is not one. */
export function parseSiteKey(
  keyPrefix: string,
  key: string,
): { prefix: string; site: string } | undefined {
  const base = prefixesRange(keyPrefix);
  if (!key.startsWith(base)) return undefined;
  const rest = key.slice(base.length);
  // "<address>/<length>/<site>"
  const m = /^([^/]+\/\d{1,3})\/([^/]+)$/.exec(rest);
  if (!m) return undefined;
  return { prefix: m[1]!, site: m[2]! };
}

/** The exclusive end of the range of keys starting with `prefix` (etcd's "prefix + 1"). */
export function rangeEnd(prefix: string): Uint8Array {
  const bytes = new TextEncoder().encode(prefix);
  for (let i = bytes.length - 1; i >= 0; i--) {
    if (bytes[i]! < 0xff) {
      const end = bytes.slice(0, i + 1);
      end[i]!++;
      return end;
    }
  }
  return new Uint8Array([0]);
}

export function encodeRecord(record: SiteRecord): string {
  return JSON.stringify(record);
}

/** Parse a stored record; throws `SyntaxError` saying what is wrong. */
export function decodeRecord(text: string): SiteRecord {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new SyntaxError(`Cannot parse fleet record: ${(e as Error).message}`);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new SyntaxError("Cannot parse fleet record: expected a JSON object");
  }
  const o = v as Record<string, unknown>;
  const str = (k: string): string => {
    if (typeof o[k] !== "string") throw new SyntaxError(`Cannot parse fleet record: ${k} missing`);
    return o[k] as string;
  };
  const num = (k: string): number => {
    const n = o[k] ?? 0;
    if (typeof n !== "number" || !Number.isFinite(n) || n < 0) {
      throw new SyntaxError(`Cannot parse fleet record: ${k} is not a number >= 0`);
    }
    return n;
  };
  const state = str("state");
  if (!SITE_STATES.includes(state as SiteState)) {
    throw new SyntaxError(`Cannot parse fleet record: unknown state "${state}"`);
  }
  return {
    site: str("site"),
    state: state as SiteState,
    reason: str("reason"),
    since: str("since"),
    minSites: num("minSites"),
    minPercent: num("minPercent"),
  };
}
