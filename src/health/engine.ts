/**
 * Runs the per-prefix policy machines: feeds them health, maintenance and
 * operator events, carries out their drain timers, and writes every
 * decision's route into the route table (a `DesiredRouteTarget`: the BGP
 * speaker's table, through the daemon). One event costs O(1) in the number
 * of prefixes; work over every prefix (start, shutdown, drain all) is sliced.
 *
 * @module
 */
import type { PrefixConfig } from "../config/model.ts";
import { type Clock, systemClock, type TimerId } from "../util/clock.ts";
import {
  applyEvent,
  combineServices,
  decide,
  type Decision,
  type Gating,
  gatingOf,
  initialInputs,
  type PolicyEvent,
  type PolicyInputs,
  type PolicyPrefix,
  type Readiness,
  type RouteSpec,
} from "./policy.ts";
import { forEachSliced } from "../util/slice.ts";

/** Where policy decisions go: the route table (set = announce, undefined = withdraw). */
export interface DesiredRouteTarget {
  setDesired(prefix: string, route: RouteSpec | undefined): void;
}

/** More prefixes than this in one event: per-prefix decisions are logged at debug, with a summary. */
export const BULK_THRESHOLD = 5;

/** Whether two routes are the same announcement (no JSON: this runs once per decision). */
export function sameRoute(a: RouteSpec | undefined, b: RouteSpec | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  if (
    a.prefix !== b.prefix || a.family !== b.family || a.origin !== b.origin ||
    a.nextHop !== b.nextHop || a.nextHopLinkLocal !== b.nextHopLinkLocal ||
    a.prependAsn !== b.prependAsn
  ) return false;
  const x = a.attributes, y = b.attributes;
  return x === y || (
    x.med === y.med && x.localPref === y.localPref && x.asPathPrepend === y.asPathPrepend &&
    sameNumbers(x.asPathPrependAsns, y.asPathPrependAsns) &&
    sameList(x.communities, y.communities) &&
    sameList(x.extendedCommunities, y.extendedCommunities) &&
    sameList(x.largeCommunities, y.largeCommunities)
  );
}

function sameNumbers(a?: readonly number[], b?: readonly number[]): boolean {
  return a === b || (a !== undefined && b !== undefined && a.length === b.length &&
    a.every((v, i) => v === b[i]));
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a === b || (a.length === b.length && a.every((v, i) => v === b[i]));
}

/** Asked about a prefix that is not in the config. Callers map it to "not found". */
export class UnknownPrefixError extends Error {
  override name = "UnknownPrefixError";
  constructor(readonly prefix: string) {
    super(`Unknown prefix ${prefix}`);
  }
}

export interface PrefixStatus extends Decision {
  name: string;
  prefix: string;
  gating: Gating;
  inputs: PolicyInputs;
  /** Clock time of the last state change. */
  sinceMs: number;
}

/**
 * Fleet guard hook (issue 15, src/fleet/): consulted when health turns a
 * prefix's route into no route. A string keeps the route announced, as state
 * "held" with that reason; undefined lets the withdraw go ahead.
 */
export interface WithdrawGuard {
  holdWithdraw(prefix: string): string | undefined;
}

export interface PolicyEngineOptions {
  /** Default the system clock. */
  clock?: Clock;
  /** Fleet guard (issue 15); default none: every withdraw goes ahead. */
  guard?: WithdrawGuard;
  /**
   * Called when a prefix's decision changes (state, reason or route), and once
   * at start. `bulk` is true when one event touched more than BULK_THRESHOLD
   * prefixes (log those at debug; `summary()` says it in one line).
   */
  onDecision?: (status: PrefixStatus, previous: PrefixStatus | undefined, bulk: boolean) => void;
}

interface Entry {
  config: PolicyPrefix;
  gating: Gating;
  inputs: PolicyInputs;
  status: PrefixStatus | undefined;
  drainTimer: TimerId | undefined;
  /** Removed by a reload: draining (RFC 8326), then forgotten once withdrawn. */
  removing: boolean;
}

