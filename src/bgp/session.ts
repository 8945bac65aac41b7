/**
 * One BGP session (one neighbor): carries out what the pure FSM (`fsm.ts`)
 * decides, on an injected `Transport` and `Clock`.
 *
 * Owns the peer's Adj-RIB-Out (routes we send) and Adj-RIB-In (routes the
 * peer sends, bounded by `maxPrefixes`), frames and decodes messages, and
 * resolves connection collisions (RFC 4271 §6.8).
 *
 * @module
 */
import type { Family, NeighborConfig } from "../config/model.ts";
import type { Clock, TimerId } from "../util/clock.ts";
import {
  type FsmAction,
  type FsmConfig,
  type FsmEvent,
  fsmEvent,
  type FsmState,
  type FsmStateName,
  initialFsmState,
  LARGE_HOLD_TIME,
  type NotificationSpec,
  type TimerName,
} from "./fsm.ts";
import { decodeMessage, encodeMessage } from "./message/codec.ts";
import { carriesCommunication } from "./message/notification.ts";
import { messageLength } from "./message/header.ts";
import {
  announcedByUpdate,
  checkCommonFamilies,
  checkPeerAs,
  negotiateContext,
  peerAsOf,
  withdrawnByUpdate,
} from "./message/negotiate.ts";
import { encodeUpdates, encodeWithdrawals, endOfRib } from "./message/pack.ts";
import {
  BgpDecodeError,
  type BgpMessage,
  type Capability,
  CeaseSubcode,
  type CodecContext,
  DEFAULT_OPEN_CONTEXT,
  describeNotification,
  ErrorCode,
  MAX_EXTENDED_MESSAGE_LENGTH,
  MAX_MESSAGE_LENGTH,
  type OpenMessage,
  OpenSubcode,
  type ShutdownCeaseSubcode,
  type UpdateMessage,
} from "./message/types.ts";
import { afiSafiOf, familyOf } from "./nlri.ts";
import {
  AdjRibIn,
  AdjRibOut,
  type AnnounceGroup,
  keyed,
  type KeyedRoute,
  type RibDiff,
  type RouteResolver,
} from "./rib.ts";
import { outRouteFor, type PeerView, type RouteSpec } from "./route.ts";
import type { BgpConnection, Transport } from "./transport.ts";
import { type UpdateErrorAction, type UpdateErrorCounts, UpdateErrorLog } from "./update_errors.ts";
import { type DampingOptions, FlapDamping, jitter } from "./damping.ts";

export interface GracefulRestartOptions {
  /** RFC 4724 §3 Restart Time in seconds. */
  restartTime: number;
  /** Set the R bit: this speaker has just restarted (RFC 4724 §3). */
  restarting: boolean;
}

export interface SessionOptions {
  localAsn: number;
  routerId: string;
  neighbor: NeighborConfig;
  transport: Transport;
  clock: Clock;
  /** Advertise graceful restart (RFC 4724); undefined = off. */
  gracefulRestart?: GracefulRestartOptions;
  /** Random source for the connect-retry jitter; default Math.random. */
  random?: () => number;
  /**
   * Reset the session when more than this many written bytes wait for the
   * peer to read them (default 64 MiB).
   */
  maxUnsentBytes?: number;
  /** Log sink; default silent. */
  log?: (level: "debug" | "info" | "warning" | "error", message: string) => void;
  /**
   * The route table this session announces from, shared with the speaker
   * (which calls `routeChanged()` for each change). Default: a table of the
   * session's own, filled by `setRoutes()`.
   */
  routes?: ReadonlyMap<string, RouteSpec>;
  /**
   * Whether the table is complete, so End-of-RIB may follow the initial
   * table (RFC 4724 §2); default always. While the daemon still publishes a
   * large table in slices it says no, and calls `endOfRibReady()` after.
   */
  tableComplete?: () => boolean;
  /** Counts messages and prefixes where they are sent and received; default none. */
  counters?: SessionCounters;
  /** RFC 4271 §8.1.1 DampPeerOscillations parameters (see damping.ts). */
  damping?: DampingOptions;
}

/** Counters a session increments at the source (the daemon adds the peer label). */
export interface SessionCounters {
  /** One message of `type` sent or received. */
  message(direction: "sent" | "received", type: keyof MessageCounters): void;
  /** Prefixes announced or withdrawn in UPDATEs (NLRI and withdrawn routes). */
  prefixUpdates(direction: "sent" | "received", count: number): void;
  /** One RFC 7606 outcome of a received UPDATE (issue 13). */
  updateError?(action: UpdateErrorAction): void;
}

/** Message counters, per direction. */
export interface MessageCounters {
  open: number;
  update: number;
  notification: number;
  keepalive: number;
  "route-refresh": number;
}

export interface SessionStatus {
  name: string;
  address: string;
  asn: number;
  description?: string;
  state: FsmStateName;
  /** Milliseconds since Established (clock time), undefined when not Established. */
  uptimeMs?: number;
  /** Prefixes the peer has from us. */
  prefixesSent: number;
  /** Prefixes in the Adj-RIB-In. */
  prefixesReceived: number;
  lastError?: string;
  families: Family[];
  holdTime: number;
  keepaliveTime: number;
  localAddress?: string;
  peerRouterId?: string;
  messagesSent: MessageCounters;
  messagesReceived: MessageCounters;
  /** Families the peer has sent End-of-RIB for in this session (RFC 4724 §2). */
  endOfRibReceived: Family[];
  /** Times the session left Established. */
  flaps: number;
  /** RFC 7606 outcomes of the peer's UPDATEs since the session object was made. */
  updateErrors?: UpdateErrorCounts;
  /** Milliseconds until the next automatic start or connect attempt, when one is scheduled. */
  nextAttemptInMs?: number;
  /** Short-lived sessions within the damping window (RFC 4271 §8.1.1). */
  recentFlaps?: number;
  /**
   * Held down after we sent Cease/Maximum Number of Prefixes Reached:
   * `remainingMs` until the automatic restart, absent with `maxPrefixesRestart: never`.
   */
  maxPrefixesHold?: { remainingMs?: number };
}

export interface SessionEvents {
  /** Every FSM state change. */
  onStateChange?: (from: FsmStateName, to: FsmStateName, session: BgpSession) => void;
  /** The peer sent End-of-RIB for a family. */
  onEndOfRib?: (family: Family, session: BgpSession) => void;
}

/** RFC 4271 §8: the longest we ever wait between automatic restarts. */
const MAX_RETRY_SECONDS = 60;
/** Default NeighborConfig.maxPrefixesRestart: how long a neighbor stays down after Cease 6/1. */
export const DEFAULT_MAX_PREFIXES_RESTART_SECONDS = 300;
/** NOTIFICATION data that fits a 4096-octet message: header 19 + code + subcode. */
const MAX_NOTIFICATION_DATA = MAX_MESSAGE_LENGTH - 21;
/** Default SessionOptions.maxUnsentBytes. */
const MAX_UNSENT_BYTES = 64 * 1024 * 1024;
/** Yield to the event loop after this many decoded messages in a row, so timers (keepalives) run. */
const YIELD_EVERY_MESSAGES = 256;
/**
 * ...or after this much real (not session-clock) time: 256 full UPDATEs are
 * about 200,000 routes, several hundred ms of decoding that would delay timers.
 */
const YIELD_AFTER_MS = 20;
/** Sending the Adj-RIB-Out yields to the event loop after this long (timers, signals, BFD). */
const SYNC_SLICE_MS = 5;
/** Dirty prefixes taken per diff inside a slice (one diff's groups pack into UPDATEs). */
const SYNC_BATCH = 4096;
/** Above this many unsent bytes the sender waits for the peer to read before the next slice. */
const SYNC_HIGH_WATER_BYTES = 4 * 1024 * 1024;

