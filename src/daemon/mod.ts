/**
 * The `anycast run` daemon: owns the BGP speaker and (later) the probes,
 * BFD, metrics and control API. For now every configured prefix is
 * announced unconditionally.
 *
 * @module
 */
import type { AnycastConfig, LogLevel, PrefixConfig } from "../config/model.ts";
import type { RouteSpec } from "../bgp/route.ts";
import { BgpSpeaker, type StopOptions } from "../bgp/speaker.ts";
import type { Transport } from "../bgp/transport.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { BfdService } from "../bfd/daemon.ts";
import type { BfdTransport } from "../bfd/transport.ts";

export type DaemonLogLevel = "debug" | "info" | "warning" | "error";

export interface DaemonOptions {
  config: AnycastConfig;
  clock?: Clock;
  /** Default TCP. */
  transport?: Transport;
  /** This start follows a restart (graceful restart R bit, RFC 4724). */
  restarting?: boolean;
  log?: (level: DaemonLogLevel, message: string) => void;
  /** BFD packets' transport (default UDP per config.bfd); tests pass an in-memory one. */
  bfdTransport?: BfdTransport;
}

/** The route a prefix announces while healthy. */
export function routeOf(prefix: PrefixConfig): RouteSpec {
  const route: RouteSpec = {
    prefix: prefix.prefix,
    family: prefix.family,
    origin: prefix.origin,
    attributes: prefix.attributes,
  };
  if (prefix.nextHop !== undefined) route.nextHop = prefix.nextHop;
  if (prefix.nextHopLinkLocal !== undefined) route.nextHopLinkLocal = prefix.nextHopLinkLocal;
  if (prefix.prependAsn !== undefined) route.prependAsn = prefix.prependAsn;
  return route;
}

/** Default shutdown communication (RFC 9003). */
export const SHUTDOWN_COMMUNICATION = "anycast daemon shutting down";

export class Daemon {
  readonly config: AnycastConfig;
  readonly speaker: BgpSpeaker;
  #log: (level: DaemonLogLevel, message: string) => void;
  #running = false;
  #clock: Clock;
  #bfdTransport: BfdTransport | undefined;
  #bfd: BfdService | undefined;

  constructor(options: DaemonOptions) {
    this.config = options.config;
    this.#log = options.log ?? (() => {});
    this.#clock = options.clock ?? systemClock;
    this.#bfdTransport = options.bfdTransport;
    this.speaker = new BgpSpeaker({
      speaker: options.config.speaker,
      neighbors: options.config.neighbors,
      clock: options.clock ?? systemClock,
      ...(options.transport ? { transport: options.transport } : {}),
      ...(options.restarting ? { restarting: true } : {}),
      log: this.#log,
    });
    this.speaker.onStateChange((c) => {
      const level = c.to === "Established" || c.from === "Established" ? "info" : "debug";
      this.#log(level, `neighbor ${c.neighbor}: ${c.from} -> ${c.to}`);
    });
  }

  get running(): boolean {
    return this.#running;
  }

  /** BFD sessions and their coupling to BGP; undefined when no neighbor uses BFD. */
  get bfd(): BfdService | undefined {
    return this.#bfd;
  }

  async start(): Promise<void> {
    this.speaker.setRoutes(this.config.prefixes.map(routeOf));
    // BFD first, so BGP sessions with holdBgpUntilUp wait for it (src/bfd/daemon.ts).
    if (BfdService.wanted(this.config)) {
      this.#bfd = await BfdService.start(this.config, this.speaker.sessions, {
        clock: this.#clock,
        log: this.#log,
        ...(this.#bfdTransport ? { transport: this.#bfdTransport } : {}),
      });
    }
    const bfd = this.#bfd;
    try {
      await this.speaker.start(bfd ? { hold: bfd.hold } : {});
    } catch (e) {
      await bfd?.shutdown();
      this.#bfd = undefined;
      throw e;
    }
    this.#running = true;
    this.#log(
      "info",
      `started: AS ${this.config.speaker.asn}, ${this.config.neighbors.length} neighbor(s), ` +
        `${this.config.prefixes.length} prefix(es)`,
    );
  }

  /** Withdraw, Cease with a shutdown communication, close (or keep routes for graceful restart). */
  async stop(options: StopOptions = {}): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    // BFD AdminDown first, so peers do not take the Cease for a path failure (RFC 5882 §3.2).
    await this.#bfd?.shutdown();
    this.#bfd = undefined;
    await this.speaker.stop(
      options.keepRoutes ? options : { communication: SHUTDOWN_COMMUNICATION, ...options },
    );
    this.#log("info", "stopped");
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

const LEVELS: Record<LogLevel, number> = {
  trace: 0,
  debug: 1,
  info: 2,
  warning: 3,
  error: 4,
  fatal: 5,
};

/** A plain stderr logger honouring the configured level (until the log subsystem exists). */
export function stderrLogger(
  level: LogLevel,
  write: (text: string) => void,
): (level: DaemonLogLevel, message: string) => void {
  const min = LEVELS[level];
  return (l, message) => {
    if (LEVELS[l] >= min) write(`${new Date().toISOString()} ${l} ${message}\n`);
  };
}
