/**
 * The `anycast run` daemon: a thin root that wires the subsystems and hands
 * each its part of a reload.
 *
 * - health (src/health/supervisor.ts): probes, anycastd services,
 *   maintenance files, unit restarts -> policy events;
 * - policy (src/health/engine.ts): per-prefix decisions, written straight
 *   into the BGP speaker's one route table (O(1) per decision);
 * - bgp (src/bgp/speaker.ts): the table, sessions and their Adj-RIB-Outs;
 * - bfd (src/daemon/bfd.ts): BFD sessions and their coupling to BGP;
 * - control (src/control/): the API and its presentation;
 * - metrics: one reporter, injected everywhere, plus event-loop lag;
 * - systemd: sd_notify.
 *
 * @module
 */
import type { AnycastConfig, LogLevel, PrefixConfig } from "../config/model.ts";
import type { RouteSpec } from "../bgp/route.ts";
import { BgpSpeaker, type StopOptions } from "../bgp/speaker.ts";
import type { Transport } from "../bgp/transport.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { forEachSliced } from "../util/slice.ts";
import { bfdMetrics } from "../bfd/metrics.ts";
import type { BfdTransport } from "../bfd/transport.ts";
import { BfdService } from "./bfd.ts";
import { BULK_THRESHOLD, type DesiredRouteTarget, PolicyEngine } from "../health/engine.ts";
import type { FileProbe } from "../health/maintenance.ts";
import { HealthSupervisor } from "../health/supervisor.ts";
import type { UnitWatcher } from "../systemd/unit_state.ts";
import type { HandlerRunner } from "../probe/mod.ts";
import {
  combineBackend,
  ControlServer,
  PrefixControl,
  type RouteTable,
  sessionBackend,
  type StatusInfo,
} from "../control/mod.ts";
// prom-client and dbus-next cost ~15 MB of RSS each: they are loaded only when used.
import { type MetricsReporter, noopMetrics } from "../metrics/reporter.ts";
import { DaemonReadiness, MetricsServer } from "../metrics/server.ts";
import type { PrometheusMetrics } from "../metrics/prometheus.ts";
import { LoopLagMonitor } from "../metrics/loop_lag.ts";
import type { ServiceManager } from "../systemd/service_manager.ts";
import { SystemdNotifier } from "../systemd/notify.ts";
import { CeaseSubcode } from "../bgp/message/types.ts";
import { describeDiff, type diffConfig, diffConfigSliced, probeKey } from "./reload.ts";
import { formatConfigError, formatConfigWarning } from "../config/mod.ts";
import { loadConfigOffThread } from "../config/load_worker.ts";
// Fleet guard (issue 15): the glue lives in ./fleet.ts.
import type { Fleet, FleetStore } from "../fleet/mod.ts";
import { createFleet, guardedBackend, logShutdownBreaches, recordDecision } from "./fleet.ts";

export { describeDiff, diffBy, diffConfig, probeKey } from "./reload.ts";

export type DaemonLogLevel = "debug" | "info" | "warning" | "error";
export type DaemonLog = (level: DaemonLogLevel, message: string) => void;