/** One turn of the event loop (a macrotask, so timers and I/O run in between). */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

function zeroCounters(): MessageCounters {
  return { open: 0, update: 0, notification: 0, keepalive: 0, "route-refresh": 0 };
}

/** One connection and its framing state. */
class Wire {
  readonly conn: BgpConnection;
  readonly outgoing: boolean;
  buffer: Uint8Array = new Uint8Array(0);
  /** The OPEN we sent on this connection and the one we received. */
  localOpen?: OpenMessage;
  remoteOpen?: OpenMessage;
  stopped = false;
  /**
   * The FSM of a second connection during a collision (RFC 4271 §6.8: each
   * connection runs its own FSM until one is dumped). Unused for the session's
   * current connection, whose FSM is the session's.
   */
  fsm: FsmState = { ...initialFsmState(), name: "Active" };

  constructor(conn: BgpConnection, outgoing: boolean) {
    this.conn = conn;
    this.outgoing = outgoing;
  }
}

/** RFC 4486 §4: the data of a Cease/Maximum Number of Prefixes Reached. */
export function maxPrefixesData(family: Family, limit: number): Uint8Array {
  const { afi, safi } = afiSafiOf(family);
  const data = new Uint8Array(7);
  const view = new DataView(data.buffer);
  view.setUint16(0, afi);
  data[2] = safi;
  view.setUint32(3, limit);
  return data;
}

