/**
 * The prefix half of a `ControlBackend`, built on the health engine and the
 * route table: drain, undrain and maintenance act on configured
 * prefixes; announce and withdraw manage operator prefixes that are not in
 * the config. The daemon adds status, peers and routes.
 *
 * @module
 */
import type { PolicyEngine } from "../health/engine.ts";
import type { RouteSpec } from "../health/policy.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { allowingRange, prefixRefusal } from "./route_safety.ts";
import {
  type ControlBackend,
  ControlError,
  type ManualAnnounce,
  type OperatorOptions,
  type PrefixInfo,
  type PrefixTarget,
  type ProbeResultInfo,
} from "./types.ts";

/** What PrefixControl needs of the route table. */
export interface RouteTable {
  setDesired(prefix: string, route: RouteSpec | undefined): void;
  /** Prefixes the table announces now. */
  readonly announced: ReadonlyMap<string, unknown>;
}

export interface PrefixControlOptions {
  /** Default the system clock (must be the engine's clock). */
  clock?: Clock;
  /** Last probe results of a configured prefix, for `GET /v1/prefixes`. Default none. */
  probeResults?: (prefix: string) => ProbeResultInfo[];
  /**
   * `api.allowedPrefixes`: CIDR ranges inside which `announce` may add
   * operator prefixes. Default undefined: the API acts only on configured
   * prefixes (drain, undrain, maintenance) and announces nothing new.
   */
  allowedPrefixes?: readonly string[];
}

export type PrefixBackend = Pick<
  ControlBackend,
  "prefixes" | "announce" | "withdraw" | "drain" | "undrain" | "maintenance"
>;

export class PrefixControl implements PrefixBackend {
  #engine: PolicyEngine;
  #routes: RouteTable;
  #clock: Clock;
  #probeResults: (prefix: string) => ProbeResultInfo[];
  #manual = new Map<string, { route: RouteSpec; sinceMs: number }>();
  #allowed: readonly string[] | undefined;

  constructor(engine: PolicyEngine, routes: RouteTable, options: PrefixControlOptions = {}) {
    this.#engine = engine;
    this.#routes = routes;
    this.#clock = options.clock ?? systemClock;
    this.#probeResults = options.probeResults ?? (() => []);
    this.#allowed = options.allowedPrefixes;
  }

  /** Prefixes announced by an operator (in the route table next to the configured ones). */
  get manualCount(): number {
    return this.#manual.size;
  }

  prefixes(): PrefixInfo[] {
    const now = this.#clock.now();
    const configured = this.#engine.statuses().map((s): PrefixInfo => ({
      name: s.name,
      prefix: s.prefix,
      state: s.state,
      reason: s.reason,
      announced: this.#routes.announced.has(s.prefix),
      sinceSeconds: Math.max(0, Math.round((now - s.sinceMs) / 1000)),
      maintenance: s.inputs.maintenanceFile || s.inputs.maintenanceApi,
      drain: s.inputs.drain,
      manual: false,
      probes: this.#probeResults(s.prefix),
    }));
    const manual = [...this.#manual].map(([prefix, m]): PrefixInfo => ({
      name: prefix,
      prefix,
      state: "manual",
      reason: "announced by operator",
      announced: this.#routes.announced.has(prefix),
      sinceSeconds: Math.max(0, Math.round((now - m.sinceMs) / 1000)),
      maintenance: false,
      drain: "none",
      manual: true,
      probes: [],
    }));
    return [...configured, ...manual];
  }

  announce(request: ManualAnnounce): void {
    if (this.#engine.has(request.prefix)) {
      throw new ControlError(
        409,
        `${request.prefix} is a configured prefix: its health decides; use drain, undrain or maintenance`,
      );
    }
    this.#mayAnnounce(request.prefix);
    const route: RouteSpec = {
      prefix: request.prefix,
      family: request.prefix.includes(":") ? "ipv6-unicast" : "ipv4-unicast",
      origin: "igp",
      attributes: {
        communities: request.communities,
        largeCommunities: request.largeCommunities,
        extendedCommunities: [],
        asPathPrepend: 0,
      },
    };
    if (request.nextHop !== undefined) route.nextHop = request.nextHop;
    if (request.med !== undefined) route.attributes.med = request.med;
    const sinceMs = this.#manual.get(request.prefix)?.sinceMs ?? this.#clock.now();
    this.#manual.set(request.prefix, { route, sinceMs });
    this.#routes.setDesired(request.prefix, route);
  }

  /** `_options.force` is judged by the daemon's fleet guard before this is called. */
  withdraw(prefix: string, _options?: OperatorOptions): void {
    if (this.#engine.has(prefix)) {
      throw new ControlError(
        409,
        `${prefix} is a configured prefix: use drain or maintenance to withdraw it`,
      );
    }
    if (!this.#manual.delete(prefix)) {
      throw new ControlError(404, `${prefix} was not announced with anycast announce`);
    }
    this.#routes.setDesired(prefix, undefined);
  }

  async drain(target: PrefixTarget, _options?: OperatorOptions): Promise<string[]> {
    if ("all" in target) {
      await this.#engine.drainAll();
      return this.#engine.statuses().map((s) => s.prefix);
    }
    this.#configured(target.prefix);
    this.#engine.drain(target.prefix);
    return [target.prefix];
  }

  async undrain(target: PrefixTarget): Promise<string[]> {
    if ("all" in target) {
      await this.#engine.undrainAll();
      return this.#engine.statuses().map((s) => s.prefix);
    }
    this.#configured(target.prefix);
    this.#engine.undrain(target.prefix);
    return [target.prefix];
  }

  maintenance(prefix: string, on: boolean, _options?: OperatorOptions): void {
    this.#configured(prefix);
    this.#engine.setMaintenance(prefix, on);
  }

  /** Throws a 400/403 unless the API may announce `prefix` (a canonical CIDR). */
  #mayAnnounce(prefix: string): void {
    // Also checked by the request parser; repeated here so that no caller of
    // the backend can skip it.
    const refusal = prefixRefusal(prefix);
    if (refusal !== undefined) throw new ControlError(400, refusal);
    if (this.#allowed === undefined || this.#allowed.length === 0) {
      throw new ControlError(
        403,
        `Refused ${prefix}: api.allowedPrefixes is ${this.#allowed ? "empty" : "not set"}, ` +
          "so the control API acts only on " +
          "configured prefixes (drain, undrain, maintenance) and announces no new ones; " +
          "list the ranges it may announce in api.allowedPrefixes",
      );
    }
    if (allowingRange(prefix, this.#allowed) === undefined) {
      throw new ControlError(
        403,
        `Refused ${prefix}: not inside api.allowedPrefixes (${this.#allowed.join(", ")})`,
      );
    }
  }

  #configured(prefix: string): void {
    if (this.#engine.has(prefix)) return;
    if (this.#manual.has(prefix)) {
      throw new ControlError(409, `${prefix} was announced by an operator: withdraw it instead`);
    }
    throw new ControlError(404, `Unknown prefix ${prefix}: not in the config`);
  }
}
