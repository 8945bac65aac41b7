/**
 * The BGP speaker: one session per configured neighbor, the listeners for
 * every neighbor (passive or not), and the one table of routes we originate.
 *
 * The table is shared with every session: `announce`/`withdraw` change one
 * entry and tell each session which prefix changed (O(1) per session); each
 * session's Adj-RIB-Out marks it dirty and sends it on the next turn of the
 * event loop, grouped with whatever else changed (src/bgp/rib.ts).
 *
 * @module
 */
import type { AnycastConfig, NeighborConfig, SpeakerConfig } from "../config/model.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import type { FsmStateName } from "./fsm.ts";
import { CeaseSubcode } from "./message/types.ts";
import type { RouteSpec } from "./route.ts";
import { BgpSession, type MessageCounters, type SessionStatus } from "./session.ts";
import { type BgpListener, createTcpTransport, type Transport } from "./transport.ts";
import { assertSecuritySupported, tcpSecurityFor, withSecurity } from "./tcp_security.ts";
import type { TcpSecurity } from "../net/tcp_security.ts";

export interface SpeakerOptions {
  speaker: SpeakerConfig;
  neighbors: NeighborConfig[];
  /** Default: TCP. */
  transport?: Transport;
  /** Default: the system clock. */
  clock?: Clock;
  /** This start follows a restart: set the graceful-restart R bit (RFC 4724 §3). */
  restarting?: boolean;
  random?: () => number;
  log?: (level: "debug" | "info" | "warning" | "error", message: string) => void;
  /** Message and prefix counters, incremented where messages are sent and received. */
  counters?: SpeakerCounters;
  /** Longest stop() and removeNeighbor() wait for withdraws to be sent (default 5000 ms). */
  settleMs?: number;
}

/** Per-peer counters (the metrics reporter implements them). */
export interface SpeakerCounters {
  bgpMessage(peer: string, direction: "sent" | "received", type: keyof MessageCounters): void;
  bgpPrefixUpdates(peer: string, direction: "sent" | "received", count: number): void;
  /** RFC 7606 outcomes of received UPDATEs (treat-as-withdraw, attribute-discard, session-reset). */
  bgpUpdateErrors?(peer: string, action: string, count: number): void;
}

export interface StopOptions {
  /** RFC 9003 shutdown communication sent in the Cease. */
  communication?: string;
  /**
   * Graceful-restart stop: close without withdrawing or a NOTIFICATION, so
   * peers keep our routes as stale until we are back (RFC 4724 §4.2).
   */
  keepRoutes?: boolean;
}

export interface RemoveNeighborOptions {
  /**
   * Cease subcode (RFC 4486 §4): `CeaseSubcode.PEER_DECONFIGURED` (3, the
   * default) or `CeaseSubcode.OTHER_CONFIGURATION_CHANGE` (6, the neighbor's
   * configuration changed on reload).
   */
  subcode?:
    | typeof CeaseSubcode.PEER_DECONFIGURED
    | typeof CeaseSubcode.OTHER_CONFIGURATION_CHANGE;
}

export interface PeerStateChange {
  neighbor: string;
  from: FsmStateName;
  to: FsmStateName;
}

/** Build speaker options from the normalised config. */
export function speakerOptionsFrom(
  config: AnycastConfig,
  extra: Omit<SpeakerOptions, "speaker" | "neighbors"> = {},
): SpeakerOptions {
  return { speaker: config.speaker, neighbors: config.neighbors, ...extra };
}

export class BgpSpeaker {
  #options: SpeakerOptions;
  #sessions: BgpSession[] = [];
  #listeners: BgpListener[] = [];
  /** False while the owner still fills the table (End-of-RIB waits for it). */
  #tableComplete = true;
  /** The one route table: prefix -> route we originate. Sessions read it, never copy it. */
  #routes = new Map<string, RouteSpec>();
  #stateListeners = new Set<(change: PeerStateChange) => void>();
  #started = false;
  #listening = false;

  /** The transport sessions and listeners use (default: native TCP on Linux, see transport.ts). */
  #transport: Transport;