export class PolicyEngine {
  #target: DesiredRouteTarget;
  #clock: Clock;
  #onDecision: PolicyEngineOptions["onDecision"];
  #guard: WithdrawGuard | undefined;
  #entries = new Map<string, Entry>();
  #serviceStates = new Map<string, boolean | undefined>();
  #drainWaiters: (() => void)[] = [];
  #started = false;
  #shuttingDown = false;
  /** Inside an event that touches many prefixes. */
  #bulk = false;
  /** While shutdown() waits: prefixes not drained yet. */
  #notDrained = 0;

  constructor(
    prefixes: readonly PrefixConfig[],
    target: DesiredRouteTarget,
    options: PolicyEngineOptions = {},
  ) {
    this.#target = target;
    this.#clock = options.clock ?? systemClock;
    this.#onDecision = options.onDecision;
    this.#guard = options.guard;
    for (const config of prefixes) {
      const gating = gatingOf(config);
      this.#entries.set(config.prefix, {
        config,
        gating,
        inputs: initialInputs(gating),
        status: undefined,
        drainTimer: undefined,
        removing: false,
      });
    }
  }

  /**
   * Publish the initial decisions: static prefixes are announced, all others
   * wait for health. Sliced; resolves once every prefix is published.
   */
  start(): Promise<void> {
    this.#started = true;
    return this.#sliced([...this.#entries.keys()], (prefix) => {
      if (this.#entries.has(prefix)) this.#publish(prefix);
    });
  }

  /** Run `fn` over `items` in slices, as one bulk operation when there are many. */
  async #sliced<T>(items: readonly T[], fn: (item: T) => void): Promise<void> {
    const bulk = items.length > BULK_THRESHOLD;
    await forEachSliced(items, (item) => {
      const outer = this.#bulk;
      this.#bulk = bulk;
      try {
        fn(item);
      } finally {
        this.#bulk = outer;
      }
    });
  }

  /** "100000 prefixes: 99998 up (static), 2 unknown (probe)": one line for logs and status. */
  summary(): string {
    const counts = new Map<string, number>();
    for (const entry of this.#entries.values()) {
      const state = entry.status?.state ?? "unknown";
      const key = `${state} (${entry.gating})`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const parts = [...counts].sort(([a], [b]) => a < b ? -1 : 1).map(([k, n]) => `${n} ${k}`);
    return `${this.#entries.size} prefixes: ${parts.length ? parts.join(", ") : "none"}`;
  }

  /**
   * Config reload: a new prefix, published at once (static ones are announced).
   * One still draining after its removal comes back without a withdraw: its
   * drain is cancelled and the new attributes replace the route. While
   * shutting down, a new prefix is never announced.
   */
  addPrefix(config: PrefixConfig): void {
    const existing = this.#entries.get(config.prefix);
    if (existing && !existing.removing) throw new RangeError(`Prefix ${config.prefix} exists`);
    const gating = gatingOf(config);
    if (existing && this.#shuttingDown && existing.gating === gating) {
      // Its shutdown drain simply goes on.
      existing.removing = false;
      existing.config = config;
      if (this.#started) this.#publish(config.prefix);
      return;
    }
    let inputs = initialInputs(gating);
    if (existing) {
      // Keep what is known about its health, as updatePrefix does.
      if (existing.gating === gating) {
        inputs = { ...existing.inputs, drain: "none", shuttingDown: false };
      }
      if (existing.drainTimer !== undefined) this.#clock.clearTimeout(existing.drainTimer);
    }
    if (this.#shuttingDown) inputs = { ...inputs, drain: "drained", shuttingDown: true };
    this.#entries.set(config.prefix, {
      config,
      gating,
      inputs,
      status: existing?.status,
      drainTimer: undefined,
      removing: false,
    });
    if (gating === "services") this.#refreshServices(config.prefix);
    if (this.#started) this.#publish(config.prefix);
  }

  /**
   * Config reload: a changed prefix keeps its health, maintenance and drain
   * inputs (so an attribute change is one replacing UPDATE, not a flap),
   * unless its gating kind changed; then it starts over.
   */
  updatePrefix(config: PrefixConfig): void {
    const entry = this.#entry(config.prefix);
    const gating = gatingOf(config);
    if (gating !== entry.gating) {
      entry.inputs = { ...initialInputs(gating), drain: entry.inputs.drain };
      entry.gating = gating;
    }
    if (config.maintenanceFile === undefined && entry.inputs.maintenanceFile) {
      entry.inputs = { ...entry.inputs, maintenanceFile: false };
    }
    entry.config = config;
    if (gating === "services") this.#refreshServices(config.prefix);
    if (this.#started) this.#publish(config.prefix);
  }

  /**
   * Config reload: withdraw a prefix and forget it. With a drain time it is
   * first announced with GRACEFUL_SHUTDOWN for `drainMs` (RFC 8326 §4), as on
   * shutdown; a drain already under way keeps its timer. Operator undrain
   * cannot stop this drain (the shutdown event refuses it).
   */
  removePrefix(prefix: string): void {
    const entry = this.#entry(prefix);
    if (entry.removing) return;
    entry.removing = true;
    this.#event(prefix, { type: "shutdown" });
  }

  /** A removed prefix that is withdrawn is forgotten; true when it was. */
  #forgetIfRemoved(prefix: string, entry: Entry): boolean {
    if (!entry.removing || entry.inputs.drain !== "drained") return false;
    if (entry.drainTimer !== undefined) this.#clock.clearTimeout(entry.drainTimer);
    this.#entries.delete(prefix);
    // #publish withdrew it already when started; before start nothing else would.
    if (!this.#started || entry.status?.route !== undefined) {
      this.#target.setDesired(prefix, undefined);
    }
    return true;
  }

  #refreshServices(prefix: string): void {
    const entry = this.#entry(prefix);
    const health = combineServices(
      this.#serviceStates,
      entry.config.services,
      entry.config.servicesMode,
    );
    entry.inputs = applyEvent(entry.config, entry.inputs, { type: "health", health }).next;
  }

  /** The guard's answer for `prefix` may have changed: decide it again (fleet guard, issue 15). */
  reevaluate(prefix: string): void {
    if (this.#started && this.#entries.has(prefix)) this.#publish(prefix);
  }

  has(prefix: string): boolean {
    return this.#entries.has(prefix);
  }

  status(prefix: string): PrefixStatus {
    const entry = this.#entry(prefix);
    return entry.status ?? this.#statusOf(entry, this.#clock.now());
  }

  statuses(): PrefixStatus[] {
    return [...this.#entries.keys()].map((p) => this.status(p));
  }

  /**
   * A probe-gated prefix's readiness changed (PrefixHealth ready-changed, or an
   * event watcher); `reason` says which mechanism and why, shown while not ready.
   */
  setReadiness(prefix: string, readiness: Readiness, reason?: string): void {
    this.#event(
      prefix,
      reason !== undefined
        ? { type: "health", health: readiness, reason }
        : { type: "health", health: readiness },
    );
  }

  /** An anycastd service's state changed: re-evaluate every prefix it gates. */
  setServiceState(service: string, up: boolean | undefined): void {
    this.#serviceStates.set(service, up);
    const gated = [...this.#entries].filter(([, e]) =>
      e.gating === "services" && e.config.services.includes(service)
    );
    const outer = this.#bulk;
    this.#bulk = gated.length > BULK_THRESHOLD;
    try {
      for (const [prefix, entry] of gated) {
        const health = combineServices(
          this.#serviceStates,
          entry.config.services,
          entry.config.servicesMode,
        );
        this.#event(prefix, { type: "health", health });
      }
    } finally {
      this.#bulk = outer;
    }
  }

  setMaintenanceFile(prefix: string, exists: boolean): void {
    this.#event(prefix, { type: "maintenance-file", exists });
  }

  /** Maintenance switched on or off over the control API. */
  setMaintenance(prefix: string, on: boolean): void {
    this.#event(prefix, { type: "maintenance-api", on });
  }

  drain(prefix: string): void {
    this.#event(prefix, { type: "drain" });
  }

  undrain(prefix: string): void {
    this.#event(prefix, { type: "undrain" });
  }

  /** Drain every prefix; sliced (the API answers once all are draining). */
  drainAll(): Promise<void> {
    return this.#sliced([...this.#entries.keys()], (p) => this.#entries.has(p) && this.drain(p));
  }

  undrainAll(): Promise<void> {
    return this.#sliced([...this.#entries.keys()], (p) => this.#entries.has(p) && this.undrain(p));
  }

  /**
   * Drain every prefix (RFC 8326, for those with drainMs > 0) and resolve once
   * each is withdrawn from the desired routes. Await the reconciler's
   * `settled()` afterwards to know the speaker has sent the withdraws.
   */
  async shutdown(): Promise<void> {
    this.#shuttingDown = true;
    await this.#sliced([...this.#entries.keys()], (prefix) => {
      if (this.#entries.has(prefix)) this.#event(prefix, { type: "shutdown" });
    });
    this.#notDrained = this.#countNotDrained();
    if (this.#notDrained === 0) return;
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  [Symbol.dispose](): void {
    for (const entry of this.#entries.values()) {
      if (entry.drainTimer !== undefined) this.#clock.clearTimeout(entry.drainTimer);
      entry.drainTimer = undefined;
    }
  }

  #entry(prefix: string): Entry {
    const entry = this.#entries.get(prefix);
    if (!entry) throw new UnknownPrefixError(prefix);
    return entry;
  }

  #event(prefix: string, event: PolicyEvent): void {
    const entry = this.#entry(prefix);
    const wasDrained = entry.inputs.drain;
    const { next, actions } = applyEvent(entry.config, entry.inputs, event);
    entry.inputs = next;
    for (const action of actions) {
      switch (action.type) {
        case "start-drain-timer":
          if (entry.drainTimer !== undefined) this.#clock.clearTimeout(entry.drainTimer);
          entry.drainTimer = this.#clock.setTimeout(() => {
            entry.drainTimer = undefined;
            this.#event(prefix, { type: "drain-timer-expired" });
          }, action.ms);
          break;
        case "cancel-drain-timer":
          if (entry.drainTimer !== undefined) this.#clock.clearTimeout(entry.drainTimer);
          entry.drainTimer = undefined;
          break;
      }
    }
    if (this.#started) this.#publish(prefix);
    this.#forgetIfRemoved(prefix, entry);
    // Counted down as prefixes finish draining; the O(N) recount runs only at zero.
    if (
      this.#drainWaiters.length > 0 && wasDrained !== "drained" &&
      entry.inputs.drain === "drained" &&
      --this.#notDrained <= 0 && (this.#notDrained = this.#countNotDrained()) === 0
    ) {
      const waiters = this.#drainWaiters;
      this.#drainWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  #countNotDrained(): number {
    let n = 0;
    for (const e of this.#entries.values()) if (e.inputs.drain !== "drained") n++;
    return n;
  }

  #statusOf(entry: Entry, sinceMs: number): PrefixStatus {
    const decision = decide(entry.config, entry.inputs);
    if (entry.removing && decision.state === "draining") {
      decision.reason = `removed from the config, withdraw after ${entry.config.drainMs} ms`;
    } else if (entry.removing && entry.inputs.drain === "drained") {
      decision.reason = "removed from the config";
    }
    return {
      name: entry.config.name,
      prefix: entry.config.prefix,
      gating: entry.gating,
      inputs: entry.inputs,
      sinceMs,
      ...decision,
    };
  }

  #publish(prefix: string): void {
    const entry = this.#entry(prefix);
    const previous = entry.status;
    const now = this.#clock.now();
    const candidate = this.#statusOf(entry, now);
    // Fleet guard (issue 15): a health-driven withdraw (down, no route) may be held.
    if (this.#guard && previous?.route && !candidate.route && candidate.state === "down") {
      const held = this.#guard.holdWithdraw(prefix);
      if (held !== undefined) {
        Object.assign(candidate, { state: "held", reason: held, route: previous.route });
      }
    }
    if (previous && previous.state === candidate.state) candidate.sinceMs = previous.sinceMs;
    const routeChanged = !previous || !sameRoute(previous.route, candidate.route);
    const changed = routeChanged || previous.state !== candidate.state ||
      previous.reason !== candidate.reason;
    entry.status = candidate;
    if (!changed) return;
    // Only a different route reaches the target: a new reason alone is no UPDATE.
    if (routeChanged) this.#target.setDesired(prefix, candidate.route);
    this.#onDecision?.(candidate, previous, this.#bulk);
  }
}
