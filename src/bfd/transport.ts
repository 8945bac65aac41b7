/**
 * BFD over UDP (RFC 5881 single hop, RFC 5883 multihop) on `node:dgram`.
 *
 * - Control packets go to port 3784 (single hop) or 4784 (multihop).
 * - Every packet is sent with TTL 255 (RFC 5881 §5; RFC 5883 leaves it to
 *   the implementation, 255 lets the peer apply a minimum-TTL check).
 * - Each session sends from its own socket bound to the configured local
 *   address and a source port in 49152-65535, the same port for the whole
 *   session (RFC 5881 §4).
 * - The receive sockets are bound to the configured address (not the
 *   wildcard) with SO_REUSEADDR, so another daemon's wildcard socket does not
 *   keep us from starting.
 * - On Linux the sockets are our own (`src/net/`, libc through FFI): the
 *   receive side reads each packet's TTL / Hop Limit (IP_RECVTTL,
 *   IPV6_RECVHOPLIMIT) so the manager can make the RFC 5881 §5 check, and the
 *   send side sets IPV6_UNICAST_HOPS too (node:dgram's setTTL does not on
 *   IPv6). Elsewhere `node:dgram` is used and the TTL is unknown.
 *
 * @module
 */
import dgram from "node:dgram";
import { libc } from "../net/libc.ts";
import { UdpReceiver } from "../net/udp_receiver.ts";
import { UdpSender } from "../net/udp_sender.ts";
import type { PacketSender } from "./session.ts";

export const BFD_SINGLE_HOP_PORT = 3784;
export const BFD_MULTIHOP_PORT = 4784;
const SOURCE_PORT_MIN = 49152;
const SOURCE_PORT_MAX = 65535;

/** The local end and the peer of one session. */
export interface BfdEndpoint {
  peer: string;
  localAddress: string;
  multihop: boolean;
}

/** One received datagram. */
export interface BfdDatagram {
  bytes: Uint8Array;
  from: string;
  multihop: boolean;
  /** TTL / Hop Limit on arrival; undefined where the transport cannot read it. */
  ttl?: number;
}

export interface SessionSender extends PacketSender {
  /** Close once what was sent has left (so a final AdminDown is not lost). */
  close(): Promise<void>;
}

/** The network under a {@link BfdManager}: real UDP, or an in-memory network in tests. */
export interface BfdTransport {
  /** Start receiving; `onPacket` is called for every datagram. */
  listen(onPacket: (datagram: BfdDatagram) => void): Promise<void>;
  /** Open the sending side of one session. */
  openSender(endpoint: BfdEndpoint): Promise<SessionSender>;
  close(): Promise<void>;
}

export interface UdpTransportOptions {
  /**
   * Address(es) the receive sockets bind (default "0.0.0.0"). Give one per
   * family in use, e.g. `["192.0.2.1", "2001:db8::1"]`; IPv6 sockets are
   * IPv6-only, so "0.0.0.0" and "::" can be used side by side.
   */
  listenAddress?: string | string[];
  /** Single-hop receive port (default 3784). */
  singleHopPort?: number;
  /** Multihop receive port (default 4784); 0 disables the multihop listener. */
  multihopPort?: number;
  /** Port packets are sent to (default: the matching receive port). */
  peerSingleHopPort?: number;
  peerMultihopPort?: number;
  /** Source port range for session sockets (default 49152-65535, RFC 5881 §4). */
  sourcePortMin?: number;
  sourcePortMax?: number;
  /** Called with socket errors that are not fatal (default: ignore). */
  onError?: (error: Error) => void;
  /** Use libc sockets (TTL on receive); default: where libc can be opened. */
  native?: boolean;
}

function nativeAvailable(): boolean {
  if (Deno.build.os !== "linux") return false;
  try {
    libc();
    return true;
  } catch {
    return false;
  }
}

function isIpv6(address: string): boolean {
  return address.includes(":");
}

function bindSocket(socket: dgram.Socket, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      socket.off("listening", onListening);
      reject(error);
    };
    const onListening = () => {
      socket.off("error", onError);
      resolve();
    };
    socket.once("error", onError);
    socket.once("listening", onListening);
    socket.bind({ port, address, exclusive: true });
  });
}

/** The real transport: UDP sockets from `node:dgram`. */
export class UdpTransport implements BfdTransport {
  #options: UdpTransportOptions;
  #listeners: dgram.Socket[] = [];
  #senders = new Set<dgram.Socket>();
  #nativeListeners: UdpReceiver[] = [];
  #nativeSenders = new Set<UdpSender>();
  #native: boolean;

  constructor(options: UdpTransportOptions = {}) {
    this.#options = options;
    this.#native = options.native ?? nativeAvailable();
  }

  /** Whether received datagrams carry their TTL (the native sockets are in use). */
  get readsTtl(): boolean {
    return this.#native;
  }

