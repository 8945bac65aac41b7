/**
 * Injected time. Production code takes a `Clock`; tests pass a `FakeClock`
 * and advance it with `tick(ms)`, so nothing in a unit test ever sleeps.
 *
 * @module
 */

export type TimerId = number;

export interface Clock {
  /** Monotonic milliseconds. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerId;
  clearTimeout(id: TimerId): void;
}

/** The real clock: `performance.now()` and the runtime's timers. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, Math.max(0, ms)) as unknown as TimerId,
  clearTimeout: (id) => clearTimeout(id),
};

interface PendingTimer {
  id: TimerId;
  at: number;
  seq: number;
  fn: () => void;
}

/** A clock that only moves when told to. Timers fire in due-time order, ties in creation order. */
export class FakeClock implements Clock {
  #now: number;
  #nextId = 1;
  #seq = 0;
  #timers = new Map<TimerId, PendingTimer>();

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerId {
    const id = this.#nextId++;
    this.#timers.set(id, { id, at: this.#now + Math.max(0, ms), seq: this.#seq++, fn });
    return id;
  }

  clearTimeout(id: TimerId): void {
    this.#timers.delete(id);
  }

  /** Number of timers still pending. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Advance time by `ms`, firing every timer that falls due, including ones set while ticking. */
  tick(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      let next: PendingTimer | undefined;
      for (const t of this.#timers.values()) {
        if (t.at <= end && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))) {
          next = t;
        }
      }
      if (!next) break;
      this.#timers.delete(next.id);
      this.#now = next.at;
      next.fn();
    }
    this.#now = end;
  }

  /** Advance to the next pending timer and fire it; returns false when none is pending. */
  next(): boolean {
    let next: PendingTimer | undefined;
    for (const t of this.#timers.values()) {
      if (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq)) next = t;
    }
    if (!next) return false;
    this.tick(next.at - this.#now);
    return true;
  }
}
