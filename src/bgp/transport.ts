/**
 * How sessions reach the network: a `Transport` connects out and listens, and
 * hands over `BgpConnection`s (a duplex byte stream). `tcpTransport` is the real
 * one; `MemoryNetwork` wires speakers together in memory for unit tests.
 *
 * On Linux the real transport is `nativeTransport` (native_transport.ts):
 * sockets made through libc so TTL, GTSM, TCP MD5 and TCP-AO are set before
 * the SYN, then handed to `node:net`'s stream (`TcpConnection` below), so
 * reading, writing and back-pressure are the same as `nodeNetTransport`'s.
 * `nodeNetTransport` (no socket options: TTL stays the system default) is
 * the fallback where libc cannot be opened, or with `ANYCAST_TCP=node`.
 * `node:net` rather than `Deno.connect` because Deno 2.9's `Deno.connect`
 * cannot bind a source address, and peers on loopback check it.
 *
 * @module
 */
import net from "node:net";
import { libc } from "../net/libc.ts";
import type { TcpSecurity } from "../net/tcp_security.ts";
import { nativeTransport, type NativeTransportOptions } from "./native_transport.ts";

export interface ConnectOptions {
  hostname: string;
  port: number;
  /** Source address to bind before connecting. */
  localAddress?: string;
  /** TTL, GTSM, TCP MD5, TCP-AO (`nativeTransport` only; `nodeNetTransport` refuses them). */
  security?: TcpSecurity;
  signal?: AbortSignal;
}

export interface ListenOptions {
  hostname: string;
  port: number;
  /** Per peer address: keys for the listener, TTLs for accepted sockets (`nativeTransport`). */
  peers?: ReadonlyMap<string, TcpSecurity>;
}

/** One established TCP connection. */
export interface BgpConnection {
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** The next chunk of bytes, or null once the peer closed or the connection failed. */
  read(): Promise<Uint8Array | null>;
  /** Queues bytes in order; resolves once they are handed to the OS (or dropped because closed). */
  write(data: Uint8Array): Promise<void>;
  /**
   * Flushes queued writes, then closes. Idempotent. A real socket closes
   * gracefully: write side shut down after the queued bytes, input read and
   * discarded until the peer closes or a bounded time passes, so a final
   * NOTIFICATION reaches the peer instead of being destroyed by a reset.
   */
  close(): void;
  readonly closed: boolean;
  /** Resolves once a close() has completed (the socket is gone); optional. */
  finished?(): Promise<void>;
}

export interface BgpListener {
  readonly hostname: string;
  readonly port: number;
  /** Replace the per-peer settings (a reload added or changed a neighbor). */
  setPeers?(peers: ReadonlyMap<string, TcpSecurity>): void;
  close(): void;
}

export interface Transport {
  connect(options: ConnectOptions): Promise<BgpConnection>;
  listen(options: ListenOptions, onConnection: (conn: BgpConnection) => void): Promise<BgpListener>;
}

/** Strips the IPv4-mapped prefix node reports for dual-stack sockets. */
function plainAddress(address: string | undefined): string {
  if (!address) return "";
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}

/** Above this many queued unread bytes the socket is paused (back-pressure to the peer). */
const READ_HIGH_WATER = 1 << 20;
/** Longest a closing connection keeps reading (and discarding) before it is destroyed. */
export const LINGER_MS = 3000;

/** A `BgpConnection` over a `node:net` socket (also one made from a native fd). */
export class TcpConnection implements BgpConnection {
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  #socket: net.Socket;
  #chunks: Uint8Array[] = [];
  #queued = 0;
  #waiter: ((chunk: Uint8Array | null) => void) | undefined;
  #ended = false;
  #closed = false;
  #lingering = false;
  #finished: Promise<void>;

