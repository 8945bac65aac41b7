/**
 * anycastd's retry rule, shared by its check kinds: up to `tries` attempts,
 * `intervalMs` apart, each bounded by `timeoutMs`; the first success wins.
 *
 * @module
 */
import type { RetryConfig } from "../../config/model.ts";
import { errorText, type ProbeResult } from "../result.ts";
import { sleep } from "./_net.ts";

/** What one attempt found. */
export interface TryOutcome {
  ok: boolean;
  reason: string;
  figures: Record<string, number>;
}

export async function withTries(
  cfg: RetryConfig,
  target: string,
  signal: AbortSignal,
  attempt: (signal: AbortSignal) => Promise<TryOutcome>,
): Promise<ProbeResult> {
  const started = performance.now();
  const tries = Math.max(1, cfg.tries);
  let last: TryOutcome = { ok: false, reason: `${target}: not tried`, figures: {} };
  let made = 0;
  for (let i = 0; i < tries && !signal.aborted; i++) {
    if (i > 0) {
      await sleep(cfg.intervalMs, signal);
      if (signal.aborted) break;
    }
    made++;
    const trySignal = cfg.timeoutMs > 0
      ? AbortSignal.any([signal, AbortSignal.timeout(cfg.timeoutMs)])
      : signal;
    try {
      last = await attempt(trySignal);
    } catch (e) {
      last = { ok: false, reason: `${target}: ${errorText(e)}`, figures: {} };
    }
    if (last.ok) break;
  }
  const durationMs = performance.now() - started;
  const figures = { ...last.figures, tries: made };
  if (last.ok) {
    const note = made > 1 ? ` (try ${made} of ${tries})` : "";
    return { ok: true, durationMs, reason: `${last.reason}${note}`, target, figures };
  }
  const note = tries > 1 ? ` (${made} of ${tries} tries failed, ${cfg.intervalMs} ms apart)` : "";
  return { ok: false, durationMs, reason: `${last.reason}${note}`, target, figures };
}
