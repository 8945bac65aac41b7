/**
 * Failure detection at event speed, per prefix. Sits between a prefix's
 * probes (PrefixHealth) and the policy engine, and adds:
 *
 * - authoritative events, decided at once with no thresholds: the
 *   prefix's systemd unit leaving `active` (PropertiesChanged), its
 *   process exiting (pidfd). When the service is back, the decision goes
 *   back to the probes: they start over (startup, then readiness with its
 *   successThreshold), as after a restart.
 * - hints: the watched TCP connection (`tcp: {watch: true}`) closing runs
 *   the readiness probe at once; the probe decides.
 * - a dead-man switch: a probe that has not produced a result for
 *   max(3 x period, period + timeout + 1 s) (plus jitter) counts as failed,
 *   "health checks stalled", whether the handler hangs, the loop is
 *   starved or a bug stopped the schedule.
 *
 * Every verdict says which mechanism produced it, for logs, metrics and the
 * control API.
 *
 * @module
 */
import type { PrefixConfig, ProbeConfig } from "../config/model.ts";
import { type Clock, systemClock, type TimerId } from "../util/clock.ts";
import type { HealthEvent, PrefixHealth, ProbeKind } from "../probe/prefix_health.ts";
import { probeDeadlineMs } from "../probe/prefix_health.ts";
import { unitUp, type UnitWatcher } from "../systemd/unit_state.ts";
import { ConnectionWatch, type ConnectionWatchOptions } from "./connection_watch.ts";
import type { PidfdPoller } from "./_pidfd.ts";
import { ProcessWatch } from "./process_watch.ts";
import type { Readiness } from "./policy.ts";
import { readinessFromEvent } from "./probe_events.ts";

/** What decided a prefix's health. */
export type Mechanism =
  | "probe"
  | "unit state"
  | "process exit"
  | "connection watch"
  | "stall"
  | "maintenance";

export interface Verdict {
  readiness: Readiness;
  mechanism: Mechanism;
  reason: string;
  /**
   * The service is stopping (unit `deactivating`): a prefix with a drain time is
   * drained (RFC 8326) rather than withdrawn at once, until the unit is gone.
   */
  stopping?: boolean;
}

/** An authoritative source's last word. */
export interface AuthoritativeState {
  mechanism: "unit state" | "process exit";
  up: boolean;
  reason: string;
  /** Going down in an orderly way (unit deactivating). */
  stopping?: boolean;
}

export interface VerdictInputs {
  /** The probes' readiness ("ready" for a prefix without probes). */
  probe: Readiness;
  /** What made the probes decide (a probe on its schedule, or one run early by a hint). */
  probeMechanism: Mechanism;
  probeReason: string;
  authoritative: readonly AuthoritativeState[];
  /** The dead-man switch fired: why. */
  stalled?: string;
}

/**
 * The prefix's readiness from all its sources (pure): an authoritative
 * "down" wins, then a stall, then the probes.
 */
export function combineVerdict(inputs: VerdictInputs): Verdict {
  const down = inputs.authoritative.find((a) => !a.up);
  if (down) {
    const verdict: Verdict = {
      readiness: "not-ready",
      mechanism: down.mechanism,
      reason: down.reason,
    };
    if (down.stopping) verdict.stopping = true;
    return verdict;
  }
  if (inputs.stalled !== undefined) {
    return { readiness: "not-ready", mechanism: "stall", reason: inputs.stalled };
  }
  return {
    readiness: inputs.probe,
    mechanism: inputs.probeMechanism,
    reason: inputs.probeReason,
  };
}

/** How long a probe may go without a result before the dead-man switch fires. */
export function stallLimitMs(config: ProbeConfig): number {
  const period = config.periodMs;
  return Math.max(3 * period, period + probeDeadlineMs(config) + 1000) + config.jitterMs;
}

