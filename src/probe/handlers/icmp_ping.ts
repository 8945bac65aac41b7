/**
 * anycastd `icmp_ping`: each try sends `count` echo requests `intervalMs`
 * apart and waits until `timeoutMs` for the replies; a try passes when at
 * least one reply came back and the loss is within `maxLossPercent`.
 * Figures: rtt min/avg/max/stddev, loss, sent, received, duplicates.
 *
 * @module
 */
import { isIP } from "node:net";
import type { IcmpPingHandler } from "../../config/model.ts";
import { errorText } from "../result.ts";
import { IcmpSocket } from "./icmp_socket.ts";
import type { TryOutcome } from "./_retry.ts";

export interface PingStats {
  sent: number;
  received: number;
  duplicates: number;
  lossPercent: number;
  rttMinMs: number;
  rttAvgMs: number;
  rttMaxMs: number;
  rttStddevMs: number;
}

/** min/avg/max/population stddev, as ping(8) reports them. */
export function pingStats(sent: number, rtts: number[], duplicates: number): PingStats {
  const received = rtts.length;
  const avg = received === 0 ? 0 : rtts.reduce((a, b) => a + b, 0) / received;
  const variance = received === 0 ? 0 : rtts.reduce((a, b) => a + (b - avg) ** 2, 0) / received;
  return {
    sent,
    received,
    duplicates,
    lossPercent: sent === 0 ? 0 : ((sent - received) / sent) * 100,
    rttMinMs: received === 0 ? 0 : Math.min(...rtts),
    rttAvgMs: avg,
    rttMaxMs: received === 0 ? 0 : Math.max(...rtts),
    rttStddevMs: Math.sqrt(variance),
  };
}

async function resolveHost(host: string): Promise<{ address: string; family: 4 | 6 }> {
  const literal = host.replace(/^\[(.*)\]$/, "$1");
  const kind = isIP(literal);
  if (kind === 4 || kind === 6) return { address: literal, family: kind };
  // Something that looks like an address literal but is not one is a typo, not a name.
  if (literal.includes(":") || /^[\d.]+$/.test(literal)) {
    throw new TypeError(`"${host}" is not a valid IP address`);
  }
  const v4 = await Deno.resolveDns(literal, "A").catch(() => [] as string[]);
  if (v4[0] !== undefined) return { address: v4[0], family: 4 };
  const v6 = await Deno.resolveDns(literal, "AAAA").catch(() => [] as string[]);
  if (v6[0] !== undefined) return { address: v6[0], family: 6 };
  throw new Error(`cannot resolve ${host}`);
}

/** Send `count` echoes and collect replies until all came back or `signal` aborts. */
export async function ping(
  host: string,
  count: number,
  intervalMs: number,
  signal: AbortSignal,
): Promise<PingStats> {
  const { address, family } = await resolveHost(host);
  const socket = IcmpSocket.open(family);
  const identifier = crypto.getRandomValues(new Uint16Array(1))[0]!;
  const sentAt = new Map<number, number>();
  const rtts: number[] = [];
  const seen = new Set<number>();
  let duplicates = 0;
  let sent = 0;
  const firstSeq = crypto.getRandomValues(new Uint16Array(1))[0]! & 0x7fff;
  try {
    const collect = () => {
      for (const reply of socket.drainReplies()) {
        // Ping sockets rewrite the identifier to their port; match on the sequence then.
        if (socket.mode === "raw" && reply.identifier !== identifier) continue;
        const at = sentAt.get(reply.sequence);
        if (at === undefined) continue;
        if (seen.has(reply.sequence)) {
          duplicates++;
          continue;
        }
        seen.add(reply.sequence);
        rtts.push(performance.now() - at);
      }
    };
    let nextSendAt = performance.now();
    while (!signal.aborted && (sent < count || rtts.length < sent)) {
      if (sent < count && performance.now() >= nextSendAt) {
        const sequence = (firstSeq + sent) & 0xffff;
        sentAt.set(sequence, performance.now());
        socket.sendEcho(address, identifier, sequence, new TextEncoder().encode("anycast-probe"));
        sent++;
        nextSendAt += intervalMs;
      }
      const wait = sent < count ? Math.max(0, nextSendAt - performance.now()) : 50;
      // Short slices: poll() cannot be interrupted by the abort signal.
      if (await socket.waitReadable(Math.min(wait, 50))) collect();
    }
    collect();
  } finally {
    socket.close();
  }
  return pingStats(sent, rtts, duplicates);
}

export async function icmpTry(h: IcmpPingHandler, signal: AbortSignal): Promise<TryOutcome> {
  const count = Math.max(1, h.count);
  let stats: PingStats;
  try {
    stats = await ping(h.host, count, h.intervalMs, signal);
  } catch (e) {
    return { ok: false, reason: `ping ${h.host}: ${errorText(e)}`, figures: {} };
  }
  const figures: Record<string, number> = { ...stats };
  const summary =
    `${stats.received}/${stats.sent} echo replies from ${h.host}, ${
      Math.round(stats.lossPercent)
    }% loss` +
    (stats.received > 0
      ? `, rtt min/avg/max/stddev ${
        [stats.rttMinMs, stats.rttAvgMs, stats.rttMaxMs, stats.rttStddevMs].map((v) => v.toFixed(3))
          .join("/")
      } ms`
      : "");
  if (stats.received === 0) {
    return { ok: false, reason: `no echo reply from ${h.host} (${stats.sent} sent)`, figures };
  }
  if (stats.lossPercent > h.maxLossPercent) {
    return { ok: false, reason: `${summary} (more than ${h.maxLossPercent}% allowed)`, figures };
  }
  return { ok: true, reason: summary, figures };
}
