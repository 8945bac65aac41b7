/**
 * Metrics: the `MetricsReporter` interface (no-op default), its Prometheus
 * implementation with anycastd-compatible names, and the HTTP listener.
 *
 * @module
 */
export * from "./reporter.ts";
export * from "./prometheus.ts";
export * from "./server.ts";
