/**
 * The BFD subsystem: owns the sessions, demultiplexes received packets to
 * them (RFC 5880 §6.3: by Your Discriminator, or by source address while it
 * is zero) and publishes state changes.
 *
 * @module
 */
import { type Clock, systemClock } from "../util/clock.ts";
import type { RandomSource } from "./jitter.ts";
import {
  type BfdDropReason,
  BfdPacketError,
  type BfdStateName,
  decodeControlPacket,
} from "./packet.ts";
import { type BfdAuthConfig, BfdKeyedAuthenticator } from "./auth.ts";
import {
  BfdSession,
  type BfdSessionInfo,
  type BfdStateChange,
  type MetricsReporter,
  noopMetrics,
} from "./session.ts";
import type { BfdDatagram, BfdTransport, SessionSender } from "./transport.ts";

/** Per-peer settings (the model's BfdSessionConfig plus the local address). */
export interface BfdPeerConfig {
  /** Source address for this session's packets (RFC 5881 §4). */
  localAddress: string;
  /** RFC 5883 multihop (port 4784) instead of single hop (3784). Default false. */
  multihop?: boolean;
  /** bfd.DesiredMinTxInterval once Up (ms). */
  minTxMs: number;
  /** bfd.RequiredMinRxInterval (ms). */
  minRxMs: number;
  multiplier: number;
  /** Wait for the peer's first packet (RFC 5880 §6.1). Default false. */
  passive?: boolean;
  /** RFC 5880 §6.7 authentication; undefined = none. */
  auth?: BfdAuthConfig;
  /** Multihop: lowest received TTL accepted (default 254, FRR's default); single hop needs 255. */
  minimumTtl?: number;
}

/** Default minimum received TTL of multihop sessions. */
export const DEFAULT_MULTIHOP_MINIMUM_TTL = 254;

export interface BfdManagerOptions {
  transport: BfdTransport;
  /** Default the system clock. */
  clock?: Clock;
  /** Jitter source (default Math.random). */
  random?: RandomSource;
  /** Picks candidate discriminators (default crypto random); zero and duplicates are skipped. */
  discriminator?: () => number;
  metrics?: MetricsReporter;
}

export type BfdStateListener = (change: BfdStateChange) => void;

interface Entry {
  session: BfdSession;
  sender: SessionSender;
  multihop: boolean;
  /** Lowest TTL accepted on receipt (255 for single hop). */
  minimumTtl: number;
}

function cryptoDiscriminator(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]!;
}

export class BfdManager {
  #transport: BfdTransport;
  #clock: Clock;
  #random: RandomSource;
  #nextDiscriminator: () => number;
  #metrics: MetricsReporter;
  #byPeer = new Map<string, Entry>();
  #byDiscriminator = new Map<number, Entry>();
  #listeners = new Set<BfdStateListener>();
  #drops = new Map<string, number>();
  #started = false;
  #closing = new Set<Promise<void>>();

  constructor(options: BfdManagerOptions) {
    this.#transport = options.transport;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#nextDiscriminator = options.discriminator ?? cryptoDiscriminator;
    this.#metrics = options.metrics ?? noopMetrics;
  }

  /** Open the receive sockets. */
  async start(): Promise<void> {
    if (this.#started) return;
    await this.#transport.listen((datagram) => this.#receive(datagram));
    this.#started = true;
  }

  /** Create and start a session towards `peer`; throws if one exists. */
  async addSession(peer: string, config: BfdPeerConfig): Promise<BfdSessionInfo> {
    if (this.#byPeer.has(peer)) throw new Error(`BFD session for ${peer} already exists`);
    const multihop = config.multihop ?? false;
    const sender = await this.#transport.openSender({
      peer,
      localAddress: config.localAddress,
      multihop,
    });
    let session: BfdSession;
    try {
      const options = {
        peer,
        localDiscriminator: this.#allocateDiscriminator(),
        desiredMinTxMs: config.minTxMs,
        requiredMinRxMs: config.minRxMs,
        multiplier: config.multiplier,
        passive: config.passive ?? false,
        sender,
        clock: this.#clock,
        random: this.#random,
        metrics: this.#metrics,
        onStateChange: (change: BfdStateChange) => this.#emit(change),
      };
      session = new BfdSession(
        config.auth ? { ...options, auth: new BfdKeyedAuthenticator(config.auth) } : options,
      );
    } catch (e) {
      await sender.close();
      throw e;
    }
    const entry: Entry = {
      session,
      sender,
      multihop,
      minimumTtl: multihop ? config.minimumTtl ?? DEFAULT_MULTIHOP_MINIMUM_TTL : 255,
    };
    this.#byPeer.set(peer, entry);
    this.#byDiscriminator.set(session.localDiscriminator, entry);
    session.start();
    return session.info();
  }

