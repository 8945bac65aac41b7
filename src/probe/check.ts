/**
 * The logic behind `anycast check`: pick probes from a config, run each once
 * (no initial delay, real timeouts), build handlers for ad hoc checks, and
 * format results as a table. cmd/check.ts only parses flags.
 *
 * @module
 */
import type { AnycastConfig, HandlerConfig, ProbeConfig } from "../config/model.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { handlerTarget } from "./describe.ts";
import { ProbeLoop } from "./probe_loop.ts";
import { formatMs, type ProbeResult, timeoutReason } from "./result.ts";
import { type HandlerRunner, runHandler } from "./run_handler.ts";
import { checkDeadlineMs } from "./service_health.ts";
import { probeDeadlineMs } from "./prefix_health.ts";
import { explainStrategy } from "./strategy.ts";
import {
  applyResult,
  INITIAL_THRESHOLD_STATE,
  isBetweenStates,
  type ThresholdState,
} from "./threshold.ts";

export type CheckProbeKind = "startup" | "liveness" | "readiness" | "check";

export interface CheckItem {
  /** Prefix name (native) or service name (anycastd). */
  scope: string;
  probe: CheckProbeKind;
  handler: HandlerConfig;
  timeoutMs: number;
  /** anycastd service index and group, for the strategy verdict. */
  service?: string;
  group?: string;
}

export interface CheckRow extends CheckItem {
  result: ProbeResult;
}

export interface CheckSelection {
  /** Prefix (CIDR or name) or service name to restrict to. */
  prefix?: string;
  probe?: "startup" | "liveness" | "readiness";
}

/** The probes of `config` that `selection` asks for; throws RangeError when the selection matches nothing. */
export function selectChecks(config: AnycastConfig, selection: CheckSelection = {}): CheckItem[] {
  const items: CheckItem[] = [];
  const wantScope = (names: string[]) =>
    selection.prefix === undefined || names.includes(selection.prefix);
  for (const p of config.prefixes) {
    if (!wantScope([p.name, p.prefix])) continue;
    const probes: [CheckProbeKind, ProbeConfig | undefined][] = [
      ["startup", p.startupProbe],
      ["liveness", p.livenessProbe],
      ["readiness", p.readinessProbe],
    ];
    for (const [kind, probe] of probes) {
      if (!probe || (selection.probe !== undefined && selection.probe !== kind)) continue;
      items.push({
        scope: p.name,
        probe: kind,
        handler: probe.handler,
        timeoutMs: probeDeadlineMs(probe),
      });
    }
  }
  // anycastd checks only have one role; `--probe readiness` keeps them (they decide announcement).
  if (selection.probe === undefined || selection.probe === "readiness") {
    for (const s of config.services) {
      const routes = config.prefixes.filter((p) => p.services.includes(s.name)).flatMap((
        p,
      ) => [p.name, p.prefix]);
      if (!wantScope([s.name, ...routes])) continue;
      for (const c of s.checks) {
        items.push({
          scope: s.name,
          probe: "check",
          handler: c.handler,
          timeoutMs: checkDeadlineMs(c.handler),
          service: s.name,
          ...(c.group !== undefined ? { group: c.group } : {}),
        });
      }
    }
  }
  if (items.length === 0) {
    const what = [
      selection.prefix !== undefined ? `prefix or service "${selection.prefix}"` : "",
      selection.probe !== undefined ? `${selection.probe} probe` : "",
    ].filter(Boolean).join(" with a ");
    throw new RangeError(what === "" ? "The config defines no probes" : `No ${what} in the config`);
  }
  return items;
}

/** Run one handler now under its own timeout (and the outer signal). */
export async function runOnce(
  handler: HandlerConfig,
  timeoutMs: number,
  signal?: AbortSignal,
  runner: HandlerRunner = runHandler,
): Promise<ProbeResult> {
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(timeoutReason(timeoutMs)), timeoutMs);
  try {
    const combined = signal ? AbortSignal.any([signal, timeout.signal]) : timeout.signal;
    return await runner(handler, combined);
  } finally {
    clearTimeout(timer);
  }
}

/** Run every item at once; rows come back in item order. */
export function runChecks(
  items: CheckItem[],
  signal?: AbortSignal,
  runner?: HandlerRunner,
): Promise<CheckRow[]> {
  return Promise.all(
    items.map(async (item) => ({
      ...item,
      result: await runOnce(item.handler, item.timeoutMs, signal, runner),
    })),
  );
}

/** Strategy verdicts of the anycastd services among the rows. */
export function serviceVerdicts(
  config: AnycastConfig,
  rows: CheckRow[],
): { service: string; up: boolean; reason: string }[] {
  const out = [];
  for (const s of config.services) {
    const mine = rows.filter((r) => r.service === s.name);
    if (mine.length === 0) continue;
    const outcomes = mine.map((
      r,
    ) => (r.group !== undefined ? { ok: r.result.ok, group: r.group } : { ok: r.result.ok }));
    const reason = explainStrategy(s.strategy, outcomes, s.strategyN);
    out.push({ service: s.name, up: reason.startsWith("up"), reason });
  }
  return out;
}

