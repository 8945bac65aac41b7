/**
 * `tcp` probe: the port accepts a connection; optionally a line is sent and
 * the first reply must contain a substring.
 *
 * @module
 */
import type { TcpHandler } from "../../config/model.ts";
import { errorText, formatMs, type ProbeResult } from "../result.ts";
import { describeSocketError, joinHostPort } from "./_net.ts";

/** Bytes read while waiting for `expect`. */
const READ_LIMIT = 64 * 1024;

export async function runTcp(h: TcpHandler, signal: AbortSignal): Promise<ProbeResult> {
  const target = joinHostPort(h.host, h.port);
  const started = performance.now();
  const done = (ok: boolean, reason: string): ProbeResult => {
    const durationMs = performance.now() - started;
    return {
      ok,
      durationMs,
      reason: reason.replace("{ms}", formatMs(durationMs)),
      target,
      figures: ok ? { connectMs: connectMs } : {},
    };
  };
  let connectMs = 0;
  if (signal.aborted) return done(false, `${target}: no connection after {ms}`);
  // One abort listener for the whole run: while connecting it ends the wait,
  // once connected it closes the connection.
  let conn: Deno.TcpConn | undefined;
  let stopWaiting: (() => void) | undefined;
  const onAbort = () => {
    if (conn === undefined) {
      stopWaiting?.();
      return;
    }
    try {
      conn.close();
    } catch { /* already closed */ }
  };
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    const connecting = Deno.connect({ hostname: h.host, port: h.port, transport: "tcp" });
    const aborted = new Promise<undefined>((resolve) => stopWaiting = () => resolve(undefined));
    const winner = await Promise.race([connecting, aborted]);
    if (!winner) {
      connecting.then((c) => c.close(), () => {});
      signal.removeEventListener("abort", onAbort);
      return done(false, `${target}: no connection after {ms}`);
    }
    conn = winner;
    connectMs = performance.now() - started;
  } catch (e) {
    signal.removeEventListener("abort", onAbort);
    return done(false, `${describeSocketError(e, target)} after {ms}`);
  }
  // Aborted in the same turn the connection arrived: close it as the listener would have.
  if (signal.aborted) onAbort();
  try {
    if (h.send === undefined && h.expect === undefined) {
      return done(true, `connected to ${target} in {ms}`);
    }
    if (h.send !== undefined) {
      const bytes = new TextEncoder().encode(h.send);
      let written = 0;
      while (written < bytes.length) written += await conn.write(bytes.subarray(written));
    }
    if (h.expect === undefined) return done(true, `connected to ${target} and sent in {ms}`);
    let received = "";
    const decoder = new TextDecoder();
    const buf = new Uint8Array(4096);
    while (received.length < READ_LIMIT) {
      const n = await conn.read(buf);
      if (n === null) break;
      received += decoder.decode(buf.subarray(0, n), { stream: true });
      if (received.includes(h.expect)) {
        return done(true, `${target} replied with "${h.expect}" in {ms}`);
      }
    }
    return done(
      false,
      `${target} closed without sending "${h.expect}" after {ms} (got ${quote(received)})`,
    );
  } catch (e) {
    if (signal.aborted) {
      return done(false, `${target}: no reply containing "${h.expect ?? ""}" after {ms}`);
    }
    return done(false, `${target}: ${errorText(e)} after {ms}`);
  } finally {
    signal.removeEventListener("abort", onAbort);
    onAbort();
  }
}

function quote(text: string): string {
  const short = text.length > 60 ? `${text.slice(0, 60)}...` : text;
  return JSON.stringify(short);
}
