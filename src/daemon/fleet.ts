/**
 * The daemon's glue to the fleet guard (src/fleet/, docs/fleet.md): start it
 * with the engine's decisions, refuse operator withdraws that breach a floor
 * unless forced, and log a shutdown that breaches one.
 *
 * @module
 */
import type { FleetConfig } from "../config/model.ts";
import type { PolicyEngine, PrefixStatus } from "../health/engine.ts";
import { type ControlBackend, ControlError, type OperatorOptions } from "../control/types.ts";
import { Fleet, type FleetStore, openFleetStore, siteStateOf } from "../fleet/mod.ts";
import type { Clock } from "../util/clock.ts";
import type { DaemonLog } from "./mod.ts";

export interface StartFleetOptions {
  clock: Clock;
  log: DaemonLog;
  /** Default the etcd store from the config. */
  store?: FleetStore;
}

/** Create the fleet for `config` (not connected yet: call `start()` after the engine's). */
export async function createFleet(
  config: FleetConfig,
  engine: PolicyEngine,
  options: StartFleetOptions,
): Promise<Fleet> {
  const store = options.store ?? await openFleetStore(config.etcd);
  return new Fleet({
    config,
    store,
    clock: options.clock,
    log: options.log,
    onVerdict: (prefix) => engine.reevaluate(prefix),
  });
}

/** Record one engine decision in etcd. */
export function recordDecision(fleet: Fleet | undefined, status: PrefixStatus): void {
  fleet?.record(status.prefix, siteStateOf(status), status.reason);
}

/** "would breach the fleet floor for P (why); add --force to do it anyway". */
function refusal(breaches: Map<string, string>): ControlError {
  const list = [...breaches].map(([p, why]) => `${p} (${why})`).join("; ");
  return new ControlError(
    409,
    `Refused by the fleet guard: withdrawing ${list} breaches the fleet floor; use --force to do it anyway`,
  );
}

/**
 * Wrap the control backend: drain, maintenance on and withdraw of operator
 * prefixes are refused (409) when they would breach a floor, unless forced.
 * Operator-announced prefixes are recorded in etcd like configured ones.
 */
export function guardedBackend(
  backend: ControlBackend,
  fleet: () => Fleet | undefined,
  engine: PolicyEngine,
): ControlBackend {
  const check = async (prefixes: string[], options?: OperatorOptions) => {
    const f = fleet();
    if (!f || options?.force) return;
    const breaches = await f.breaches(prefixes);
    if (breaches.size > 0) throw refusal(breaches);
  };
  return {
    ...backend,
    announce: async (request) => {
      await backend.announce(request);
      fleet()?.record(request.prefix, "announced", "announced by operator");
    },
    withdraw: async (prefix, options) => {
      await check([prefix], options);
      await backend.withdraw(prefix, options);
      fleet()?.record(prefix, "withdrawn", "withdrawn by operator");
    },
    drain: async (target, options) => {
      const prefixes = "all" in target
        ? engine.statuses().map((s) => s.prefix)
        : engine.has(target.prefix)
        ? [target.prefix]
        : [];
      await check(prefixes, options);
      return await backend.drain(target, options);
    },
    maintenance: async (prefix, on, options) => {
      if (on && engine.has(prefix)) await check([prefix], options);
      await backend.maintenance(prefix, on, options);
    },
  };
}

/**
 * SIGTERM is never blocked by the guard; it is logged when it breaches a floor.
 * The check waits at most `waitMs` for etcd.
 */
export async function logShutdownBreaches(
  fleet: Fleet,
  prefixes: string[],
  log: DaemonLog,
  waitMs = 500,
): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), waitMs)));
  const breaches = await Promise.race([fleet.breaches(prefixes).catch(() => undefined), timeout]);
  clearTimeout(timer);
  for (const [prefix, why] of breaches ?? []) {
    log("warning", `prefix ${prefix}: shutdown withdraws it below the fleet floor (${why})`);
  }
}
