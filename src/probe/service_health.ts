/**
 * An anycastd service: its checks run together every `checkIntervalMs`
 * (first round at start), the strategy turns their outcomes into up/down.
 * Unlike anycastd, which waits one interval before the first round and runs
 * checks one after another, we run the first round at once and the checks
 * concurrently; the verdict is the same.
 *
 * @module
 */
import type { HandlerConfig, ServiceConfig } from "../config/model.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { ProbeLoop, type ProbeTiming } from "./probe_loop.ts";
import { type ProbeResult, timeoutReason } from "./result.ts";
import { type HandlerRunner, runHandler } from "./run_handler.ts";
import { explainStrategy, serviceUp } from "./strategy.ts";

export type ServiceEvent =
  | { kind: "service-changed"; up: boolean; reason: string }
  | {
    kind: "service-evaluated";
    up: boolean;
    results: ProbeResult[];
    timing: ProbeTiming;
    reason: string;
  };

export interface ServiceHealthOptions {
  clock?: Clock;
  runner?: HandlerRunner;
}

/** Hard bound for one check: every try with its timeout and the gaps, plus slack. */
export function checkDeadlineMs(h: HandlerConfig): number {
  if ("tries" in h) return Math.max(1, h.tries) * (h.timeoutMs + h.intervalMs) + 1000;
  return 10_000;
}

export class ServiceHealth {
  readonly config: ServiceConfig;
  #clock: Clock;
  #runner: HandlerRunner;
  #loop: ProbeLoop;
  #up: boolean | undefined;
  #last: ProbeResult[] = [];
  #listeners = new Set<(event: ServiceEvent) => void>();

  constructor(config: ServiceConfig, options: ServiceHealthOptions = {}) {
    this.config = config;
    this.#clock = options.clock ?? systemClock;
    this.#runner = options.runner ?? ((h: HandlerConfig, s: AbortSignal) => runHandler(h, s));
    const longest = Math.max(0, ...config.checks.map((c) => checkDeadlineMs(c.handler)));
    this.#loop = new ProbeLoop({
      clock: this.#clock,
      initialDelayMs: 0,
      periodMs: config.checkIntervalMs,
      jitterMs: 0,
      timeoutMs: longest + 1000,
      run: (signal) => this.#round(signal),
      onResult: () => {},
    });
  }

  get name(): string {
    return this.config.name;
  }

  /** undefined until the first round finished. */
  get up(): boolean | undefined {
    return this.#up;
  }

  /** Results of the last round, in check order. */
  lastResults(): readonly ProbeResult[] {
    return this.#last;
  }

  onEvent(listener: (event: ServiceEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  start(): void {
    this.#loop.start();
  }

  async stop(): Promise<void> {
    await this.#loop.stop();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  async #round(signal: AbortSignal): Promise<ProbeResult> {
    const startedAt = this.#clock.now();
    const results = await Promise.all(
      this.config.checks.map((check) => this.#runCheck(check.handler, signal)),
    );
    if (signal.aborted && !isTimeoutAbort(signal)) {
      return { ok: false, durationMs: 0, reason: "stopped", target: this.name, figures: {} };
    }
    const outcomes = results.map((r, i) => {
      const group = this.config.checks[i]!.group;
      return group !== undefined ? { ok: r.ok, group } : { ok: r.ok };
    });
    const up = serviceUp(this.config.strategy, outcomes, this.config.strategyN);
    const reason = explainStrategy(this.config.strategy, outcomes, this.config.strategyN);
    this.#last = results;
    const timing = { scheduledAt: startedAt, startedAt };
    for (const l of this.#listeners) l({ kind: "service-evaluated", up, results, timing, reason });
    if (up !== this.#up) {
      this.#up = up;
      for (const l of this.#listeners) l({ kind: "service-changed", up, reason });
    }
    return {
      ok: up,
      durationMs: this.#clock.now() - startedAt,
      reason,
      target: this.name,
      figures: {},
    };
  }

  #runCheck(handler: HandlerConfig, outer: AbortSignal): Promise<ProbeResult> {
    const controller = new AbortController();
    const deadline = checkDeadlineMs(handler);
    const timer = this.#clock.setTimeout(() => controller.abort(timeoutReason(deadline)), deadline);
    const onOuter = () => controller.abort(outer.reason);
    outer.addEventListener("abort", onOuter, { once: true });
    return this.#runner(handler, controller.signal).finally(() => {
      this.#clock.clearTimeout(timer);
      outer.removeEventListener("abort", onOuter);
    });
  }
}

function isTimeoutAbort(signal: AbortSignal): boolean {
  return (signal.reason as { name?: string } | undefined)?.name === "TimeoutError";
}
