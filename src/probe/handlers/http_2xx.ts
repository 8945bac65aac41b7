/**
 * anycastd `http_2xx`: one request to `url`; only a 2xx status passes.
 * Headers are applied as given, so `Host` overrides the request's Host.
 *
 * @module
 */
import type { Http2xxHandler } from "../../config/model.ts";
import { formatMs } from "../result.ts";
import { describeHttpError, httpRequest } from "./http.ts";
import type { TryOutcome } from "./_retry.ts";

export async function http2xxTry(h: Http2xxHandler, signal: AbortSignal): Promise<TryOutcome> {
  const started = performance.now();
  let url: URL;
  try {
    url = new URL(h.url);
  } catch {
    return { ok: false, reason: `Cannot parse URL "${h.url}"`, figures: {} };
  }
  try {
    const res = await httpRequest({
      url,
      method: h.method,
      headers: [["User-Agent", "anycastd/1.0 (http_2xx checker)"], ...Object.entries(h.headers)],
      ...(h.payload !== undefined ? { body: h.payload } : {}),
      insecureSkipVerify: false,
      keepBody: false,
    }, signal);
    const ms = formatMs(performance.now() - started);
    const ok = res.status >= 200 && res.status <= 299;
    return {
      ok,
      reason: `HTTP ${res.status} from ${h.url} after ${ms}${ok ? "" : " (expected 2xx)"}`,
      figures: { status: res.status },
    };
  } catch (e) {
    const ms = formatMs(performance.now() - started);
    if (signal.aborted) {
      return { ok: false, reason: `no HTTP response from ${h.url} within ${ms}`, figures: {} };
    }
    return { ok: false, reason: `${describeHttpError(e, h.url)} after ${ms}`, figures: {} };
  }
}
