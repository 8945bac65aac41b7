/**
 * The BGP speaker: one session per configured neighbor, the listeners for
 * passive neighbors, and the table of routes we originate.
 *
 * @module
 */
import type { AnycastConfig, NeighborConfig, SpeakerConfig } from "../config/model.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import type { FsmStateName } from "./fsm.ts";
import type { RouteSpec } from "./route.ts";
import { BgpSession, type SessionStatus } from "./session.ts";
import { type BgpListener, tcpTransport, type Transport } from "./transport.ts";

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
  #routes = new Map<string, RouteSpec>();
  #stateListeners = new Set<(change: PeerStateChange) => void>();
  #started = false;
  #listening = false;

  constructor(options: SpeakerOptions) {
    this.#options = options;
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
        transport: options.transport ?? tcpTransport,
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
  addNeighbor(neighbor: NeighborConfig): BgpSession {
    if (this.#sessions.some((s) => s.neighbor.address === neighbor.address)) {
      throw new RangeError(`Cannot add neighbor ${neighbor.address}: it exists`);
    }
    const session = this.#createSession(neighbor);
    this.#sessions.push(session);
    if (this.#started) {
      session.setRoutes(this.#routes.values());
      session.start();
    }
    return session;
  }

  /** Remove a neighbor at run time: withdraw, Cease (RFC 4486 subcode 3, deconfigured) and close. */
  async removeNeighbor(address: string, options: StopOptions = {}): Promise<boolean> {
    const session = this.#sessions.find((s) => s.neighbor.address === address);
    if (!session) return false;
    this.#sessions = this.#sessions.filter((s) => s !== session);
    session.setRoutes([]);
    session.syncNow();
    session.stop({ ceaseSubcode: 3, ...options });
    await session.flushed();
    return true;
  }

  get sessions(): readonly BgpSession[] {
    return this.#sessions;
  }

  /** Open the listeners of passive neighbors, then start every session not held by `hold`. */
  async start(options: { hold?: (neighborAddress: string) => boolean } = {}): Promise<void> {
    if (this.#started) return;
    await this.listen();
    this.#started = true;
    for (const s of this.#sessions) {
      s.setRoutes(this.#routes.values());
      // BFD may hold a session until its path is Up (RFC 5882 §4.3; src/bfd/daemon.ts starts it).
      if (!options.hold?.(s.neighbor.address)) s.start();
    }
  }

  /**
   * Open the listeners only (start() does it too). Listening is off unless a
   * neighbor is passive; it binds only that neighbor's local address.
   */
  async listen(): Promise<void> {
    if (this.#listening) return;
    this.#listening = true;
    const addresses = new Set<string>();
    for (const n of this.#options.neighbors) {
      const hostname = this.#listenAddressOf(n);
      if (hostname !== undefined) addresses.add(hostname);
    }
    try {
      for (const hostname of addresses) await this.#openListener(hostname);
    } catch (err) {
      for (const l of this.#listeners) l.close();
      this.#listeners = [];
      this.#listening = false;
      throw err;
    }
  }

  /** Where a passive neighbor is accepted; undefined when it is not (with a warning). */
  #listenAddressOf(n: NeighborConfig): string | undefined {
    if (!n.passive) return undefined;
    // listenPort 0 means "do not listen" in the config: such a neighbor can never come up.
    if (this.#options.speaker.listenPort === 0) {
      this.#options.log?.("warning", `neighbor ${n.address} is passive but listenPort is 0`);
      return undefined;
    }
    if (!n.localAddress) {
      // Without a local address only the wildcard is left, which takes the port from
      // every other daemon on the host: say so.
      this.#options.log?.(
        "warning",
        `neighbor ${n.address} is passive without localAddress: listening on all addresses`,
      );
    }
    return n.localAddress ?? (n.address.includes(":") ? "::" : "0.0.0.0");
  }

  async #openListener(hostname: string): Promise<void> {
    const transport = this.#options.transport ?? tcpTransport;
    const port = this.#options.speaker.listenPort;
    this.#listeners.push(
      await transport.listen({ hostname, port }, (conn) => {
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
      }),
    );
  }

  /**
   * A passive neighbor added at run time (reload) needs a listener on its
   * local address if none is open there yet; resolves once it listens.
   */
  async listenFor(neighbor: NeighborConfig): Promise<void> {
    if (!this.#listening) return; // start() opens every listener anyway
    const hostname = this.#listenAddressOf(neighbor);
    if (hostname === undefined) return;
    const wildcard = hostname.includes(":") ? "::" : "0.0.0.0";
    // A wildcard listener of the family already accepts it (and would make the bind fail).
    if (this.#listeners.some((l) => l.hostname === hostname || l.hostname === wildcard)) return;
    await this.#openListener(hostname);
  }

  /** Port of the first listener. */
  get listenPort(): number | undefined {
    return this.#listeners[0]?.port;
  }

  /** Announce (or change) one prefix; idempotent (the health reconciler's RouteSink). */
  announce(prefix: string, route: RouteSpec): void {
    this.#routes.set(prefix, { ...route, prefix });
    this.#push();
  }

  /** Withdraw one prefix; idempotent. */
  withdraw(prefix: string): void {
    if (this.#routes.delete(prefix)) this.#push();
  }

  /** Replace the whole originated table. */
  setRoutes(routes: Iterable<RouteSpec>): void {
    this.#routes = new Map([...routes].map((r) => [r.prefix, r]));
    this.#push();
  }

  routes(): RouteSpec[] {
    return [...this.#routes.values()];
  }

  #push(): void {
    for (const s of this.#sessions) s.setRoutes(this.#routes.values());
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
    for (const s of this.#sessions) {
      if (!options.keepRoutes) {
        s.setRoutes([]);
        s.syncNow();
      }
      s.stop(options);
    }
    await Promise.all(this.#sessions.map((s) => s.flushed()));
    this.#started = false;
    this.#listening = false;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
