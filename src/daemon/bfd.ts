/**
 * BFD inside `anycast run`: builds the {@link BfdManager} from the config,
 * couples each BFD neighbor to its BGP session (RFC 5882 §4.3) and adapts
 * the speaker's sessions to {@link BfdCoupledSpeaker}.
 *
 * - BFD Down: the BGP session is closed at once with NOTIFICATION Cease,
 *   subcode 10 "BFD Down" (RFC 9384), and held until BFD is Up again when
 *   `holdBgpUntilUp` (else restarted right away, to reconnect by itself).
 * - Start-up: with `holdBgpUntilUp` the BGP session is not started before
 *   BFD is Up (pass {@link BfdService.hold} to `BgpSpeaker.start`).
 * - Shutdown: every BFD session goes AdminDown first, so peers do not take
 *   the BGP Cease that follows for a path failure (RFC 5882 §3.2).
 *
 * @module
 */
import type { AnycastConfig, NeighborConfig } from "../config/model.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import {
  BfdBgpCoupling,
  CEASE_SUBCODE_BFD_DOWN,
  localAddressFor,
  type NeighborBfdStatus,
} from "./bfd_coupling.ts";
import type { RandomSource } from "../bfd/jitter.ts";
import { BfdManager } from "../bfd/manager.ts";
import type { MetricsReporter } from "../bfd/session.ts";
import { type BfdTransport, UdpTransport } from "../bfd/transport.ts";

/** What BFD needs of one BGP session (BgpSession has it). */
export interface BgpSessionControl {
  readonly neighbor: { address: string };
  start(): void;
  /** Close with NOTIFICATION Cease and this subcode (no shutdown communication, RFC 9003 §2). */
  stop(options?: { ceaseSubcode: number }): void;
}

export type BfdLog = (level: "debug" | "info" | "warning" | "error", message: string) => void;

export interface BfdServiceOptions {
  /** Default: UDP on `config.bfd.listenAddress`, ports 3784/4784. */
  transport?: BfdTransport;
  clock?: Clock;
  random?: RandomSource;
  metrics?: MetricsReporter;
  log?: BfdLog;
}

/** The BGP session the speaker has for an address now (a reload replaces session objects). */
export type SessionLookup = (address: string) => BgpSessionControl | undefined;

/** The BFD part of a neighbor's config: when it changes, the BFD session is rebuilt. */
function bfdKey(n: NeighborConfig): string {
  return JSON.stringify([n.bfd, n.localAddress]);
}

export class BfdService {
  readonly manager: BfdManager;
  readonly coupling: BfdBgpCoupling;
  #config: AnycastConfig;
  #session: SessionLookup;
  #held = new Set<string>();
  #log: BfdLog;
  #clock: Clock;

  private constructor(
    config: AnycastConfig,
    manager: BfdManager,
    session: SessionLookup,
    clock: Clock,
    log: BfdLog,
  ) {
    this.#config = config;
    this.manager = manager;
    this.#session = session;
    this.#clock = clock;
    this.#log = log;
    this.coupling = new BfdBgpCoupling(manager, {
      bfdDown: (peer, reason) => this.#bfdDown(peer, reason),
      bfdUp: (peer) => this.#bfdUp(peer),
    }, config.bfd);
    manager.onStateChange((c) => {
      const level = c.from === "Up" || c.to === "Up" ? "info" : "debug";
      this.#log(level, `BFD ${c.peer}: ${c.from} -> ${c.to} (${c.diagnostic})`);
    });
  }

  /** Whether BFD is configured for any neighbor (else the daemon need not start it). */
  static wanted(config: AnycastConfig): boolean {
    return config.bfd.enabled && config.neighbors.some((n) => n.bfd !== undefined);
  }

