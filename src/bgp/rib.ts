/**
 * Adj-RIB-Out and Adj-RIB-In of one peer (RFC 4271 §3.2).
 *
 * Adj-RIB-Out holds what we want the peer to have (`desired`) next to what
 * was sent; `diff()` returns the work to do: withdrawals batched per family,
 * and announcements grouped by identical attributes so the packer can put many
 * NLRIs in one UPDATE. A prefix whose attributes change is simply announced
 * again (an implicit replacement, RFC 4271 §3.1), never withdrawn first.
 *
 * @module
 */
import type { Family, PathAttributes } from "./message/types.ts";

/** One route as the session will send it: attributes already made for this peer. */
export interface OutRoute {
  prefix: string;
  family: Family;
  /** Path attributes without next hop and MP attributes. */
  attributes: PathAttributes;
  nextHop: string;
  nextHopLinkLocal?: string;
}

/** Announcements that share one attribute set (and next hop). */
export interface AnnounceGroup {
  family: Family;
  attributes: PathAttributes;
  nextHop: string;
  nextHopLinkLocal?: string;
  prefixes: string[];
}

export interface RibDiff {
  withdraw: { family: Family; prefixes: string[] }[];
  announce: AnnounceGroup[];
}

/** Stable text key of everything that makes two routes share one UPDATE. */
export function attributeKey(route: Omit<OutRoute, "prefix">): string {
  return JSON.stringify([
    route.family,
    route.nextHop,
    route.nextHopLinkLocal ?? "",
    stableJson(route.attributes),
  ]);
}

function stableJson(value: unknown): unknown {
  if (value instanceof Uint8Array) return Array.from(value);
  if (Array.isArray(value)) return value.map(stableJson);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = stableJson(v);
    }
    return out;
  }
  return value;
}

interface Entry {
  route: OutRoute;
  key: string;
}

export class AdjRibOut {
  #desired = new Map<string, Entry>();
  /** prefix -> key of what the peer has now. */
  #sent = new Map<string, { family: Family; key: string }>();

  /** Replace the whole desired table. */
  setDesired(routes: Iterable<OutRoute>): void {
    this.#desired.clear();
    for (const r of routes) this.#desired.set(r.prefix, { route: r, key: attributeKey(r) });
  }

  setRoute(route: OutRoute): void {
    this.#desired.set(route.prefix, { route, key: attributeKey(route) });
  }

  removeRoute(prefix: string): void {
    this.#desired.delete(prefix);
  }

  get desiredCount(): number {
    return this.#desired.size;
  }

  /** How many prefixes the peer currently has from us. */
  get sentCount(): number {
    return this.#sent.size;
  }

  /** The routes the peer has from us now (for the control API's adj-rib-out). */
  sentRoutes(): OutRoute[] {
    const out: OutRoute[] = [];
    for (const [prefix, sent] of this.#sent) {
      const want = this.#desired.get(prefix);
      if (want && want.key === sent.key) out.push(want.route);
    }
    return out;
  }

  /** Forget what was sent (the session went down: the next one starts from scratch). */
  reset(): void {
    this.#sent.clear();
  }

