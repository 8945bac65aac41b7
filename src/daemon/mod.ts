/**
 * The `anycast run` daemon: the BGP speaker, and around it health to routes
 * (probes or anycastd services -> PolicyEngine -> RouteReconciler -> speaker),
 * maintenance files, BFD, the control API, metrics, sd_notify and unit
 * restarts over D-Bus, graceful shutdown and config reload.
 *
 * @module
 */
import type { AnycastConfig, LogLevel, PrefixConfig } from "../config/model.ts";
import type { RouteSpec } from "../bgp/route.ts";
import { BgpSpeaker, type StopOptions } from "../bgp/speaker.ts";
import type { BgpSession } from "../bgp/session.ts";
import type { Transport } from "../bgp/transport.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { BfdService } from "../bfd/daemon.ts";
import { bfdMetrics } from "../bfd/metrics.ts";
import type { BfdTransport } from "../bfd/transport.ts";
import { PolicyEngine } from "../health/engine.ts";
import { RouteReconciler } from "../health/reconciler.ts";
import { type FileProbe, maintenanceFilesOf, MaintenanceWatcher } from "../health/maintenance.ts";
import { readinessFromEvent } from "../health/probe_events.ts";
import { type HandlerRunner, PrefixHealth, ServiceHealth } from "../probe/mod.ts";
import {
  combineBackend,
  ControlError,
  ControlServer,
  peerInfoOf,
  PrefixControl,
  type ProbeResultInfo,
  type RouteDirection,
  type RouteInfo,
  type StatusInfo,
} from "../control/mod.ts";
// prom-client and dbus-next cost ~15 MB of RSS each: they are loaded only when used.
import { type MetricsReporter, noopMetrics } from "../metrics/reporter.ts";
import { DaemonReadiness, MetricsServer } from "../metrics/server.ts";
import type { PrometheusMetrics } from "../metrics/prometheus.ts";
import type { ServiceManager } from "../systemd/service_manager.ts";
import { ServiceRestarter } from "../systemd/restarter.ts";
import { SystemdNotifier } from "../systemd/notify.ts";
import type { PathAttributes } from "../bgp/message/types.ts";
import { describeDiff, diffConfig, probeKey } from "./reload.ts";

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
  /** Reported in metrics and `GET /v1/status`. */
  version?: string;
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

/** How long shutdown waits for the withdraws to be handed to the sessions. */
const SETTLE_TIMEOUT_MS = 3000;

/** "3/4 prefixes announced, 2/2 peers established": sd_notify STATUS and logs. */
export function statusSummary(
  prefixes: { configured: number; announced: number },
  peers: { configured: number; established: number },
): string {
  return `${prefixes.announced}/${prefixes.configured} prefixes announced, ` +
    `${peers.established}/${peers.configured} peers established`;
}

function asPathOf(attributes: PathAttributes): number[] {
  return (attributes.asPath ?? []).flatMap((s) => s.asns);
}

function routeInfoOf(prefix: string, attributes: PathAttributes, nextHop?: string): RouteInfo {
  const info: RouteInfo = {
    prefix,
    asPath: asPathOf(attributes),
    communities: attributes.communities ?? [],
    largeCommunities: attributes.largeCommunities ?? [],
  };
  const hop = nextHop ?? attributes.nextHop ?? attributes.mpReach?.nextHop;
  if (hop !== undefined) info.nextHop = hop;
  if (attributes.origin !== undefined) info.origin = String(attributes.origin);
  if (attributes.med !== undefined) info.med = attributes.med;
  if (attributes.localPref !== undefined) info.localPref = attributes.localPref;
  if (attributes.extendedCommunities?.length) {
    info.extendedCommunities = attributes.extendedCommunities;
  }
  return info;
}

interface ProbeSet {
  health: PrefixHealth;
  key: string;
  unsubscribe: () => void;
}

interface ServiceSet {
  health: ServiceHealth;
  key: string;
  unsubscribe: () => void;
}