/** Plain-text table: one row per probe, columns padded. */
export function formatTable(rows: CheckRow[]): string {
  const header = ["PREFIX/SERVICE", "PROBE", "HANDLER", "TARGET", "RESULT", "DURATION", "REASON"];
  const lines = rows.map((r) => [
    r.scope,
    r.probe,
    r.handler.kind,
    truncate(handlerTarget(r.handler), 40),
    r.result.ok ? "ok" : "FAIL",
    formatMs(r.result.durationMs),
    r.result.reason,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd();
  return [fmt(header), ...lines.map(fmt)].join("\n") + "\n";
}

/** JSON shape of a row for `--json`. */
export function rowToJson(r: CheckRow) {
  return {
    scope: r.scope,
    probe: r.probe,
    handler: r.handler.kind,
    target: handlerTarget(r.handler),
    ok: r.result.ok,
    durationMs: Math.round(r.result.durationMs * 1000) / 1000,
    reason: r.result.reason,
    figures: r.result.figures,
  };
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

// ---------------------------------------------------------------- watch

export interface WatchOptions {
  periodMs: number;
  timeoutMs: number;
  successThreshold: number;
  failureThreshold: number;
  /** Faster re-check while the verdict is changing. */
  fastPeriodMs?: number;
  clock?: Clock;
  runner?: HandlerRunner;
  /** Called for every result with the threshold state after it, and a transition line when it changed. */
  onResult: (result: ProbeResult, state: ThresholdState, transition?: string) => void;
}

/** Probe `handler` every period until `signal` aborts; returns the last verdict. */
export async function watch(
  handler: HandlerConfig,
  signal: AbortSignal,
  opts: WatchOptions,
): Promise<ThresholdState> {
  const runner = opts.runner ?? runHandler;
  let state = INITIAL_THRESHOLD_STATE;
  const loop = new ProbeLoop({
    clock: opts.clock ?? systemClock,
    initialDelayMs: 0,
    periodMs: opts.periodMs,
    ...(opts.fastPeriodMs !== undefined ? { fastPeriodMs: opts.fastPeriodMs } : {}),
    jitterMs: 0,
    timeoutMs: opts.timeoutMs,
    run: (s) => runner(handler, s),
    inFlux: () => isBetweenStates(state),
    onResult: (result) => {
      const out = applyResult(state, result.ok, opts);
      state = out.state;
      const line = out.transition ? `${out.transition.from} -> ${out.transition.to}` : undefined;
      opts.onResult(result, state, line);
    },
  });
  if (signal.aborted) return state;
  loop.start();
  await new Promise<void>((resolve) =>
    signal.addEventListener("abort", () => resolve(), { once: true })
  );
  await loop.stop();
  return state;
}

// ---------------------------------------------------------------- ad hoc handlers

/** Parse "200,204,300-399" into inclusive ranges; throws RangeError. */
export function parseStatusList(text: string): [number, number][] {
  return text.split(",").map((part) => {
    const m = /^\s*(\d{3})(?:\s*-\s*(\d{3}))?\s*$/.exec(part);
    if (!m) throw new RangeError(`Cannot parse status "${part}": use 200, 204 or 200-299`);
    const lo = Number(m[1]);
    const hi = m[2] !== undefined ? Number(m[2]) : lo;
    if (lo < 100 || hi > 599 || lo > hi) {
      throw new RangeError(`Cannot parse status "${part}": out of 100-599`);
    }
    return [lo, hi] as [number, number];
  });
}

/** Parse "Name: value"; throws RangeError. */
export function parseHeader(text: string): { name: string; value: string } {
  const at = text.indexOf(":");
  if (at <= 0) throw new RangeError(`Cannot parse header "${text}": use Name:value`);
  return { name: text.slice(0, at).trim(), value: text.slice(at + 1).trim() };
}

export interface HttpAdHoc {
  expect?: string;
  header?: string[];
  method?: string;
  body?: string;
  insecure?: boolean;
  match?: string;
}

/** An `http` handler from a URL; throws RangeError/TypeError on bad input. */
export function httpFromUrl(url: string, o: HttpAdHoc = {}): HandlerConfig {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RangeError(`Cannot parse URL "${url}"`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new RangeError(`Cannot check "${url}": only http and https URLs`);
  }
  const scheme = parsed.protocol === "https:" ? "https" : "http";
  if (o.match !== undefined) {
    try {
      new RegExp(o.match);
    } catch (e) {
      throw new RangeError(`Cannot parse --match: ${(e as Error).message}`);
    }
  }
  return {
    kind: "http",
    scheme,
    host: parsed.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: parsed.port === "" ? (scheme === "https" ? 443 : 80) : Number(parsed.port),
    path: `${parsed.pathname}${parsed.search}`,
    method: (o.method ?? "GET").toUpperCase(),
    headers: (o.header ?? []).map(parseHeader),
    ...(o.body !== undefined ? { body: o.body } : {}),
    expectedStatus: o.expect !== undefined ? parseStatusList(o.expect) : [[200, 399]],
    insecureSkipVerify: o.insecure ?? false,
    ...(o.match !== undefined ? { bodyMatch: o.match } : {}),
  };
}
