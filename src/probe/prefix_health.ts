/**
 * The three Kubernetes probes of one prefix, wired together:
 *
 * - startup runs first, alone, until it reaches its success threshold; then
 *   liveness and readiness start (each after its own initial delay). When
 *   startup reaches its failure threshold ("exhausts" it) we emit
 *   `startup-failed` and `liveness-failed` (the service action, as a failing
 *   startup probe does in Kubernetes), reset its counters and keep probing.
 * - liveness reaching its failure threshold emits `liveness-failed` once per
 *   fall; the daemon restarts the service and calls `restarted()`, which
 *   withdraws, resets every probe and begins again with startup.
 * - readiness decides announce/withdraw: `ready-changed` fires when the
 *   announce decision flips. Before the first verdict the prefix is not
 *   ready. Without a readiness probe the prefix is ready once startup passed.
 *
 * @module
 */
import type { HandlerConfig, ProbeConfig } from "../config/model.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { ProbeLoop, type ProbeTiming } from "./probe_loop.ts";
import type { ProbeResult } from "./result.ts";
import {
  applyResult,
  INITIAL_THRESHOLD_STATE,
  isBetweenStates,
  type ThresholdState,
  type Transition,
} from "./threshold.ts";
import { type HandlerRunner, runHandler } from "./run_handler.ts";

export type ProbeKind = "startup" | "liveness" | "readiness";

export type HealthEvent =
  | { kind: "ready-changed"; ready: boolean }
  | { kind: "liveness-failed"; reason: string }
  | { kind: "startup-failed"; reason: string }
  | { kind: "startup-succeeded" }
  | {
    kind: "probe-result";
    probe: ProbeKind;
    result: ProbeResult;
    state: ThresholdState;
    timing: ProbeTiming;
  }
  | { kind: "probe-transition"; probe: ProbeKind; transition: Transition; reason: string };

export interface ProbeView {
  config: ProbeConfig;
  state: ThresholdState;
  lastResult?: ProbeResult;
  /** Clock ms of the last completed run. */
  lastRunAt?: number;
}

export interface PrefixProbes {
  name: string;
  startupProbe?: ProbeConfig;
  livenessProbe?: ProbeConfig;
  readinessProbe?: ProbeConfig;
}

export interface HealthOptions {
  /** Default the system clock. */
  clock?: Clock;
  /** Default `runHandler`. */
  runner?: HandlerRunner;
  /** Jitter source, 0 <= x < 1; default Math.random. */
  random?: () => number;
}

export type HealthListener = (event: HealthEvent) => void;

/**
 * Hard limit of one probe run: `timeoutMs`, or for anycastd kinds with
 * several tries the whole retry budget (tries x (timeout + interval)) when
 * that is longer, so the retries the config asks for can happen.
 */
export function probeDeadlineMs(config: ProbeConfig): number {
  const h = config.handler;
  if (!("tries" in h) || h.tries <= 1) return config.timeoutMs;
  return Math.max(config.timeoutMs, h.tries * (h.timeoutMs + h.intervalMs));
}

export class PrefixHealth {
  readonly name: string;
  #clock: Clock;
  #runner: HandlerRunner;
  #random: () => number;
  #listeners = new Set<HealthListener>();
  #views = new Map<ProbeKind, ProbeView>();
  #loops = new Map<ProbeKind, ProbeLoop>();
  #ready = false;
  #phase: "idle" | "startup" | "running" = "idle";

  constructor(prefix: PrefixProbes, options: HealthOptions = {}) {
    this.name = prefix.name;
    this.#clock = options.clock ?? systemClock;
    this.#runner = options.runner ?? ((h: HandlerConfig, s: AbortSignal) => runHandler(h, s));
    this.#random = options.random ?? Math.random;
    const configs: [ProbeKind, ProbeConfig | undefined][] = [
      ["startup", prefix.startupProbe],
      ["liveness", prefix.livenessProbe],
      ["readiness", prefix.readinessProbe],
    ];
    for (const [kind, config] of configs) {
      if (config) this.#views.set(kind, { config, state: INITIAL_THRESHOLD_STATE });
    }
  }