export class Daemon {
  config: AnycastConfig;
  readonly speaker: BgpSpeaker;
  readonly metrics: MetricsReporter;
  readonly readiness = new DaemonReadiness();
  readonly reconciler: RouteReconciler;
  readonly engine: PolicyEngine;
  readonly notifier: SystemdNotifier;
  #options: DaemonOptions;
  #log: DaemonLog;
  #running = false;
  #clock: Clock;
  #bfd: BfdService | undefined;
  #prometheus: PrometheusMetrics | undefined;
  #reporter: MetricsReporter = noopMetrics;
  #probes = new Map<string, ProbeSet>();
  #services = new Map<string, ServiceSet>();
  #watcher: MaintenanceWatcher | undefined;
  #control: ControlServer | undefined;
  #metricsServer: MetricsServer | undefined;
  #restarter: ServiceRestarter;
  #serviceManager: ServiceManager | undefined;
  #startedAt = new Date();
  #lastStatus = "";
  /** Message counters already exported per peer, to turn snapshots into counter increments. */
  #exportedMessages = new Map<string, Record<string, number>>();

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
    this.notifier = options.notifier ??
      new SystemdNotifier({ onError: (e) => this.#log("warning", `sd_notify: ${String(e)}`) });
    this.speaker = new BgpSpeaker({
      speaker: config.speaker,
      neighbors: config.neighbors,
      clock: this.#clock,
      ...(options.transport ? { transport: options.transport } : {}),
      ...(options.restarting ? { restarting: true } : {}),
      log: this.#log,
    });
    this.speaker.onStateChange((c) => {
      const level = c.to === "Established" || c.from === "Established" ? "info" : "debug";
      this.#log(level, `neighbor ${c.neighbor}: ${c.from} -> ${c.to}`);
      this.metrics.peerState(c.neighbor, c.to);
      // The speaker replays its table to a new session itself; only failed operations wait.
      if (c.to === "Established") this.reconciler.retryNow();
      this.#updateStatus();
    });
    this.reconciler = new RouteReconciler(this.speaker, {
      clock: this.#clock,
      onApplied: (prefix, announced) => {
        this.metrics.prefixAnnounced(prefix, announced);
        this.#log("debug", `${prefix}: ${announced ? "announce" : "withdraw"} handed to sessions`);
        this.#updateStatus();
      },
      onError: (prefix, error, retryInMs) =>
        this.#log(
          "warning",
          `${prefix}: route update failed (${
            error instanceof Error ? error.message : String(error)
          }), retry in ${retryInMs} ms`,
        ),
    });
    this.engine = new PolicyEngine(config.prefixes, this.reconciler, {
      clock: this.#clock,
      onDecision: (status, previous) => {
        this.metrics.prefixState(status.prefix, status.state, previous?.state);
        const action = status.route ? "announce" : "withdraw";
        this.#log(
          previous?.state === status.state && previous ? "debug" : "info",
          `prefix ${status.prefix}: ${
            previous?.state ?? "start"
          } -> ${status.state} (${status.reason}): ${action}`,
        );
      },
    });
    this.#restarter = new ServiceRestarter(
      {
        activeState: async (u) => (await this.#manager()).activeState(u),
        restart: async (u) => (await this.#manager()).restart(u),
      },
      {
        clock: this.#clock,
        metrics: this.metrics,
        log: this.#log,
        ...(options.restartMinIntervalMs !== undefined
          ? { minIntervalMs: options.restartMinIntervalMs }
          : {}),
      },
    );
  }

  get running(): boolean {
    return this.#running;
  }

  /** BFD sessions and their coupling to BGP; undefined when no neighbor uses BFD. */
  get bfd(): BfdService | undefined {
    return this.#bfd;
  }

  /** The control API listener (undefined when off or not started). */
  get control(): ControlServer | undefined {
    return this.#control;
  }