export interface DaemonOptions {
  config: AnycastConfig;
  clock?: Clock;
  /** Default TCP. */
  transport?: Transport;
  /** This start follows a restart (graceful restart R bit, RFC 4724). */
  restarting?: boolean;
  log?: DaemonLog;
  /** BFD packets' transport (default UDP per config.bfd); tests pass an in-memory one. */
  bfdTransport?: BfdTransport;
  /**
   * Serve the control API on `config.api` (default false, so embedding tests do not
   * take /run/anycast/anycast.sock; `anycast run` turns it on).
   */
  controlApi?: boolean;
  /** Serve metrics when `config.metrics.enabled` (default true). */
  metricsServer?: boolean;
  /** Runs probe handlers (default the real handlers); unit tests script it. */
  probeRunner?: HandlerRunner;
  /** Restarts units (default systemd over D-Bus, connected on first use). */
  serviceManager?: ServiceManager;
  /** sd_notify (default from NOTIFY_SOCKET). */
  notifier?: SystemdNotifier;
  /** Maintenance file checks (default the real file system). */
  fileProbe?: FileProbe;
  /** How often maintenance files are checked (default 500 ms). */
  maintenanceIntervalMs?: number;
  /** Shortest gap between two restarts of one unit (default 30000 ms). */
  restartMinIntervalMs?: number;
  /**
   * Watches systemd units' state for `service: {type: systemd}` (default systemd
   * over D-Bus, connected on first use; `false` turns unit watching off). issue 14
   */
  unitWatcher?: UnitWatcher | false;
  /** Watch maintenance files with inotify (default true with the real file system). issue 14 */
  maintenanceWatchFs?: boolean;
  /** Reported in metrics and `GET /v1/status`. */
  version?: string;
  /** Fleet guard store (default etcd from `config.fleet`); tests pass an in-memory one. */
  fleetStore?: FleetStore;
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

/** A loop lag this long is logged as a warning (keepalives and BFD were that late). */
const STALL_WARNING_SECONDS = 0.25;

/** "3/4 prefixes announced, 2/2 peers established": sd_notify STATUS and logs. */
export function statusSummary(
  prefixes: { configured: number; announced: number },
  peers: { configured: number; established: number },
): string {
  return `${prefixes.announced}/${prefixes.configured} prefixes announced, ` +
    `${peers.established}/${peers.configured} peers established`;
}

export class Daemon {
  config: AnycastConfig;
  readonly speaker: BgpSpeaker;
  readonly metrics: MetricsReporter;
  readonly readiness = new DaemonReadiness();
  readonly engine: PolicyEngine;
  readonly health: HealthSupervisor;
  readonly notifier: SystemdNotifier;
  #options: DaemonOptions;
  #log: DaemonLog;
  #running = false;
  #clock: Clock;
  #bfd: BfdService | undefined;
  #prometheus: PrometheusMetrics | undefined;
  #reporter: MetricsReporter = noopMetrics;
  #control: ControlServer | undefined;
  #metricsServer: MetricsServer | undefined;
  #prefixControl: PrefixControl;
  #loopLag: LoopLagMonitor;
  #startedAt = new Date();
  /** Fleet guard (issue 15), when `config.fleet` is set. */
  #fleet: Fleet | undefined;
  #lastStatus = "";
  #statusScheduled = false;
  /** Prefixes without a verdict yet (state unknown). */
  #unknown = 0;

