/**
 * anycastd `dns_lookup`: ask one resolver over UDP and require at least one
 * answer record of the wanted type. Our own small client, so NXDOMAIN,
 * SERVFAIL and silence are told apart in the reason.
 *
 * @module
 */
import dgram from "node:dgram";
import { isIP } from "node:net";
import type { DnsLookupHandler } from "../../config/model.ts";
import { errorText, formatMs } from "../result.ts";
import { decodeResponse, encodeQuery, RCODE_NAMES, RECORD_TYPES } from "./dns_message.ts";
import { splitHostPort, whenAborted } from "./_net.ts";
import type { TryOutcome } from "./_retry.ts";

export interface DnsAnswerSummary {
  rcode: number;
  answers: string[];
  truncated: boolean;
}

/** Send one query and wait for the matching response (or the signal). */
export async function queryDns(
  resolver: string,
  name: string,
  type: number,
  signal: AbortSignal,
): Promise<DnsAnswerSummary> {
  const { host, port } = splitHostPort(resolver, 53);
  const family = isIP(host) === 6 ? "udp6" : "udp4";
  const socket = dgram.createSocket(family);
  const id = crypto.getRandomValues(new Uint16Array(1))[0]!;
  try {
    const response = new Promise<DnsAnswerSummary>((resolve, reject) => {
      socket.on("error", reject);
      socket.on("message", (msg: Uint8Array, rinfo: { address: string; port: number }) => {
        // RFC 5452 section 9.1: accept only the right id from the address we asked.
        if (rinfo.port !== port) return;
        try {
          const res = decodeResponse(new Uint8Array(msg));
          if (res.id !== id) return;
          const answers = res.answers.filter((a) => a.type === type).map((a) => a.data);
          resolve({ rcode: res.rcode, answers, truncated: res.truncated });
        } catch (e) {
          reject(e);
        }
      });
    });
    socket.send(encodeQuery(id, name, type), port, host);
    const result = await Promise.race([response, whenAborted(signal).then(() => undefined)]);
    if (!result) throw new DOMException("no DNS response", "TimeoutError");
    return result;
  } finally {
    socket.close();
  }
}

export async function dnsTry(h: DnsLookupHandler, signal: AbortSignal): Promise<TryOutcome> {
  const started = performance.now();
  const type = RECORD_TYPES[h.recordType];
  const what = `${h.recordType} ${h.query} at ${h.resolver}`;
  try {
    const res = await queryDns(h.resolver, h.query, type, signal);
    const rttMs = performance.now() - started;
    const figures = { rttMs, answers: res.answers.length };
    if (res.rcode !== 0) {
      const name = RCODE_NAMES[res.rcode] ?? `RCODE ${res.rcode}`;
      return { ok: false, reason: `${name} for ${what} after ${formatMs(rttMs)}`, figures };
    }
    if (res.answers.length === 0) {
      const why = res.truncated
        ? "truncated response without answers"
        : "no answer records (NODATA)";
      return { ok: false, reason: `${why} for ${what} after ${formatMs(rttMs)}`, figures };
    }
    return {
      ok: true,
      reason: `${what}: ${res.answers.slice(0, 3).join(", ")}${
        res.answers.length > 3 ? ", ..." : ""
      } in ${formatMs(rttMs)}`,
      figures,
    };
  } catch (e) {
    const ms = formatMs(performance.now() - started);
    if (signal.aborted) {
      return { ok: false, reason: `no response for ${what} within ${ms}`, figures: {} };
    }
    const code = (e as { code?: string }).code;
    if (code === "ECONNREFUSED") {
      return {
        ok: false,
        reason: `resolver ${h.resolver} refused (ICMP port unreachable)`,
        figures: {},
      };
    }
    return { ok: false, reason: `${what}: ${errorText(e)}`, figures: {} };
  }
}
