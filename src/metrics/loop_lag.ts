/**
 * Event-loop lag: a timer due every `intervalMs` reports how late it fired.
 * Lateness is time the loop spent on other work, which is also how late a
 * KEEPALIVE, a BFD packet or a signal would have been served.
 *
 * @module
 */

export interface LoopLagOptions {
  /** How often to sample (default 100 ms). */
  intervalMs?: number;
  /** Receives each sample in seconds. */
  report: (seconds: number) => void;
  /** Default performance.now(). */
  now?: () => number;
}

export class LoopLagMonitor {
  #timer: ReturnType<typeof setInterval> | undefined;
  #max = 0;

  constructor(readonly options: LoopLagOptions) {}

  /** Largest lag seen, in milliseconds. */
  get maxMs(): number {
    return this.#max;
  }

  start(): void {
    if (this.#timer !== undefined) return;
    const interval = this.options.intervalMs ?? 100;
    const now = this.options.now ?? (() => performance.now());
    let due = now() + interval;
    const timer = setInterval(() => {
      const t = now();
      const lagMs = Math.max(0, t - due);
      due = t + interval;
      if (lagMs > this.#max) this.#max = lagMs;
      this.options.report(lagMs / 1000);
    }, interval);
    // Never keeps the process alive by itself.
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