  constructor(options: DaemonOptions) {
    this.#options = options;
    this.config = options.config;
    this.#log = options.log ?? (() => {});
    this.#clock = options.clock ?? systemClock;
    const config = options.config;
    // Forwards to the Prometheus reporter once start() has loaded it (metrics enabled).
    this.metrics = Object.fromEntries(
      Object.keys(noopMetrics).map((name) => [
        name,
        (...args: unknown[]) =>
          (this.#reporter[name as keyof MetricsReporter] as (...a: unknown[]) => void)(...args),
      ]),
    ) as unknown as MetricsReporter;
    let lastStallLog = -Infinity;
    this.#loopLag = new LoopLagMonitor({
      report: (seconds) => {
        this.metrics.eventLoopLag(seconds);
        // Keepalives and BFD wait while the loop is busy: say so, at most every 10 s.
        if (seconds >= STALL_WARNING_SECONDS && performance.now() - lastStallLog > 10_000) {
          lastStallLog = performance.now();
          this.#log("warning", `event loop stalled ${(seconds * 1000).toFixed(0)} ms`);
        }
      },
    });
    this.notifier = options.notifier ??
      new SystemdNotifier({ onError: (e) => this.#log("warning", `sd_notify: ${String(e)}`) });
    this.speaker = new BgpSpeaker({
      speaker: config.speaker,
      neighbors: config.neighbors,
      clock: this.#clock,
      ...(options.transport ? { transport: options.transport } : {}),
      ...(options.restarting ? { restarting: true } : {}),
      log: this.#log,
      counters: this.metrics,
    });
    this.speaker.onStateChange((c) => {
      const level = c.to === "Established" || c.from === "Established" ? "info" : "debug";
      this.#log(level, `neighbor ${c.neighbor}: ${c.from} -> ${c.to}`);
      this.metrics.peerState(c.neighbor, c.to);
      this.#statusSoon();
    });
    const table = this.#routeTable();
    this.engine = new PolicyEngine(config.prefixes, table, {
      clock: this.#clock,
      // Fleet guard (issue 15): consulted before a health-driven withdraw.
      guard: { holdWithdraw: (prefix) => this.#fleet?.holdWithdraw(prefix) },
      onDecision: (status, previous, bulk) => {
        recordDecision(this.#fleet, status);
        this.metrics.prefixState(status.prefix, status.state, previous?.state);
        const action = status.route ? "announce" : "withdraw";
        // The first verdicts of thousands of probe-gated prefixes end in one summary line.
        const first = previous?.state === "unknown" && this.config.prefixes.length > BULK_THRESHOLD;
        if (previous?.state === "unknown" && status.state !== "unknown") this.#unknown--;
        if (status.state === "unknown" && previous?.state !== "unknown") this.#unknown++;
        if (first && this.#unknown === 0) {
          queueMicrotask(() => this.#log("info", `first verdicts in: ${this.engine.summary()}`));
        }
        const quiet = bulk || first || (previous?.state === status.state && previous !== undefined);
        this.#log(
          quiet ? "debug" : "info",
          `prefix ${status.prefix}: ${
            previous?.state ?? "start"
          } -> ${status.state} (${status.reason}): ${action}`,
        );
      },
    });
    this.#prefixControl = new PrefixControl(this.engine, table, {
      clock: this.#clock,
      probeResults: (p) => this.health.probeResults(p),
      ...(config.api.allowedPrefixes ? { allowedPrefixes: config.api.allowedPrefixes } : {}),
    });
    this.health = new HealthSupervisor({
      engine: this.engine,
      metrics: this.metrics,
      log: this.#log,
      clock: this.#clock,
      ...(options.probeRunner ? { probeRunner: options.probeRunner } : {}),
      ...(options.serviceManager ? { serviceManager: options.serviceManager } : {}),
      ...(options.fileProbe ? { fileProbe: options.fileProbe } : {}),
      // issue 14: unit-state watching and inotify on maintenance files.
      ...(options.unitWatcher !== undefined ? { unitWatcher: options.unitWatcher } : {}),
      ...(options.maintenanceWatchFs !== undefined
        ? { maintenanceWatchFs: options.maintenanceWatchFs }
        : {}),
      ...(options.maintenanceIntervalMs !== undefined
        ? { maintenanceIntervalMs: options.maintenanceIntervalMs }
        : {}),
      ...(options.restartMinIntervalMs !== undefined
        ? { restartMinIntervalMs: options.restartMinIntervalMs }
        : {}),
    });
  }

  /** Policy decisions and operator announcements land in the speaker's table, one prefix each. */
  #routeTable(): DesiredRouteTarget & RouteTable {
    const speaker = this.speaker;
    const setDesired = (prefix: string, route: RouteSpec | undefined): void => {
      if (route) speaker.announce(prefix, route);
      else speaker.withdraw(prefix);
      this.metrics.prefixAnnounced(prefix, route !== undefined);
      this.#statusSoon();
    };
    return {
      setDesired,
      get announced() {
        return speaker.table;
      },
    };
  }

  get running(): boolean {
    return this.#running;
  }

  /** BFD sessions and their coupling to BGP; undefined when no neighbor uses BFD. */
  get bfd(): BfdService | undefined {
    return this.#bfd;
  }

  /** The fleet guard (undefined without `config.fleet`). */
  get fleet(): Fleet | undefined {
    return this.#fleet;
  }

  /** The control API listener (undefined when off or not started). */
  get control(): ControlServer | undefined {
    return this.#control;
  }

  /** The metrics listener (undefined when metrics are off). */
  get metricsServer(): MetricsServer | undefined {
    return this.#metricsServer;
  }

  /** Largest event-loop lag seen since start, in milliseconds. */
  get maxLoopLagMs(): number {
    return this.#loopLag.maxMs;
  }