function ipv4ToNumber(address: string): number {
  return address.split(".").reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

/**
 * RFC 4271 §6.8 and RFC 6286 §2.3: does the connection we opened survive a
 * collision? The higher BGP Identifier wins; equal identifiers (allowed
 * between ASes, RFC 6286 §2.1) are broken by the larger AS number.
 */
export function collisionLocalWins(
  local: { bgpId: string; asn: number },
  remote: { bgpId: string; asn: number },
): boolean {
  const l = ipv4ToNumber(local.bgpId), r = ipv4ToNumber(remote.bgpId);
  return l !== r ? l > r : local.asn > remote.asn;
}

export class BgpSession {
  readonly neighbor: NeighborConfig;
  readonly adjRibIn = new AdjRibIn();
  readonly adjRibOut = new AdjRibOut();
  #options: SessionOptions;
  #events: SessionEvents;
  #fsm: FsmState = initialFsmState();
  #fsmConfig: FsmConfig;
  #wire: Wire | undefined;
  /** A second connection while the first is in OpenSent/OpenConfirm (RFC 4271 §6.8). */
  #pending: Wire | undefined;
  #connectAbort: AbortController | undefined;
  #timers = new Map<TimerName | "idle", TimerId>();
  #holdDeadline = 0;
  #holdArmedFor = 0;
  #ctx: CodecContext = DEFAULT_OPEN_CONTEXT;
  #maxLength = MAX_MESSAGE_LENGTH;
  /** The routes to announce: the speaker's table, or the session's own. */
  #table: ReadonlyMap<string, RouteSpec>;
  /** Per route object: what this session sends for it (null: it cannot be announced here). */
  #outCache = new WeakMap<RouteSpec, KeyedRoute | null>();
  /** How routes are made for this peer: fixed per connection. */
  #peerView: PeerView | undefined;
  /** End-of-RIB is due once the initial table has been sent (RFC 4724 §2). */
  #endOfRibPending = false;
  #syncWaiters: (() => void)[] = [];
  #running = false;
  #consecutiveFailures = 0;
  /** Prefixes already logged as impossible to announce on this session. */
  #unannounceable = new Set<string>();
  /** RFC 4271 §8.1.1 DampPeerOscillations. */
  #damping: FlapDamping;
  /** Clock time of the next automatic start or connect attempt. */
  #nextAttemptAt: number | undefined;
  /** We sent Cease 6/1: the next Idle holds the session down (maxPrefixesRestart). */
  #maxPrefixesTripped = false;
  /** Held down after a max-prefix Cease: until this clock time, or Infinity (`never`). */
  #heldUntil: number | undefined;
  #establishedAt: number | undefined;
  #lastError: string | undefined;
  #sent = zeroCounters();
  #received = zeroCounters();
  #flaps = 0;
  #syncScheduled = false;
  #syncing = false;
  #counters: SessionCounters | undefined;
  #releaseKeepsRoutes = false;
  #restarting: boolean;
  #endOfRib = new Set<Family>();
  #maxUnsentBytes: number;
  #updateErrors: UpdateErrorLog;

  constructor(options: SessionOptions, events: SessionEvents = {}) {
    this.#options = options;
    this.#updateErrors = new UpdateErrorLog(
      options.clock,
      (m) => this.#log("warning", m),
      (action) => this.#counters?.updateError?.(action),
    );
    this.#events = events;
    this.neighbor = options.neighbor;
    this.#restarting = options.gracefulRestart?.restarting ?? false;
    this.#maxUnsentBytes = options.maxUnsentBytes ?? MAX_UNSENT_BYTES;
    this.#table = options.routes ?? new Map();
    this.#counters = options.counters;
    this.#damping = new FlapDamping(options.damping);
    this.#fsmConfig = {
      holdTime: options.neighbor.holdTime,
      keepalive: options.neighbor.keepalive,
      connectRetry: options.neighbor.connectRetry,
      passive: options.neighbor.passive,
    };
  }

  get state(): FsmStateName {
    return this.#fsm.name;
  }

  /** The negotiated codec context (valid from OpenConfirm on). */
  get context(): CodecContext {
    return this.#ctx;
  }

  get ibgp(): boolean {
    return this.neighbor.asn === this.#options.localAsn;
  }

  status(): SessionStatus {
    const s: SessionStatus = {
      name: this.neighbor.name,
      address: this.neighbor.address,
      asn: this.neighbor.asn,
      state: this.#fsm.name,
      prefixesSent: this.adjRibOut.sentCount,
      prefixesReceived: this.adjRibIn.size,
      families: this.#fsm.name === "Established" ? [...this.#ctx.families] : [],
      holdTime: this.#fsm.holdTime,
      keepaliveTime: this.#fsm.keepaliveTime,
      messagesSent: { ...this.#sent },
      messagesReceived: { ...this.#received },
      endOfRibReceived: [...this.#endOfRib],
      flaps: this.#flaps,
      updateErrors: { ...this.#updateErrors.counts },
      recentFlaps: this.#damping.flaps(this.#options.clock.now()),
    };
    const now = this.#options.clock.now();
    if (this.#nextAttemptAt !== undefined && this.#fsm.name !== "Established") {
      s.nextAttemptInMs = Math.max(0, Math.round(this.#nextAttemptAt - now));
    }
    if (this.#heldUntil !== undefined) {
      s.maxPrefixesHold = Number.isFinite(this.#heldUntil)
        ? { remainingMs: Math.max(0, Math.round(this.#heldUntil - now)) }
        : {};
    }
    if (this.neighbor.description) s.description = this.neighbor.description;
    if (this.#establishedAt !== undefined) {
      s.uptimeMs = this.#options.clock.now() - this.#establishedAt;
    }
    if (this.#lastError) s.lastError = this.#lastError;
    if (this.#wire) s.localAddress = this.#wire.conn.localAddress;
    if (this.#wire?.remoteOpen) s.peerRouterId = this.#wire.remoteOpen.bgpId;
    return s;
  }

  // ------------------------------------------------------------ public control

  /** ManualStart (RFC 4271 §8.1.2 Event 1). */
  start(): void {
    this.#running = true;
    this.#dispatch({ type: "ManualStart" });
  }

  /** Held down after a max-prefix Cease (`maxPrefixesRestart`). */
  get heldDown(): boolean {
    return this.#heldUntil !== undefined;
  }

  /**
   * An operator re-enables a neighbor held down after a max-prefix Cease (the
   * API's peer reset, `anycast announce --reset-peer`): start again now.
   * Returns false when the neighbor was not held down.
   */
  releaseHold(): boolean {
    if (this.#heldUntil === undefined) return false;
    this.#heldUntil = undefined;
    this.#clearTimer("idle");
    this.#nextAttemptAt = undefined;
    this.#log("info", "max-prefix hold released by operator");
    if (this.#running && this.#fsm.name === "Idle") this.#dispatch({ type: "AutomaticStart" });
    return true;
  }

  /**
   * ManualStop: withdraws nothing by itself (the speaker withdraws first when it
   * wants to), sends Cease/Administrative Shutdown with the RFC 9003
   * communication, and closes. With `keepRoutes` the connection is closed
   * without a NOTIFICATION, so a graceful-restart peer keeps our routes
   * as stale (RFC 4724 §4.2).
   */
  stop(options: SessionStopOptions = {}): void {
    this.#running = false;
    this.#clearTimer("idle");
    if (options.keepRoutes) {
      this.#releaseKeepsRoutes = true;
      this.#dispatch({ type: "TcpConnectionFails" });
      this.#dispatch({ type: "ManualStop" });
      return;
    }
    this.#dispatch({ type: "ManualStop", notification: ceaseFor(options) });
  }

  /** Ask the peer to re-send its routes (RFC 2918); false when not Established or not supported. */
  requestRouteRefresh(family: Family): boolean {
    if (this.#fsm.name !== "Established" || !this.#ctx.families.includes(family)) return false;
    if (!this.#hasCapability("route-refresh")) return false;
    this.#send({ type: "route-refresh", ...afiSafiOf(family), subtype: "normal" });
    return true;
  }

  /**
   * Send every pending Adj-RIB-Out change now, in one go (small tables and
   * tests; the daemon lets the sliced sender do it and awaits `synced()`).
   */
  syncNow(): void {
    if (this.#fsm.name !== "Established" || this.#syncing) return;
    while (this.adjRibOut.pending > 0) this.#syncBatch(SYNC_BATCH);
    this.#sendEndOfRibIfDue();
  }

  /** Resolves once nothing is left to send (or the session is not Established). */
  synced(): Promise<void> {
    if (!this.#syncBusy()) return Promise.resolve();
    return new Promise((resolve) => this.#syncWaiters.push(resolve));
  }

  #syncBusy(): boolean {
    return this.#fsm.name === "Established" &&
      (this.#syncing || this.#syncScheduled || this.adjRibOut.pending > 0);
  }

  /**
   * Resolves once every queued write has been handed to the OS and the
   * dropped connection has closed (e.g. after stop(): the Cease has reached
   * the peer, or the transport's linger time passed).
   */
  async flushed(): Promise<void> {
    await this.#writeChain;
    await Promise.all(this.#closing);
  }

  /**
   * Announce from a table of the session's own holding `specs` (tests, and a
   * session being removed: `setRoutes([])` withdraws everything). O(table).
   */
  setRoutes(specs: Iterable<RouteSpec>): void {
    this.useTable(new Map([...specs].map((s) => [s.prefix, s])));
  }

  /** Announce from `table` from now on; everything is looked at again. O(table). */
  useTable(table: ReadonlyMap<string, RouteSpec>): void {
    this.#table = table;
    if (this.#fsm.name !== "Established") return;
    this.adjRibOut.markAll(table.keys());
    this.#scheduleSync();
  }

  /** The table's route for `prefix` was set, changed or removed. O(1). */
  routeChanged(prefix: string): void {
    if (this.#fsm.name !== "Established") return; // the next Established sends the table
    this.adjRibOut.markDirty(prefix);
    this.#scheduleSync();
  }

  /** What this session sends for `prefix` now (the table's route made for this peer). */
  readonly resolve: RouteResolver = (prefix) => {
    const spec = this.#table.get(prefix);
    if (spec === undefined) return undefined;
    let out = this.#outCache.get(spec);
    if (out === undefined) {
      out = this.#makeRoute(spec);
      this.#outCache.set(spec, out);
    }
    return out ?? undefined;
  };

  #makeRoute(spec: RouteSpec): KeyedRoute | null {
    const view = this.#peerView ?? this.#currentView();
    try {
      return keyed(outRouteFor(spec, view));
    } catch (err) {
      // Not announcing beats announcing an invalid next hop the peer drops (RFC 7606 §7.3).
      // Once per prefix and session, not on every table change.
      if (this.#wire && !this.#unannounceable.has(spec.prefix)) {
        this.#unannounceable.add(spec.prefix);
        this.#log("error", `cannot announce ${spec.prefix}: ${String(err)}`);
      }
      return null;
    }
  }

  #currentView(): PeerView {
    const local = this.#wire?.conn.localAddress ?? this.neighbor.localAddress ?? "0.0.0.0";
    return { localAsn: this.#options.localAsn, ibgp: this.ibgp, localAddress: local };
  }

  /** Hand an accepted TCP connection from this neighbor to the session. */
  acceptIncoming(conn: BgpConnection): void {
    if (!this.#running) {
      conn.close();
      return;
    }
    if (this.#heldUntil !== undefined) {
      // Held down after a max-prefix Cease: refuse (RFC 4486 Connection Rejected).
      const wire = new Wire(conn, false);
      this.#writeNotification(wire, {
        code: ErrorCode.CEASE,
        subcode: CeaseSubcode.CONNECTION_REJECTED,
      });
      conn.close();
      return;
    }
    const wire = new Wire(conn, false);
    switch (this.#fsm.name) {
      case "Idle":
        // An automatic restart is pending; the peer is faster: take its connection.
        this.#clearTimer("idle");
        this.#dispatch({ type: "AutomaticStart_with_PassiveTcpEstablishment" });
        this.#adopt(wire);
        this.#dispatch({ type: "TcpConnectionConfirmed" });
        return;
      case "Connect":
      case "Active":
        // Use the peer's connection now. An outgoing attempt still in flight is
        // kept: if it completes it becomes the second connection of a collision,
        // which the BGP Identifiers resolve (RFC 4271 §6.8), so both sides agree
        // on the survivor instead of each dropping the other's connection.
        this.#adopt(wire);
        this.#dispatch({ type: "TcpConnectionConfirmed" });
        return;
      case "OpenSent":
      case "OpenConfirm":
        if (this.#pending) {
          conn.close();
          return;
        }
        // RFC 4271 §6.8: keep both until an OPEN tells us which one to dump.
        this.#pending = wire;
        this.#pendingEvent(wire, { type: "TcpConnectionConfirmed" }); // sends our OPEN
        void this.#readLoop(wire);
        return;
      case "Established":
        // CollisionDetectEstablishedState is off: refuse (RFC 4486 Connection Rejected).
        this.#writeNotification(wire, {
          code: ErrorCode.CEASE,
          subcode: CeaseSubcode.CONNECTION_REJECTED,
        });
        conn.close();
        return;
    }
  }

  // ------------------------------------------------------------ FSM plumbing

  #dispatch(event: FsmEvent): void {
    const from = this.#fsm.name;
    const { state, actions } = fsmEvent(this.#fsm, event, this.#fsmConfig);
    this.#fsm = state;
    for (const action of actions) this.#perform(action);
    if (from !== state.name) {
      this.#log("debug", `${from} -> ${state.name} on ${event.type}`);
      if (state.name === "Established") this.#damping.up(this.#options.clock.now());
      if (from === "Established") {
        // RFC 4271 §8.1.1 DampPeerOscillations: only repeated short-lived sessions
        // back off (damping.ts); a single drop restarts at once.
        this.#damping.down(this.#options.clock.now());
        this.#establishedAt = undefined;
        this.#flaps++;
      }
      if (state.name === "Idle") this.#onIdle();
      this.#events.onStateChange?.(from, state.name, this);
    }
  }

  #perform(action: FsmAction): void {
    switch (action.type) {
      case "initiate-connection":
        this.#connect();
        return;
      case "listen":
        // Listening is the speaker's: it routes accepted connections to acceptIncoming().
        return;
      case "drop-connection":
        this.#dropConnection();
        return;
      case "release-resources":
        this.#release();
        return;
      case "send-open":
        if (this.#wire) this.#sendOpen(this.#wire);
        return;
      case "send-keepalive":
        this.#send({ type: "keepalive" });
        return;
      case "send-notification":
        if (this.#wire) this.#writeNotification(this.#wire, action.notification);
        this.#lastError = `sent NOTIFICATION ${describeNotification(action.notification)}`;
        return;
      case "start-timer":
        this.#startTimer(action.timer, action.seconds);
        return;
      case "stop-timer":
        this.#clearTimer(action.timer);
        return;
      case "established":
        this.#onEstablished();
        return;
      case "process-update":
        // Done by #onMessage right after dispatching UpdateMsg.
        return;
    }
  }

  #startTimer(timer: TimerName, seconds: number): void {
    const clock = this.#options.clock;
    if (timer === "hold") {
      // Restarted on every message: move a deadline instead of re-arming a timer each time.
      this.#holdDeadline = clock.now() + seconds * 1000;
      // Re-arm only when the deadline moved earlier (OpenSent's 240 s -> negotiated).
      if (!this.#timers.has("hold") || this.#holdDeadline < this.#holdArmedFor) {
        this.#clearTimer("hold");
        this.#armHold();
      }
      return;
    }
    this.#clearTimer(timer);
    let ms = seconds * 1000;
    if (timer === "connectRetry") {
      ms = this.#retryDelayMs();
      this.#nextAttemptAt = clock.now() + ms;
    }
    this.#timers.set(
      timer,
      clock.setTimeout(() => {
        this.#timers.delete(timer);
        if (timer === "connectRetry") this.#nextAttemptAt = undefined;
        this.#dispatch({
          type: timer === "connectRetry" ? "ConnectRetryTimer_Expires" : "KeepaliveTimer_Expires",
        });
      }, ms),
    );
  }

  #armHold(): void {
    const clock = this.#options.clock;
    const wait = Math.max(0, this.#holdDeadline - clock.now());
    this.#holdArmedFor = this.#holdDeadline;
    this.#timers.set(
      "hold",
      clock.setTimeout(() => {
        this.#timers.delete("hold");
        if (clock.now() < this.#holdDeadline) {
          this.#armHold();
          return;
        }
        this.#lastError = "hold timer expired";
        this.#dispatch({ type: "HoldTimer_Expires" });
      }, wait),
    );
  }

  #clearTimer(timer: TimerName | "idle"): void {
    const id = this.#timers.get(timer);
    if (timer === "idle" || timer === "connectRetry") this.#nextAttemptAt = undefined;
    if (id !== undefined) {
      this.#options.clock.clearTimeout(id);
      this.#timers.delete(timer);
    }
  }

  /**
   * ConnectRetryTime jittered to 0.75-1.0 (RFC 4271 §10). A peer that is down
   * (connections refused) is tried at this pace, without a back-off: BIRD, FRR
   * and GoBGP do the same, and it is what brings a restarted peer back fast.
   */
  #retryDelayMs(): number {
    return jitter(Math.max(1, this.neighbor.connectRetry) * 1000, this.#random());
  }

  #random(): () => number {
    return this.#options.random ?? Math.random;
  }

  #onIdle(): void {
    this.#consecutiveFailures++;
    const clock = this.#options.clock;
    if (this.#maxPrefixesTripped) {
      // RFC 4486 §4 leaves the restart to configuration: FRR's `maximum-prefix ... restart`,
      // BIRD's `receive limit ... action restart`. Stay down for maxPrefixesRestart.
      this.#maxPrefixesTripped = false;
      const restart = this.neighbor.maxPrefixesRestart ?? DEFAULT_MAX_PREFIXES_RESTART_SECONDS;
      if (restart !== 0) {
        this.#heldUntil = restart === "never" ? Infinity : clock.now() + restart * 1000;
      }
      if (restart !== 0) {
        this.#log(
          "warning",
          restart === "never"
            ? "held down after the prefix limit until an operator resets it"
            : `held down after the prefix limit for ${restart} s`,
        );
      }
    }
    if (!this.#running) return;
    // RFC 4271 §8.1.1 AllowAutomaticStart, paced by the IdleHoldTimer.
    this.#clearTimer("idle");
    if (this.#heldUntil === Infinity) return;
    const delay = this.#heldUntil !== undefined
      ? Math.max(0, this.#heldUntil - clock.now())
      : this.#idleDelayMs();
    this.#nextAttemptAt = clock.now() + delay;
    this.#timers.set(
      "idle",
      clock.setTimeout(() => {
        this.#timers.delete("idle");
        this.#nextAttemptAt = undefined;
        this.#heldUntil = undefined;
        if (this.#running && this.#fsm.name === "Idle") this.#dispatch({ type: "AutomaticStart" });
      }, delay),
    );
  }

  /**
   * The wait in Idle before the next automatic start: 1 s (at most
   * connectRetry) after a single drop, so a session that was Established
   * reconnects at once; connectRetry doubling (to 60 s) for sessions that keep
   * failing before Established (an OPEN refused); and the flap damping's
   * back-off when short-lived sessions repeat (damping.ts).
   */
  #idleDelayMs(): number {
    const retryMs = Math.max(1, this.neighbor.connectRetry) * 1000;
    const failures = this.#consecutiveFailures;
    const first = failures <= 1 ? Math.min(1000, retryMs) : jitter(
      Math.min(MAX_RETRY_SECONDS * 1000, retryMs * 2 ** Math.min(6, failures - 1)),
      this.#random(),
    );
    return this.#damping.delayMs(this.#options.clock.now(), first, retryMs, this.#random());
  }

  // ------------------------------------------------------------ connections

  #connect(): void {
    this.#connectAbort?.abort();
    const abort = new AbortController();
    this.#connectAbort = abort;
    const n = this.neighbor;
    this.#options.transport.connect({
      hostname: n.address,
      port: n.port,
      ...(n.localAddress ? { localAddress: n.localAddress } : {}),
      signal: abort.signal,
    }).then(
      (conn) => {
        if (abort.signal.aborted || this.#connectAbort !== abort) {
          conn.close();
          return;
        }
        this.#connectAbort = undefined;
        if (this.#fsm.name === "OpenSent" || this.#fsm.name === "OpenConfirm") {
          // The peer's connection got here first: this one is the collision's second.
          if (this.#pending) {
            conn.close();
            return;
          }
          const wire = new Wire(conn, true);
          this.#pending = wire;
          this.#pendingEvent(wire, { type: "Tcp_CR_Acked" }); // sends our OPEN
          void this.#readLoop(wire);
          return;
        }
        if (this.#fsm.name !== "Connect" && this.#fsm.name !== "Active") {
          conn.close();
          return;
        }
        this.#adopt(new Wire(conn, true));
        this.#dispatch({ type: "Tcp_CR_Acked" });
      },
      (err: Error) => {
        if (abort.signal.aborted || this.#connectAbort !== abort) return;
        this.#connectAbort = undefined;
        this.#lastError = err.message;
        this.#log("debug", err.message);
        // RFC 4271 §8.2.2 Connect, Event 18. Passing through Idle would restart
        // at once; staying in Connect lets the ConnectRetryTimer pace retries
        // (every connectRetry, jittered: a peer that is down is not backed off).
        if (this.#fsm.name === "Connect") {
          this.#clearTimer("connectRetry");
          this.#startTimer("connectRetry", this.neighbor.connectRetry);
        }
      },
    );
  }

  #adopt(wire: Wire): void {
    this.#wire = wire;
    void this.#readLoop(wire);
  }

  /** Connections closing after a drop (lingering close, see transport.ts). */
  #closing = new Set<Promise<void>>();

  #dropConnection(): void {
    this.#connectAbort?.abort();
    this.#connectAbort = undefined;
    const wire = this.#wire;
    this.#wire = undefined;
    if (wire) {
      wire.stopped = true;
      // close() itself sends what is queued (the final NOTIFICATION) first, then
      // shuts down the write side and drains the input for a bounded time, so
      // the peer reads the NOTIFICATION rather than a reset. Waiting for the
      // writes to drain here would never close a peer that stopped reading.
      wire.conn.close();
      const finished = wire.conn.finished?.();
      if (finished) {
        this.#closing.add(finished);
        void finished.then(() => this.#closing.delete(finished));
      }
    }
    if (this.#pending && this.#fsm.name === "Idle") {
      const p = this.#pending;
      this.#pending = undefined;
      p.stopped = true;
      p.conn.close();
    }
  }

  #release(): void {
    this.adjRibIn.clear();
    this.#endOfRib.clear();
    this.adjRibOut.reset();
    this.#ctx = DEFAULT_OPEN_CONTEXT;
    this.#maxLength = MAX_MESSAGE_LENGTH;
    this.#holdDeadline = 0;
    if (this.#releaseKeepsRoutes) this.#releaseKeepsRoutes = false;
  }

  async #readLoop(wire: Wire): Promise<void> {
    let sinceYield = 0;
    let lastYield = performance.now();
    while (!wire.stopped) {
      const chunk = await wire.conn.read();
      // Waiting for the read let timers run too.
      lastYield = performance.now();
      if (wire.stopped) return;
      if (chunk === null) {
        this.#onConnectionLost(wire);
        return;
      }
      wire.buffer = wire.buffer.length === 0 ? chunk : concat(wire.buffer, chunk);
      let offset = 0;
      try {
        for (;;) {
          const view = wire.buffer.subarray(offset);
          const length = messageLength(view, this.#maxLength);
          if (length === undefined || view.length < length) break;
          const frame = view.subarray(0, length);
          offset += length;
          this.#onFrame(wire, frame);
          if (wire.stopped) return;
          if (
            ++sinceYield >= YIELD_EVERY_MESSAGES ||
            performance.now() - lastYield >= YIELD_AFTER_MS
          ) {
            sinceYield = 0;
            // Let timers run (keepalives, hold) while a large table is decoded.
            wire.buffer = wire.buffer.subarray(offset);
            offset = 0;
            await new Promise((resolve) => setTimeout(resolve, 0));
            lastYield = performance.now();
            if (wire.stopped) return;
          }
        }
      } catch (err) {
        this.#onDecodeError(wire, err);
        return;
      }
      wire.buffer = offset === wire.buffer.length ? new Uint8Array(0) : wire.buffer.slice(offset);
    }
  }

  #onConnectionLost(wire: Wire): void {
    wire.stopped = true;
    if (wire === this.#pending) {
      this.#pending = undefined;
      return;
    }
    if (wire !== this.#wire) return;
    if (this.#promotePending(wire)) return;
    this.#lastError ??= "connection closed by peer";
    if (this.#fsm.name === "Established") this.#lastError = "connection closed by peer";
    this.#dispatch({ type: "TcpConnectionFails" });
  }

  #onDecodeError(wire: Wire, err: unknown): void {
    if (!(err instanceof BgpDecodeError)) {
      this.#log("error", `bug while handling a message: ${String(err)}`);
      err = new BgpDecodeError(ErrorCode.CEASE, CeaseSubcode.OUT_OF_RESOURCES, String(err));
    }
    const e = err as BgpDecodeError;
    // 2/7 comes from our own check of the OPEN's families, not from a malformed message.
    const reason = e.code === ErrorCode.OPEN_MESSAGE &&
        e.subcode === OpenSubcode.UNSUPPORTED_CAPABILITY
      ? e.message
      : `bad message from peer: ${e.message}`;
    this.#lastError = reason;
    this.#log("warning", reason);
    const notification: NotificationSpec = { code: e.code, subcode: e.subcode, data: e.data };
    if (wire === this.#pending) {
      this.#writeNotification(wire, notification);
      wire.stopped = true;
      wire.conn.close();
      this.#pending = undefined;
      return;
    }
    if (e.code === ErrorCode.OPEN_MESSAGE) {
      this.#dispatch({ type: "BGPOpenMsgErr", notification });
    } else if (e.code === ErrorCode.UPDATE_MESSAGE) {
      this.#updateErrors.sessionReset(); // RFC 7606 §2 session reset
      this.#dispatch({ type: "UpdateMsgErr", notification });
    } else {
      this.#dispatch({ type: "BGPHeaderErr", notification });
    }
    // `anycast peers` shows what we sent and why.
    this.#lastError = `sent NOTIFICATION ${describeNotification(notification)}: ${reason}`;
  }

  #onFrame(wire: Wire, frame: Uint8Array): void {
    const ctx = wire === this.#wire ? this.#ctx : DEFAULT_OPEN_CONTEXT;
    const result = decodeMessage(frame, ctx);
    const msg = result.message;
    this.#received[msg.type]++;
    this.#counters?.message("received", msg.type);
    if (wire === this.#wire && this.#holdDeadline > 0 && this.#fsm.holdTime > 0) {
      // RFC 4271 §4.4: any message from the peer shows it is alive.
      this.#holdDeadline = this.#options.clock.now() + this.#fsm.holdTime * 1000;
    }
    if (wire === this.#pending) {
      this.#onPendingMessage(wire, msg);
      return;
    }
    switch (msg.type) {
      case "open":
        this.#onOpen(wire, msg);
        return;
      case "keepalive":
        this.#dispatch({ type: "KeepAliveMsg" });
        return;
      case "notification": {
        const text = describeNotification(msg) +
          (msg.communication ? ` "${msg.communication}"` : "");
        this.#lastError = `received NOTIFICATION ${text}`;
        this.#log("warning", this.#lastError);
        if (this.#promotePending(wire)) return;
        // RFC 4271 §8.1.5 Event 24: a version error is not counted.
        const versionError = msg.code === ErrorCode.OPEN_MESSAGE &&
          msg.subcode === OpenSubcode.UNSUPPORTED_VERSION_NUMBER;
        this.#dispatch({ type: versionError ? "NotifMsgVerErr" : "NotifMsg" });
        return;
      }
      case "update":
        this.#dispatch({ type: "UpdateMsg" });
        if (this.#fsm.name === "Established") {
          if (result.outcomes) {
            const withdrawn = result.treatAsWithdraw
              ? announcedByUpdate(msg, false).reduce((n, g) => n + g.prefixes.length, 0)
              : 0;
            this.#updateErrors.outcomes(result.outcomes, withdrawn);
          }
          this.#onUpdate(msg, result.treatAsWithdraw, result.endOfRib);
        }
        return;
      case "route-refresh":
        // RFC 7313 §5: ORF entries (RFC 5291) are ignored, a reserved subtype too; say so.
        for (const w of result.warnings) this.#log("info", w);
        this.#onRouteRefresh(msg.afi, msg.safi, msg.subtype);
        return;
    }
  }

  // ------------------------------------------------------------ OPEN and collisions

  #localOpen(): OpenMessage {
    const families = this.neighbor.families;
    const capabilities: Capability[] = families.map((f) => ({
      kind: "multiprotocol",
      ...afiSafiOf(f),
    }));
    capabilities.push(
      { kind: "route-refresh" },
      { kind: "enhanced-route-refresh" },
      { kind: "four-octet-as", asn: this.#options.localAsn },
    );
    const gr = this.#options.gracefulRestart;
    if (gr) {
      capabilities.push({
        kind: "graceful-restart",
        restarting: this.#restarting,
        notification: false,
        restartTime: gr.restartTime,
        // F bit: the service behind the anycast prefix keeps forwarding while we restart.
        families: families.map((f) => ({ ...afiSafiOf(f), forwardingPreserved: true })),
      });
    }
    return {
      type: "open",
      version: 4,
      asn: this.#options.localAsn,
      holdTime: this.neighbor.holdTime,
      bgpId: this.#options.routerId,
      capabilities,
    };
  }

  #sendOpen(wire: Wire): void {
    const open = this.#localOpen();
    wire.localOpen = open;
    this.#write(wire, open, DEFAULT_OPEN_CONTEXT);
  }

  /** RFC 4271 §6.2 checks beyond what the codec does; throws BgpDecodeError. */
  #validateOpen(open: OpenMessage): void {
    checkPeerAs(open, this.neighbor.asn);
    if (open.holdTime === 1 || open.holdTime === 2) {
      throw new BgpDecodeError(
        ErrorCode.OPEN_MESSAGE,
        OpenSubcode.UNACCEPTABLE_HOLD_TIME,
        `Cannot accept OPEN: hold time ${open.holdTime}`,
      );
    }
    // RFC 6286 §2.1: identifiers must differ inside one AS.
    if (this.ibgp && open.bgpId === this.#options.routerId) {
      throw new BgpDecodeError(
        ErrorCode.OPEN_MESSAGE,
        OpenSubcode.BAD_BGP_IDENTIFIER,
        `Cannot accept OPEN: BGP identifier ${open.bgpId} equals ours`,
      );
    }
    // RFC 5492 §5: no family in common is 2/7, not an Established session with nothing in it.
    checkCommonFamilies(this.#localOpen(), open);
  }

  #onOpen(wire: Wire, open: OpenMessage): void {
    if (this.#fsm.name !== "OpenSent") {
      this.#dispatch({ type: "BGPOpen", holdTime: open.holdTime });
      return;
    }
    this.#validateOpen(open);
    wire.remoteOpen = open;
    if (this.#pending?.remoteOpen && this.#resolveCollision(this.#pending)) return;
    this.#ctx = negotiateContext(wire.localOpen ?? this.#localOpen(), open, this.ibgp);
    this.#maxLength = this.#ctx.extendedMessage ? MAX_EXTENDED_MESSAGE_LENGTH : MAX_MESSAGE_LENGTH;
    this.#dispatch({ type: "BGPOpen", holdTime: open.holdTime });
  }

  #onPendingMessage(wire: Wire, msg: BgpMessage): void {
    if (msg.type === "open") {
      this.#validateOpen(msg);
      wire.remoteOpen = msg;
      // Decide now, even if the first connection has not seen an OPEN yet: this
      // OPEN carries the peer's identifier, which is all §6.8 needs.
      this.#resolveCollision(wire);
      return;
    }
    if (msg.type === "notification") {
      wire.stopped = true;
      wire.conn.close();
      this.#pending = undefined;
    }
  }

  /**
   * Run an event through the FSM of the collision's second connection and
   * carry out its actions on that connection only: timers, resources and
   * state changes belong to the session's current connection.
   */
  #pendingEvent(wire: Wire, event: FsmEvent): void {
    const { state, actions } = fsmEvent(wire.fsm, event, this.#fsmConfig);
    wire.fsm = state;
    for (const action of actions) {
      if (action.type === "send-open") this.#sendOpen(wire);
      else if (action.type === "send-notification") {
        this.#writeNotification(wire, action.notification);
      } else if (action.type === "drop-connection") {
        wire.stopped = true;
        wire.conn.close();
        if (this.#pending === wire) this.#pending = undefined;
      }
    }
  }

  /**
   * RFC 4271 §6.8: keep the connection opened by the side with the higher BGP
   * Identifier; with equal identifiers (possible between ASes), the one opened
   * by the side with the larger AS number (RFC 6286 §2.3). The other
   * connection's FSM takes OpenCollisionDump (Event 23): Cease/Connection
   * Collision Resolution (RFC 4486) and Idle. Returns true when the current
   * connection was the one dumped.
   */
  #resolveCollision(pending: Wire): boolean {
    const current = this.#wire;
    const remote = pending.remoteOpen ?? current?.remoteOpen;
    const localWins = collisionLocalWins(
      { bgpId: this.#options.routerId, asn: this.#options.localAsn },
      { bgpId: remote?.bgpId ?? "0.0.0.0", asn: remote ? peerAsOf(remote) : this.neighbor.asn },
    );
    // The winner is the connection initiated by the winning side.
    const keepPending = localWins ? pending.outgoing : !pending.outgoing;
    if (!keepPending || !current) {
      this.#pendingEvent(pending, { type: "OpenCollisionDump" });
      this.#pending = undefined;
      return false;
    }
    this.#log("info", "connection collision: keeping the other connection");
    this.#pending = undefined;
    // The current connection's FSM takes OpenCollisionDump; its actions go to that
    // connection, then the session follows the survivor's FSM.
    const dump = fsmEvent(this.#fsm, { type: "OpenCollisionDump" }, this.#fsmConfig);
    for (const action of dump.actions) {
      if (action.type === "send-notification") {
        this.#writeNotification(current, action.notification);
      } else if (action.type === "drop-connection") {
        current.stopped = true;
        current.conn.close();
      } else if (action.type === "stop-timer") this.#clearTimer(action.timer);
    }
    this.#adoptSurvivor(pending);
    const open = pending.remoteOpen!;
    this.#ctx = negotiateContext(pending.localOpen ?? this.#localOpen(), open, this.ibgp);
    this.#maxLength = this.#ctx.extendedMessage ? MAX_EXTENDED_MESSAGE_LENGTH : MAX_MESSAGE_LENGTH;
    this.#dispatch({ type: "BGPOpen", holdTime: open.holdTime });
    return true;
  }

  /** The session continues on `survivor`, in the state its own FSM reached (OpenSent). */
  #adoptSurvivor(survivor: Wire): void {
    this.#wire = survivor;
    this.#fsm = { ...survivor.fsm, connectRetryCounter: this.#fsm.connectRetryCounter };
  }

  /**
   * The current connection died (closed, or a NOTIFICATION such as the peer's
   * own Cease/Connection Collision Resolution) while a colliding one is open:
   * the collision is resolved, continue on the other (RFC 4271 §6.8) instead
   * of dropping both and starting over.
   */
  #promotePending(dead: Wire): boolean {
    const pending = this.#pending;
    if (!pending || (this.#fsm.name !== "OpenSent" && this.#fsm.name !== "OpenConfirm")) {
      return false;
    }
    this.#log("info", "connection collision: the peer closed one connection, using the other");
    dead.stopped = true;
    dead.conn.close();
    this.#pending = undefined;
    this.#clearTimer("keepalive");
    this.#adoptSurvivor(pending);
    this.#ctx = DEFAULT_OPEN_CONTEXT;
    this.#maxLength = MAX_MESSAGE_LENGTH;
    // RFC 4271 §8.2.2: OpenSent waits for the OPEN with the large hold time.
    this.#startTimer("hold", LARGE_HOLD_TIME);
    const open = pending.remoteOpen;
    if (open) {
      this.#ctx = negotiateContext(pending.localOpen ?? this.#localOpen(), open, this.ibgp);
      this.#maxLength = this.#ctx.extendedMessage
        ? MAX_EXTENDED_MESSAGE_LENGTH
        : MAX_MESSAGE_LENGTH;
      this.#dispatch({ type: "BGPOpen", holdTime: open.holdTime });
    }
    return true;
  }

  // ------------------------------------------------------------ Established

  #onEstablished(): void {
    this.#establishedAt = this.#options.clock.now();
    this.#unannounceable.clear();
    // RFC 4271 §6.8: a collision with an Established connection closes the newer
    // one. Resolving it later would swap out a live session (and its Adj-RIB-Out).
    const pending = this.#pending;
    if (pending) this.#pendingEvent(pending, { type: "OpenCollisionDump" });
    this.#consecutiveFailures = 0;
    this.#lastError = undefined;
    const remote = this.#wire?.remoteOpen;
    this.#log(
      "info",
      `established with AS ${remote ? peerAsOf(remote) : "?"}, families ${this.#ctx.families}`,
    );
    // Routes are made for this connection's local address: start from a clean cache.
    this.#peerView = this.#currentView();
    this.#outCache = new WeakMap();
    // Initial table, then End-of-RIB for every negotiated family (RFC 4724 §2).
    this.adjRibOut.reset();
    this.adjRibOut.markAll(this.#table.keys());
    this.#endOfRibPending = true;
    void this.#runSync();
  }

  #scheduleSync(): void {
    if (this.#syncScheduled || this.#fsm.name !== "Established") return;
    this.#syncScheduled = true;
    // Changes made in one turn of the event loop are sent together.
    queueMicrotask(() => {
      this.#syncScheduled = false;
      void this.#runSync();
    });
  }

  /**
   * Send the dirty part of the Adj-RIB-Out in slices of SYNC_SLICE_MS, yielding
   * to the event loop in between, so a 100,000-route table never stalls
   * keepalives, BFD, signals or the API. Waits for the peer to read when the
   * unsent backlog is high; a peer that stops reading for a hold time is reset.
   */
  async #runSync(): Promise<void> {
    if (this.#syncing) return; // the running sender goes on until nothing is dirty
    this.#syncing = true;
    const wire = this.#wire;
    try {
      for (;;) {
        if (this.#fsm.name !== "Established" || this.#wire !== wire) return;
        const started = performance.now();
        while (this.adjRibOut.pending > 0 && performance.now() - started < SYNC_SLICE_MS) {
          this.#syncBatch(SYNC_BATCH);
        }
        if (this.adjRibOut.pending === 0) break;
        await yieldToEventLoop();
        if (this.#unsentBytes > SYNC_HIGH_WATER_BYTES) await this.#peerReadsOrReset(wire);
      }
      this.#sendEndOfRibIfDue();
    } finally {
      this.#syncing = false;
      // A new connection reached Established while this run waited: its table goes now.
      if (
        this.#fsm.name === "Established" &&
        (this.adjRibOut.pending > 0 || (this.#endOfRibPending && this.#tableComplete()))
      ) {
        this.#scheduleSync();
      }
      if (!this.#syncBusy()) {
        const waiters = this.#syncWaiters;
        this.#syncWaiters = [];
        for (const resolve of waiters) resolve();
      }
    }
  }

  /** Wait until the peer has read our backlog, at most a hold time; else reset (RFC 4486 8). */
  async #peerReadsOrReset(wire: Wire | undefined): Promise<void> {
    const waitMs = Math.max(this.#fsm.holdTime, 30) * 1000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.#writeChain,
      new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs))),
    ]);
    clearTimeout(timer);
    if (this.#wire !== wire || this.#unsentBytes <= SYNC_HIGH_WATER_BYTES) return;
    this.#lastError = `peer is not reading: ${this.#unsentBytes} bytes unsent after ${waitMs} ms`;
    this.#log("warning", this.#lastError);
    this.#dispatch({
      type: "AutomaticStop",
      notification: { code: ErrorCode.CEASE, subcode: CeaseSubcode.OUT_OF_RESOURCES },
    });
  }

  /** Diff at most `limit` dirty prefixes and write them as UPDATEs. */
  #syncBatch(limit: number): void {
    const diff = this.adjRibOut.diff(this.#ctx.families, this.resolve, limit);
    let prefixes = 0;
    for (const w of diff.withdraw) {
      for (const bytes of encodeWithdrawals(w.family, w.prefixes, this.#ctx, this.#maxLength)) {
        this.#writeRaw(bytes, "update");
      }
      prefixes += w.prefixes.length;
    }
    const sent: AnnounceGroup[] = [];
    for (const g of diff.announce) {
      try {
        this.#sendGroup(g);
        sent.push(g);
        prefixes += g.prefixes.length;
      } catch (err) {
        // A route that cannot be encoded (bad attribute text) must not take the session down.
        this.#log("error", `cannot announce ${g.prefixes.join(", ")}: ${String(err)}`);
      }
    }
    const done: RibDiff = { withdraw: diff.withdraw, announce: sent };
    this.adjRibOut.commit(done);
    if (prefixes > 0) this.#counters?.prefixUpdates("sent", prefixes);
  }

  #tableComplete(): boolean {
    return this.#options.tableComplete?.() ?? true;
  }

  /** The table is complete now: send End-of-RIB if only that was missing. */
  endOfRibReady(): void {
    this.#sendEndOfRibIfDue();
  }

  #sendEndOfRibIfDue(): void {
    if (!this.#endOfRibPending || this.adjRibOut.pending > 0) return;
    if (this.#fsm.name !== "Established") return;
    // A partial table's End-of-RIB would make a graceful-restart peer flush the rest.
    if (!this.#tableComplete()) return;
    this.#endOfRibPending = false;
    for (const family of this.#ctx.families) this.#send(endOfRib(family));
    this.#restarting = false;
  }

  #sendGroup(g: AnnounceGroup): void {
    const announcement = {
      family: g.family,
      prefixes: g.prefixes,
      attributes: g.attributes,
      nextHop: g.nextHop,
      ...(g.nextHopLinkLocal ? { nextHopLinkLocal: g.nextHopLinkLocal } : {}),
    };
    for (const bytes of encodeUpdates(announcement, this.#ctx, this.#maxLength)) {
      this.#writeRaw(bytes, "update");
    }
  }

  #onUpdate(update: UpdateMessage, treatAsWithdraw: boolean, eorFamily?: Family): void {
    // RFC 4724 §2: decided by decodeUpdate() on the raw message.
    if (eorFamily) {
      this.#endOfRib.add(eorFamily);
      this.#events.onEndOfRib?.(eorFamily, this);
      return;
    }
    let count = 0;
    for (const w of withdrawnByUpdate(update, treatAsWithdraw)) {
      for (const p of w.prefixes) this.adjRibIn.delete(p);
      count += w.prefixes.length;
    }
    const { mpReach, mpUnreach: _u, ...shared } = update.attributes;
    // Adj-RIB-In keeps what the peer sent, MP_REACH next hops included (RFC 4760 §3),
    // but not the NLRI list: one attributes object serves every prefix of the UPDATE.
    const withNextHop = mpReach && { ...shared, mpReach: { ...mpReach, nlri: [] } };
    const announced = announcedByUpdate(update, treatAsWithdraw);
    for (const a of announced) count += a.prefixes.length;
    if (count > 0) this.#counters?.prefixUpdates("received", count);
    for (const a of announced) {
      const attributes = withNextHop && a.family === mpReach.family ? withNextHop : shared;
      for (const prefix of a.prefixes) {
        this.adjRibIn.set({ prefix, family: a.family, attributes });
        const limit = this.neighbor.maxPrefixes;
        if (limit !== undefined && this.adjRibIn.size > limit) {
          // RFC 4486 §4: Cease, Maximum Number of Prefixes Reached, with AFI/SAFI/limit.
          this.#lastError = `prefix limit ${limit} exceeded`;
          this.#log("warning", this.#lastError);
          this.#maxPrefixesTripped = true;
          this.#dispatch({
            type: "AutomaticStop",
            notification: {
              code: ErrorCode.CEASE,
              subcode: CeaseSubcode.MAX_PREFIXES,
              data: maxPrefixesData(a.family, limit),
            },
          });
          this.#lastError = `prefix limit ${limit} exceeded`;
          return;
        }
      }
    }
  }

  /** RFC 2918 §4: answer a ROUTE-REFRESH by re-sending the Adj-RIB-Out (RFC 7313 §4 with BoRR/EoRR). */
  #onRouteRefresh(afi: number, safi: number, subtype: string): void {
    if (this.#fsm.name !== "Established" || subtype !== "normal") return;
    const family = familyOf(afi, safi);
    if (!family || !this.#ctx.families.includes(family)) return;
    void this.#answerRouteRefresh(family);
  }

  /**
   * Re-send what the peer has from us for `family`, in slices (a 100,000-route
   * answer must not stall the loop), between BoRR and EoRR when enhanced
   * (RFC 7313 §4). Changes sent meanwhile by the sliced sender are fine: each
   * UPDATE reflects the Adj-RIB-Out at the moment it is written.
   */
  async #answerRouteRefresh(family: Family): Promise<void> {
    const wire = this.#wire;
    const { afi, safi } = afiSafiOf(family);
    const enhanced = this.#hasCapability("enhanced-route-refresh");
    if (enhanced) this.#send({ type: "route-refresh", afi, safi, subtype: "borr" });
    const prefixes = this.adjRibOut.sentPrefixes(family);
    let started = performance.now();
    for (let i = 0; i < prefixes.length; i += SYNC_BATCH) {
      if (performance.now() - started >= SYNC_SLICE_MS) {
        await yieldToEventLoop();
        if (this.#wire !== wire || this.#fsm.name !== "Established") return;
        started = performance.now();
      }
      const chunk = prefixes.slice(i, i + SYNC_BATCH);
      for (const g of this.adjRibOut.sentGroups(chunk, this.resolve)) this.#sendGroup(g);
    }
    if (enhanced) this.#send({ type: "route-refresh", afi, safi, subtype: "eorr" });
  }

  #hasCapability(kind: Capability["kind"]): boolean {
    const remote = this.#wire?.remoteOpen;
    return !!remote?.capabilities.some((c) => c.kind === kind);
  }

  // ------------------------------------------------------------ writing

  #writeChain: Promise<void> = Promise.resolve();
  /** Bytes handed to connections whose writes have not completed (the peer's backlog). */
  #unsentBytes = 0;
  #unsentCheckScheduled = false;

  #send(msg: BgpMessage): void {
    if (!this.#wire) return;
    this.#write(this.#wire, msg, this.#ctx);
  }

  #write(wire: Wire, msg: BgpMessage, ctx: CodecContext): void {
    const bytes = encodeMessage(msg, ctx);
    this.#sent[msg.type]++;
    this.#counters?.message("sent", msg.type);
    this.#chain(wire.conn, bytes);
  }

  #writeRaw(bytes: Uint8Array, type: keyof MessageCounters): void {
    if (!this.#wire) return;
    this.#sent[type]++;
    this.#counters?.message("sent", type);
    this.#chain(this.#wire.conn, bytes);
  }

  #writeNotification(wire: Wire, n: NotificationSpec): void {
    // RFC 4271 §4.1: no message exceeds 4096 octets (NOTIFICATIONs go out in the OPEN
    // context). Data that quotes a whole bad message (RFC 7313 §5: a 4096-octet
    // ROUTE-REFRESH) would not fit with the 21-octet header: cut it.
    const data = n.data ?? new Uint8Array(0);
    const cut = data.length > MAX_NOTIFICATION_DATA
      ? data.subarray(0, MAX_NOTIFICATION_DATA)
      : data;
    this.#write(wire, { ...n, type: "notification", data: cut }, DEFAULT_OPEN_CONTEXT);
  }

  #chain(conn: BgpConnection, bytes: Uint8Array): void {
    const write = conn.write(bytes);
    this.#unsentBytes += bytes.length;
    const done = () => {
      this.#unsentBytes -= bytes.length;
    };
    write.then(done, done);
    this.#writeChain = this.#writeChain.then(() => write).catch(() => {});
    if (this.#unsentBytes > this.#maxUnsentBytes && !this.#unsentCheckScheduled) {
      // Not from inside #sync (it commits the Adj-RIB-Out after its writes): next microtask.
      this.#unsentCheckScheduled = true;
      queueMicrotask(() => {
        this.#unsentCheckScheduled = false;
        this.#onPeerNotReading(conn);
      });
    }
  }

  /**
   * A peer that keeps sending KEEPALIVEs but stops reading satisfies the hold
   * timer forever while our queued writes grow with every route change (and
   * every ROUTE-REFRESH it sends): reset the session (Cease/Out of Resources, RFC 4486).
   */
  #onPeerNotReading(conn: BgpConnection): void {
    if (this.#unsentBytes <= this.#maxUnsentBytes || this.#wire?.conn !== conn) return;
    this.#lastError = `peer is not reading: ${this.#unsentBytes} bytes unsent`;
    this.#log("warning", this.#lastError);
    this.#dispatch({
      type: "AutomaticStop",
      notification: { code: ErrorCode.CEASE, subcode: CeaseSubcode.OUT_OF_RESOURCES },
    });
    this.#lastError = `peer is not reading: more than ${this.#maxUnsentBytes} bytes unsent`;
  }

  #log(level: "debug" | "info" | "warning" | "error", message: string): void {
    this.#options.log?.(level, `neighbor ${this.neighbor.address}: ${message}`);
  }
}

