/**
 * anycastd `ntpq`: one SNTP exchange (RFC 4330) from an optional source
 * address; fails when |offset| exceeds the threshold.
 *
 * ```
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  |LI | VN  |Mode |    Stratum    |     Poll      |   Precision   |
 *  |                          Root Delay                           |
 *  |                       Root Dispersion                         |
 *  |                     Reference Identifier                      |
 *  |                   Reference Timestamp (64)                    |
 *  |                   Originate Timestamp (64)                    |
 *  |                    Receive Timestamp (64)                     |
 *  |                    Transmit Timestamp (64)                    |
 * ```
 *
 * @module
 */
import dgram from "node:dgram";
import { isIP } from "node:net";
import type { NtpqHandler } from "../../config/model.ts";
import { errorText, formatMs } from "../result.ts";
import { splitHostPort, whenAborted } from "./_net.ts";
import type { TryOutcome } from "./_retry.ts";

/** Seconds from 1900-01-01 (NTP era 0) to 1970-01-01. */
const NTP_UNIX_OFFSET = 2_208_988_800;

/** Wall-clock milliseconds since 1970 with sub-millisecond precision. */
export function wallMs(): number {
  return performance.timeOrigin + performance.now();
}

export function writeTimestamp(view: DataView, offset: number, unixMs: number): void {
  const seconds = Math.floor(unixMs / 1000);
  const fraction = Math.floor(((unixMs / 1000) - seconds) * 2 ** 32);
  view.setUint32(offset, (seconds + NTP_UNIX_OFFSET) >>> 0);
  view.setUint32(offset + 4, fraction >>> 0);
}

export function readTimestamp(view: DataView, offset: number): number {
  const seconds = view.getUint32(offset) - NTP_UNIX_OFFSET;
  return (seconds + view.getUint32(offset + 4) / 2 ** 32) * 1000;
}

export interface SntpSample {
  /** Server clock minus ours, ms (RFC 4330 section 5: ((T2-T1)+(T3-T4))/2). */
  offsetMs: number;
  /** Round-trip delay, ms: (T4-T1)-(T3-T2). */
  rttMs: number;
  stratum: number;
}

/** One SNTP client request/response exchange. */
export async function sntpQuery(
  server: string,
  srcAddr: string | undefined,
  signal: AbortSignal,
  clock: () => number = wallMs,
): Promise<SntpSample> {
  const { host, port } = splitHostPort(server, 123);
  const socket = dgram.createSocket(isIP(host) === 6 ? "udp6" : "udp4");
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(
        { port: 0, ...(srcAddr !== undefined ? { address: srcAddr } : {}) },
        () => resolve(),
      );
    });
    const request = new Uint8Array(48);
    const reqView = new DataView(request.buffer);
    request[0] = (0 << 6) | (4 << 3) | 3; // LI 0, VN 4, Mode 3 (client)
    const t1 = clock();
    writeTimestamp(reqView, 40, t1);
    const sentOriginate = [reqView.getUint32(40), reqView.getUint32(44)];
    const reply = new Promise<SntpSample>((resolve, reject) => {
      socket.on("error", reject);
      socket.on("message", (msg: Uint8Array) => {
        const t4 = clock();
        if (msg.length < 48) return;
        const view = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
        const mode = msg[0]! & 0x07;
        const leap = msg[0]! >> 6;
        const stratum = msg[1]!;
        // RFC 4330 section 5: the originate timestamp must echo our transmit timestamp.
        if (view.getUint32(24) !== sentOriginate[0] || view.getUint32(28) !== sentOriginate[1]) {
          return;
        }
        if (mode !== 4 && mode !== 5) return;
        if (stratum === 0) {
          const code = new TextDecoder().decode(msg.subarray(12, 16));
          reject(new Error(`kiss-o'-death ${JSON.stringify(code)} from ${server}`));
          return;
        }
        if (leap === 3) {
          reject(new Error(`${server} is not synchronised (leap indicator 3)`));
          return;
        }
        const t2 = readTimestamp(view, 32);
        const t3 = readTimestamp(view, 40);
        resolve({ offsetMs: ((t2 - t1) + (t3 - t4)) / 2, rttMs: (t4 - t1) - (t3 - t2), stratum });
      });
    });
    socket.send(request, port, host);
    const result = await Promise.race([reply, whenAborted(signal).then(() => undefined)]);
    if (!result) throw new DOMException("no response", "TimeoutError");
    return result;
  } finally {
    socket.close();
  }
}

export async function ntpTry(
  h: NtpqHandler,
  signal: AbortSignal,
  clock?: () => number,
): Promise<TryOutcome> {
  const started = performance.now();
  const from = h.srcAddr !== undefined ? ` from ${h.srcAddr}` : "";
  try {
    const sample = await sntpQuery(h.server, h.srcAddr, signal, clock);
    const figures = { offsetMs: sample.offsetMs, rttMs: sample.rttMs, stratum: sample.stratum };
    const text = `NTP ${h.server}${from}: offset ${sample.offsetMs.toFixed(3)} ms, rtt ${
      sample.rttMs.toFixed(3)
    } ms, stratum ${sample.stratum}`;
    if (Math.abs(sample.offsetMs) > h.offsetThresholdMs) {
      return { ok: false, reason: `${text} (offset beyond ${h.offsetThresholdMs} ms)`, figures };
    }
    return { ok: true, reason: text, figures };
  } catch (e) {
    const ms = formatMs(performance.now() - started);
    if (signal.aborted) {
      return { ok: false, reason: `NTP ${h.server}${from}: no response within ${ms}`, figures: {} };
    }
    return { ok: false, reason: `NTP ${h.server}${from}: ${errorText(e)}`, figures: {} };
  }
}
