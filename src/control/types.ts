/**
 * The control API's data: what `GET` endpoints return and `POST` endpoints
 * take. Shared by the server, the client and the daemon's `ControlBackend`.
 *
 * @module
 */

export type Awaitable<T> = T | Promise<T>;

export type RouteDirection = "sent" | "received";

export interface StatusInfo {
  version: string;
  pid: number;
  /** ISO 8601 start time. */
  startedAt: string;
  uptimeSeconds: number;
  asn: number;
  routerId: string;
  /** Config file path. */
  config: string;
  /** Config loaded and sessions started (as `/readyz`). */
  ready: boolean;
  peers: { configured: number; established: number };
  prefixes: { configured: number; announced: number };
  /** Process memory (`Deno.memoryUsage()`): for soak tests and leak hunts. */
  memory?: { rssBytes: number; heapUsedBytes: number; heapTotalBytes: number };
}

export interface PeerInfo {
  /** Display name (anycastd `name`, else the address). */
  name: string;
  address: string;
  asn: number;
  /** RFC 4271 FSM state: Idle, Connect, Active, OpenSent, OpenConfirm, Established. */
  state: string;
  /** Seconds in the current state. */
  uptimeSeconds?: number;
  prefixesSent: number;
  prefixesReceived: number;
  /** BFD session state (AdminDown, Down, Init, Up); absent when BFD is off. */
  bfd?: string;
  lastError?: string;
  description?: string;
  /** Seconds until the next connection attempt or automatic start, when one is due. */
  nextAttemptSeconds?: number;
  /** Short-lived sessions in the flap-damping window (RFC 4271 §8.1.1). */
  recentFlaps?: number;
  /**
   * Held down after a max-prefix Cease: `remainingSeconds` until the automatic
   * restart; absent with `maxPrefixesRestart: never` (until an operator resets it).
   */
  maxPrefixesHold?: { remainingSeconds?: number };
}

export interface RouteInfo {
  prefix: string;
  nextHop?: string;
  asPath: number[];
  origin?: string;
  med?: number;
  localPref?: number;
  communities: string[];
  largeCommunities: string[];
  extendedCommunities?: string[];
  /** Seconds since the route was sent or received. */
  ageSeconds?: number;
}

export interface ProbeResultInfo {
  /** "startup", "liveness", "readiness", or an anycastd check's name. */
  probe: string;
  ok: boolean;
  message?: string;
  /** ISO 8601 time of the result. */
  at?: string;
  durationMs?: number;
  consecutiveFailures?: number;
}

export interface PrefixInfo {
  name: string;
  prefix: string;
  /** up, down, disabled, draining, unknown; "manual" for operator-announced prefixes. */
  state: string;
  reason: string;
  /** The speaker holds the route (announce accepted). */
  announced: boolean;
  /** Seconds in the current state. */
  sinceSeconds: number;
  maintenance: boolean;
  drain: "none" | "draining" | "drained";
  manual: boolean;
  probes: ProbeResultInfo[];
}

/** `POST /v1/announce`: an operator prefix, not from the config. */
export interface ManualAnnounce {
  prefix: string;
  nextHop?: string;
  communities: string[];
  largeCommunities: string[];
  med?: number;
}

export type PrefixTarget = { prefix: string } | { all: true };

/** Options of an operator withdraw, drain or maintenance. */
export interface OperatorOptions {
  /** Go ahead even when the fleet guard says it breaches a prefix's floor (docs/fleet.md). */
  force?: boolean;
}

/** What the control server asks of the daemon. Throw `ControlError` for 4xx answers. */
export interface ControlBackend {
  status(): Awaitable<StatusInfo>;
  peers(): Awaitable<PeerInfo[]>;
  /** Throws ControlError 404 for an unknown peer (name or address). */
  routes(peer: string, direction: RouteDirection): Awaitable<RouteInfo[]>;
  prefixes(): Awaitable<PrefixInfo[]>;
  announce(request: ManualAnnounce): Awaitable<void>;
  withdraw(prefix: string, options?: OperatorOptions): Awaitable<void>;
  /** Returns the prefixes affected. */
  drain(target: PrefixTarget, options?: OperatorOptions): Awaitable<string[]>;
  undrain(target: PrefixTarget): Awaitable<string[]>;
  maintenance(prefix: string, on: boolean, options?: OperatorOptions): Awaitable<void>;
  /**
   * Restart a neighbor held down after a max-prefix Cease; false when it was
   * not held down. Throws ControlError 404 for an unknown peer.
   */
  resetPeer(peer: string): Awaitable<boolean>;
}

/** A request the daemon refuses: becomes `{error}` with this HTTP status. */
export class ControlError extends Error {
  override name = "ControlError";
  constructor(readonly status: number, message: string) {
    super(message);
  }
}
