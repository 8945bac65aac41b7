/**
 * Keeps the routes the speaker has accepted converging to the desired routes.
 * One operation per prefix is in flight at a time; a failed operation is
 * retried with exponential backoff, and a desired route that changes while an
 * operation runs is picked up as soon as it ends.
 *
 * @module
 */
import { type Clock, systemClock, type TimerId } from "../util/clock.ts";
import type { DesiredRoute, RouteSpec } from "./policy.ts";

/** What the reconciler drives; the BGP speaker implements it. Both calls must be idempotent. */
export interface RouteSink {
  announce(prefix: string, route: RouteSpec): Promise<void> | void;
  withdraw(prefix: string): Promise<void> | void;
}

/** Where policy decisions go: the reconciler, or a test double. */
export interface DesiredRouteTarget {
  setDesired(prefix: string, route: DesiredRoute): void;
}

export interface RouteReconcilerOptions {
  /** Default the system clock. */
  clock?: Clock;
  /** First retry delay after a failure (default 1000 ms); doubles per failure. */
  initialBackoffMs?: number;
  /** Longest retry delay (default 30000 ms). */
  maxBackoffMs?: number;
  /** Called after each failed operation, with the delay before the retry. */
  onError?: (prefix: string, error: unknown, retryInMs: number) => void;
  /** Called when the sink accepted an announce (true) or a withdraw (false). */
  onApplied?: (prefix: string, announced: boolean) => void;
}

/** Key order independent text form, so equal routes built in different orders compare equal. */
export function routeKey(route: RouteSpec): string {
  const sortKeys = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sortKeys);
    if (v && typeof v === "object") {
      return Object.fromEntries(
        Object.entries(v).filter(([, x]) => x !== undefined).sort(([a], [b]) => a < b ? -1 : 1)
          .map(([k, x]) => [k, sortKeys(x)]),
      );
    }
    return v;
  };
  return JSON.stringify(sortKeys(route));
}

interface Retry {
  timer: TimerId | undefined;
  failures: number;
}

export class RouteReconciler implements DesiredRouteTarget {
  #sink: RouteSink;
  #clock: Clock;
  #initialBackoffMs: number;
  #maxBackoffMs: number;
  #onError: RouteReconcilerOptions["onError"];
  #onApplied: RouteReconcilerOptions["onApplied"];
  #desired = new Map<string, RouteSpec>();
  #announced = new Map<string, RouteSpec>();
  #inFlight = new Set<string>();
  /** A failed operation may still have been applied: the sink's state is unknown until a success. */
  #uncertain = new Set<string>();
  #retries = new Map<string, Retry>();
  #waiters: (() => void)[] = [];
  #closed = false;
  /** Bumped by invalidate(): a result of an operation started before it is stale. */
  #epoch = 0;

  constructor(sink: RouteSink, options: RouteReconcilerOptions = {}) {
    this.#sink = sink;
    this.#clock = options.clock ?? systemClock;
    this.#initialBackoffMs = options.initialBackoffMs ?? 1000;
    this.#maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.#onError = options.onError;
    this.#onApplied = options.onApplied;
  }

  /** Set (route) or clear (undefined = withdraw) the desired route of a prefix. */
  setDesired(prefix: string, route: DesiredRoute): void {
    if (route) this.#desired.set(prefix, structuredClone(route));
    else this.#desired.delete(prefix);
    this.#kick(prefix);
  }

  /** The routes that should be announced. */
  get desired(): ReadonlyMap<string, RouteSpec> {
    return this.#desired;
  }

  /** The routes the sink has accepted. */
  get announced(): ReadonlyMap<string, RouteSpec> {
    return this.#announced;
  }

  /** True when nothing is in flight or waiting for a retry and announced == desired. */
  get converged(): boolean {
    if (this.#inFlight.size > 0 || this.#retries.size > 0) return false;
    if (this.#uncertain.size > 0) return false;
    return [...new Set([...this.#desired.keys(), ...this.#announced.keys()])]
      .every((p) => this.#inSync(p));
  }

  /** Resolves once converged (at once if already). */
  settled(): Promise<void> {
    if (this.converged) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /**
   * The sink lost its state (speaker restarted, session reset that the
   * speaker does not replay itself): announce everything desired again.
   */
  invalidate(): void {
    this.#epoch++;
    this.#announced.clear();
    for (const prefix of this.#desired.keys()) this.#kick(prefix);
  }

  /** Retry every prefix waiting for its backoff now (e.g. a session came up). */
  retryNow(): void {
    for (const [prefix, retry] of this.#retries) {
      if (retry.timer !== undefined) this.#clock.clearTimeout(retry.timer);
      retry.timer = undefined;
      this.#kick(prefix);
    }
  }

  close(): void {
    this.#closed = true;
    for (const retry of this.#retries.values()) {
      if (retry.timer !== undefined) this.#clock.clearTimeout(retry.timer);
    }
    this.#retries.clear();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #inSync(prefix: string): boolean {
    if (this.#uncertain.has(prefix)) return false;
    const want = this.#desired.get(prefix);
    const have = this.#announced.get(prefix);
    if (!want || !have) return want === have;
    return routeKey(want) === routeKey(have);
  }

  #kick(prefix: string): void {
    if (this.#closed || this.#inFlight.has(prefix)) return;
    const retry = this.#retries.get(prefix);
    if (retry?.timer !== undefined) return;
    if (this.#inSync(prefix)) {
      this.#retries.delete(prefix);
      this.#notifyIfConverged();
      return;
    }
    void this.#apply(prefix);
  }

  async #apply(prefix: string): Promise<void> {
    this.#inFlight.add(prefix);
    const want = this.#desired.get(prefix);
    const epoch = this.#epoch;
    try {
      if (want) await this.#sink.announce(prefix, structuredClone(want));
      else await this.#sink.withdraw(prefix);
    } catch (error) {
      this.#inFlight.delete(prefix);
      this.#uncertain.add(prefix);
      this.#scheduleRetry(prefix, error);
      return;
    }
    this.#inFlight.delete(prefix);
    this.#retries.delete(prefix);
    if (epoch === this.#epoch) {
      this.#uncertain.delete(prefix);
      if (want) this.#announced.set(prefix, want);
      else this.#announced.delete(prefix);
      this.#onApplied?.(prefix, want !== undefined);
    } else {
      // Started before the sink lost its state: it may have landed before or after.
      this.#uncertain.add(prefix);
    }
    this.#kick(prefix);
  }

  #scheduleRetry(prefix: string, error: unknown): void {
    if (this.#closed) return;
    const retry = this.#retries.get(prefix) ?? { timer: undefined, failures: 0 };
    retry.failures++;
    const delay = Math.min(
      this.#maxBackoffMs,
      this.#initialBackoffMs * 2 ** Math.min(retry.failures - 1, 30),
    );
    retry.timer = this.#clock.setTimeout(() => {
      retry.timer = undefined;
      this.#kick(prefix);
    }, delay);
    this.#retries.set(prefix, retry);
    this.#onError?.(prefix, error, delay);
  }

  #notifyIfConverged(): void {
    if (this.#waiters.length === 0 || !this.converged) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
  }
}
