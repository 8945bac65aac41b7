/**
 * Runs the per-prefix policy machines: feeds them health, maintenance and
 * operator events, carries out their drain timers, and hands every decision's
 * desired route to a `DesiredRouteTarget` (the `RouteReconciler`).
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
} from "./policy.ts";
import type { DesiredRouteTarget } from "./reconciler.ts";

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

export interface PolicyEngineOptions {
  /** Default the system clock. */
  clock?: Clock;
  /** Called when a prefix's decision changes (state, reason or route), and once at start. */
  onDecision?: (status: PrefixStatus, previous: PrefixStatus | undefined) => void;
}

interface Entry {
  config: PolicyPrefix;
  gating: Gating;
  inputs: PolicyInputs;
  status: PrefixStatus | undefined;
  drainTimer: TimerId | undefined;
}

export class PolicyEngine {
  #target: DesiredRouteTarget;
  #clock: Clock;
  #onDecision: PolicyEngineOptions["onDecision"];
  #entries = new Map<string, Entry>();
  #serviceStates = new Map<string, boolean | undefined>();
  #drainWaiters: (() => void)[] = [];
  #started = false;

  constructor(
    prefixes: readonly PrefixConfig[],
    target: DesiredRouteTarget,
    options: PolicyEngineOptions = {},
  ) {
    this.#target = target;
    this.#clock = options.clock ?? systemClock;
    this.#onDecision = options.onDecision;
    for (const config of prefixes) {
      const gating = gatingOf(config);
      this.#entries.set(config.prefix, {
        config,
        gating,
        inputs: initialInputs(gating),
        status: undefined,
        drainTimer: undefined,
      });
    }
  }

  /** Publish the initial decisions: static prefixes are announced, all others wait for health. */
  start(): void {
    this.#started = true;
    for (const prefix of this.#entries.keys()) this.#publish(prefix);
  }

  /** Config reload: a new prefix, published at once (static ones are announced). */
  addPrefix(config: PrefixConfig): void {
    if (this.#entries.has(config.prefix)) throw new RangeError(`Prefix ${config.prefix} exists`);
    const gating = gatingOf(config);
    this.#entries.set(config.prefix, {
      config,
      gating,
      inputs: initialInputs(gating),
      status: undefined,
      drainTimer: undefined,
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

  /** Config reload: forget a prefix and withdraw its route. */
  removePrefix(prefix: string): void {
    const entry = this.#entry(prefix);
    if (entry.drainTimer !== undefined) this.#clock.clearTimeout(entry.drainTimer);
    this.#entries.delete(prefix);
    this.#target.setDesired(prefix, undefined);
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

  /** A probe-gated prefix's readiness changed (PrefixHealth ready-changed). */
  setReadiness(prefix: string, readiness: Readiness): void {
    this.#event(prefix, { type: "health", health: readiness });
  }

  /** An anycastd service's state changed: re-evaluate every prefix it gates. */
  setServiceState(service: string, up: boolean | undefined): void {
    this.#serviceStates.set(service, up);
    for (const [prefix, entry] of this.#entries) {
      if (entry.gating !== "services" || !entry.config.services.includes(service)) continue;
      const health = combineServices(
        this.#serviceStates,
        entry.config.services,
        entry.config.servicesMode,
      );
      this.#event(prefix, { type: "health", health });
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

  drainAll(): void {
    for (const prefix of this.#entries.keys()) this.drain(prefix);
  }

  undrainAll(): void {
    for (const prefix of this.#entries.keys()) this.undrain(prefix);
  }

  /**
   * Drain every prefix (RFC 8326, for those with drainMs > 0) and resolve once
   * each is withdrawn from the desired routes. Await the reconciler's
   * `settled()` afterwards to know the speaker has sent the withdraws.
   */
  shutdown(): Promise<void> {
    for (const prefix of this.#entries.keys()) this.#event(prefix, { type: "shutdown" });
    if (this.#allDrained()) return Promise.resolve();
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
    if (this.#drainWaiters.length > 0 && this.#allDrained()) {
      const waiters = this.#drainWaiters;
      this.#drainWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  #allDrained(): boolean {
    return [...this.#entries.values()].every((e) => e.inputs.drain === "drained");
  }

  #statusOf(entry: Entry, sinceMs: number): PrefixStatus {
    return {
      name: entry.config.name,
      prefix: entry.config.prefix,
      gating: entry.gating,
      inputs: entry.inputs,
      sinceMs,
      ...decide(entry.config, entry.inputs),
    };
  }

  #publish(prefix: string): void {
    const entry = this.#entry(prefix);
    const previous = entry.status;
    const now = this.#clock.now();
    const candidate = this.#statusOf(entry, now);
    if (previous && previous.state === candidate.state) candidate.sinceMs = previous.sinceMs;
    const changed = !previous || previous.state !== candidate.state ||
      previous.reason !== candidate.reason ||
      JSON.stringify(previous.route) !== JSON.stringify(candidate.route);
    entry.status = candidate;
    if (!changed) return;
    this.#target.setDesired(prefix, candidate.route);
    this.#onDecision?.(candidate, previous);
  }
}
