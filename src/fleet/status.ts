/**
 * `anycast fleet`: every prefix x site record in etcd, with each prefix's
 * standing against its floor. Reading is pure over a range result, so the
 * table is tested without etcd.
 *
 * @module
 */
import { type PrefixStanding, type SiteRecord, standingOf } from "./guard.ts";
import { decodeRecord, parseSiteKey, prefixesRange } from "./keys.ts";
import type { FleetStore, RangeResult } from "./store.ts";

export interface FleetSiteRow extends SiteRecord {
  /** Seconds since `since`. */
  ageSeconds: number;
}

export interface FleetPrefixRow extends PrefixStanding {
  prefix: string;
  sites: FleetSiteRow[];
}

export interface FleetTable {
  prefixes: FleetPrefixRow[];
  /** Keys under the prefix that could not be read, with why. */
  invalid: { key: string; error: string }[];
}

export function fleetTable(keyPrefix: string, range: RangeResult, nowMs: number): FleetTable {
  const byPrefix = new Map<string, FleetSiteRow[]>();
  const invalid: FleetTable["invalid"] = [];
  for (const kv of range.kvs) {
    const where = parseSiteKey(keyPrefix, kv.key);
    if (!where) {
      invalid.push({ key: kv.key, error: "not a <prefix>/<site> key" });
      continue;
    }
    let record: SiteRecord;
    try {
      record = decodeRecord(kv.value);
    } catch (e) {
      invalid.push({ key: kv.key, error: e instanceof Error ? e.message : String(e) });
      continue;
    }
    const since = Date.parse(record.since);
    const ageSeconds = Number.isFinite(since) ? Math.max(0, Math.round((nowMs - since) / 1000)) : 0;
    const rows = byPrefix.get(where.prefix) ?? [];
    rows.push({ ...record, site: where.site, ageSeconds });
    byPrefix.set(where.prefix, rows);
  }
  const prefixes = [...byPrefix].sort(([a], [b]) => (a < b ? -1 : 1)).map(([prefix, sites]) => ({
    prefix,
    ...standingOf(sites),
    sites: sites.sort((a, b) => (a.site < b.site ? -1 : 1)),
  }));
  return { prefixes, invalid };
}

export async function readFleet(
  store: FleetStore,
  keyPrefix: string,
  nowMs = Date.now(),
): Promise<FleetTable> {
  return fleetTable(keyPrefix, await store.range(prefixesRange(keyPrefix)), nowMs);
}

function age(seconds: number): string {
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  return `${Math.floor(seconds / 3600)}h`;
}

/** The table `anycast fleet` prints. */
export function formatFleet(table: FleetTable): string {
  if (table.prefixes.length === 0) return "no prefixes in etcd\n";
  const rows: string[][] = [["PREFIX", "SITE", "STATE", "AGE", "REASON"]];
  for (const p of table.prefixes) {
    const mark = p.belowFloor ? "  BELOW FLOOR" : "";
    rows.push([
      p.prefix,
      `${p.announcing}/${p.total} announcing, floor ${p.floor}${mark}`,
      "",
      "",
      "",
    ]);
    for (const s of p.sites) rows.push(["", s.site, s.state, age(s.ageSeconds), s.reason]);
  }
  const widths = [0, 1, 2, 3].map((i) =>
    Math.max(...rows.filter((r) => r[2] !== "" || i === 0).map((r) => r[i]!.length))
  );
  const lines = rows.map((r) =>
    r[2] === "" && r[0] !== ""
      ? `${r[0]!.padEnd(widths[0]!)}  ${r[1]}`
      : r.map((c, i) => (i < 4 ? c.padEnd(widths[i]!) : c)).join("  ").trimEnd()
  );
  const invalid = table.invalid.map((i) => `warning: ${i.key}: ${i.error}`);
  return [...lines, ...invalid].join("\n") + "\n";
}
