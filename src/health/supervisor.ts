/**
 * The health subsystem of `anycast run`: probes per prefix, anycastd
 * services, maintenance files and unit restarts. It turns what it sees into
 * policy events (readiness, service state, maintenance) for the
 * {@link PolicyEngine}; it never touches routes itself.
 *
 * `start()`, `reload()` and `stop()` are the daemon's only calls. Starting
 * probes for many prefixes is sliced, so a 10,000-prefix start never stalls
 * the event loop.
 *
 * @module
 */
import type { PrefixConfig, ServiceConfig } from "../config/model.ts";
import { type HandlerRunner, PrefixHealth, ServiceHealth } from "../probe/mod.ts";
import type { MetricsReporter } from "../metrics/reporter.ts";
import type { ServiceManager } from "../systemd/service_manager.ts";
import { ServiceRestarter } from "../systemd/restarter.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { forEachSliced } from "../util/slice.ts";
import { BULK_THRESHOLD, type PolicyEngine } from "./engine.ts";
import { type FileProbe, maintenanceFilesOf, MaintenanceWatcher } from "./maintenance.ts";
import { readinessFromEvent } from "./probe_events.ts";
// issue 14: event-speed health (unit state, process exit, connection watch, dead-man switch).
import { PrefixWatch, type Verdict } from "./event_health.ts";
import { PidfdPoller } from "./_pidfd.ts";
import { lazyUnitWatcher, type UnitWatcher } from "../systemd/unit_state.ts";

export type SupervisorLog = (
  level: "debug" | "info" | "warning" | "error",
  message: string,
) => void;

export interface HealthSupervisorOptions {
  engine: PolicyEngine;
  metrics: MetricsReporter;
  log: SupervisorLog;
  /** Default the system clock. */
  clock?: Clock;
  /** Runs probe handlers (default the real handlers); unit tests script it. */
  probeRunner?: HandlerRunner;
  /** Restarts units (default systemd over D-Bus, connected on first use). */
  serviceManager?: ServiceManager;
  /** Maintenance file checks (default the real file system). */
  fileProbe?: FileProbe;
  /** How often maintenance files are checked (default 500 ms). */
  maintenanceIntervalMs?: number;
  /** Shortest gap between two restarts of one unit (default 30000 ms). */
  restartMinIntervalMs?: number;
  /**
   * Watches systemd units' state for `service: {type: systemd}` (default systemd
   * over D-Bus, connected on first use; `false` turns unit watching off).
   */
  unitWatcher?: UnitWatcher | false;
  /** Watch maintenance files with inotify (default true with the real file system). */
  maintenanceWatchFs?: boolean;
}

/** Probe results of one prefix, as the control API shows them. */
export interface ProbeResultView {
  probe: string;
  ok: boolean;
  message: string;
  durationMs: number;
  consecutiveFailures?: number;
}

/** What a reload hands the health subsystem. */
export interface HealthReload {
  prefixes: readonly PrefixConfig[];
  services: readonly ServiceConfig[];
  /** Prefixes whose probes restart even if their probe config is the same (added ones). */
  restartProbes: ReadonlySet<string>;
  /** anycastd services whose config changed. */
  restartServices: ReadonlySet<string>;
}

interface Running<T> {
  health: T;
  key: string;
  unsubscribe: () => void;
}

/** The probe and service fields of a prefix: when these change its probes restart. */
export function probeKey(p: PrefixConfig): string {
  return JSON.stringify([p.name, p.startupProbe, p.livenessProbe, p.readinessProbe, p.service]);
}

export class HealthSupervisor {
  #options: HealthSupervisorOptions;
  #clock: Clock;
  #engine: PolicyEngine;
  #log: SupervisorLog;
  #metrics: MetricsReporter;
  #probes = new Map<string, Running<PrefixHealth>>();
  #services = new Map<string, Running<ServiceHealth>>();
  #servicesConfig: readonly ServiceConfig[] = [];
  #prefixes = new Map<string, PrefixConfig>();
  #watcher: MaintenanceWatcher | undefined;
  #restarter: ServiceRestarter;
  #serviceManager: ServiceManager | undefined;
  /** Bumped by stop(): a sliced start still running stops starting probes. */
  #generation = 0;
  // ---- issue 14: one PrefixWatch per prefix with probes or a watched service.
  #watches = new Map<string, { watch: PrefixWatch; key: string }>();
  #pidfds: PidfdPoller | undefined;
  #units: UnitWatcher | undefined;
  /** Prefixes this supervisor drained because their unit was stopping. */
  #unitDrains = new Set<string>();