  async start(): Promise<void> {
    const config = this.config;
    if (config.metrics.enabled && !this.#prometheus) {
      const { PrometheusMetrics } = await import("../metrics/prometheus.ts");
      const { heraldLabelsOf } = await import("../metrics/herald.ts");
      this.#prometheus = new PrometheusMetrics({
        version: this.#options.version ?? "0.0.0",
        clock: this.#clock,
        herald: heraldLabelsOf(() => this.config),
      });
      this.#reporter = this.#prometheus;
    }
    this.#loopLag.start();
    this.readiness.configLoaded = true;
    // Fleet guard (issue 15): created before the engine starts, so it records every decision.
    if (config.fleet && !this.#fleet) {
      this.#fleet = await createFleet(config.fleet, this.engine, {
        clock: this.#clock,
        log: this.#log,
        ...(this.#options.fleetStore ? { store: this.#options.fleetStore } : {}),
      });
    }
    // Policy first: static prefixes go into the table (sliced), and each session sends
    // the table when it reaches Established.
    this.speaker.tableFilling();
    const published = this.engine.start().finally(() => this.speaker.tableComplete());
    try {
      await this.#fleet?.start();
      await this.health.start(config.prefixes, config.services);
      if (this.#options.controlApi === true) {
        this.#control = await ControlServer.start(config.api, this.#controlBackend(), {
          onError: (_request, e) => this.#log("error", `control API: ${String(e)}`),
          onWarning: (message) => this.#log("warning", message),
        });
      }
      if (this.#prometheus && this.#options.metricsServer !== false) {
        const prometheus = this.#prometheus;
        this.#metricsServer = MetricsServer.start(config.metrics, {
          contentType: prometheus.contentType,
          // Table sizes are sampled (O(peers)); message counters move where messages go.
          metrics: () => this.scrape(),
          chunks: () => this.#scrapeChunks(prometheus),
        }, this.readiness);
      }
      // BFD first, so BGP sessions with holdBgpUntilUp wait for it (src/daemon/bfd.ts).
      if (BfdService.wanted(config)) this.#bfd = await this.#startBfd(config);
      const bfd = this.#bfd;
      // Sessions may come up while the table is still published in slices: they send
      // what there is, and End-of-RIB only once it is complete (tableFilling above).
      await this.speaker.start(bfd ? { hold: bfd.hold } : {});
      await published;
    } catch (e) {
      await this.#teardown();
      throw e;
    }
    this.readiness.sessionsStarted = true;
    for (const p of this.speaker.peers()) this.metrics.peerState(p.address, p.state);
    this.#running = true;
    this.#log(
      "info",
      `started: AS ${config.speaker.asn}, ${config.neighbors.length} neighbor(s), ` +
        `${config.prefixes.length} prefix(es)`,
    );
    this.#log("info", this.engine.summary());
    this.notifier.ready(this.#summary());
    // WATCHDOG=1 only while the probe scheduler makes progress (issue 14).
    this.notifier.startWatchdog(() => this.health.progressing());
  }

  #startBfd(config: AnycastConfig): Promise<BfdService> {
    // BFD steers whichever session the speaker has for the address now: a reload
    // replaces (changed neighbor) or drops (removed neighbor) the session objects.
    return BfdService.start(
      config,
      (address) => this.speaker.sessions.find((s) => s.neighbor.address === address),
      {
        clock: this.#clock,
        log: this.#log,
        metrics: bfdMetrics(this.metrics),
        ...(this.#options.bfdTransport ? { transport: this.#options.bfdTransport } : {}),
      },
    );
  }

  /**
   * Drain (RFC 8326, prefixes with a drain time), withdraw, Cease with a
   * shutdown communication and close; or, with `keepRoutes`, close for a
   * graceful restart and leave the routes at the peers.
   */
  async stop(options: StopOptions = {}): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.notifier.stopping("stopping");
    this.notifier.stopWatchdog();
    await this.health.stop();
    // Every prefix is drained (where configured) and withdrawn from the table; the
    // speaker sends the withdraws (sliced) before its Cease.
    // Fleet guard (issue 15): never blocks SIGTERM, only says when it breaches a floor.
    if (!options.keepRoutes && this.#fleet) {
      const prefixes = this.config.prefixes.map((p) => p.prefix);
      await logShutdownBreaches(this.#fleet, prefixes, this.#log);
    }
    if (!options.keepRoutes) await this.engine.shutdown();
    await this.#teardown(options);
    this.#log("info", `stopped; largest event-loop lag ${this.#loopLag.maxMs.toFixed(1)} ms`);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /**
   * Apply a new config: only the difference. Added/removed neighbors start
   * or stop only their sessions (a changed one restarts only itself, with
   * Cease 6/6, RFC 4486); BFD follows its neighbors; prefixes are added,
   * withdrawn or replaced (sliced); probes restart only where their config
   * changed.
   */
  async reload(next: AnycastConfig): Promise<void> {
    const diff = await diffConfigSliced(this.config, next);
    this.#log("info", `reload: ${describeDiff(diff)}`);
    for (const part of diff.needRestart) {
      this.#log("warning", `reload: changes to ${part} take effect after a restart`);
    }
    // Keep the settings we cannot change at run time, so the next diff stays honest.
    const previous = this.config;
    // Fleet guard (issue 15): new guard settings apply at once; etcd settings after a restart.
    if (next.fleet && this.#fleet) this.#fleet.reload(next.fleet);
    else if (JSON.stringify(next.fleet) !== JSON.stringify(previous.fleet)) {
      this.#log("warning", "reload: adding or removing fleet takes effect after a restart");
    }
    this.config = {
      ...next,
      speaker: previous.speaker,
      api: previous.api,
      metrics: previous.metrics,
      bfd: previous.bfd,
      logging: previous.logging,
    };
    await this.#reloadNeighbors(diff.neighbors);
    // Prefixes: each change is O(1); many of them are sliced.
    const restartProbes = new Set<string>();
    const before = new Map(previous.prefixes.map((p) => [p.prefix, p]));
    await forEachSliced(diff.prefixes.removed, (p) => this.engine.removePrefix(p.prefix));
    await forEachSliced(diff.prefixes.added, (p) => {
      this.engine.addPrefix(p);
      restartProbes.add(p.prefix);
    });
    await forEachSliced(diff.prefixes.changed, (p) => {
      this.engine.updatePrefix(p);
      if (probeKey(before.get(p.prefix)!) !== probeKey(p)) restartProbes.add(p.prefix);
    });
    await this.health.reload({
      prefixes: next.prefixes,
      services: next.services,
      restartProbes,
      restartServices: new Set(diff.services.changed.map((s) => s.name)),
    });
    this.#log("info", `reload: ${this.engine.summary()}`);
    this.#statusSoon();
  }

  /**
   * SIGHUP: read `path` again and apply it; an invalid file leaves the running
   * config alone (every error logged with file:line:col). Counts the attempt.
   */
  async reloadFrom(path: string): Promise<boolean> {
    this.#log("info", `reload: reading ${path}`);
    this.notifier.reloading();
    try {
      // Off the event loop: 100,000 prefixes take seconds to parse and validate.
      const loaded = await loadConfigOffThread(path);
      if (!loaded.ok) {
        for (const e of loaded.errors) this.#log("error", `reload failed: ${formatConfigError(e)}`);
        this.#log("error", "reload failed: keeping the running config");
        this.metrics.configReload(false);
        return false;
      }
      for (const w of loaded.warnings) this.#log("warning", `reload: ${formatConfigWarning(w)}`);
      await this.reload(loaded.config);
      this.metrics.configReload(true);
      this.#log("info", "reload done");
      return true;
    } catch (e) {
      this.#log("error", `reload failed: ${e instanceof Error ? e.message : String(e)}`);
      this.metrics.configReload(false);
      return false;
    } finally {
      this.notifier.ready();
    }
  }

  /** The metrics text as the metrics endpoint serves it (empty when metrics are off). */
  async scrape(): Promise<string> {
    if (!this.#prometheus) return "";
    this.#samplePeerSizes();
    return await this.#prometheus.metrics();
  }

  #scrapeChunks(prometheus: PrometheusMetrics): AsyncIterable<string> {
    this.#samplePeerSizes();
    return prometheus.chunks();
  }

  #samplePeerSizes(): void {
    for (const p of this.speaker.peers()) {
      this.metrics.peerPrefixes(p.address, p.prefixesSent, p.prefixesReceived);
    }
  }

  async #reloadNeighbors(diff: ReturnType<typeof diffConfig>["neighbors"]): Promise<void> {
    for (const n of [...diff.removed, ...diff.changed]) {
      const changed = diff.changed.includes(n);
      // RFC 4486 §4: 6/6 Other Configuration Change for a changed neighbor, 6/3 Peer
      // De-configured for a removed one; neither carries a communication (RFC 9003 §2).
      await this.speaker.removeNeighbor(n.address, {
        subcode: changed ? CeaseSubcode.OTHER_CONFIGURATION_CHANGE : CeaseSubcode.PEER_DECONFIGURED,
      });
    }
    // BFD before BGP: the sessions of changed and added neighbors may have to wait for it.
    if (this.#bfd) {
      await this.#bfd.reload(this.config, diff);
    } else if (this.#running && BfdService.wanted(this.config)) {
      this.#bfd = await this.#startBfd(this.config);
    }
    const bfd = this.#bfd;
    for (const n of [...diff.changed, ...diff.added]) {
      this.metrics.peerState(n.address, "Idle");
      this.speaker.addNeighbor(n, bfd ? { hold: bfd.hold } : {});
      // A passive neighbor on a new local address would otherwise never be accepted.
      await this.speaker.listenFor(n).catch((e) =>
        this.#log("warning", `reload: neighbor ${n.address}: ${String(e)}`)
      );
    }
  }

  async #teardown(options: StopOptions = {}): Promise<void> {
    await this.health.stop();
    this.engine[Symbol.dispose]();
    await this.#control?.close();
    this.#control = undefined;
    await this.#fleet?.stop();
    await this.#metricsServer?.close();
    this.#metricsServer = undefined;
    // BFD AdminDown first, so peers do not take the Cease for a path failure (RFC 5882 §3.2).
    await this.#bfd?.shutdown();
    this.#bfd = undefined;
    await this.speaker.stop(
      options.keepRoutes ? options : { communication: SHUTDOWN_COMMUNICATION, ...options },
    );
    this.#loopLag.stop();
  }

  // ------------------------------------------------------------ status and API

  #counts(): {
    prefixes: { configured: number; announced: number };
    peers: { configured: number; established: number };
  } {
    const peers = this.speaker.peers();
    return {
      prefixes: {
        configured: this.config.prefixes.length,
        // O(1): the table holds configured prefixes plus the operator's own.
        announced: this.speaker.table.size - this.#prefixControl.manualCount,
      },
      peers: {
        configured: peers.length,
        established: peers.filter((p) => p.state === "Established").length,
      },
    };
  }

  #summary(): string {
    const c = this.#counts();
    return statusSummary(c.prefixes, c.peers);
  }

  /** sd_notify STATUS= once per turn of the event loop, when the summary changed. */
  #statusSoon(): void {
    if (this.#statusScheduled) return;
    this.#statusScheduled = true;
    queueMicrotask(() => {
      this.#statusScheduled = false;
      if (!this.#running) return;
      const summary = this.#summary();
      if (summary === this.#lastStatus) return;
      this.#lastStatus = summary;
      this.notifier.status(summary);
    });
  }

  #controlBackend() {
    const backend = combineBackend(
      this.#prefixControl,
      sessionBackend({
        sessions: () => this.speaker.sessions,
        bfdState: (address) => this.#bfd?.status().find((s) => s.peer === address)?.state,
        status: (): StatusInfo => ({
          version: this.#options.version ?? "0.0.0",
          pid: Deno.pid,
          startedAt: this.#startedAt.toISOString(),
          uptimeSeconds: Math.floor((Date.now() - this.#startedAt.getTime()) / 1000),
          asn: this.config.speaker.asn,
          routerId: this.config.speaker.routerId,
          config: this.config.source,
          ready: this.readiness.problems().length === 0,
          ...this.#counts(),
          memory: memoryInfo(),
        }),
      }),
    );
    // Fleet guard (issue 15): operator withdraws below a floor need --force.
    return guardedBackend(backend, () => this.#fleet, this.engine);
  }
}

function memoryInfo(): NonNullable<StatusInfo["memory"]> {
  const m = Deno.memoryUsage();
  return { rssBytes: m.rss, heapUsedBytes: m.heapUsed, heapTotalBytes: m.heapTotal };
}

const LEVELS: Record<LogLevel, number> = {
  trace: 0,
  debug: 1,
  info: 2,
  warning: 3,
  error: 4,
  fatal: 5,
};

/** A plain stderr logger honouring the configured level (tests; `anycast run` uses src/log). */
export function stderrLogger(
  level: LogLevel,
  write: (text: string) => void,
): (level: DaemonLogLevel, message: string) => void {
  const min = LEVELS[level];
  return (l, message) => {
    if (LEVELS[l] >= min) write(`${new Date().toISOString()} ${l} ${message}\n`);
  };
}