/** The probe kinds whose schedule runs in a phase. */
function activeKinds(
  phase: PrefixHealth["phase"],
  configured: Partial<Record<ProbeKind, ProbeConfig>>,
): ProbeKind[] {
  if (phase === "idle") return [];
  const kinds: ProbeKind[] = phase === "startup" ? ["startup"] : ["liveness", "readiness"];
  return kinds.filter((k) => configured[k] !== undefined);
}

/**
 * The first stalled probe (pure): `last[k]` is the clock time of kind k's
 * last result, or of the start of its phase (its initial delay added).
 */
export function findStall(
  now: number,
  kinds: readonly ProbeKind[],
  configured: Partial<Record<ProbeKind, ProbeConfig>>,
  last: Partial<Record<ProbeKind, number>>,
): { kind: ProbeKind; silentMs: number; limitMs: number } | undefined {
  for (const kind of kinds) {
    const config = configured[kind];
    const since = last[kind];
    if (!config || since === undefined) continue;
    const limitMs = stallLimitMs(config);
    if (now - since > limitMs) return { kind, silentMs: now - since, limitMs };
  }
  return undefined;
}

export interface PrefixWatchDeps {
  clock?: Clock;
  /** Shared pidfd poller for process services (created on first use by the caller). */
  poller?: () => PidfdPoller;
  /** systemd unit watcher for `service: {type: systemd}`; without it units are not watched. */
  units?: () => UnitWatcher;
  /** Options for the TCP connection watch (tests). */
  connection?: ConnectionWatchOptions;
  /** Safety poll of a process service's pid file (default 10000 ms). */
  processPollMs?: number;
  /** The prefix's verdict changed (readiness, or the mechanism or reason behind it). */
  onVerdict: (verdict: Verdict, previous: Verdict | undefined) => void;
  /** Something a watcher could not do (logged; the last verdict stands). */
  onError?: (message: string) => void;
}

/** One prefix's event-driven health. */
export class PrefixWatch {
  readonly prefix: string;
  #config: PrefixConfig;
  #health: PrefixHealth | undefined;
  #deps: PrefixWatchDeps;
  #clock: Clock;
  #probe: Readiness;
  #probeMechanism: Mechanism = "probe";
  #probeReason: string;
  #hint: string | undefined;
  #lastFailure: string | undefined;
  #authoritative = new Map<AuthoritativeState["mechanism"], AuthoritativeState>();
  #stalled: string | undefined;
  #verdict: Verdict | undefined;
  #configured: Partial<Record<ProbeKind, ProbeConfig>> = {};
  #last: Partial<Record<ProbeKind, number>> = {};
  #phase: PrefixHealth["phase"] = "idle";
  #timer: TimerId | undefined;
  #stops: (() => void)[] = [];
  #running = false;
  #connection: ConnectionWatch | undefined;
  #process: ProcessWatch | undefined;

  constructor(config: PrefixConfig, health: PrefixHealth | undefined, deps: PrefixWatchDeps) {
    this.prefix = config.prefix;
    this.#config = config;
    this.#health = health;
    this.#deps = deps;
    this.#clock = deps.clock ?? systemClock;
    // Without probes the prefix is up unless an authoritative source says otherwise.
    this.#probe = health ? "unknown" : "ready";
    this.#probeReason = health ? "no health result yet" : "no probes";
    if (config.startupProbe) this.#configured.startup = config.startupProbe;
    if (config.livenessProbe) this.#configured.liveness = config.livenessProbe;
    if (config.readinessProbe) this.#configured.readiness = config.readinessProbe;
  }

  /** Which event sources this prefix has (for logs). */
  static sourcesOf(config: PrefixConfig): string[] {
    const out: string[] = [];
    if (config.service?.type === "systemd") out.push(`unit ${config.service.name}`);
    if (config.service?.type === "process") out.push(`process (${config.service.name})`);
    const tcp = watchedTcp(config);
    if (tcp) out.push(`connection ${tcp.host}:${tcp.port}`);
    return out;
  }

  get verdict(): Verdict | undefined {
    return this.#verdict;
  }

  /** The dead-man switch has fired and no result came since. */
  get stalled(): boolean {
    return this.#stalled !== undefined;
  }

