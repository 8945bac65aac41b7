/**
 * anycastd's service strategies, with exactly its meaning (service/strategy.go
 * in runityru/anycastd). Each anycastd strategy answers "is the service
 * DOWN?", which is why the names read backwards:
 *
 * - `at_least_one` (the default): down when at least one check fails, so the
 *   service is up only while every check passes.
 * - `all`: down only when all checks fail, so one passing check keeps it up.
 * - `all_in_group`: down when all checks of some group fail (checks without
 *   a group form one group), so it is up while every group has at least one
 *   passing check.
 * - `at_least_n_percentage`: down when the failed share is greater than `n`,
 *   a fraction between 0 and 1 (`n: 0.5` tolerates half failing). Up while
 *   failed/total <= n. anycastd compares against the fraction even though
 *   the name says percentage, so with `n: 50` it would never go down; we read
 *   values above 1 as percent (50 = 0.5), which is what such a file means.
 *
 * Edge cases follow anycastd too: with no checks `all` is down, the others up.
 *
 * @module
 */
import type { Strategy } from "../config/model.ts";

export interface CheckOutcome {
  ok: boolean;
  /** anycastd `group`; "" or undefined = the unnamed group. */
  group?: string;
}

/** True when the service should be announced under `strategy`. */
export function serviceUp(strategy: Strategy, outcomes: CheckOutcome[], n?: number): boolean {
  return !serviceDown(strategy, outcomes, n);
}

/** anycastd's own question: is the service down? */
export function serviceDown(strategy: Strategy, outcomes: CheckOutcome[], n?: number): boolean {
  const failed = outcomes.filter((o) => !o.ok).length;
  switch (strategy) {
    case "at_least_one":
      return failed > 0;
    case "all":
      return failed === outcomes.length;
    case "all_in_group": {
      const groups = new Map<string, { total: number; failed: number }>();
      for (const o of outcomes) {
        const key = o.group ?? "";
        const g = groups.get(key) ?? { total: 0, failed: 0 };
        g.total++;
        if (!o.ok) g.failed++;
        groups.set(key, g);
      }
      return [...groups.values()].some((g) => g.total === g.failed);
    }
    case "at_least_n_percentage":
      // NaN (no checks) compares false: up, as in anycastd.
      return failed / outcomes.length > toleratedShare(n);
  }
}

/** `strategy_options.n` as a share 0..1: anycastd's fraction, or percent when above 1. */
export function toleratedShare(n: number | undefined): number {
  if (n === undefined || !Number.isFinite(n) || n < 0) return 0;
  return n > 1 ? n / 100 : n;
}

/** One line explaining the verdict, for logs and `anycast check`. */
export function explainStrategy(strategy: Strategy, outcomes: CheckOutcome[], n?: number): string {
  const failed = outcomes.filter((o) => !o.ok).length;
  const up = serviceUp(strategy, outcomes, n);
  const verdict = up ? "up" : "down";
  switch (strategy) {
    case "at_least_one":
      return `${verdict}: ${failed} of ${outcomes.length} checks failed (at_least_one: any failure takes it down)`;
    case "all":
      return `${verdict}: ${failed} of ${outcomes.length} checks failed (all: down only when every check fails)`;
    case "all_in_group":
      return `${verdict}: ${failed} of ${outcomes.length} checks failed (all_in_group: down when every check of some group fails)`;
    case "at_least_n_percentage":
      return `${verdict}: ${failed} of ${outcomes.length} checks failed (at_least_n_percentage: down when more than ${
        (n ?? 0) * 100
      }% fail)`;
  }
}
