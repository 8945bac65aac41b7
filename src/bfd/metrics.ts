/**
 * Feed BFD events into the project's metrics reporter
 * (`src/metrics/reporter.ts`: `bfdState(peer, state, previous)`), plus
 * optional packet counters for reporters that have them.
 *
 * @module
 */
import type { BfdDropReason } from "./packet.ts";
import type { MetricsReporter } from "./session.ts";

/** The part of the daemon's metrics reporter BFD uses. */
export interface BfdStateSink {
  bfdState(peer: string, state: string, previous?: string): void;
}

/** Optional counters; each may be missing. */
export interface BfdPacketSink {
  bfdPacket?(peer: string, direction: "sent" | "received"): void;
  bfdDropped?(peer: string | undefined, reason: BfdDropReason): void;
}

/** A BFD {@link MetricsReporter} writing to the daemon's reporter. */
export function bfdMetrics(sink: BfdStateSink & BfdPacketSink): MetricsReporter {
  return {
    stateChanged: (peer, from, to) => sink.bfdState(peer, to, from),
    packetSent: (peer) => sink.bfdPacket?.(peer, "sent"),
    packetReceived: (peer) => sink.bfdPacket?.(peer, "received"),
    packetDropped: (peer, reason) => sink.bfdDropped?.(peer, reason),
  };
}
