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
import type { AnycastConfig } from "../config/model.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import {
  BfdBgpCoupling,
  CEASE_SUBCODE_BFD_DOWN,
  localAddressFor,
  type NeighborBfdStatus,
} from "./coupling.ts";
import type { RandomSource } from "./jitter.ts";
import { BfdManager } from "./manager.ts";
import type { MetricsReporter } from "./session.ts";
import { type BfdTransport, UdpTransport } from "./transport.ts";

/** What BFD needs of one BGP session (BgpSession has it). */
export interface BgpSessionControl {
  readonly neighbor: { address: string };
  start(): void;
  stop(options?: { ceaseSubcode?: number; communication?: string }): void;
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

export class BfdService {
  readonly manager: BfdManager;
  readonly coupling: BfdBgpCoupling;
  #config: AnycastConfig;
  #sessions = new Map<string, BgpSessionControl>();
  #held = new Set<string>();
  #log: BfdLog;
  #clock: Clock;

  private constructor(config: AnycastConfig, manager: BfdManager, clock: Clock, log: BfdLog) {
    this.#config = config;
    this.manager = manager;
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
    sessions: readonly BgpSessionControl[],
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
    const service = new BfdService(config, manager, clock, log);
    for (const s of sessions) service.#sessions.set(s.neighbor.address, s);
    try {
      await manager.start();
      for (const neighbor of config.neighbors) {
        if (await service.coupling.addNeighbor(neighbor)) {
          log("info", `BFD ${neighbor.address}: session started`);
        }
      }
    } catch (e) {
      await manager.close();
      throw e;
    }
    return service;
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
    const session = this.#sessions.get(peer);
    if (!session) return;
    this.#log("warning", `BFD ${peer} down (${reason}): closing BGP with Cease/BFD Down`);
    // RFC 9384: Cease subcode 10 tells the peer why.
    session.stop({ ceaseSubcode: CEASE_SUBCODE_BFD_DOWN });
    const neighbor = this.#config.neighbors.find((n) => n.address === peer);
    if (neighbor?.bfd?.holdBgpUntilUp ?? true) {
      this.#held.add(peer);
    } else {
      // Not held: BGP reconnects by itself (after its own back-off) while BFD recovers.
      this.#clock.setTimeout(() => session.start(), 0);
    }
  }

  #bfdUp(peer: string): void {
    const session = this.#sessions.get(peer);
    if (session && this.#held.delete(peer)) {
      this.#log("info", `BFD ${peer} up: starting BGP`);
      session.start();
    }
  }
}
