/**
 * Runs one probe over and over on an injected clock: never overlapping
 * itself, each run under a hard timeout, optional jitter, a faster period
 * while the verdict is in flux, and clean cancellation on dispose.
 *
 * @module
 */
import type { Clock, TimerId } from "../util/clock.ts";
import { type ProbeResult, timeoutReason } from "./result.ts";

export interface ProbeTiming {
  /** When the run was due (clock ms, jitter included). */
  scheduledAt: number;
  /** When it actually started. */
  startedAt: number;
}

export interface ProbeLoopOptions {
  clock: Clock;
  /** 0 <= x < 1; default Math.random. */
  random?: () => number;
  initialDelayMs: number;
  periodMs: number;
  /** Used while `inFlux()` says the verdict is changing; default periodMs. */
  fastPeriodMs?: number;
  /** Random 0..jitterMs added to each start. */
  jitterMs: number;
  timeoutMs: number;
  run: (signal: AbortSignal) => Promise<ProbeResult>;
  onResult: (result: ProbeResult, timing: ProbeTiming) => void;
  /** True when the next run should use the fast period. */
  inFlux?: () => boolean;
}

export class ProbeLoop {
  #opts: ProbeLoopOptions;
  #timer: TimerId | undefined;
  #timeoutTimer: TimerId | undefined;
  #controller: AbortController | undefined;
  #inflight: Promise<void> | undefined;
  /** Resolves when the run in progress reaches its timeout. */
  #deadline: Promise<void> | undefined;
  #stopped = true;
  /** Unjittered due time of the next run, so jitter never accumulates. */
  #baseAt = 0;
  /** runNow() came during a run: start the next one as soon as it ends. */
  #runAgain = false;

  constructor(opts: ProbeLoopOptions) {
    this.#opts = opts;
  }

  get running(): boolean {
    return !this.#stopped;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#baseAt = this.#opts.clock.now() + Math.max(0, this.#opts.initialDelayMs);
    this.#arm();
  }

  /** Cancel the pending start and abort a run in progress; resolves when it has ended. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#opts.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#controller?.abort(new DOMException("Probe stopped", "AbortError"));
    // A handler that ignores its abort signal (hung) must not hang the shutdown:
    // wait for the run at most until its own deadline.
    await Promise.race([this.#inflight, this.#deadline]);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /**
   * Run now instead of at the next due time (a hint such as a watched
   * connection closing). A run in progress is not interrupted: the next one
   * then starts as soon as it ends. The schedule continues from here.
   */
  runNow(): void {
    if (this.#stopped) return;
    if (this.#controller !== undefined) {
      this.#runAgain = true;
      return;
    }
    if (this.#timer !== undefined) this.#opts.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    const now = this.#opts.clock.now();
    this.#baseAt = now;
    this.#fire(now);
  }

  #arm(): void {
    const { clock, jitterMs } = this.#opts;
    const jitter = jitterMs > 0 ? Math.floor((this.#opts.random ?? Math.random)() * jitterMs) : 0;
    const scheduledAt = this.#baseAt + jitter;
    this.#timer = clock.setTimeout(() => this.#fire(scheduledAt), scheduledAt - clock.now());
  }

  #fire(scheduledAt: number): void {
    this.#timer = undefined;
    if (this.#stopped) return;
    const { clock, timeoutMs } = this.#opts;
    const startedAt = clock.now();
    const controller = new AbortController();
    this.#controller = controller;
    let expired!: () => void;
    this.#deadline = new Promise<void>((resolve) => (expired = resolve));
    this.#timeoutTimer = clock.setTimeout(() => {
      controller.abort(timeoutReason(timeoutMs));
      expired();
    }, timeoutMs);
    let running: Promise<ProbeResult>;
    try {
      running = this.#opts.run(controller.signal);
    } catch (e) {
      // A runner that throws synchronously is a failed run, not a crashed loop.
      running = Promise.reject(e);
    }
    this.#inflight = running.then(
      (result) => this.#finish(result, { scheduledAt, startedAt }),
      (e) => this.#finish(crashResult(e), { scheduledAt, startedAt }),
    );
  }

  #finish(result: ProbeResult, timing: ProbeTiming): void {
    const { clock } = this.#opts;
    if (this.#timeoutTimer !== undefined) clock.clearTimeout(this.#timeoutTimer);
    this.#timeoutTimer = undefined;
    this.#controller = undefined;
    if (this.#stopped) return;
    this.#opts.onResult(result, timing);
    if (this.#stopped) return; // onResult may stop us
    const fast = this.#opts.inFlux?.() ?? false;
    const period = fast ? (this.#opts.fastPeriodMs ?? this.#opts.periodMs) : this.#opts.periodMs;
    if (this.#runAgain) {
      this.#runAgain = false;
      this.#baseAt = clock.now();
      this.#fire(this.#baseAt);
      return;
    }
    // Fixed rate from the previous due time; a run that overran skips the missed slots.
    this.#baseAt = Math.max(this.#baseAt + Math.max(1, period), clock.now());
    this.#arm();
  }
}

function crashResult(e: unknown): ProbeResult {
  const message = e instanceof Error ? e.message : String(e);
  return {
    ok: false,
    durationMs: 0,
    reason: `probe crashed: ${message}`,
    target: "?",
    figures: {},
  };
}
