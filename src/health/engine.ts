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
  /** Removed by a reload: draining (RFC 8326), then forgotten once withdrawn. */
  removing: boolean;
}

export class PolicyEngine {
  #target: DesiredRouteTarget;
  #clock: Clock;
  #onDecision: PolicyEngineOptions["onDecision"];
  #entries = new Map<string, Entry>();
  #serviceStates = new Map<string, boolean | undefined>();
  #drainWaiters: (() => void)[] = [];
  #started = false;
  #shuttingDown = false;

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
        removing: false,
      });
    }
  }

  /** Publish the initial decisions: static prefixes are announced, all others wait for health. */
  start(): void {
    this.#started = true;
    for (const prefix of this.#entries.keys()) this.#publish(prefix);
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
    this.#shuttingDown = true;
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
    this.#forgetIfRemoved(prefix, entry);
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
    if (previous && previous.state === candidate.state) candidate.sinceMs = previous.sinceMs;
    const routeChanged = !previous ||
      JSON.stringify(previous.route) !== JSON.stringify(candidate.route);
    const changed = routeChanged || previous.state !== candidate.state ||
      previous.reason !== candidate.reason;
    entry.status = candidate;
    if (!changed) return;
    // Only a different route reaches the target: a new reason alone is no UPDATE.
    if (routeChanged) this.#target.setDesired(prefix, candidate.route);
    this.#onDecision?.(candidate, previous);
  }
}
