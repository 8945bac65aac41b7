/**
 * Health to routes: the per-prefix route policy, the engine that runs it,
 * the reconciler that drives the speaker, and the maintenance file watcher.
 *
 * @module
 */
export * from "./policy.ts";
export * from "./engine.ts";
export * from "./reconciler.ts";
export * from "./maintenance.ts";
export * from "./probe_events.ts";