  /** Open the sockets and start a BFD session per BFD neighbor; call before `BgpSpeaker.start`. */
  static async start(
    config: AnycastConfig,
    session: SessionLookup,
    options: BfdServiceOptions = {},
  ): Promise<BfdService> {
    const clock = options.clock ?? systemClock;
    const log = options.log ?? (() => {});
    // One receive address per family in use: the configured one, plus the
    // other family's (a neighbor's local address, else the wildcard) if needed.
    const listen = new Set([config.bfd.listenAddress]);
    for (const n of config.neighbors) {
      if (!n.bfd) continue;
      const local = n.localAddress ?? localAddressFor(n.address, config.bfd.listenAddress);
      if (local.includes(":") !== config.bfd.listenAddress.includes(":")) listen.add(local);
    }
    const transport = options.transport ?? new UdpTransport({
      listenAddress: [...listen],
      singleHopPort: config.bfd.listenPort,
      onError: (e) => log("warning", `BFD socket: ${e.message}`),
    });
    const manager = new BfdManager({
      transport,
      clock,
      ...(options.random ? { random: options.random } : {}),
      ...(options.metrics ? { metrics: options.metrics } : {}),
    });
    const service = new BfdService(config, manager, session, clock, log);
    try {
      await manager.start();
      for (const neighbor of config.neighbors) await service.#add(neighbor);
    } catch (e) {
      await manager.close();
      throw e;
    }
    return service;
  }

  async #add(neighbor: NeighborConfig): Promise<void> {
    if (await this.coupling.addNeighbor(neighbor)) {
      this.#log("info", `BFD ${neighbor.address}: session started`);
    }
  }

  #remove(address: string): void {
    if (this.coupling.status(address) === undefined) return;
    this.coupling.removeNeighbor(address);
    this.#held.delete(address);
    this.#log("info", `BFD ${address}: session removed`);
  }

  /**
   * Config reload: BFD sessions of removed neighbors stop; added neighbors get
   * one; a neighbor whose BFD settings changed gets a new session with the
   * new timers. Call before the speaker re-adds changed or added neighbors,
   * and start their BGP sessions only when {@link hold} allows it.
   */
  async reload(
    next: AnycastConfig,
    neighbors: {
      added: readonly NeighborConfig[];
      removed: readonly NeighborConfig[];
      changed: readonly NeighborConfig[];
    },
  ): Promise<void> {
    const before = new Map(this.#config.neighbors.map((n) => [n.address, n]));
    this.#config = next;
    for (const n of neighbors.removed) this.#remove(n.address);
    for (const n of neighbors.changed) {
      const old = before.get(n.address);
      if (old && bfdKey(old) === bfdKey(n) && n.bfd) continue; // same BFD session goes on
      this.#remove(n.address);
      await this.#add(n);
    }
    for (const n of neighbors.added) await this.#add(n);
  }

  /**
   * For `BgpSpeaker.start({ hold })`: true when the BGP session must wait
   * for BFD (holdBgpUntilUp and BFD not Up yet). Held sessions start on BFD Up.
   */
  readonly hold = (peer: string): boolean => {
    if (this.coupling.mayStartBgp(peer)) return false;
    this.#held.add(peer);
    return true;
  };

  /** BFD status per BFD neighbor, for `anycast peers`, metrics and logs. */
  status(): NeighborBfdStatus[] {
    return this.#config.neighbors
      .map((n) => this.coupling.status(n.address))
      .filter((s): s is NeighborBfdStatus => s !== undefined);
  }

  /** AdminDown to every peer (RFC 5880 §6.8.16) before BGP says goodbye; then close. */
  async shutdown(): Promise<void> {
    for (const s of this.manager.sessions()) this.coupling.shutdown(s.peer);
    this.coupling.close();
    await this.manager.close();
  }

  #bfdDown(peer: string, reason: string): void {
    const session = this.#session(peer);
    if (!session) return;
    this.#log("warning", `BFD ${peer} down (${reason}): closing BGP with Cease/BFD Down`);
    // RFC 9384: Cease subcode 10 tells the peer why.
    session.stop({ ceaseSubcode: CEASE_SUBCODE_BFD_DOWN });
    const neighbor = this.#config.neighbors.find((n) => n.address === peer);
    if (neighbor?.bfd?.holdBgpUntilUp ?? true) {
      this.#held.add(peer);
    } else {
      // Not held: BGP reconnects by itself (after its own back-off) while BFD recovers.
      this.#clock.setTimeout(() => this.#session(peer)?.start(), 0);
    }
  }

  #bfdUp(peer: string): void {
    const session = this.#session(peer);
    if (session && this.#held.delete(peer)) {
      this.#log("info", `BFD ${peer} up: starting BGP`);
      session.start();
    }
  }
}