  /** Tell the peer AdminDown (RFC 5880 §6.8.16), then forget the session. */
  removeSession(peer: string): boolean {
    const entry = this.#byPeer.get(peer);
    if (!entry) return false;
    entry.session.adminDown();
    entry.session.stop();
    const closing = entry.sender.close().catch(() => {});
    this.#closing.add(closing);
    closing.finally(() => this.#closing.delete(closing));
    this.#byPeer.delete(peer);
    this.#byDiscriminator.delete(entry.session.localDiscriminator);
    return true;
  }

  /** Administratively disable a session (RFC 5880 §6.8.16); the peer sees AdminDown. */
  adminDown(peer: string): boolean {
    const entry = this.#byPeer.get(peer);
    entry?.session.adminDown();
    return entry !== undefined;
  }

  adminUp(peer: string): boolean {
    const entry = this.#byPeer.get(peer);
    entry?.session.adminUp();
    return entry !== undefined;
  }

  /** Change a session's timers (a Poll Sequence when Up, RFC 5880 §6.8.3). */
  setTimers(
    peer: string,
    timers: { minTxMs: number; minRxMs: number; multiplier: number },
  ): boolean {
    const entry = this.#byPeer.get(peer);
    entry?.session.setTimers({
      desiredMinTxMs: timers.minTxMs,
      requiredMinRxMs: timers.minRxMs,
      multiplier: timers.multiplier,
    });
    return entry !== undefined;
  }

  state(peer: string): BfdStateName | undefined {
    return this.#byPeer.get(peer)?.session.info().state;
  }

  session(peer: string): BfdSessionInfo | undefined {
    return this.#byPeer.get(peer)?.session.info();
  }

  sessions(): BfdSessionInfo[] {
    return [...this.#byPeer.values()].map((e) => e.session.info());
  }

  /** Dropped packets by reason since start. */
  drops(): Record<string, number> {
    return Object.fromEntries(this.#drops);
  }

  /** Subscribe to state changes; returns the unsubscribe function. */
  onStateChange(listener: BfdStateListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    for (const peer of [...this.#byPeer.keys()]) this.removeSession(peer);
    // Let the final AdminDown packets leave before the sockets go.
    await Promise.all(this.#closing);
    await this.#transport.close();
    this.#started = false;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #allocateDiscriminator(): number {
    // RFC 5880 §6.8.1: bfd.LocalDiscr "MUST be unique across all BFD sessions on this system, and nonzero".
    for (let i = 0; i < 1000; i++) {
      const candidate = this.#nextDiscriminator() >>> 0;
      if (candidate !== 0 && !this.#byDiscriminator.has(candidate)) return candidate;
    }
    throw new Error("Cannot allocate a unique BFD discriminator");
  }

  #emit(change: BfdStateChange): void {
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch {
        // A failing listener must not stop the others or the session.
      }
    }
  }

  #drop(peer: string | undefined, reason: BfdDropReason): void {
    this.#drops.set(reason, (this.#drops.get(reason) ?? 0) + 1);
    if (reason !== "auth-mismatch" && reason !== "stale-after-stall" && reason !== "admin-down") {
      // Session-level drops are reported by the session itself.
      this.#metrics.packetDropped(peer, reason);
    }
  }

  /** RFC 5880 §6.8.6 reception: decode, select the session, hand over. Never throws. */
  #receive(datagram: BfdDatagram): void {
    let packet;
    try {
      packet = decodeControlPacket(datagram.bytes);
    } catch (e) {
      this.#drop(undefined, e instanceof BfdPacketError ? e.reason : "bad-length");
      return;
    }
    // "If the Your Discriminator field is nonzero, it MUST be used to select the
    // session ... If no session is found, the packet MUST be discarded." Otherwise
    // select by source address (RFC 5881 §3, RFC 5883 §3).
    const entry = packet.yourDiscriminator !== 0
      ? this.#byDiscriminator.get(packet.yourDiscriminator)
      : this.#byPeer.get(datagram.from);
    if (!entry || entry.session.peer !== datagram.from || entry.multihop !== datagram.multihop) {
      this.#drop(datagram.from, "no-session");
      return;
    }
    // RFC 5881 §5: "All received BFD Control packets that are demultiplexed to the
    // session MUST be discarded if the received TTL or Hop Limit is not equal to 255."
    // RFC 5883 §2: multihop sessions check against a configured minimum instead.
    if (datagram.ttl !== undefined && datagram.ttl < entry.minimumTtl) {
      this.#drop(datagram.from, entry.multihop ? "ttl-below-minimum" : "ttl-not-255");
      return;
    }
    try {
      const dropped = entry.session.receive(packet, datagram.bytes);
      if (dropped) this.#drop(datagram.from, dropped);
    } catch {
      this.#drop(datagram.from, "internal-error");
    }
  }
}