  /** The metrics listener (undefined when metrics are off). */
  get metricsServer(): MetricsServer | undefined {
    return this.#metricsServer;
  }

  async start(): Promise<void> {
    const config = this.config;
    if (config.metrics.enabled && !this.#prometheus) {
      const { PrometheusMetrics } = await import("../metrics/prometheus.ts");
      this.#prometheus = new PrometheusMetrics({
        version: this.#options.version ?? "0.0.0",
        clock: this.#clock,
      });
      this.#reporter = this.#prometheus;
    }
    this.readiness.configLoaded = true;
    // Health first: the engine publishes static prefixes at once, the reconciler hands
    // them to the speaker, which sends them as soon as each session is Established.
    this.engine.start();
    this.#syncProbes(config.prefixes, new Set());
    this.#syncServices(new Set());
    await this.#startWatcher();
    try {
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
          metrics: () => {
            this.#exportPeerCounters();
            return prometheus.metrics();
          },
        }, this.readiness);
      }
      // BFD first, so BGP sessions with holdBgpUntilUp wait for it (src/bfd/daemon.ts).
      if (BfdService.wanted(config)) {
        // BFD steers whichever session the speaker has for the address now: a reload
        // replaces (changed neighbor) or drops (removed neighbor) the session objects.
        const current = (address: string) =>
          this.speaker.sessions.find((s) => s.neighbor.address === address);
        const controls = this.speaker.sessions.map(({ neighbor }) => ({
          neighbor,
          start: () => current(neighbor.address)?.start(),
          stop: (o?: { ceaseSubcode?: number; communication?: string }) =>
            current(neighbor.address)?.stop(o),
        }));
        this.#bfd = await BfdService.start(config, controls, {
          clock: this.#clock,
          log: this.#log,
          metrics: bfdMetrics(this.metrics),
          ...(this.#options.bfdTransport ? { transport: this.#options.bfdTransport } : {}),
        });
      }
      const bfd = this.#bfd;
      await this.speaker.start(bfd ? { hold: bfd.hold } : {});
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
    this.notifier.ready(this.#summary());
    this.notifier.startWatchdog();
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
    await this.#stopHealth();
    if (!options.keepRoutes) {
      await this.engine.shutdown();
      await this.#settled(SETTLE_TIMEOUT_MS);
    }
    await this.#teardown(options);
    this.#log("info", "stopped");
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /**
   * Apply a new config: only the difference. Added/removed neighbors start
   * or stop only their sessions (a changed one restarts only itself);
   * prefixes are added, withdrawn or replaced; probes restart only where
   * their config changed.
   */
  async reload(next: AnycastConfig): Promise<void> {
    const diff = diffConfig(this.config, next);
    this.#log("info", `reload: ${describeDiff(diff)}`);
    for (const part of diff.needRestart) {
      this.#log("warning", `reload: changes to ${part} take effect after a restart`);
    }
    // Keep the settings we cannot change at run time, so the next diff stays honest.
    const previous = this.config;
    this.config = {
      ...next,
      speaker: previous.speaker,
      api: previous.api,
      metrics: previous.metrics,
      bfd: previous.bfd,
      logging: previous.logging,
    };
    // Neighbors.
    for (const n of [...diff.neighbors.removed, ...diff.neighbors.changed]) {
      await this.speaker.removeNeighbor(n.address, {
        communication: diff.neighbors.changed.includes(n)
          ? "anycast: neighbor reconfigured"
          : "anycast: neighbor removed from the config",
      });
      this.#exportedMessages.delete(n.address);
    }
    for (const n of [...diff.neighbors.changed, ...diff.neighbors.added]) {
      if (n.bfd) this.#log("warning", `reload: BFD for ${n.address} starts after a restart`);
      this.metrics.peerState(n.address, "Idle");
      this.speaker.addNeighbor(n);
      // A passive neighbor on a new local address would otherwise never be accepted.
      await this.speaker.listenFor(n).catch((e) =>
        this.#log("warning", `reload: neighbor ${n.address}: ${String(e)}`)
      );
    }
    // Prefixes.
    const restartProbes = new Set<string>();
    for (const p of diff.prefixes.removed) this.engine.removePrefix(p.prefix);
    for (const p of diff.prefixes.added) {
      this.engine.addPrefix(p);
      restartProbes.add(p.prefix);
    }
    const before = new Map(previous.prefixes.map((p) => [p.prefix, p]));
    for (const p of diff.prefixes.changed) {
      this.engine.updatePrefix(p);
      if (probeKey(before.get(p.prefix)!) !== probeKey(p)) restartProbes.add(p.prefix);
    }
    this.#syncProbes(next.prefixes, restartProbes);
    this.#syncServices(new Set(diff.services.changed.map((s) => s.name)));
    this.#watcher?.stop();
    await this.#startWatcher();
    this.#updateStatus();
  }

  // ------------------------------------------------------------ health

  /** Start probes of new prefixes (and of those in `restart`), stop those of removed ones. */
  #syncProbes(prefixes: readonly PrefixConfig[], restart: ReadonlySet<string>): void {
    const wanted = new Map(prefixes.map((p) => [p.prefix, p]));
    for (const [prefix, set] of this.#probes) {
      const p = wanted.get(prefix);
      if (!p || restart.has(prefix) || set.key !== probeKey(p)) {
        set.unsubscribe();
        void set.health.stop();
        this.#probes.delete(prefix);
      }
    }
    for (const p of prefixes) {
      if (this.#probes.has(p.prefix)) continue;
      if (!p.startupProbe && !p.livenessProbe && !p.readinessProbe) continue;
      if (p.services.length > 0) continue;
      const health = new PrefixHealth(p, {
        clock: this.#clock,
        ...(this.#options.probeRunner ? { runner: this.#options.probeRunner } : {}),
      });
      const unsubscribe = health.onEvent((e) => {
        const readiness = readinessFromEvent(e);
        if (readiness && this.engine.has(p.prefix)) this.engine.setReadiness(p.prefix, readiness);
        switch (e.kind) {
          case "probe-result":
            this.metrics.probeResult(
              p.prefix,
              e.probe,
              e.result.ok,
              e.result.durationMs / 1000,
              e.state.failures,
            );
            this.#log(
              "debug",
              `prefix ${p.prefix}: ${e.probe} ${e.result.ok ? "ok" : "failed"}: ${e.result.reason}`,
            );
            break;
          case "probe-transition":
            this.#log(
              "info",
              `prefix ${p.prefix}: ${e.probe} probe ${e.transition.to}: ${e.reason}`,
            );
            break;
          case "liveness-failed":
            this.#livenessFailed(p, health, e.reason);
            break;
          case "startup-failed":
            this.#log("warning", `prefix ${p.prefix}: startup probe failed: ${e.reason}`);
            break;
        }
      });
      this.#probes.set(p.prefix, { health, key: probeKey(p), unsubscribe });
      health.start();
    }
  }

  #livenessFailed(p: PrefixConfig, health: PrefixHealth, reason: string): void {
    const unit = p.service?.name;
    if (unit === undefined) {
      this.#log(
        "warning",
        `prefix ${p.prefix}: liveness failed (${reason}); no service to restart`,
      );
      return;
    }
    this.#log("warning", `prefix ${p.prefix}: liveness failed (${reason}): restarting ${unit}`);
    void this.#restarter.restart(unit, reason).then(async (outcome) => {
      this.#log(outcome === "restarted" ? "info" : "warning", `${unit}: restart ${outcome}`);
      if (outcome === "restarted" && this.#probes.get(p.prefix)?.health === health) {
        await health.restarted();
      }
    });
  }

  async #manager(): Promise<ServiceManager> {
    if (!this.#serviceManager && !this.#options.serviceManager) {
      const { DbusServiceManager } = await import("../systemd/service_manager.ts");
      this.#serviceManager ??= new DbusServiceManager();
    }
    this.#serviceManager ??= this.#options.serviceManager!;
    return this.#serviceManager;
  }

  /** anycastd services: start missing ones, restart `restart`, stop removed ones. */
  #syncServices(restart: ReadonlySet<string>): void {
    const wanted = new Map(this.config.services.map((s) => [s.name, s]));
    for (const [name, set] of this.#services) {
      const s = wanted.get(name);
      if (!s || restart.has(name) || set.key !== JSON.stringify(s)) {
        set.unsubscribe();
        void set.health.stop();
        this.#services.delete(name);
      }
    }
    for (const s of this.config.services) {
      if (this.#services.has(s.name)) continue;
      const health = new ServiceHealth(s, {
        clock: this.#clock,
        ...(this.#options.probeRunner ? { runner: this.#options.probeRunner } : {}),
      });
      const unsubscribe = health.onEvent((e) => {
        if (e.kind === "service-changed") {
          this.#log("info", `service ${s.name}: ${e.up ? "up" : "down"} (${e.reason})`);
          this.engine.setServiceState(s.name, e.up);
        } else {
          e.results.forEach((r, i) => {
            const check = `${i}:${r.target}`;
            this.metrics.anycastdServiceUp(s.name, check, r.ok);
            this.metrics.anycastdCheckDuration(s.name, check, r.durationMs / 1000);
          });
        }
      });
      this.#services.set(s.name, { health, key: JSON.stringify(s), unsubscribe });
      health.start();
    }
  }

  async #startWatcher(): Promise<void> {
    this.#watcher = new MaintenanceWatcher(
      maintenanceFilesOf(this.config.prefixes),
      (prefix, exists) => {
        if (!this.engine.has(prefix)) return;
        this.#log("info", `prefix ${prefix}: maintenance file ${exists ? "appeared" : "removed"}`);
        this.engine.setMaintenanceFile(prefix, exists);
      },
      {
        clock: this.#clock,
        intervalMs: this.#options.maintenanceIntervalMs ?? 500,
        ...(this.#options.fileProbe ? { fs: this.#options.fileProbe } : {}),
        onError: (path, e) => this.#log("warning", `maintenance file ${path}: ${String(e)}`),
      },
    );
    await this.#watcher.start();
  }

  async #stopHealth(): Promise<void> {
    this.#watcher?.stop();
    const probes = [...this.#probes.values()];
    const services = [...this.#services.values()];
    this.#probes.clear();
    this.#services.clear();
    for (const s of [...probes, ...services]) s.unsubscribe();
    await Promise.all([
      ...probes.map((s) => s.health.stop()),
      ...services.map((s) => s.health.stop()),
    ]);
  }

  /** Wait for the reconciler to converge, at most `ms`. */
  async #settled(ms: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
    await Promise.race([this.reconciler.settled(), timeout]);
    clearTimeout(timer);
  }

  async #teardown(options: StopOptions = {}): Promise<void> {
    await this.#stopHealth();
    this.reconciler.close();
    this.engine[Symbol.dispose]();
    await this.#control?.close();
    this.#control = undefined;
    await this.#metricsServer?.close();
    this.#metricsServer = undefined;
    // BFD AdminDown first, so peers do not take the Cease for a path failure (RFC 5882 §3.2).
    await this.#bfd?.shutdown();
    this.#bfd = undefined;
    await this.speaker.stop(
      options.keepRoutes ? options : { communication: SHUTDOWN_COMMUNICATION, ...options },
    );
    const manager = this.#serviceManager as (ServiceManager & { close?: () => void }) | undefined;
    manager?.close?.();
  }

  // ------------------------------------------------------------ status, API, metrics

  #counts(): {
    prefixes: { configured: number; announced: number };
    peers: { configured: number; established: number };
  } {
    const peers = this.speaker.peers();
    return {
      prefixes: {
        configured: this.config.prefixes.length,
        announced: this.config.prefixes.filter((p) => this.reconciler.announced.has(p.prefix))
          .length,
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

  /** sd_notify STATUS= when the one-line summary changed. */
  #updateStatus(): void {
    if (!this.#running) return;
    const summary = this.#summary();
    if (summary === this.#lastStatus) return;
    this.#lastStatus = summary;
    this.notifier.status(summary);
  }

  /** The speaker counts messages per session; the reporter wants increments. */
  #exportPeerCounters(): void {
    for (const s of this.speaker.peers()) {
      const seen = this.#exportedMessages.get(s.address) ?? {};
      for (const direction of ["sent", "received"] as const) {
        const counters = direction === "sent" ? s.messagesSent : s.messagesReceived;
        for (const [type, count] of Object.entries(counters)) {
          const key = `${direction}:${type}`;
          const delta = count - (seen[key] ?? 0);
          // Counters restart with a new session object only on reload; never go backwards.
          for (let i = 0; i < Math.min(delta, 100_000); i++) {
            this.metrics.bgpMessage(s.address, direction, type);
          }
          seen[key] = Math.max(count, seen[key] ?? 0);
        }
      }
      this.#exportedMessages.set(s.address, seen);
      this.metrics.peerPrefixes(s.address, s.prefixesSent, s.prefixesReceived);
    }
  }

  #probeResults(prefix: string): ProbeResultInfo[] {
    const probes = this.#probes.get(prefix)?.health.probes() ?? {};
    const out: ProbeResultInfo[] = [];
    for (const [kind, view] of Object.entries(probes)) {
      if (!view?.lastResult) continue;
      out.push({
        probe: kind,
        ok: view.lastResult.ok,
        message: view.lastResult.reason,
        durationMs: Math.round(view.lastResult.durationMs),
        consecutiveFailures: view.state.failures,
      });
    }
    const config = this.config.prefixes.find((p) => p.prefix === prefix);
    for (const name of config?.services ?? []) {
      const results = this.#services.get(name)?.health.lastResults() ?? [];
      results.forEach((r) =>
        out.push({
          probe: `${name}: ${r.target}`,
          ok: r.ok,
          message: r.reason,
          durationMs: Math.round(r.durationMs),
        })
      );
    }
    return out;
  }

  #session(peer: string): BgpSession {
    const session = this.speaker.sessions.find((s) =>
      s.neighbor.address === peer || s.neighbor.name === peer
    );
    if (!session) throw new ControlError(404, `Unknown peer ${peer}`);
    return session;
  }

  #controlBackend() {
    const prefixes = new PrefixControl(this.engine, this.reconciler, {
      clock: this.#clock,
      probeResults: (p) => this.#probeResults(p),
    });
    const bfdStateOf = (address: string) =>
      this.#bfd?.status().find((s) => s.peer === address)?.state;
    return combineBackend(prefixes, {
      status: (): StatusInfo => {
        const c = this.#counts();
        return {
          version: this.#options.version ?? "0.0.0",
          pid: Deno.pid,
          startedAt: this.#startedAt.toISOString(),
          uptimeSeconds: Math.floor((Date.now() - this.#startedAt.getTime()) / 1000),
          asn: this.config.speaker.asn,
          routerId: this.config.speaker.routerId,
          config: this.config.source,
          ready: this.readiness.problems().length === 0,
          ...c,
        };
      },
      peers: () => this.speaker.peers().map((s) => peerInfoOf(s, bfdStateOf(s.address))),
      routes: (peer: string, direction: RouteDirection): RouteInfo[] => {
        const session = this.#session(peer);
        if (direction === "sent") {
          return session.adjRibOut.sentRoutes().map((r) =>
            routeInfoOf(r.prefix, r.attributes, r.nextHop)
          );
        }
        return [...session.adjRibIn.routes()].map((r) => routeInfoOf(r.prefix, r.attributes));
      },
    });
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
