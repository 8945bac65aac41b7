/**
 * One entry point for every check kind: `runHandler(handler, signal)`.
 * It never throws and never outlives its signal: when the signal aborts
 * (timeout or shutdown) the result is a failure at once, even if a handler
 * is slow to notice.
 *
 * @module
 */
import type { HandlerConfig } from "../config/model.ts";
import { abortedResult, errorText, type ProbeResult } from "./result.ts";
import { runHttp } from "./handlers/http.ts";
import { runTcp } from "./handlers/tcp.ts";
import { runGrpc } from "./handlers/grpc.ts";
import { type ExecDeps, runExec } from "./handlers/exec.ts";
import { dnsTry } from "./handlers/dns_lookup.ts";
import { http2xxTry } from "./handlers/http_2xx.ts";
import { tlsTry } from "./handlers/tls_certificate.ts";
import { type InterfaceLister, runAssignedAddress } from "./handlers/assigned_address.ts";
import { icmpTry } from "./handlers/icmp_ping.ts";
import { tftpTry } from "./handlers/tftp_rrq.ts";
import { ntpTry } from "./handlers/ntpq.ts";
import { withTries } from "./handlers/_retry.ts";
import { handlerTarget } from "./describe.ts";

export interface HandlerDeps {
  /** Wall-clock ms since 1970 for certificate validity and NTP (default the system clock). */
  wallClock?: () => number;
  /** Interface addresses for `assigned_address` (default Deno.networkInterfaces). */
  interfaces?: InterfaceLister;
  /** `exec` options (setsid path, spawn hook). */
  exec?: ExecDeps;
  /** Deadline hint for protocols that carry one on the wire (gRPC); default 10 s. */
  timeoutMs?: number;
}

/** Signature of `runHandler`, so schedulers can take a fake one in tests. */
export type HandlerRunner = (handler: HandlerConfig, signal: AbortSignal) => Promise<ProbeResult>;

/**
 * Targets by handler object: a probe runs the same (never mutated) handler
 * config every period, so its target text is built once, not once per run.
 */
const targets = new WeakMap<HandlerConfig, string>();

function targetOf(handler: HandlerConfig): string {
  let target = targets.get(handler);
  if (target === undefined) {
    target = handlerTarget(handler);
    targets.set(handler, target);
  }
  return target;
}

export async function runHandler(
  handler: HandlerConfig,
  signal: AbortSignal,
  deps: HandlerDeps = {},
): Promise<ProbeResult> {
  const target = targetOf(handler);
  const started = performance.now();
  if (signal.aborted) return abortedResult(target, started, signal);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<ProbeResult>((resolve) => {
    onAbort = () => resolve(abortedResult(target, started, signal));
    signal.addEventListener("abort", onAbort, { once: true });
  });
  const running = dispatch(handler, target, signal, deps).catch((e): ProbeResult => ({
    ok: false,
    durationMs: performance.now() - started,
    reason: `${target}: ${errorText(e)}`,
    target,
    figures: {},
  }));
  try {
    const result = await Promise.race([running, aborted]);
    // Whatever the handler says, a run past its signal is a failure.
    if (signal.aborted && result.ok) return abortedResult(target, started, signal);
    return result;
  } finally {
    if (onAbort) signal.removeEventListener("abort", onAbort);
  }
}

function dispatch(
  h: HandlerConfig,
  target: string,
  signal: AbortSignal,
  deps: HandlerDeps,
): Promise<ProbeResult> {
  switch (h.kind) {
    case "http":
      return runHttp(h, signal);
    case "tcp":
      return runTcp(h, signal);
    case "grpc":
      return runGrpc(h, signal, deps.timeoutMs ?? 10_000);
    case "exec":
      return runExec(h, signal, deps.exec);
    case "assigned_address":
      return Promise.resolve(runAssignedAddress(h, deps.interfaces));
    case "dns_lookup":
      return withTries(h, target, signal, (s) => dnsTry(h, s));
    case "http_2xx":
      return withTries(h, target, signal, (s) => http2xxTry(h, s));
    case "tls_certificate":
      return withTries(h, target, signal, (s) => tlsTry(h, s, deps.wallClock));
    case "icmp_ping":
      return withTries(h, target, signal, (s) => icmpTry(h, s));
    case "tftp_rrq":
      return withTries(h, target, signal, (s) => tftpTry(h, s));
    case "ntpq":
      return withTries(h, target, signal, (s) => ntpTry(h, s, deps.wallClock));
  }
}
