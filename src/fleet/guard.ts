/**
 * The fleet guard's decision: may this site withdraw a prefix without
 * leaving fewer sites announcing it than the floor? Pure functions over a
 * snapshot of the prefix's site states; the atomicity across sites comes
 * from the etcd transaction that carries the decision out (fleet.ts).
 *
 * @module
 */

/** What a site says about one prefix in etcd. */
export type SiteState = "announced" | "withdrawn" | "held" | "draining";

export const SITE_STATES: readonly SiteState[] = ["announced", "withdrawn", "held", "draining"];

/** One site's record for one prefix, as stored under its lease. */
export interface SiteRecord {
  site: string;
  state: SiteState;
  reason: string;
  /** ISO 8601 time of the last state change. */
  since: string;
  /** The floor this site applies (so `anycast fleet` can judge without every config). */
  minSites: number;
  minPercent: number;
}

/** The floor settings of `fleet.guard`. */
export interface FloorSettings {
  /** A health-driven withdraw may not leave fewer sites than this announcing. */
  minSites: number;
  /** ... nor fewer than this percentage of the live sites (rounded up). 0 = off. */
  minPercent: number;
}

/**
 * Sites that count as announcing: `announced` and `held` (a held site keeps its
 * route). A `draining` site is on its way out and does not count.
 */
export function isAnnouncing(state: SiteState): boolean {
  return state === "announced" || state === "held";
}

/**
 * The floor for a prefix with `total` live sites: the larger of `minSites` and
 * `minPercent` of `total` (rounded up), never more than `total` itself.
 */
export function floorOf(total: number, settings: FloorSettings): number {
  const byPercent = Math.ceil((settings.minPercent * total) / 100 - 1e-9);
  return Math.max(0, Math.min(total, Math.max(settings.minSites, byPercent)));
}

export interface GuardVerdict {
  allow: boolean;
  /** Sites that would still announce after this site's withdraw. */
  remaining: number;
  /** Live sites with a record for the prefix (this one included). */
  total: number;
  floor: number;
  /** "withdrawing would leave 1 of 5 sites announcing, minimum 2". */
  reason: string;
}

/**
 * May `site` withdraw? `records` are the live sites' records for the prefix
 * (expired leases are gone from etcd, so from here too). This site counts as
 * live even before its own record is written.
 */
export function decideWithdraw(
  site: string,
  records: readonly Pick<SiteRecord, "site" | "state">[],
  settings: FloorSettings,
): GuardVerdict {
  const sites = new Set(records.map((r) => r.site));
  sites.add(site);
  const total = sites.size;
  const remaining = records.filter((r) => r.site !== site && isAnnouncing(r.state)).length;
  const floor = floorOf(total, settings);
  const allow = remaining >= floor;
  return {
    allow,
    remaining,
    total,
    floor,
    reason: `withdrawing would leave ${remaining} of ${total} sites announcing, minimum ${floor}`,
  };
}

/** How a prefix stands across the fleet, for `anycast fleet` and its exit code. */
export interface PrefixStanding {
  announcing: number;
  total: number;
  floor: number;
  belowFloor: boolean;
}

/** The standing of one prefix; the floor is the strictest any live site applies. */
export function standingOf(records: readonly SiteRecord[]): PrefixStanding {
  const total = new Set(records.map((r) => r.site)).size;
  const announcing = records.filter((r) => isAnnouncing(r.state)).length;
  const floor = records.reduce(
    (f, r) => Math.max(f, floorOf(total, { minSites: r.minSites, minPercent: r.minPercent })),
    0,
  );
  return { announcing, total, floor, belowFloor: announcing < floor };
}
