/**
 * What one probe run produced. Every handler returns this shape, never throws.
 *
 * @module
 */

export interface ProbeResult {
  ok: boolean;
  /** Wall time of the run in milliseconds. */
  durationMs: number;
  /** One line a human can act on: "HTTP 503 from http://127.0.0.1:8080/health after 12 ms". */
  reason: string;
  /** What was probed: a URL, "host:port", a command line, a file. */
  target: string;
  /** Numbers for metrics: rttMs, lossPercent, offsetMs, certificateExpiresInSeconds, ... */
  figures: Record<string, number>;
}

/** Rounded milliseconds for messages. */
export function formatMs(ms: number): string {
  if (ms < 10) return `${Math.round(ms * 10) / 10} ms`;
  return `${Math.round(ms)} ms`;
}

/** Message of anything thrown, on one line. */
export function errorText(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.replace(/\s+/g, " ").trim();
}

/** A run that was cut off by its timeout or by shutdown. */
export function abortedResult(target: string, startedAt: number, signal: AbortSignal): ProbeResult {
  const durationMs = performance.now() - startedAt;
  const why = isTimeout(signal.reason)
    ? `timed out after ${formatMs(durationMs)}`
    : `cancelled after ${formatMs(durationMs)}`;
  return { ok: false, durationMs, reason: `${target}: ${why}`, target, figures: {} };
}

/** True for the reason `AbortSignal.timeout()` and our schedulers abort with. */
export function isTimeout(reason: unknown): boolean {
  return typeof reason === "object" && reason !== null &&
    (reason as { name?: unknown }).name === "TimeoutError";
}

/** The abort reason a scheduler uses when a run exceeds its time limit. */
export function timeoutReason(ms: number): DOMException {
  return new DOMException(`Probe exceeded its ${ms} ms timeout`, "TimeoutError");
}