/**
 * What `BgpSession.stop()` sends. A shutdown communication (RFC 9003 §2) goes
 * only with Cease 2 (Administrative Shutdown, the default) or 4
 * (Administrative Reset); the type rejects it with any other subcode, e.g.
 * 3 Peer De-configured, 6 Other Configuration Change (RFC 4486) or
 * 10 BFD Down (RFC 9384).
 */
export type SessionStopOptions =
  & {
    /**
     * Close without a NOTIFICATION, so a graceful-restart peer keeps our routes
     * as stale (RFC 4724 §4.2). Default false.
     */
    keepRoutes?: boolean;
  }
  & (
    | { ceaseSubcode?: ShutdownCeaseSubcode; communication?: string }
    | { ceaseSubcode: number; communication?: never }
  );

/** The Cease NOTIFICATION for `stop()` options. */
export function ceaseFor(options: SessionStopOptions): NotificationSpec {
  const subcode = options.ceaseSubcode ?? CeaseSubcode.ADMINISTRATIVE_SHUTDOWN;
  if (options.communication !== undefined && carriesCommunication(ErrorCode.CEASE, subcode)) {
    return { code: ErrorCode.CEASE, subcode, communication: options.communication };
  }
  return { code: ErrorCode.CEASE, subcode };
}

/** RFC 9003 §2: length octet + UTF-8, at most 255 octets (truncated on a character boundary). */
export function shutdownCommunication(text: string): Uint8Array {
  let bytes = new TextEncoder().encode(text);
  if (bytes.length > 255) {
    let end = 255;
    while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
    bytes = bytes.slice(0, end);
  }
  const out = new Uint8Array(bytes.length + 1);
  out[0] = bytes.length;
  out.set(bytes, 1);
  return out;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
