/**
 * The demo's route observer: our own BGP speaker in receive-only mode (it
 * originates nothing), passive on its own loopback address, and a tap on its
 * TCP connection that reports every UPDATE and NOTIFICATION in arrival order.
 *
 * The table shown is the session's Adj-RIB-In. The tap exists because the
 * Adj-RIB-In keeps no MP_REACH_NLRI (so no IPv6 next hop) and is cleared
 * before a state-change listener runs, which would hide whether a withdraw
 * arrived before the Cease or only with the session going down.
 *
 * @module
 */
import type { Family, NeighborConfig } from "../config/model.ts";
import { BgpSpeaker } from "../bgp/speaker.ts";
import {
  type BgpConnection,
  type BgpListener,
  type ConnectOptions,
  type ListenOptions,
  tcpTransport,
  type Transport,
} from "../bgp/transport.ts";
import { decodeMessage } from "../bgp/message/codec.ts";
import { messageLength } from "../bgp/message/header.ts";
import { announcedByUpdate, familiesOf, withdrawnByUpdate } from "../bgp/message/negotiate.ts";
import type { CodecContext, OpenMessage, UpdateMessage } from "../bgp/message/types.ts";
import type { DemoPeer, ObservedRoute, PeerEvent } from "./types.ts";

export interface ObserverOptions {
  /** Address the observer listens on, e.g. 127.0.0.62. */
  address: string;
  /** TCP port it listens on (not 179: no root needed). */
  port: number;
  asn: number;
  /** The daemon it accepts: its source address and AS. */
  daemonAddress: string;
  daemonAsn: number;
}

/** RFC 8326 GRACEFUL_SHUTDOWN. */
export const GRACEFUL_SHUTDOWN = "65535:0";

const FAMILIES: Family[] = ["ipv4-unicast", "ipv6-unicast"];

/** Hands every complete message read from a connection to `onFrame`, leaving the bytes untouched. */
class TappedConnection implements BgpConnection {
  #inner: BgpConnection;
  #buffer = new Uint8Array(0);
  #onFrame: (frame: Uint8Array) => void;

