/**
 * The fleet guard on etcd (docs/fleet.md): one lease per daemon, per-prefix
 * site records, and a guard that keeps a health-driven withdraw from leaving
 * fewer than the floor of sites announcing a prefix.
 *
 * @module
 */
export * from "./guard.ts";
export * from "./keys.ts";
export type { FleetStore, GuardedPut, RangeResult, StoredKey } from "./store.ts";
export { Fleet, type FleetOptions, type FleetPrefixView, siteStateOf } from "./fleet.ts";
export { EtcdUnavailableError, MemoryCluster, MemoryStore } from "./memory_store.ts";
export { type FleetTable, fleetTable, formatFleet, readFleet } from "./status.ts";
export { openFleetStore } from "./open.ts";