  async listen(onPacket: (datagram: BfdDatagram) => void): Promise<void> {
    const configured = this.#options.listenAddress ?? "0.0.0.0";
    const addresses = [...new Set(Array.isArray(configured) ? configured : [configured])];
    const ports: [number, boolean][] = [[
      this.#options.singleHopPort ?? BFD_SINGLE_HOP_PORT,
      false,
    ]];
    const multihopPort = this.#options.multihopPort ?? BFD_MULTIHOP_PORT;
    if (multihopPort !== 0) ports.push([multihopPort, true]);
    for (const address of addresses) {
      for (const [port, multihop] of ports) {
        if (this.#native) {
          try {
            this.#nativeListeners.push(UdpReceiver.open({
              address,
              port,
              onDatagram: (d) =>
                onPacket({
                  bytes: d.bytes,
                  from: d.from,
                  multihop,
                  ...(d.ttl !== undefined ? { ttl: d.ttl } : {}),
                }),
              onError: (e) => this.#options.onError?.(e),
            }));
          } catch (e) {
            await this.close();
            throw e;
          }
          continue;
        }
        const ipv6 = isIpv6(address);
        const socket = dgram.createSocket({
          type: ipv6 ? "udp6" : "udp4",
          reuseAddr: true,
          ...(ipv6 ? { ipv6Only: true } : {}),
        });
        socket.on("message", (msg, rinfo) => {
          onPacket({ bytes: new Uint8Array(msg), from: rinfo.address, multihop });
        });
        socket.on("error", (e) => this.#options.onError?.(e));
        try {
          await bindSocket(socket, port, address);
        } catch (e) {
          socket.close();
          throw e;
        }
        this.#listeners.push(socket);
      }
    }
  }

  /** The bound receive ports (useful when 0 was asked for). */
  get listenPorts(): number[] {
    return [
      ...this.#nativeListeners.map((r) => r.port),
      ...this.#listeners.map((s) => s.address().port),
    ];
  }

  async openSender(endpoint: BfdEndpoint): Promise<SessionSender> {
    const min = this.#options.sourcePortMin ?? SOURCE_PORT_MIN;
    const max = this.#options.sourcePortMax ?? SOURCE_PORT_MAX;
    const port = endpoint.multihop
      ? this.#options.peerMultihopPort ?? this.#options.multihopPort ?? BFD_MULTIHOP_PORT
      : this.#options.peerSingleHopPort ?? this.#options.singleHopPort ?? BFD_SINGLE_HOP_PORT;
    let lastError: unknown;
    // A random port in the range, retried on collision (RFC 5881 §4).
    for (let attempt = 0; attempt < 32; attempt++) {
      const sourcePort = min + Math.floor(Math.random() * (max - min + 1));
      if (this.#native) {
        let sender: UdpSender;
        try {
          // RFC 5881 §5: "MUST be sent with a TTL or Hop Limit value of 255".
          sender = UdpSender.open({
            localAddress: endpoint.localAddress,
            localPort: sourcePort,
            ttl: 255,
          });
        } catch (e) {
          lastError = e;
          continue;
        }
        this.#nativeSenders.add(sender);
        return {
          send: (packet) => {
            try {
              sender.send(packet, endpoint.peer, port);
            } catch (e) {
              this.#options.onError?.(e instanceof Error ? e : new Error(String(e)));
            }
          },
          // sendto() has handed the packet to the kernel already: nothing to wait for.
          close: () => {
            this.#nativeSenders.delete(sender);
            sender.close();
            return Promise.resolve();
          },
        };
      }
      const ipv6 = isIpv6(endpoint.localAddress);
      const socket = dgram.createSocket({
        type: ipv6 ? "udp6" : "udp4",
        ...(ipv6 ? { ipv6Only: true } : {}),
      });
      socket.on("error", (e) => this.#options.onError?.(e));
      try {
        await bindSocket(socket, sourcePort, endpoint.localAddress);
      } catch (e) {
        lastError = e;
        socket.close();
        continue;
      }
      // RFC 5881 §5: "All BFD Control packets ... MUST be sent with a TTL or Hop Limit value of 255".
      socket.setTTL(255);
      // Answers to other peers must not block: drain incoming to nowhere.
      socket.on("message", () => {});
      this.#senders.add(socket);
      let inFlight = 0;
      let drained: (() => void) | undefined;
      return {
        send: (packet) => {
          inFlight++;
          socket.send(packet, port, endpoint.peer, () => {
            if (--inFlight === 0) drained?.();
          });
        },
        close: async () => {
          if (inFlight > 0) {
            await Promise.race([
              new Promise<void>((resolve) => (drained = resolve)),
              new Promise<void>((resolve) => setTimeout(resolve, 100)),
            ]);
          }
          if (this.#senders.delete(socket)) socket.close();
        },
      };
    }
    throw new Error(
      `Cannot bind a BFD source port on ${endpoint.localAddress}: ${String(lastError)}`,
    );
  }

  async close(): Promise<void> {
    const receivers = this.#nativeListeners;
    this.#nativeListeners = [];
    for (const sender of this.#nativeSenders) sender.close();
    this.#nativeSenders.clear();
    await Promise.all(receivers.map((r) => r.close()));
    for (const socket of [...this.#listeners, ...this.#senders]) {
      try {
        socket.close();
      } catch { /* already closed */ }
    }
    this.#listeners = [];
    this.#senders.clear();
  }
}