  constructor(inner: BgpConnection, onFrame: (frame: Uint8Array) => void) {
    this.#inner = inner;
    this.#onFrame = onFrame;
  }
  get localAddress(): string {
    return this.#inner.localAddress;
  }
  get localPort(): number {
    return this.#inner.localPort;
  }
  get remoteAddress(): string {
    return this.#inner.remoteAddress;
  }
  get remotePort(): number {
    return this.#inner.remotePort;
  }
  get closed(): boolean {
    return this.#inner.closed;
  }
  async read(): Promise<Uint8Array | null> {
    const chunk = await this.#inner.read();
    if (chunk !== null) this.#feed(chunk);
    return chunk;
  }
  write(data: Uint8Array): Promise<void> {
    return this.#inner.write(data);
  }
  close(): void {
    this.#inner.close();
  }
  #feed(chunk: Uint8Array): void {
    const joined = new Uint8Array(this.#buffer.length + chunk.length);
    joined.set(this.#buffer);
    joined.set(chunk, this.#buffer.length);
    let offset = 0;
    try {
      for (;;) {
        const view = joined.subarray(offset);
        const length = messageLength(view, 65535);
        if (length === undefined || view.length < length) break;
        this.#onFrame(view.slice(0, length));
        offset += length;
      }
    } catch {
      // A framing error is the session's to report (it sends the NOTIFICATION); stop tapping.
      offset = joined.length;
    }
    this.#buffer = joined.slice(offset);
  }
}

function tappingTransport(inner: Transport, onFrame: (frame: Uint8Array) => void): Transport {
  return {
    async connect(options: ConnectOptions): Promise<BgpConnection> {
      return new TappedConnection(await inner.connect(options), onFrame);
    },
    listen(options: ListenOptions, onConnection: (c: BgpConnection) => void): Promise<BgpListener> {
      return inner.listen(options, (c) => onConnection(new TappedConnection(c, onFrame)));
    },
  };
}

function asPathOf(update: UpdateMessage): number[] {
  return (update.attributes.asPath ?? []).flatMap((s) => s.asns);
}

/** Receive-only BGP speaker whose Adj-RIB-In is the demo's route table. */
export class RouteObserver implements DemoPeer {
  readonly kind = "observer";
  readonly seesNotifications = true;
  readonly address: string;
  readonly port: number;
  readonly asn: number;
  #speaker: BgpSpeaker;
  #listeners = new Set<(event: PeerEvent) => void>();
  /** Next hops by prefix, from the tap (the Adj-RIB-In has none for MP_REACH routes). */
  #nextHops = new Map<string, string>();
  #remoteOpen: OpenMessage | undefined;

  constructor(options: ObserverOptions) {
    this.address = options.address;
    this.port = options.port;
    this.asn = options.asn;
    const neighbor: NeighborConfig = {
      name: "anycast",
      address: options.daemonAddress,
      asn: options.daemonAsn,
      port: 179,
      localAddress: options.address,
      passive: true,
      holdTime: 90,
      keepalive: 30,
      connectRetry: 1,
      ebgpMultihop: false,
      ebgpMultihopTtl: 1,
      families: FAMILIES,
    };
    this.#speaker = new BgpSpeaker({
      speaker: {
        asn: options.asn,
        routerId: "10.255.0.2",
        gracefulRestartEnabled: false,
        gracefulRestartRestartTime: 0,
        listenPort: options.port,
      },
      neighbors: [neighbor],
      transport: tappingTransport(tcpTransport, (frame) => this.#onFrame(frame)),
    });
    this.#speaker.onStateChange((c) => {
      const lastError = this.#speaker.peers()[0]?.lastError;
      this.#emit({
        type: "session",
        from: c.from,
        to: c.to,
        ...(lastError !== undefined ? { lastError } : {}),
      });
    });
  }

  /** Listen for the daemon; routes arrive once it connects. */
  async start(): Promise<void> {
    await this.#speaker.start();
  }

  onEvent(listener: (event: PeerEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  established(): boolean {
    return this.#speaker.peers()[0]?.state === "Established";
  }

  /** The Adj-RIB-In, sorted by prefix. */
  table(): Promise<ObservedRoute[]> {
    const session = this.#speaker.sessions[0];
    const routes: ObservedRoute[] = [];
    for (const r of session?.adjRibIn.routes() ?? []) {
      const a = r.attributes;
      const nextHop = a.nextHop ?? this.#nextHops.get(r.prefix);
      routes.push({
        prefix: r.prefix,
        family: r.family,
        ...(nextHop !== undefined ? { nextHop } : {}),
        asPath: (a.asPath ?? []).flatMap((s) => s.asns),
        ...(a.med !== undefined ? { med: a.med } : {}),
        communities: a.communities ?? [],
        largeCommunities: a.largeCommunities ?? [],
      });
    }
    return Promise.resolve(routes.sort((x, y) => x.prefix.localeCompare(y.prefix)));
  }

  async stop(): Promise<void> {
    await this.#speaker.stop();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  #emit(event: PeerEvent): void {
    for (const l of this.#listeners) l(event);
  }

  #context(): CodecContext {
    const remote = this.#remoteOpen;
    const families = remote ? familiesOf(remote).filter((f) => FAMILIES.includes(f)) : FAMILIES;
    return {
      // We always send four-octet-as; the codec needs both sides to have it (RFC 6793).
      fourOctetAs: remote?.capabilities.some((c) => c.kind === "four-octet-as") ?? false,
      extendedMessage: false,
      ibgp: false,
      families,
    };
  }

  #onFrame(frame: Uint8Array): void {
    let result;
    try {
      result = decodeMessage(frame, this.#context());
    } catch {
      return; // The session reports decode errors itself.
    }
    const msg = result.message;
    if (msg.type === "open") {
      this.#remoteOpen = msg;
      return;
    }
    if (msg.type === "notification") {
      this.#emit({
        type: "notification",
        code: msg.code,
        subcode: msg.subcode,
        ...(msg.communication !== undefined ? { communication: msg.communication } : {}),
      });
      return;
    }
    if (msg.type !== "update") return;
    for (const w of withdrawnByUpdate(msg, result.treatAsWithdraw)) {
      for (const prefix of w.prefixes) {
        this.#nextHops.delete(prefix);
        this.#emit({ type: "withdraw", prefix });
      }
    }
    const a = msg.attributes;
    for (const g of announcedByUpdate(msg, result.treatAsWithdraw)) {
      const nextHop = g.family === "ipv4-unicast" && a.mpReach?.family !== "ipv4-unicast"
        ? a.nextHop
        : a.mpReach?.nextHop;
      for (const prefix of g.prefixes) {
        if (nextHop !== undefined) this.#nextHops.set(prefix, nextHop);
        this.#emit({
          type: "announce",
          route: {
            prefix,
            family: g.family,
            ...(nextHop !== undefined ? { nextHop } : {}),
            asPath: asPathOf(msg),
            ...(a.med !== undefined ? { med: a.med } : {}),
            communities: a.communities ?? [],
            largeCommunities: a.largeCommunities ?? [],
          },
        });
      }
    }
  }
}
