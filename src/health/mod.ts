/**
 * Health to routes: the per-prefix route policy, the engine that runs it,
 * the supervisor that runs probes and services, and the maintenance file watcher.
 *
 * @module
 */
export * from "./policy.ts";
export * from "./engine.ts";
export * from "./supervisor.ts";
export * from "./maintenance.ts";
export * from "./probe_events.ts";
