/**
 * `anycast demo`: a self-contained lab on loopback (service, daemon, route
 * observer) that shows health-driven announce/withdraw, drain and shutdown.
 *
 * @module
 */
export * from "./types.ts";
export { DemoService } from "./service.ts";
export { GRACEFUL_SHUTDOWN, type ObserverOptions, RouteObserver } from "./observer.ts";
export {
  DAEMON_ASN,
  demoConfig,
  type DemoOptions,
  NEXT_HOP_V4,
  NEXT_HOP_V6,
  PEER_ASN,
  type PeerAddresses,
  runDemo,
  VIP_V4,
  VIP_V6,
} from "./scenario.ts";
export { createView, eventLine, formatTable, type ViewMode } from "./view.ts";
