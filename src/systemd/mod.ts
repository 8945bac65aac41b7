/**
 * systemd integration: sd_notify (READY, WATCHDOG, STOPPING, STATUS) and
 * unit management over D-Bus with rate-limited restarts.
 *
 * @module
 */
export * from "./unix_datagram.ts";
export * from "./notify.ts";
export * from "./service_manager.ts";
export * from "./restarter.ts";