  /** Probes are scheduled for this prefix (the scheduler's progress is judged by them). */
  get probing(): boolean {
    return this.#health !== undefined && this.#health.phase !== "idle";
  }

  /** The TCP connection watch, when configured. */
  get connection(): ConnectionWatch | undefined {
    return this.#connection;
  }

  /** The process watch, when configured. */
  get process(): ProcessWatch | undefined {
    return this.#process;
  }

  /** Subscribe to the probes and start the watchers. Call before `health.start()`. */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    if (this.#health) {
      this.#stops.push(this.#health.onEvent((e) => this.#onHealth(e)));
      if (Object.keys(this.#configured).length > 0) this.#armStallCheck();
    }
    const tcp = watchedTcp(this.#config);
    if (tcp && this.#health) {
      const watch = new ConnectionWatch(tcp, (reason) => this.#hinted(reason), {
        clock: this.#clock,
        // Reconnected while the probes still say down: the service may be back, ask them now.
        onConnected: () => {
          if (this.#probe === "not-ready" && watch.lost > 0) this.#health?.probeNow();
        },
        ...this.#deps.connection,
      });
      this.#connection = watch;
      watch.start();
      this.#stops.push(() => watch.stop());
    }
    const service = this.#config.service;
    if (service?.type === "systemd" && this.#deps.units) {
      const cancel = this.#deps.units().watch(
        service.name,
        (state) => {
          const up = unitUp(state.activeState);
          const sub = state.subState ? ` (${state.subState})` : "";
          this.#setAuthoritative({
            mechanism: "unit state",
            up,
            reason: `unit ${service.name} ${state.activeState}${sub}`,
            ...(state.activeState === "deactivating" ? { stopping: true } : {}),
          });
        },
        (e) => this.#deps.onError?.(`unit ${service.name}: ${errorText(e)}`),
      );
      this.#stops.push(cancel);
    }
    if (service?.type === "process") {
      const target = service.pidFile !== undefined
        ? { pidFile: service.pidFile }
        : { match: service.match ?? "" };
      const watch = new ProcessWatch(target, (s) => {
        this.#setAuthoritative({ mechanism: "process exit", up: s.up, reason: s.reason });
      }, {
        clock: this.#clock,
        ...(this.#deps.poller ? { poller: this.#deps.poller() } : {}),
        ...(this.#deps.processPollMs !== undefined
          ? { safetyPollMs: this.#deps.processPollMs }
          : {}),
        onError: (e) => this.#deps.onError?.(`process ${service.name}: ${errorText(e)}`),
      });
      this.#process = watch;
      this.#stops.push(() => watch.stop());
      await watch.start();
    }
    this.#publish();
  }

  stop(): void {
    this.#running = false;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const stop of this.#stops.splice(0)) stop();
  }

  [Symbol.dispose](): void {
    this.stop();
  }

  /** Run the dead-man check now (also runs on its own timer). */
  checkStall(): void {
    if (!this.#health) return;
    const now = this.#clock.now();
    this.#notePhase(now);
    const stall = findStall(
      now,
      activeKinds(this.#phase, this.#configured),
      this.#configured,
      this.#last,
    );
    const reason = stall
      ? `health checks stalled: no ${stall.kind} probe result for ${
        Math.round(stall.silentMs)
      } ms ` +
        `(limit ${stall.limitMs} ms)`
      : undefined;
    // Keep the first reason while stalled, so the verdict does not change on every tick.
    if ((reason === undefined) === (this.#stalled === undefined)) return;
    this.#stalled = reason;
    this.#publish();
  }

  #armStallCheck(): void {
    const limits = Object.values(this.#configured).map((c) => stallLimitMs(c));
    const every = Math.max(50, Math.min(1000, Math.floor(Math.min(...limits) / 4)));
    const tick = () => {
      this.#timer = undefined;
      if (!this.#running) return;
      this.checkStall();
      this.#timer = this.#clock.setTimeout(tick, every);
    };
    this.#timer = this.#clock.setTimeout(tick, every);
  }

  /** A new phase (startup, running, or a restart) starts every active probe's clock afresh. */
  #notePhase(now: number): void {
    const phase = this.#health?.phase ?? "idle";
    if (phase === this.#phase) return;
    this.#phase = phase;
    this.#last = {};
    for (const kind of activeKinds(phase, this.#configured)) {
      this.#last[kind] = now + (this.#configured[kind]?.initialDelayMs ?? 0);
    }
  }

  #onHealth(e: HealthEvent): void {
    const now = this.#clock.now();
    this.#notePhase(now);
    if (e.kind === "probe-result") {
      this.#last[e.probe] = now;
      if (!e.result.ok) this.#lastFailure = e.result.reason;
      if (this.#stalled !== undefined) {
        this.#stalled = undefined;
        this.#publish();
      }
    }
    const readiness = readinessFromEvent(e);
    if (readiness !== undefined) {
      const already = readiness === "not-ready" && this.#probe === "not-ready";
      this.#probe = readiness;
      if (readiness === "ready") {
        this.#probeMechanism = "probe";
        this.#probeReason = "healthy";
      } else if (!already) {
        const failure = reasonOf(e) ?? this.#lastFailure ?? "probe failed";
        this.#probeMechanism = this.#hint !== undefined ? "connection watch" : "probe";
        this.#probeReason = this.#hint !== undefined ? `${this.#hint}; probe: ${failure}` : failure;
      }
      this.#publish();
    }
    if (e.kind === "probe-result" && e.probe !== "liveness" && e.result.ok) {
      // The early run triggered by the hint answered ok: later verdicts are the probe's own.
      this.#hint = undefined;
      // The service answers again: re-open the watched connection now, not after the backoff.
      this.#connection?.reconnectNow();
    }
  }

  #hinted(reason: string): void {
    if (!this.#running || !this.#health) return;
    // Already down: the probes run at their (fast) period anyway.
    if (this.#probe === "not-ready") return;
    this.#hint = reason;
    this.#health.probeNow();
  }

  #setAuthoritative(state: AuthoritativeState): void {
    const previous = this.#authoritative.get(state.mechanism);
    this.#authoritative.set(state.mechanism, state);
    if (previous && !previous.up && state.up && this.#health && this.#running) {
      // Back: the probes decide again, from the start (startup, then successThreshold).
      this.#probe = "not-ready";
      this.#probeMechanism = "probe";
      this.#probeReason = `${state.reason}; waiting for the probes`;
      void this.#health.restarted();
    }
    this.#publish();
  }

  #publish(): void {
    if (!this.#running) return;
    const verdict = combineVerdict({
      probe: this.#probe,
      probeMechanism: this.#probeMechanism,
      probeReason: this.#probeReason,
      authoritative: [...this.#authoritative.values()],
      ...(this.#stalled !== undefined ? { stalled: this.#stalled } : {}),
    });
    const previous = this.#verdict;
    if (
      previous && previous.readiness === verdict.readiness &&
      previous.mechanism === verdict.mechanism && previous.reason === verdict.reason &&
      previous.stopping === verdict.stopping
    ) return;
    // Before anything is known there is nothing to say.
    if (!previous && verdict.readiness === "unknown") return;
    this.#verdict = verdict;
    this.#deps.onVerdict(verdict, previous);
  }
}

/**
 * The TCP target of a readiness probe with `watch: true` (tcp, or http/https:
 * an idle connection to the server's port, no request sent).
 */
export function watchedTcp(config: PrefixConfig): { host: string; port: number } | undefined {
  const h = config.readinessProbe?.handler;
  if ((h?.kind !== "tcp" && h?.kind !== "http") || h.watch !== true) return undefined;
  return { host: h.host, port: h.port };
}

function reasonOf(e: HealthEvent): string | undefined {
  if (e.kind === "probe-transition" || e.kind === "startup-failed") return e.reason;
  return undefined;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