  /** Subscribe; returns the unsubscribe function. */
  onEvent(listener: HealthListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The announce decision: true only while readiness says up (after startup). */
  get ready(): boolean {
    return this.#ready;
  }

  /** "startup" while the startup probe gates the others, "running" after. */
  get phase(): "idle" | "startup" | "running" {
    return this.#phase;
  }

  /** State and last result of each configured probe. */
  probes(): Partial<Record<ProbeKind, Readonly<ProbeView>>> {
    return Object.fromEntries(this.#views.entries());
  }

  /**
   * Run the probe that decides now at once (startup while it gates, else
   * readiness, else liveness), then on its schedule, at the fast period
   * while its results point away from its verdict. For hints such as a
   * watched connection that closed: the probe, not the hint, decides.
   */
  probeNow(): void {
    const order: ProbeKind[] = this.#phase === "startup" ? ["startup"] : ["readiness", "liveness"];
    for (const kind of order) {
      const loop = this.#loops.get(kind);
      if (loop) {
        loop.runNow();
        return;
      }
    }
  }

  start(): void {
    if (this.#phase !== "idle") return;
    this.#beginStartup();
  }

  /** The service was restarted (after `liveness-failed`): withdraw and start over with startup. */
  async restarted(): Promise<void> {
    if (this.#phase === "idle") return;
    await this.#stopLoops();
    for (const [kind, view] of this.#views) {
      this.#views.set(kind, { ...view, state: INITIAL_THRESHOLD_STATE });
    }
    this.#setReady(false);
    this.#beginStartup();
  }

  async stop(): Promise<void> {
    this.#phase = "idle";
    await this.#stopLoops();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  #emit(event: HealthEvent): void {
    for (const listener of this.#listeners) listener(event);
  }

  #setReady(ready: boolean): void {
    if (ready === this.#ready) return;
    this.#ready = ready;
    this.#emit({ kind: "ready-changed", ready });
  }

  async #stopLoops(): Promise<void> {
    const loops = [...this.#loops.values()];
    this.#loops.clear();
    await Promise.all(loops.map((l) => l.stop()));
  }

  #beginStartup(): void {
    if (this.#views.has("startup")) {
      this.#phase = "startup";
      this.#startLoop("startup");
    } else {
      this.#beginRunning();
    }
  }

  #beginRunning(): void {
    this.#phase = "running";
    if (this.#views.has("liveness")) this.#startLoop("liveness");
    if (this.#views.has("readiness")) this.#startLoop("readiness");
    else this.#setReady(true);
  }

  #startLoop(kind: ProbeKind): void {
    const view = this.#views.get(kind)!;
    const { config } = view;
    const loop = new ProbeLoop({
      clock: this.#clock,
      random: this.#random,
      initialDelayMs: config.initialDelayMs,
      periodMs: config.periodMs,
      ...(config.fastPeriodMs !== undefined ? { fastPeriodMs: config.fastPeriodMs } : {}),
      jitterMs: config.jitterMs,
      timeoutMs: probeDeadlineMs(config),
      run: (signal) => this.#runner(config.handler, signal),
      onResult: (result, timing) => this.#onResult(kind, result, timing),
      inFlux: () => isBetweenStates(this.#views.get(kind)!.state),
    });
    this.#loops.set(kind, loop);
    loop.start();
  }

  #onResult(kind: ProbeKind, result: ProbeResult, timing: ProbeTiming): void {
    const view = this.#views.get(kind)!;
    const { state, transition } = applyResult(view.state, result.ok, view.config);
    this.#views.set(kind, { ...view, state, lastResult: result, lastRunAt: this.#clock.now() });
    this.#emit({ kind: "probe-result", probe: kind, result, state, timing });
    if (!transition) return;
    this.#emit({ kind: "probe-transition", probe: kind, transition, reason: result.reason });
    if (kind === "startup") {
      if (transition.to === "up") {
        const loop = this.#loops.get("startup");
        this.#loops.delete("startup");
        void loop?.stop();
        this.#emit({ kind: "startup-succeeded" });
        this.#beginRunning();
      } else if (transition.to === "down") {
        this.#emit({ kind: "startup-failed", reason: result.reason });
        this.#emit({ kind: "liveness-failed", reason: `startup probe failed: ${result.reason}` });
        // Keep retrying: count the next failures afresh.
        this.#views.set(kind, { ...this.#views.get(kind)!, state: INITIAL_THRESHOLD_STATE });
      }
    } else if (kind === "liveness" && transition.to === "down") {
      this.#emit({ kind: "liveness-failed", reason: result.reason });
    } else if (kind === "readiness") {
      this.#setReady(transition.to === "up");
    }
  }
}