  constructor(options: SpeakerOptions) {
    this.#options = options;
    this.#transport = options.transport ??
      createTcpTransport(options.log ? { log: options.log } : {});
    for (const neighbor of options.neighbors) this.#sessions.push(this.#createSession(neighbor));
  }

  #createSession(neighbor: NeighborConfig): BgpSession {
    const options = this.#options;
    const s = options.speaker;
    return new BgpSession(
      {
        localAsn: s.asn,
        routerId: s.routerId,
        neighbor,
        transport: withSecurity(this.#transport, () => tcpSecurityFor(neighbor, s.asn)),
        clock: options.clock ?? systemClock,
        ...(s.gracefulRestartEnabled
          ? {
            gracefulRestart: {
              restartTime: s.gracefulRestartRestartTime,
              restarting: options.restarting ?? false,
            },
          }
          : {}),
        ...(options.random ? { random: options.random } : {}),
        ...(options.log ? { log: options.log } : {}),
        routes: this.#routes,
        tableComplete: () => this.#tableComplete,
        ...(options.counters ? { counters: countersFor(options.counters, neighbor.address) } : {}),
      },
      {
        onStateChange: (from, to) => {
          for (const l of this.#stateListeners) l({ neighbor: neighbor.address, from, to });
        },
      },
    );
  }

  /**
   * Add a neighbor at run time (config reload): its session gets the current
   * routes and starts at once if the speaker runs. A passive neighbor is
   * only reachable if a listener already covers its local address.
   */
  addNeighbor(
    neighbor: NeighborConfig,
    options: { hold?: (neighborAddress: string) => boolean } = {},
  ): BgpSession {
    if (this.#sessions.some((s) => s.neighbor.address === neighbor.address)) {
      throw new RangeError(`Cannot add neighbor ${neighbor.address}: it exists`);
    }
    const session = this.#createSession(neighbor);
    this.#sessions.push(session);
    this.#refreshListenerPeers();
    // It reads the shared table when it reaches Established. BFD may hold it (RFC 5882 §4.3).
    if (this.#started && !options.hold?.(neighbor.address)) session.start();
    return session;
  }

  /**
   * Remove a neighbor at run time: withdraw (sliced, bounded by `settleMs`),
   * Cease and close. The subcode says why (RFC 4486 §4): 3 Peer De-configured
   * (default) when it left the configuration, 6 Other Configuration Change
   * when it is replaced by a changed one. Neither carries a shutdown
   * communication (RFC 9003 §2). A listener no remaining neighbor needs is closed.
   */
  async removeNeighbor(address: string, options: RemoveNeighborOptions = {}): Promise<boolean> {
    const session = this.#sessions.find((s) => s.neighbor.address === address);
    if (!session) return false;
    this.#sessions = this.#sessions.filter((s) => s !== session);
    this.#refreshListenerPeers();
    session.useTable(new Map());
    await this.#settled([session]);
    session.stop({ ceaseSubcode: options.subcode ?? CeaseSubcode.PEER_DECONFIGURED });
    await session.flushed();
    this.#closeUnusedListeners();
    return true;
  }

  /** Wait until `sessions` have sent everything, at most `settleMs`. */
  async #settled(sessions: readonly BgpSession[]): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all(sessions.map((s) => s.synced())),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, this.#options.settleMs ?? 5000))),
    ]);
    clearTimeout(timer);
  }

  /** Close listeners whose address no configured neighbor is accepted on any more. */
  #closeUnusedListeners(): void {
    const wanted = new Set<string>();
    for (const s of this.#sessions) {
      const hostname = this.#listenAddressOf(s.neighbor, false);
      if (hostname !== undefined) wanted.add(hostname);
    }
    this.#listeners = this.#listeners.filter((l) => {
      if (wanted.has(l.hostname)) return true;
      this.#options.log?.("info", `closing the BGP listener on ${l.hostname}: no neighbor uses it`);
      l.close();
      return false;
    });
  }

  get sessions(): readonly BgpSession[] {
    return this.#sessions;
  }

  /** Open the listeners, then start every session not held by `hold`. */
  async start(options: { hold?: (neighborAddress: string) => boolean } = {}): Promise<void> {
    if (this.#started) return;
    if (!this.#options.transport) assertSecuritySupported(this.#options.neighbors);
    await this.listen();
    this.#started = true;
    for (const s of this.#sessions) {
      // BFD may hold a session until its path is Up (RFC 5882 §4.3; src/daemon/bfd.ts starts it).
      if (!options.hold?.(s.neighbor.address)) s.start();
    }
  }

  /**
   * Open the listeners only (start() does it too): one per local address of
   * the configured neighbors, passive or not. Like BIRD, FRR and GoBGP we
   * accept an active neighbor's connection too: after a restart the peer's
   * own attempts bring the session back as soon as it is up, and when both
   * sides connect at once RFC 4271 §6.8 picks one connection. A listener
   * that only active neighbors need may fail to open (port taken by another
   * daemon): that is a warning, as those neighbors still connect out.
   */
  async listen(): Promise<void> {
    if (this.#listening) return;
    this.#listening = true;
    const addresses = new Map<string, boolean>();
    for (const { neighbor: n } of this.#sessions) {
      const hostname = this.#listenAddressOf(n);
      if (hostname !== undefined) {
        addresses.set(hostname, (addresses.get(hostname) ?? false) || n.passive);
      }
    }
    try {
      for (const [hostname, required] of addresses) await this.#openListener(hostname, required);
    } catch (err) {
      for (const l of this.#listeners) l.close();
      this.#listeners = [];
      this.#listening = false;
      throw err;
    }
  }

  /** Where a neighbor's connections are accepted; undefined when nowhere (listenPort 0). */
  #listenAddressOf(n: NeighborConfig, warn = true): string | undefined {
    // listenPort 0 means "do not listen" in the config: a passive neighbor can never come up.
    if (this.#options.speaker.listenPort === 0) {
      if (warn && n.passive) {
        this.#options.log?.("warning", `neighbor ${n.address} is passive but listenPort is 0`);
      }
      return undefined;
    }
    if (!n.localAddress && warn && n.passive) {
      // Without a local address only the wildcard is left, which takes the port from
      // every other daemon on the host: say so.
      this.#options.log?.(
        "warning",
        `neighbor ${n.address} is passive without localAddress: listening on all addresses`,
      );
    }
    return n.localAddress ?? (n.address.includes(":") ? "::" : "0.0.0.0");
  }

  /**
   * Keys and TTLs of the neighbors a listener on `hostname` accepts (MD5 and
   * TCP-AO keys must sit on the listener before the peer's SYN arrives).
   */
  #listenerPeers(hostname: string): Map<string, TcpSecurity> {
    const peers = new Map<string, TcpSecurity>();
    const wildcard = hostname === "0.0.0.0" || hostname === "::";
    for (const session of this.#sessions) {
      const n = session.neighbor;
      if (!wildcard && n.localAddress !== undefined && n.localAddress !== hostname) continue;
      try {
        peers.set(n.address, tcpSecurityFor(n, this.#options.speaker.asn));
      } catch (e) {
        this.#options.log?.(
          "error",
          `neighbor ${n.address}: ${e instanceof Error ? e.message : e}`,
        );
      }
    }
    return peers;
  }

  #refreshListenerPeers(): void {
    for (const l of this.#listeners) {
      try {
        l.setPeers?.(this.#listenerPeers(l.hostname));
      } catch (e) {
        this.#options.log?.(
          "error",
          `listener ${l.hostname}: ${e instanceof Error ? e.message : e}`,
        );
      }
    }
  }

  async #openListener(hostname: string, required = true): Promise<void> {
    const transport = this.#transport;
    const port = this.#options.speaker.listenPort;
    let listener: BgpListener;
    try {
      listener = await transport.listen(
        { hostname, port, peers: this.#listenerPeers(hostname) },
        (conn) => {
          // Any configured neighbor may use a listener; a collision is resolved by RFC 4271 §6.8.
          const session = this.#sessions.find((s) =>
            s.neighbor.address === conn.remoteAddress &&
            (!s.neighbor.localAddress || s.neighbor.localAddress === conn.localAddress ||
              hostname === "0.0.0.0" || hostname === "::")
          );
          if (!session) {
            this.#options.log?.("info", `refused connection from ${conn.remoteAddress}`);
            conn.close();
            return;
          }
          session.acceptIncoming(conn);
        },
      );
    } catch (err) {
      if (required) throw err;
      this.#options.log?.(
        "warning",
        `${err instanceof Error ? err.message : String(err)}: active neighbors there ` +
          "only connect out (their restarts wait for our next connect retry)",
      );
      return;
    }
    this.#listeners.push(listener);
  }

  /**
   * A neighbor added at run time (reload) needs a listener on its local
   * address if none is open there yet; resolves once it listens.
   */
  async listenFor(neighbor: NeighborConfig): Promise<void> {
    if (!this.#listening) return; // start() opens every listener anyway
    const hostname = this.#listenAddressOf(neighbor);
    if (hostname === undefined) return;
    const wildcard = hostname.includes(":") ? "::" : "0.0.0.0";
    // A wildcard listener of the family already accepts it (and would make the bind fail).
    if (this.#listeners.some((l) => l.hostname === hostname || l.hostname === wildcard)) return;
    await this.#openListener(hostname, neighbor.passive);
  }

  /** Port of the first listener. */
  get listenPort(): number | undefined {
    return this.#listeners[0]?.port;
  }

  /** Announce (or change) one prefix; idempotent. O(sessions). */
  announce(prefix: string, route: RouteSpec): void {
    // A new object per change: sessions cache the route they make per object.
    this.#routes.set(prefix, { ...route, prefix });
    for (const s of this.#sessions) s.routeChanged(prefix);
  }

  /** Withdraw one prefix; idempotent. O(sessions). */
  withdraw(prefix: string): void {
    if (!this.#routes.delete(prefix)) return;
    for (const s of this.#sessions) s.routeChanged(prefix);
  }

  /** Replace the whole originated table (only what differs reaches the sessions). O(N). */
  setRoutes(routes: Iterable<RouteSpec>): void {
    const next = new Map([...routes].map((r) => [r.prefix, r]));
    for (const prefix of [...this.#routes.keys()]) if (!next.has(prefix)) this.withdraw(prefix);
    for (const [prefix, route] of next) this.announce(prefix, route);
  }

  /**
   * The table is being filled (a start that publishes in slices): sessions
   * that come up meanwhile send what there is, and End-of-RIB (RFC 4724 §2)
   * only after `tableComplete()`.
   */
  tableFilling(): void {
    this.#tableComplete = false;
  }

  /** The table is complete: sessions waiting for it send their End-of-RIB. */
  tableComplete(): void {
    this.#tableComplete = true;
    for (const s of this.#sessions) s.endOfRibReady();
  }

  /** The route table (read-only view). */
  get table(): ReadonlyMap<string, RouteSpec> {
    return this.#routes;
  }

  routes(): RouteSpec[] {
    return [...this.#routes.values()];
  }

  peers(): SessionStatus[] {
    return this.#sessions.map((s) => s.status());
  }

  /** Subscribe to session state changes; returns the unsubscribe function. */
  onStateChange(listener: (change: PeerStateChange) => void): () => void {
    this.#stateListeners.add(listener);
    return () => this.#stateListeners.delete(listener);
  }

  /**
   * Withdraw everything, send Cease/Administrative Shutdown with the
   * communication (RFC 8203/9003) and close; or, with `keepRoutes`, close
   * for a graceful restart.
   */
  async stop(options: StopOptions = {}): Promise<void> {
    for (const l of this.#listeners) l.close();
    this.#listeners = [];
    if (!options.keepRoutes) {
      // Withdraw everything (sliced by each session's sender), then say goodbye.
      for (const s of this.#sessions) s.useTable(new Map());
      await this.#settled(this.#sessions);
    }
    for (const s of this.#sessions) s.stop(options);
    await Promise.all(this.#sessions.map((s) => s.flushed()));
    this.#started = false;
    this.#listening = false;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

function countersFor(counters: SpeakerCounters, peer: string) {
  return {
    message: (direction: "sent" | "received", type: keyof MessageCounters) =>
      counters.bgpMessage(peer, direction, type),
    prefixUpdates: (direction: "sent" | "received", count: number) =>
      counters.bgpPrefixUpdates(peer, direction, count),
    updateError: (action: string) => counters.bgpUpdateErrors?.(peer, action, 1),
  };
}