  /** The work to bring the peer up to date; `families` limits it to negotiated ones. */
  diff(families: readonly Family[]): RibDiff {
    const allowed = new Set(families);
    const withdrawBy = new Map<Family, string[]>();
    for (const [prefix, sent] of this.#sent) {
      const want = this.#desired.get(prefix);
      if (!want || !allowed.has(want.route.family)) {
        const list = withdrawBy.get(sent.family) ?? [];
        list.push(prefix);
        withdrawBy.set(sent.family, list);
      }
    }
    const groups = new Map<string, AnnounceGroup>();
    for (const [prefix, entry] of this.#desired) {
      if (!allowed.has(entry.route.family)) continue;
      if (this.#sent.get(prefix)?.key === entry.key) continue;
      let group = groups.get(entry.key);
      if (!group) {
        const r = entry.route;
        group = {
          family: r.family,
          attributes: r.attributes,
          nextHop: r.nextHop,
          ...(r.nextHopLinkLocal ? { nextHopLinkLocal: r.nextHopLinkLocal } : {}),
          prefixes: [],
        };
        groups.set(entry.key, group);
      }
      group.prefixes.push(prefix);
    }
    return {
      withdraw: [...withdrawBy].map(([family, prefixes]) => ({ family, prefixes })),
      announce: [...groups.values()],
    };
  }

  /** Record that `diff` was sent. */
  commit(diff: RibDiff): void {
    for (const w of diff.withdraw) for (const p of w.prefixes) this.#sent.delete(p);
    for (const g of diff.announce) {
      const key = attributeKey(g);
      for (const p of g.prefixes) this.#sent.set(p, { family: g.family, key });
    }
  }

  /** Everything sent for `family`, grouped (to answer a ROUTE-REFRESH, RFC 2918 §4). */
  sentGroups(family: Family): AnnounceGroup[] {
    const groups = new Map<string, AnnounceGroup>();
    for (const [prefix, sent] of this.#sent) {
      if (sent.family !== family) continue;
      const entry = this.#desired.get(prefix);
      if (!entry || entry.key !== sent.key) continue;
      let group = groups.get(sent.key);
      if (!group) {
        const r = entry.route;
        group = {
          family: r.family,
          attributes: r.attributes,
          nextHop: r.nextHop,
          ...(r.nextHopLinkLocal ? { nextHopLinkLocal: r.nextHopLinkLocal } : {}),
          prefixes: [],
        };
        groups.set(sent.key, group);
      }
      group.prefixes.push(prefix);
    }
    return [...groups.values()];
  }
}

/** A route received from a peer. */
export interface InRoute {
  prefix: string;
  family: Family;
  attributes: PathAttributes;
}

/** What a peer sent us, bounded by the prefix limit the session enforces. */
export class AdjRibIn {
  #routes = new Map<string, InRoute>();
  /**
   * Identical attribute sets are stored once (a full table has far fewer
   * distinct sets than prefixes); reference counts drop them when unused.
   */
  #shared = new Map<string, { attributes: PathAttributes; refs: number }>();
  #keys = new WeakMap<PathAttributes, string>();

  get size(): number {
    return this.#routes.size;
  }

  /**
   * Stores `route`. Its attributes are treated as immutable from here on: all
   * prefixes of one UPDATE arrive with one attributes object, so its key is
   * computed once per object, not once per prefix.
   */
  set(route: InRoute): void {
    let key = this.#keys.get(route.attributes);
    if (key === undefined) {
      key = JSON.stringify(route.attributes);
      this.#keys.set(route.attributes, key);
    }
    let shared = this.#shared.get(key);
    if (!shared) {
      shared = { attributes: route.attributes, refs: 0 };
      this.#shared.set(key, shared);
    }
    shared.refs++;
    const old = this.#routes.get(route.prefix);
    if (old) this.#release(old);
    this.#routes.set(route.prefix, {
      prefix: route.prefix,
      family: route.family,
      attributes: shared.attributes,
    });
  }

  delete(prefix: string): boolean {
    const old = this.#routes.get(prefix);
    if (!old) return false;
    this.#release(old);
    return this.#routes.delete(prefix);
  }

  #release(route: InRoute): void {
    const key = this.#keys.get(route.attributes);
    const shared = key === undefined ? undefined : this.#shared.get(key);
    if (shared && --shared.refs === 0) this.#shared.delete(key!);
  }

  /** Distinct attribute sets held (for tests and status). */
  get attributeSets(): number {
    return this.#shared.size;
  }

  get(prefix: string): InRoute | undefined {
    return this.#routes.get(prefix);
  }

  has(prefix: string): boolean {
    return this.#routes.has(prefix);
  }

  clear(): void {
    this.#routes.clear();
    this.#shared.clear();
  }

  routes(): IterableIterator<InRoute> {
    return this.#routes.values();
  }
}
