/**
 * Rate-limited unit restarts: a flapping liveness probe must not turn into a
 * restart storm. At most one restart per unit per interval; the interval
 * starts at 30 s and doubles with each restart up to 10 min, and goes back
 * to 30 s after a quiet period as long as the longest interval.
 *
 * @module
 */
import { type Clock, systemClock } from "../util/clock.ts";
import { type MetricsReporter, noopMetrics } from "../metrics/reporter.ts";
import type { ServiceManager } from "./service_manager.ts";

export type RestartOutcome = "restarted" | "rate-limited" | "failed";

export interface ServiceRestarterOptions {
  /** Default the system clock. */
  clock?: Clock;
  /** First interval after a restart (default 30000 ms). */
  minIntervalMs?: number;
  /** Longest interval (default 600000 ms); also the quiet time that resets it. */
  maxIntervalMs?: number;
  /** Default noopMetrics. */
  metrics?: MetricsReporter;
  log?: (level: "info" | "warning" | "error", message: string) => void;
}

interface UnitState {
  lastRestartAt: number;
  intervalMs: number;
}

export class ServiceRestarter {
  #manager: ServiceManager;
  #clock: Clock;
  #minIntervalMs: number;
  #maxIntervalMs: number;
  #metrics: MetricsReporter;
  #log: NonNullable<ServiceRestarterOptions["log"]>;
  #units = new Map<string, UnitState>();

  constructor(manager: ServiceManager, options: ServiceRestarterOptions = {}) {
    this.#manager = manager;
    this.#clock = options.clock ?? systemClock;
    this.#minIntervalMs = options.minIntervalMs ?? 30_000;
    this.#maxIntervalMs = options.maxIntervalMs ?? 600_000;
    this.#metrics = options.metrics ?? noopMetrics;
    this.#log = options.log ?? (() => {});
  }

  /** When the next restart of `unit` is allowed (clock ms), undefined = now. */
  nextAllowedAt(unit: string): number | undefined {
    const state = this.#units.get(unit);
    if (!state) return undefined;
    const at = state.lastRestartAt + state.intervalMs;
    return at > this.#clock.now() ? at : undefined;
  }

  /** Restart `unit` unless it was restarted too recently. Never throws. */
  async restart(unit: string, reason: string): Promise<RestartOutcome> {
    const now = this.#clock.now();
    const previous = this.#units.get(unit);
    if (previous && now < previous.lastRestartAt + previous.intervalMs) {
      const waitS = Math.ceil((previous.lastRestartAt + previous.intervalMs - now) / 1000);
      this.#log(
        "warning",
        `not restarting ${unit} (${reason}): rate-limited for another ${waitS} s`,
      );
      return "rate-limited";
    }
    const quiet = !previous ||
      now - previous.lastRestartAt >= previous.intervalMs + this.#maxIntervalMs;
    const intervalMs = quiet
      ? this.#minIntervalMs
      : Math.min(this.#maxIntervalMs, previous.intervalMs * 2);
    this.#units.set(unit, { lastRestartAt: now, intervalMs });
    this.#log("warning", `restarting ${unit}: ${reason}`);
    try {
      await this.#manager.restart(unit);
    } catch (e) {
      this.#metrics.serviceRestart(unit, false);
      this.#log("error", `restart of ${unit} failed: ${e instanceof Error ? e.message : e}`);
      return "failed";
    }
    this.#metrics.serviceRestart(unit, true);
    return "restarted";
  }
}