  /** `ends` gives the addresses when the socket cannot tell (one made from an fd). */
  constructor(
    socket: net.Socket,
    ends?: { localAddress: string; localPort: number; remoteAddress: string; remotePort: number },
  ) {
    this.#socket = socket;
    this.localAddress = ends?.localAddress ?? plainAddress(socket.localAddress);
    this.localPort = ends?.localPort ?? socket.localPort ?? 0;
    this.remoteAddress = ends?.remoteAddress ?? plainAddress(socket.remoteAddress);
    this.remotePort = ends?.remotePort ?? socket.remotePort ?? 0;
    socket.setNoDelay(true);
    this.#finished = new Promise((resolve) => socket.once("close", () => resolve()));
    socket.on("data", (data: Uint8Array) => {
      // Closing: the bytes are read only so that the kernel never answers with a reset.
      if (this.#lingering) return;
      const chunk = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      if (this.#waiter) {
        const w = this.#waiter;
        this.#waiter = undefined;
        w(chunk);
        return;
      }
      this.#chunks.push(chunk);
      this.#queued += chunk.length;
      if (this.#queued > READ_HIGH_WATER) socket.pause();
    });
    const end = () => {
      this.#ended = true;
      if (this.#waiter) {
        const w = this.#waiter;
        this.#waiter = undefined;
        w(null);
      }
    };
    socket.on("end", end);
    socket.on("close", () => {
      this.#closed = true;
      end();
    });
    socket.on("error", () => {
      this.#closed = true;
      end();
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  read(): Promise<Uint8Array | null> {
    const chunk = this.#chunks.shift();
    if (chunk) {
      this.#queued -= chunk.length;
      if (this.#queued <= READ_HIGH_WATER / 2 && this.#socket.isPaused()) this.#socket.resume();
      return Promise.resolve(chunk);
    }
    if (this.#ended) return Promise.resolve(null);
    return new Promise((resolve) => (this.#waiter = resolve));
  }

  write(data: Uint8Array): Promise<void> {
    if (this.#closed || this.#socket.destroyed) return Promise.resolve();
    if (this.#socket.write(data)) return Promise.resolve();
    return new Promise((resolve) => {
      // A write that can never drain (socket gone) must not hang its caller.
      const done = () => {
        this.#socket.off("drain", done);
        this.#socket.off("close", done);
        resolve();
      };
      this.#socket.on("drain", done);
      this.#socket.on("close", done);
    });
  }

  /**
   * Lingering close. Closing a socket with unread input makes the kernel send
   * a reset, and a reset makes the peer's kernel drop what it had not read
   * yet: our NOTIFICATION (BIRD logged the max-prefix Cease for 1 in 4). So
   * shut down the write side after the queued bytes (the NOTIFICATION, then
   * FIN), keep reading and discarding, and destroy once the peer closes its
   * side, or after LINGER_MS at the latest (a peer that never closes).
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#lingering = true;
    this.#chunks = [];
    this.#queued = 0;
    const socket = this.#socket;
    socket.resume();
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    socket.once("close", () => clearTimeout(timer));
    // The peer's FIN: nothing more will come; the socket can go once our own
    // queued bytes (the NOTIFICATION) are out.
    const destroySoon = () => {
      if (socket.writableFinished) socket.destroy();
      else socket.once("finish", () => socket.destroy());
    };
    socket.once("end", destroySoon);
    socket.end();
    if (this.#ended) destroySoon();
  }

  finished(): Promise<void> {
    return this.#finished;
  }
}

/**
 * TCP over node:net alone: no TTL, GTSM, MD5 or TCP-AO. Used where libc
 * cannot be opened (not Linux, no FFI permission) or with ANYCAST_TCP=node.
 */
export const nodeNetTransport: Transport = {
  connect(options: ConnectOptions): Promise<BgpConnection> {
    const s = options.security;
    if (s?.md5Key || s?.tcpAo || s?.minTtl !== undefined) {
      return Promise.reject(
        new Error(
          `Cannot connect to ${options.hostname}:${options.port}: TCP MD5, TCP-AO and GTSM need the native transport (Linux, --allow-ffi)`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      if (options.signal?.aborted) {
        reject(new Error("Cannot connect: aborted"));
        return;
      }
      const socket = net.connect({
        host: options.hostname,
        port: options.port,
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      });
      const onAbort = () => {
        socket.destroy();
        reject(new Error("Cannot connect: aborted"));
      };
      options.signal?.addEventListener("abort", onAbort, { once: true });
      socket.once("connect", () => {
        options.signal?.removeEventListener("abort", onAbort);
        resolve(new TcpConnection(socket));
      });
      socket.once("error", (err) => {
        options.signal?.removeEventListener("abort", onAbort);
        socket.destroy();
        reject(new Error(`Cannot connect to ${options.hostname}:${options.port}: ${err.message}`));
      });
    });
  },

  listen(options: ListenOptions, onConnection: (conn: BgpConnection) => void) {
    return new Promise<BgpListener>((resolve, reject) => {
      const keyed = [...options.peers?.values() ?? []].some((s) =>
        s.md5Key || s.tcpAo || s.minTtl !== undefined
      );
      if (keyed) {
        reject(
          new Error(
            `Cannot listen on ${options.hostname}:${options.port}: TCP MD5, TCP-AO and GTSM need the native transport (Linux, --allow-ffi)`,
          ),
        );
        return;
      }
      const server = net.createServer((socket) => onConnection(new TcpConnection(socket)));
      server.once("error", (err) =>
        reject(
          new Error(`Cannot listen on ${options.hostname}:${options.port}: ${err.message}`),
        ));
      server.listen(options.port, options.hostname, () => {
        const addr = server.address();
        const port = typeof addr === "object" && addr ? addr.port : options.port;
        resolve({
          hostname: options.hostname,
          port,
          close: () => server.close(),
        });
      });
    });
  },
};

/**
 * Which transport runs the sessions: the native one on Linux (same
 * throughput as node:net, measured with `deno task bench:bgp`, and it can
 * set TTL, GTSM, MD5, TCP-AO); `ANYCAST_TCP=node` forces node:net.
 */
export function createTcpTransport(options: NativeTransportOptions = {}): Transport {
  let choice: string | undefined;
  try {
    choice = Deno.env.get("ANYCAST_TCP");
  } catch { /* no env permission: the default */ }
  if (choice === "node" || Deno.build.os !== "linux") return nodeNetTransport;
  try {
    libc();
  } catch {
    return nodeNetTransport;
  }
  return nativeTransport(options);
}

let shared: Transport | undefined;

/** The default transport (see {@link createTcpTransport}), chosen on first use. */
export const tcpTransport: Transport = {
  connect: (options) => (shared ??= createTcpTransport()).connect(options),
  listen: (options, onConnection) =>
    (shared ??= createTcpTransport()).listen(options, onConnection),
};

// ---------------------------------------------------------------- in memory

class MemoryEnd implements BgpConnection {
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  peer!: MemoryEnd;
  #chunks: Uint8Array[] = [];
  #waiter: ((chunk: Uint8Array | null) => void) | undefined;
  #ended = false;
  #closed = false;

  constructor(local: [string, number], remote: [string, number]) {
    [this.localAddress, this.localPort] = local;
    [this.remoteAddress, this.remotePort] = remote;
  }

  get closed(): boolean {
    return this.#closed;
  }

  deliver(chunk: Uint8Array | null): void {
    if (this.#ended) return;
    if (chunk === null) this.#ended = true;
    if (this.#waiter) {
      const w = this.#waiter;
      this.#waiter = undefined;
      w(chunk);
    } else if (chunk) {
      this.#chunks.push(chunk);
    }
  }

  read(): Promise<Uint8Array | null> {
    const chunk = this.#chunks.shift();
    if (chunk) return Promise.resolve(chunk);
    if (this.#ended) return Promise.resolve(null);
    return new Promise((resolve) => (this.#waiter = resolve));
  }

  write(data: Uint8Array): Promise<void> {
    if (!this.#closed) this.peer.deliver(data.slice());
    return Promise.resolve();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.peer.deliver(null);
    this.deliver(null);
  }
}

/** A connected pair of in-memory byte streams. */
export function memoryPipe(
  a: [string, number],
  b: [string, number],
): [BgpConnection, BgpConnection] {
  const left = new MemoryEnd(a, b);
  const right = new MemoryEnd(b, a);
  left.peer = right;
  right.peer = left;
  return [left, right];
}

/**
 * A network of in-memory transports: `transport(address)` gives a speaker
 * bound to `address`; its connects reach listeners of other transports on the
 * same network. `blocked` addresses refuse connections (to test retries).
 */
export class MemoryNetwork {
  #listeners = new Map<string, (conn: BgpConnection) => void>();
  #nextPort = 40000;
  readonly blocked = new Set<string>();
  /** Every connection made, newest last (tests inspect or break them). */
  readonly connections: BgpConnection[] = [];

  transport(defaultAddress: string): Transport {
    return {
      connect: (options) => {
        const local = options.localAddress ?? defaultAddress;
        const key = `${options.hostname}:${options.port}`;
        const listener = this.#listeners.get(key);
        if (!listener || this.blocked.has(options.hostname)) {
          return Promise.reject(new Error(`Cannot connect to ${key}: connection refused`));
        }
        const [mine, theirs] = memoryPipe(
          [local, this.#nextPort++],
          [options.hostname, options.port],
        );
        this.connections.push(mine);
        // Deliver on a later turn, like a real accept.
        queueMicrotask(() => listener(theirs));
        return Promise.resolve(mine);
      },
      listen: (options, onConnection) => {
        const key = `${options.hostname}:${options.port}`;
        if (this.#listeners.has(key)) {
          return Promise.reject(new Error(`Cannot listen on ${key}: address in use`));
        }
        this.#listeners.set(key, onConnection);
        return Promise.resolve({
          hostname: options.hostname,
          port: options.port,
          close: () => this.#listeners.delete(key),
        });
      },
    };
  }
}