  constructor(options: HealthSupervisorOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#engine = options.engine;
    this.#log = options.log;
    this.#metrics = options.metrics;
    this.#restarter = new ServiceRestarter(
      () => this.#manager(),
      {
        clock: this.#clock,
        metrics: this.#metrics,
        log: this.#log,
        ...(options.restartMinIntervalMs !== undefined
          ? { minIntervalMs: options.restartMinIntervalMs }
          : {}),
      },
    );
  }

  /** Start probes, services and the maintenance watcher. Probe start-up is sliced. */
  async start(prefixes: readonly PrefixConfig[], services: readonly ServiceConfig[]) {
    await this.reload({
      prefixes,
      services,
      restartProbes: new Set(),
      restartServices: new Set(),
    });
  }

  /** Apply a reload: only probes and services whose config changed restart. */
  async reload(next: HealthReload): Promise<void> {
    // Built in slices: 100,000 prefixes would hold the loop for a few hundred ms.
    const prefixes = new Map<string, PrefixConfig>();
    await forEachSliced(next.prefixes, (p) => prefixes.set(p.prefix, p));
    this.#prefixes = prefixes;
    this.#servicesConfig = next.services;
    this.#syncServices(next.restartServices);
    await this.#startWatcher(next.prefixes);
    await this.#syncProbes(next.prefixes, next.restartProbes);
  }

  async stop(): Promise<void> {
    this.#generation++;
    this.#watcher?.stop();
    this.#watcher = undefined;
    // issue 14: event watchers.
    for (const w of this.#watches.values()) w.watch.stop();
    this.#watches.clear();
    this.#pidfds?.close();
    this.#pidfds = undefined;
    this.#units?.close();
    this.#units = undefined;
    this.#unitDrains.clear();
    const probes = [...this.#probes.values()];
    const services = [...this.#services.values()];
    this.#probes.clear();
    this.#services.clear();
    for (const s of [...probes, ...services]) s.unsubscribe();
    await Promise.all([
      ...probes.map((s) => s.health.stop()),
      ...services.map((s) => s.health.stop()),
    ]);
    const manager = this.#serviceManager as (ServiceManager & { close?: () => void }) | undefined;
    this.#serviceManager = undefined;
    manager?.close?.();
  }

  /** Last probe results of a configured prefix (and of its anycastd services). */
  probeResults(prefix: string): ProbeResultView[] {
    const probes = this.#probes.get(prefix)?.health.probes() ?? {};
    const out: ProbeResultView[] = [];
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
    for (const name of this.#prefixes.get(prefix)?.services ?? []) {
      for (const r of this.#services.get(name)?.health.lastResults() ?? []) {
        out.push({
          probe: `${name}: ${r.target}`,
          ok: r.ok,
          message: r.reason,
          durationMs: Math.round(r.durationMs),
        });
      }
    }
    return out;
  }

  /** Start probes of new prefixes (and of those in `restart`), stop those of removed ones. */
  async #syncProbes(prefixes: readonly PrefixConfig[], restart: ReadonlySet<string>) {
    // ---- issue 14 (begin): event watchers follow their prefix's probe set.
    for (const [prefix, w] of this.#watches) {
      const p = this.#prefixes.get(prefix);
      if (!p || restart.has(prefix) || w.key !== probeKey(p)) {
        w.watch.stop();
        this.#watches.delete(prefix);
      }
    }
    // ---- issue 14 (end)
    // this.#prefixes is `prefixes` by prefix (reload() built it).
    await forEachSliced([...this.#probes], ([prefix, set]) => {
      const p = this.#prefixes.get(prefix);
      if (!p || restart.has(prefix) || set.key !== probeKey(p)) {
        set.unsubscribe();
        void set.health.stop();
        this.#probes.delete(prefix);
      }
    });
    const generation = this.#generation;
    await forEachSliced(prefixes, (p) => {
      if (generation !== this.#generation || this.#probes.has(p.prefix)) return;
      // A prefix removed by a reload that overtook this slice has no probes.
      if (this.#prefixes.get(p.prefix) !== p) return;
      if (p.services.length > 0) return;
      if (!p.startupProbe && !p.livenessProbe && !p.readinessProbe) {
        // issue 14: a watched service without probes.
        if (!this.#watches.has(p.prefix) && PrefixWatch.sourcesOf(p).length > 0) {
          this.#startWatch(p, undefined);
        }
        return;
      }
      this.#startProbes(p);
    });
  }

  #startProbes(p: PrefixConfig): void {
    const health = new PrefixHealth(p, {
      clock: this.#clock,
      ...(this.#options.probeRunner ? { runner: this.#options.probeRunner } : {}),
    });
    // issue 14: readiness reaches the engine through the PrefixWatch (#onVerdict).
    if (!this.#watches.has(p.prefix)) this.#startWatch(p, health);
    const unsubscribe = health.onEvent((e) => {
      if (!this.#watches.has(p.prefix)) {
        const readiness = readinessFromEvent(e);
        if (readiness && this.#engine.has(p.prefix)) this.#engine.setReadiness(p.prefix, readiness);
      }
      switch (e.kind) {
        case "probe-result":
          this.#metrics.probeResult(
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
        case "probe-transition": {
          // A first verdict is news for a handful of prefixes, noise for thousands.
          const first = e.transition.from === "unknown" && this.#prefixes.size > BULK_THRESHOLD;
          this.#log(
            first ? "debug" : "info",
            `prefix ${p.prefix}: ${e.probe} probe ${e.transition.to}: ${e.reason}`,
          );
          break;
        }
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

  // ---- issue 14 (begin): event-speed health wiring.
  #startWatch(p: PrefixConfig, health: PrefixHealth | undefined): void {
    const watch = new PrefixWatch(p, health, {
      clock: this.#clock,
      poller: () => this.#pidfdPoller(),
      ...(this.#options.unitWatcher !== false ? { units: () => this.#unitWatcher() } : {}),
      onVerdict: (v, previous) => this.#onVerdict(p, v, previous),
      onError: (message) => this.#log("warning", `prefix ${p.prefix}: ${message}`),
    });
    this.#watches.set(p.prefix, { watch, key: probeKey(p) });
    const sources = PrefixWatch.sourcesOf(p);
    if (sources.length > 0) this.#log("info", `prefix ${p.prefix}: watching ${sources.join(", ")}`);
    void watch.start().catch((e) =>
      this.#log("warning", `prefix ${p.prefix}: watch failed to start: ${String(e)}`)
    );
  }

  #onVerdict(p: PrefixConfig, v: Verdict, previous: Verdict | undefined): void {
    if (this.#watches.get(p.prefix)?.watch.verdict !== v || !this.#engine.has(p.prefix)) return;
    // The unit is stopping and the prefix has a drain time: drain (RFC 8326) instead of
    // withdrawing at once, unless an operator drain is under way already.
    if (v.stopping && p.drainMs > 0) {
      if (this.#engine.status(p.prefix).inputs.drain === "none") {
        this.#unitDrains.add(p.prefix);
        this.#log("info", `prefix ${p.prefix}: draining (${v.mechanism}): ${v.reason}`);
        this.#engine.drain(p.prefix);
        this.#metrics.healthFailure(p.prefix, v.mechanism);
        return;
      }
    }
    const failed = v.readiness === "not-ready";
    this.#engine.setReadiness(
      p.prefix,
      v.readiness,
      failed ? `${v.mechanism}: ${v.reason}` : undefined,
    );
    // The unit's drain ends when it is gone (withdrawn above) or back (the probes decide).
    if (this.#unitDrains.delete(p.prefix)) this.#engine.undrain(p.prefix);
    if (failed && previous?.stopping === true && p.drainMs > 0) {
      this.#log("warning", `prefix ${p.prefix}: not ready (${v.mechanism}): ${v.reason}`);
    } else if (
      failed && (previous?.readiness !== "not-ready" || previous.mechanism !== v.mechanism)
    ) {
      this.#metrics.healthFailure(p.prefix, v.mechanism);
      this.#log("warning", `prefix ${p.prefix}: not ready (${v.mechanism}): ${v.reason}`);
    } else if (!failed && previous?.readiness === "not-ready") {
      this.#log("info", `prefix ${p.prefix}: ${v.readiness} (${v.mechanism}): ${v.reason}`);
    }
  }

  #pidfdPoller(): PidfdPoller {
    // libc is opened (FFI) only when a process is first watched.
    this.#pidfds ??= new PidfdPoller();
    return this.#pidfds;
  }

  #unitWatcher(): UnitWatcher {
    if (this.#options.unitWatcher) return this.#options.unitWatcher;
    this.#units ??= lazyUnitWatcher();
    return this.#units;
  }

  /**
   * The probe scheduler makes progress: no probed prefix, or some probed prefix
   * not stalled. The daemon sends sd_notify WATCHDOG=1 only while this holds.
   */
  progressing(): boolean {
    const probing = [...this.#watches.values()].filter((w) => w.watch.probing);
    return probing.length === 0 || probing.some((w) => !w.watch.stalled);
  }
  // ---- issue 14 (end)

  #livenessFailed(p: PrefixConfig, health: PrefixHealth, reason: string): void {
    const unit = p.service?.type === "systemd" ? p.service.name : undefined;
    if (unit === undefined) {
      this.#log(
        "warning",
        `prefix ${p.prefix}: liveness failed (${reason}); no service to restart`,
      );
      return;
    }
    this.#log("warning", `prefix ${p.prefix}: liveness failed (${reason}): restarting ${unit}`);
    const graceMs = p.livenessProbe?.terminationGracePeriodMs;
    const grace = graceMs ? { graceMs } : {};
    void this.#restarter.restart(unit, reason, grace).then(async (outcome) => {
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
    const wanted = new Map(this.#servicesConfig.map((s) => [s.name, s]));
    for (const [name, set] of this.#services) {
      const s = wanted.get(name);
      if (!s || restart.has(name) || set.key !== JSON.stringify(s)) {
        set.unsubscribe();
        void set.health.stop();
        this.#services.delete(name);
      }
    }
    for (const s of this.#servicesConfig) {
      if (this.#services.has(s.name)) continue;
      const health = new ServiceHealth(s, {
        clock: this.#clock,
        ...(this.#options.probeRunner ? { runner: this.#options.probeRunner } : {}),
      });
      const unsubscribe = health.onEvent((e) => {
        if (e.kind === "service-changed") {
          this.#log("info", `service ${s.name}: ${e.up ? "up" : "down"} (${e.reason})`);
          this.#engine.setServiceState(s.name, e.up);
        } else {
          e.results.forEach((r, i) => {
            const check = `${i}:${r.target}`;
            this.#metrics.anycastdServiceUp(s.name, check, r.ok);
            this.#metrics.anycastdCheckDuration(s.name, check, r.durationMs / 1000);
          });
        }
      });
      this.#services.set(s.name, { health, key: JSON.stringify(s), unsubscribe });
      health.start();
    }
  }

  async #startWatcher(prefixes: readonly PrefixConfig[]): Promise<void> {
    this.#watcher?.stop();
    this.#watcher = new MaintenanceWatcher(
      maintenanceFilesOf(prefixes),
      (prefix, exists) => {
        if (!this.#engine.has(prefix)) return;
        this.#log("info", `prefix ${prefix}: maintenance file ${exists ? "appeared" : "removed"}`);
        this.#engine.setMaintenanceFile(prefix, exists);
      },
      {
        clock: this.#clock,
        // issue 14: inotify decides at once; the stat poll is a slow safety net then.
        ...(this.#options.maintenanceWatchFs ?? !this.#options.fileProbe
          ? { watchFs: true, intervalMs: this.#options.maintenanceIntervalMs ?? 5000 }
          : { intervalMs: this.#options.maintenanceIntervalMs ?? 500 }),
        ...(this.#options.fileProbe ? { fs: this.#options.fileProbe } : {}),
        onError: (path, e) => this.#log("warning", `maintenance file ${path}: ${String(e)}`),
      },
    );
    await this.#watcher.start();
  }
}
