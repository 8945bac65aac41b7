/**
 * What a config reload (SIGHUP) changes: pure diffs of the old and new
 * config, so only the difference reaches the peers and unchanged sessions
 * stay Established.
 *
 * @module
 */
import { forEachSliced } from "../util/slice.ts";
import type {
  AnycastConfig,
  NeighborConfig,
  PrefixConfig,
  ServiceConfig,
} from "../config/model.ts";

export interface KeyedDiff<T> {
  added: T[];
  removed: T[];
  changed: T[];
  unchanged: T[];
}

/** Items matched by key; "changed" means the same key with any field different. */
export function diffBy<T>(
  before: readonly T[],
  after: readonly T[],
  key: (t: T) => string,
): KeyedDiff<T> {
  const step = diffStep(before, key);
  for (const t of after) step.add(t);
  return step.finish();
}

/** diffBy in slices: 100,000 prefixes compared as JSON take long enough to delay keepalives. */
export async function diffBySliced<T>(
  before: readonly T[],
  after: readonly T[],
  key: (t: T) => string,
): Promise<KeyedDiff<T>> {
  const step = diffStep(before, key);
  await forEachSliced(after, (t) => step.add(t));
  return step.finish();
}

function diffStep<T>(before: readonly T[], key: (t: T) => string) {
  const old = new Map(before.map((t) => [key(t), t]));
  const diff: KeyedDiff<T> = { added: [], removed: [], changed: [], unchanged: [] };
  const seen = new Set<string>();
  return {
    add(t: T): void {
      const k = key(t);
      seen.add(k);
      const was = old.get(k);
      if (was === undefined) diff.added.push(t);
      else if (was === t || JSON.stringify(was) === JSON.stringify(t)) diff.unchanged.push(t);
      else diff.changed.push(t);
    },
    finish(): KeyedDiff<T> {
      for (const [k, t] of old) if (!seen.has(k)) diff.removed.push(t);
      return diff;
    },
  };
}

export { probeKey } from "../health/supervisor.ts";

export interface ConfigDiff {
  neighbors: KeyedDiff<NeighborConfig>;
  prefixes: KeyedDiff<PrefixConfig>;
  services: KeyedDiff<ServiceConfig>;
  /** Parts that only take effect after a restart, in words for the log. */
  needRestart: string[];
}

export function diffConfig(before: AnycastConfig, after: AnycastConfig): ConfigDiff {
  return {
    ...diffSettings(before, after),
    prefixes: diffBy(before.prefixes, after.prefixes, byPrefix),
  };
}

/** diffConfig with the prefixes compared in slices (the daemon's reload). */
export async function diffConfigSliced(
  before: AnycastConfig,
  after: AnycastConfig,
): Promise<ConfigDiff> {
  const prefixes = await diffBySliced(before.prefixes, after.prefixes, byPrefix);
  return { ...diffSettings(before, after), prefixes };
}

const byPrefix = (p: PrefixConfig) => p.prefix;

function diffSettings(before: AnycastConfig, after: AnycastConfig): Omit<ConfigDiff, "prefixes"> {
  const needRestart: string[] = [];
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  if (!same(before.speaker, after.speaker)) needRestart.push("speaker");
  if (!same(before.api, after.api)) needRestart.push("api");
  if (!same(before.metrics, after.metrics)) needRestart.push("metrics");
  if (!same(before.bfd, after.bfd)) needRestart.push("bfd");
  if (!same(before.logging, after.logging)) needRestart.push("logging");
  return {
    neighbors: diffBy(before.neighbors, after.neighbors, (n) => n.address),
    services: diffBy(before.services, after.services, (s) => s.name),
    needRestart,
  };
}

/** One line for the log: "prefixes +1 -0 ~2, neighbors +0 -0 ~0, services +0 -0 ~0". */
export function describeDiff(diff: ConfigDiff): string {
  const part = (name: string, d: KeyedDiff<unknown>) =>
    `${name} +${d.added.length} -${d.removed.length} ~${d.changed.length}`;
  return [
    part("prefixes", diff.prefixes),
    part("neighbors", diff.neighbors),
    part("services", diff.services),
  ].join(", ");
}
