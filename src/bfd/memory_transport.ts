/**
 * An in-memory network for BFD: several {@link BfdManager}s exchange packets
 * through it on a (fake) clock, with per-link cuts and latency, so the
 * handshake, failures and Poll Sequences are tested without sockets.
 *
 * @module
 */
import type { Clock } from "../util/clock.ts";
import type { BfdDatagram, BfdEndpoint, BfdTransport, SessionSender } from "./transport.ts";

export interface MemoryNetworkOptions {
  clock: Clock;
  /** One-way delay in ms (default 1). */
  latencyMs?: number;
}

/** A shared medium; `transport(address)` attaches one node owning `address`. */
export class MemoryNetwork {
  #clock: Clock;
  #latencyMs: number;
  #nodes = new Map<string, (datagram: BfdDatagram) => void>();
  #cut = new Set<string>();
  /** Every datagram ever sent, for tests that inspect the wire. */
  readonly sent: { from: string; to: string; bytes: Uint8Array; at: number }[] = [];

  constructor(options: MemoryNetworkOptions) {
    this.#clock = options.clock;
    this.#latencyMs = options.latencyMs ?? 1;
  }

  /** Drop everything sent from `from` to `to` (one direction) until {@link heal}. */
  cut(from: string, to: string): void {
    this.#cut.add(`${from}>${to}`);
  }

  heal(from: string, to: string): void {
    this.#cut.delete(`${from}>${to}`);
  }

  /** Deliver raw bytes as if `from` had sent them (malformed or spoofed packets), optionally with the TTL they arrived with. */
  inject(from: string, to: string, bytes: Uint8Array, multihop = false, ttl?: number): void {
    this.#nodes.get(to)?.({ bytes, from, multihop, ...(ttl !== undefined ? { ttl } : {}) });
  }

  transport(address: string): BfdTransport {
    return {
      listen: (onPacket) => {
        this.#nodes.set(address, onPacket);
        return Promise.resolve();
      },
      openSender: (endpoint: BfdEndpoint): Promise<SessionSender> =>
        Promise.resolve({
          send: (packet: Uint8Array) =>
            this.#send(endpoint.localAddress, endpoint.peer, packet.slice(), endpoint.multihop),
          close: () => Promise.resolve(),
        }),
      close: () => {
        this.#nodes.delete(address);
        return Promise.resolve();
      },
    };
  }

  #send(from: string, to: string, bytes: Uint8Array, multihop: boolean): void {
    this.sent.push({ from, to, bytes, at: this.#clock.now() });
    if (this.#cut.has(`${from}>${to}`)) return;
    this.#clock.setTimeout(() => this.#nodes.get(to)?.({ bytes, from, multihop }), this.#latencyMs);
  }
}
