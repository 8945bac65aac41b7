/**
 * Kubernetes probe threshold logic as a pure function.
 *
 * A probe's verdict changes only after `successThreshold` consecutive
 * successes (to "up") or `failureThreshold` consecutive failures (to
 * "down"). Before either threshold is first reached the verdict is
 * "unknown": nothing is announced and no liveness action is taken.
 *
 * @module
 */

export type ProbeStatus = "unknown" | "up" | "down";

export interface ThresholdState {
  status: ProbeStatus;
  /** Consecutive successes since the last failure. */
  successes: number;
  /** Consecutive failures since the last success. */
  failures: number;
}

export interface ThresholdConfig {
  successThreshold: number;
  failureThreshold: number;
}

export interface Transition {
  from: ProbeStatus;
  to: ProbeStatus;
}

export const INITIAL_THRESHOLD_STATE: ThresholdState = Object.freeze({
  status: "unknown",
  successes: 0,
  failures: 0,
});

/** Fold one result into the state; `transition` is set when the verdict changed. */
export function applyResult(
  state: ThresholdState,
  ok: boolean,
  cfg: ThresholdConfig,
): { state: ThresholdState; transition?: Transition } {
  const successes = ok ? state.successes + 1 : 0;
  const failures = ok ? 0 : state.failures + 1;
  let status = state.status;
  if (ok && status !== "up" && successes >= Math.max(1, cfg.successThreshold)) status = "up";
  if (!ok && status !== "down" && failures >= Math.max(1, cfg.failureThreshold)) status = "down";
  const next: ThresholdState = { status, successes, failures };
  if (status === state.status) return { state: next };
  return { state: next, transition: { from: state.status, to: status } };
}

/**
 * True while results point away from the current verdict (rising towards up
 * or falling towards down); schedulers re-check faster then (ExaBGP's
 * fast-interval).
 */
export function isBetweenStates(state: ThresholdState): boolean {
  if (state.status === "up") return state.failures > 0;
  if (state.status === "down") return state.successes > 0;
  return state.successes > 0 || state.failures > 0;
}
