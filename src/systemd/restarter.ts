/**
 * Rate-limited unit restarts: a flapping liveness probe must not turn into a
 * restart storm. At most one restart per unit per interval; the interval
 * starts at 30 s and doubles with each restart up to 10 min, and goes back
 * to 30 s after a quiet period as long as the longest interval.
 *
 * With a grace period (a liveness probe's terminationGracePeriodSeconds, as
 * Kubernetes uses it: SIGTERM, wait, SIGKILL, start again) the restart is
 * StopUnit, a wait of up to the grace period for the unit to become inactive
 * or failed, KillUnit with SIGKILL if it has not, and StartUnit. systemd
 * cannot be given a per-job stop timeout over D-Bus (TimeoutStopUSec is only
 * settable on transient units), so the grace is enforced here. Without one,
 * one RestartUnit job uses the unit's own TimeoutStopSec.
 *
 * @module
 */
import { type Clock, systemClock } from "../util/clock.ts";
import { type MetricsReporter, noopMetrics } from "../metrics/reporter.ts";
import type { ServiceManager } from "./service_manager.ts";

export type RestartOutcome = "restarted" | "rate-limited" | "failed";

/** How often the unit's state is read while waiting for it to stop. */
export const STOP_POLL_MS = 100;
/** How long a unit gets to go away after SIGKILL before it is started anyway. */
export const KILL_WAIT_MS = 5000;
const SIGKILL = 9;

export interface RestartOptions {
  /** Stop, wait up to this long, kill, start; 0 or undefined = one RestartUnit job. */
  graceMs?: number;
}

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
  #manager: () => Promise<ServiceManager>;
  #clock: Clock;
  #minIntervalMs: number;
  #maxIntervalMs: number;
  #metrics: MetricsReporter;
  #log: NonNullable<ServiceRestarterOptions["log"]>;
  #units = new Map<string, UnitState>();

  /** `manager` may be a function that connects on first use (the daemon's D-Bus). */
  constructor(
    manager: ServiceManager | (() => Promise<ServiceManager>),
    options: ServiceRestarterOptions = {},
  ) {
    this.#manager = typeof manager === "function" ? manager : () => Promise.resolve(manager);
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
  async restart(
    unit: string,
    reason: string,
    options: RestartOptions = {},
  ): Promise<RestartOutcome> {
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
      const graceMs = options.graceMs ?? 0;
      const m = await this.#manager();
      if (graceMs > 0 && m.stop && m.kill && m.start) {
        await m.stop(unit);
        if (!await this.#stopped(m, unit, graceMs)) {
          this.#log(
            "warning",
            `${unit} did not stop within its grace period of ${graceMs} ms: killing it`,
          );
          await m.kill(unit, SIGKILL);
          await this.#stopped(m, unit, KILL_WAIT_MS);
        }
        await m.start(unit);
      } else {
        await m.restart(unit);
      }
    } catch (e) {
      this.#metrics.serviceRestart(unit, false);
      this.#log("error", `restart of ${unit} failed: ${e instanceof Error ? e.message : e}`);
      return "failed";
    }
    this.#metrics.serviceRestart(unit, true);
    return "restarted";
  }

  /** Wait until `unit` is inactive or failed, reading its state every STOP_POLL_MS; false at the deadline. */
  async #stopped(m: ServiceManager, unit: string, withinMs: number): Promise<boolean> {
    const deadline = this.#clock.now() + withinMs;
    for (;;) {
      const state = await m.activeState(unit);
      if (state === "inactive" || state === "failed") return true;
      const left = deadline - this.#clock.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) =>
        this.#clock.setTimeout(resolve, Math.min(STOP_POLL_MS, left))
      );
    }
  }
}
