/**
 * Adj-RIB-Out and Adj-RIB-In of one peer (RFC 4271 §3.2).
 *
 * The Adj-RIB-Out does not copy the route table: it keeps what the peer has
 * from us (`sent`: family and attribute key per prefix) and a dirty set of
 * prefixes whose route changed since. `diff()` resolves only dirty prefixes
 * against the table (through the session's `resolve`), so one changed prefix
 * costs O(1) however large the table is. Announcements are grouped by
 * identical attributes so the packer puts many NLRIs in one UPDATE; a prefix
 * whose attributes change is simply announced again (an implicit
 * replacement, RFC 4271 §3.1), never withdrawn first.
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

/** A route for the peer and its attribute key (computed once per route object). */
export interface KeyedRoute {
  route: OutRoute;
  key: string;
}

/** The route the table wants the peer to have for `prefix`; undefined = none. */
export type RouteResolver = (prefix: string) => KeyedRoute | undefined;

/** Pairs a route with its key: for callers that hold plain OutRoutes (tests, the whole-table form). */
export function keyed(route: OutRoute): KeyedRoute {
  return { route, key: attributeKey(route) };
}

export class AdjRibOut {
  /** prefix -> family and attribute key of what the peer has now. */
  #sent = new Map<string, { family: Family; key: string }>();
  /** Prefixes whose wanted route may differ from what was sent. */
  #dirty = new Set<string>();

  /** The route for `prefix` changed (or went away): look at it on the next diff. O(1). */
  markDirty(prefix: string): void {
    this.#dirty.add(prefix);
  }

  /** Look at every prefix of `prefixes` and everything sent (the table was replaced). */
  markAll(prefixes: Iterable<string>): void {
    for (const p of prefixes) this.#dirty.add(p);
    for (const p of this.#sent.keys()) this.#dirty.add(p);
  }

  /** Prefixes waiting to be looked at. */
  get pending(): number {
    return this.#dirty.size;
  }

  /** How many prefixes the peer currently has from us. */
  get sentCount(): number {
    return this.#sent.size;
  }

  /** Whether the peer has `prefix` from us with attribute key `key`. */
  hasSent(prefix: string, key: string): boolean {
    return this.#sent.get(prefix)?.key === key;
  }

  /** The routes the peer has from us now (for the control API's adj-rib-out). */
  sentRoutes(resolve: RouteResolver): OutRoute[] {
    const out: OutRoute[] = [];
    for (const [prefix, sent] of this.#sent) {
      const want = resolve(prefix);
      if (want && want.key === sent.key) out.push(want.route);
    }
    return out;
  }

  /** Forget what was sent and what is dirty (the session went down: the next one starts over). */
  reset(): void {
    this.#sent.clear();
    this.#dirty.clear();
  }

  /**
   * The work to bring the peer up to date for at most `limit` dirty prefixes,
   * which leave the dirty set. `families` limits it to negotiated ones: a
   * route of another family counts as not wanted.
   */
  diff(families: readonly Family[], resolve: RouteResolver, limit = Infinity): RibDiff {
    const withdrawBy = new Map<Family, string[]>();
    const groups = new Map<string, AnnounceGroup>();
    let taken = 0;
    for (const prefix of this.#dirty) {
      if (taken++ >= limit) break;
      this.#dirty.delete(prefix);
      const sent = this.#sent.get(prefix);
      const resolved = resolve(prefix);
      const want = resolved && families.includes(resolved.route.family) ? resolved : undefined;
      if (!want) {
        if (sent) {
          const list = withdrawBy.get(sent.family);
          if (list) list.push(prefix);
          else withdrawBy.set(sent.family, [prefix]);
        }
        continue;
      }
      if (sent?.key === want.key) continue;
      let group = groups.get(want.key);
      if (!group) {
        group = groupOf(want.route);
        groups.set(want.key, group);
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

  /** Prefixes sent for `family` (to answer a ROUTE-REFRESH, RFC 2918 §4). */
  sentPrefixes(family: Family): string[] {
    const out: string[] = [];
    for (const [prefix, sent] of this.#sent) if (sent.family === family) out.push(prefix);
    return out;
  }

  /** `prefixes` as the peer has them, grouped (the prefixes of a ROUTE-REFRESH answer). */
  sentGroups(prefixes: Iterable<string>, resolve: RouteResolver): AnnounceGroup[] {
    const groups = new Map<string, AnnounceGroup>();
    for (const prefix of prefixes) {
      const sent = this.#sent.get(prefix);
      const entry = sent && resolve(prefix);
      if (!entry || entry.key !== sent.key) continue;
      let group = groups.get(sent.key);
      if (!group) {
        group = groupOf(entry.route);
        groups.set(sent.key, group);
      }
      group.prefixes.push(prefix);
    }
    return [...groups.values()];
  }
}

function groupOf(r: OutRoute): AnnounceGroup {
  return {
    family: r.family,
    attributes: r.attributes,
    nextHop: r.nextHop,
    ...(r.nextHopLinkLocal ? { nextHopLinkLocal: r.nextHopLinkLocal } : {}),
    prefixes: [],
  };
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
