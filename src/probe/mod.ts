/**
 * Health engine: probe handlers for every check kind of both dialects,
 * Kubernetes threshold logic, per-prefix probe sets and anycastd services.
 *
 * @module
 */
export type { ProbeResult } from "./result.ts";
export { formatMs } from "./result.ts";
export { type HandlerDeps, type HandlerRunner, runHandler } from "./run_handler.ts";
export { handlerTarget } from "./describe.ts";
export {
  applyResult,
  INITIAL_THRESHOLD_STATE,
  isBetweenStates,
  type ProbeStatus,
  type ThresholdConfig,
  type ThresholdState,
  type Transition,
} from "./threshold.ts";
export { ProbeLoop, type ProbeLoopOptions, type ProbeTiming } from "./probe_loop.ts";
export {
  type HealthEvent,
  type HealthListener,
  type HealthOptions,
  PrefixHealth,
  PrefixHealth as ProbeRunner,
  type PrefixProbes,
  probeDeadlineMs,
  type ProbeKind,
  type ProbeView,
} from "./prefix_health.ts";
export {
  checkDeadlineMs,
  type ServiceEvent,
  ServiceHealth,
  type ServiceHealthOptions,
} from "./service_health.ts";
export { type CheckOutcome, explainStrategy, serviceDown, serviceUp } from "./strategy.ts";
