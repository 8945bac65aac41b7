/**
 * Restart pacing of one session: RFC 4271 §8.1.1 DampPeerOscillations.
 *
 * A session that drops once (the peer restarted, a link blinked) is restarted
 * at once and retried every `connectRetry` (jittered, RFC 4271 §10) until the
 * peer answers. Only repeated flaps back off: a flap is a session that left
 * Established less than `stableMs` after it came up; when more than
 * `freeFlaps` of them fall within `windowMs`, each further one doubles the
 * wait, up to `maxDelayMs`. A session that stays up for `stableMs` forgets the
 * history.
 *
 * Pure: every method takes the time; the session owns the timers.
 *
 * @module
 */

export interface DampingOptions {
  /** A session up this long is stable and clears the flap history. Default 5 s. */
  stableMs?: number;
  /** Flaps older than this are forgotten. Default 60 s. */
  windowMs?: number;
  /** Flaps within the window that cost nothing. Default 3. */
  freeFlaps?: number;
  /** The longest wait between automatic restarts. Default 60 s. */
  maxDelayMs?: number;
}

export const DAMPING_DEFAULTS: Required<DampingOptions> = {
  stableMs: 5_000,
  windowMs: 60_000,
  freeFlaps: 3,
  maxDelayMs: 60_000,
};

/** `ms` scaled by a factor in [0.75, 1.0] (RFC 4271 §10 jitter). */
export function jitter(ms: number, random: () => number): number {
  return Math.round(ms * (0.75 + 0.25 * random()));
}

export class FlapDamping {
  readonly #o: Required<DampingOptions>;
  #flaps: number[] = [];
  #upSince: number | undefined;

  constructor(options: DampingOptions = {}) {
    this.#o = { ...DAMPING_DEFAULTS, ...options };
  }

  /** The session reached Established at `now`. */
  up(now: number): void {
    this.#upSince = now;
  }

  /** The session left Established at `now`. Returns whether it counted as a flap. */
  down(now: number): boolean {
    const since = this.#upSince;
    this.#upSince = undefined;
    if (since === undefined) return false;
    if (now - since >= this.#o.stableMs) {
      this.#flaps = [];
      return false;
    }
    this.#flaps.push(now);
    return true;
  }

  /** Flaps within the window at `now` (a session up for `stableMs` has cleared them). */
  flaps(now: number): number {
    if (this.#upSince !== undefined && now - this.#upSince >= this.#o.stableMs) this.#flaps = [];
    const from = now - this.#o.windowMs;
    this.#flaps = this.#flaps.filter((t) => t > from);
    return this.#flaps.length;
  }

  /**
   * How long to wait before the next automatic start after a drop at `now`:
   * `firstMs` while the flaps in the window are within the free allowance,
   * then `connectRetryMs` doubled per further flap, capped (before jitter).
   */
  delayMs(now: number, firstMs: number, connectRetryMs: number, random: () => number): number {
    const excess = this.flaps(now) - this.#o.freeFlaps;
    if (excess <= 0) return firstMs;
    const backoff = Math.min(this.#o.maxDelayMs, connectRetryMs * 2 ** Math.min(excess, 16));
    return jitter(backoff, random);
  }

  /** Whether the next restart is held back by damping at `now`. */
  damped(now: number): boolean {
    return this.flaps(now) > this.#o.freeFlaps;
  }
}
