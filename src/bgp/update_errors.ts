/**
 * RFC 7606 outcomes made visible: every treat-as-withdraw, attribute discard
 * and UPDATE session reset is counted per session (exported as metrics by
 * the metrics) and logged with the attribute and reason, as BIRD logs them,
 * but at most `perWindow` lines per `windowMs` per session, so a peer that
 * sends a malformed attribute on every route cannot flood the log.
 *
 * @module
 */
import type { Clock } from "../util/clock.ts";
import type { Rfc7606Outcome } from "./message/types.ts";

/** RFC 7606 §2 approaches, as metric label values. */
export type UpdateErrorAction = Rfc7606Outcome["action"] | "session-reset";

export type UpdateErrorCounts = Record<UpdateErrorAction, number>;

export interface UpdateErrorLogOptions {
  /** Log lines allowed per window. Default 10. */
  perWindow?: number;
  /** Window length in ms. Default 60,000. */
  windowMs?: number;
}

export class UpdateErrorLog {
  readonly counts: UpdateErrorCounts = {
    "treat-as-withdraw": 0,
    "attribute-discard": 0,
    "session-reset": 0,
  };
  #clock: Clock;
  #log: (message: string) => void;
  #count: (action: UpdateErrorAction) => void;
  #perWindow: number;
  #windowMs: number;
  #windowStart = -Infinity;
  #logged = 0;
  #suppressed = 0;

  /** `count` is told of every outcome (the session's metrics counters). */
  constructor(
    clock: Clock,
    log: (message: string) => void,
    count: (action: UpdateErrorAction) => void = () => {},
    options: UpdateErrorLogOptions = {},
  ) {
    this.#clock = clock;
    this.#log = log;
    this.#count = count;
    this.#perWindow = options.perWindow ?? 10;
    this.#windowMs = options.windowMs ?? 60_000;
  }

  /** One UPDATE's RFC 7606 outcomes; `prefixes` is how many routes it withdrew. */
  outcomes(outcomes: readonly Rfc7606Outcome[], prefixes: number): void {
    for (const o of outcomes) {
      this.counts[o.action]++;
      this.#count(o.action);
      const effect = o.action === "treat-as-withdraw"
        ? `, ${prefixes} prefix${prefixes === 1 ? "" : "es"} withdrawn`
        : "";
      this.#line(`UPDATE ${o.action} (RFC 7606): ${o.attribute}: ${o.reason}${effect}`);
    }
  }

  /** An UPDATE error that reset the session (RFC 7606 §2 session reset); the session logs it. */
  sessionReset(): void {
    this.counts["session-reset"]++;
    this.#count("session-reset");
  }

  #line(message: string): void {
    const now = this.#clock.now();
    if (now - this.#windowStart >= this.#windowMs) {
      if (this.#suppressed > 0) {
        this.#log(`${this.#suppressed} more RFC 7606 outcomes not logged (rate limit)`);
      }
      this.#windowStart = now;
      this.#logged = 0;
      this.#suppressed = 0;
    }
    if (this.#logged < this.#perWindow) {
      this.#logged++;
      this.#log(message);
    } else {
      this.#suppressed++;
    }
  }
}
