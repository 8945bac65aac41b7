/**
 * TCP sockets made through libc so they can be configured before the first
 * segment leaves (TTL, GTSM, TCP MD5, TCP-AO), then handed to the runtime's
 * own stream (`new net.Socket({ fd })`), which owns and closes the fd from
 * then on. Only connect and accept happen here; reading and writing are the
 * runtime's, with its back-pressure.
 *
 * Waiting (connect completion, incoming connections) is a `poll` on a worker
 * thread, so the event loop never blocks.
 *
 * @module
 */
import {
  AF_INET,
  AF_INET6,
  check,
  EAGAIN,
  EINPROGRESS,
  errno,
  getIntOption,
  IPPROTO_IPV6,
  IPV6_V6ONLY,
  libc,
  POLLERR,
  POLLHUP,
  POLLIN,
  pollMany,
  pollOne,
  POLLOUT,
  setIntOption,
  SO_ERROR,
  SO_REUSEADDR,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_STREAM,
  SOL_SOCKET,
  SyscallError,
} from "./libc.ts";
import { decodeSockaddr, encodeSockaddr, familyOfAddress } from "./sockaddr.ts";
import { addAoKey, applySecurity, applyTtl, setMd5Key, type TcpSecurity } from "./tcp_security.ts";

/** How often a pending connect looks at its abort signal. */
const CONNECT_POLL_SLICE_MS = 200;

export interface Endpoints {
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
}

/** A connected, non-blocking socket: hand `fd` to a stream, or close it. */
export interface ConnectedFd extends Endpoints {
  fd: number;
}

export interface NativeConnectOptions {
  hostname: string;
  port: number;
  localAddress?: string;
  security?: TcpSecurity;
  signal?: AbortSignal;
}

/** Why a connect failed; `noAnswer` when the peer never answered the SYN (timeout or abort). */
export class ConnectError extends Error {
  readonly noAnswer: boolean;
  constructor(message: string, noAnswer: boolean) {
    super(message);
    this.name = "ConnectError";
    this.noAnswer = noAnswer;
  }
}

const ETIMEDOUT = 110;

function openSocket(family: 4 | 6): number {
  return check(
    libc().socket(family === 4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0),
    "socket",
  );
}

function endpointsOf(fd: number): Endpoints {
  const local = nameOf(fd, "getsockname");
  const remote = nameOf(fd, "getpeername");
  return {
    localAddress: local.address,
    localPort: local.port,
    remoteAddress: remote.address,
    remotePort: remote.port,
  };
}

function nameOf(fd: number, call: "getsockname" | "getpeername") {
  const buf = new Uint8Array(128);
  const len = new Uint8Array(4);
  new DataView(len.buffer).setUint32(0, buf.length, true);
  check(libc()[call](fd, buf, len), call);
  return decodeSockaddr(buf.subarray(0, new DataView(len.buffer).getUint32(0, true)));
}

/** Connect without blocking; options are set before the SYN. The caller owns the fd. */
export async function connectFd(options: NativeConnectOptions): Promise<ConnectedFd> {
  const where = `${options.hostname}:${options.port}`;
  if (options.signal?.aborted) throw new ConnectError(`Cannot connect to ${where}: aborted`, false);
  const family = familyOfAddress(options.hostname);
  const fd = openSocket(family);
  try {
    if (options.security) applySecurity(fd, family, options.hostname, options.security);
    if (options.localAddress) {
      const local = encodeSockaddr(options.localAddress, 0);
      check(libc().bind(fd, local, local.length), "bind", options.localAddress);
    }
    const remote = encodeSockaddr(options.hostname, options.port);
    if (libc().connect(fd, remote, remote.length) < 0) {
      const code = errno();
      if (code !== EINPROGRESS) throw new SyscallError("connect", code);
    }
    for (;;) {
      const revents = await pollOne(fd, POLLOUT, CONNECT_POLL_SLICE_MS);
      if (revents & (POLLOUT | POLLERR | POLLHUP)) break;
      if (options.signal?.aborted) {
        throw new ConnectError(`Cannot connect to ${where}: aborted`, true);
      }
    }
    const soError = getIntOption(fd, SOL_SOCKET, SO_ERROR);
    if (soError !== 0) {
      throw new ConnectError(
        `Cannot connect to ${where}: ${new SyscallError("connect", soError).message}`,
        soError === ETIMEDOUT,
      );
    }
    return { fd, ...endpointsOf(fd) };
  } catch (e) {
    libc().close(fd);
    if (e instanceof ConnectError) throw e;
    throw new ConnectError(
      `Cannot connect to ${where}: ${e instanceof Error ? e.message : String(e)}`,
      false,
    );
  }
}

export interface NativeListenOptions {
  hostname: string;
  port: number;
  /** Per peer address: keys installed on the listener, TTLs applied to accepted sockets. */
  peers?: ReadonlyMap<string, TcpSecurity>;
  /** Called for each accepted socket (already configured for its peer). */
  onConnection: (conn: ConnectedFd) => void;
  /** Called with errors of the accept loop that are not fatal (default: ignore). */
  onError?: (error: Error) => void;
}

/**
 * A listening socket with its accept loop. The loop polls the listener and
 * an eventfd; `close()` writes the eventfd, the loop wakes and closes both,
 * so no fd is closed while a worker thread still polls it.
 */
export class NativeListener {
  readonly hostname: string;
  readonly port: number;
  readonly family: 4 | 6;
  #fd: number;
  #wake: number;
  #peers: ReadonlyMap<string, TcpSecurity>;
  #options: NativeListenOptions;
  #closed = false;
  #done: Promise<void>;

  private constructor(fd: number, wake: number, port: number, options: NativeListenOptions) {
    this.#fd = fd;
    this.#wake = wake;
    this.hostname = options.hostname;
    this.port = port;
    this.family = familyOfAddress(options.hostname);
    this.#options = options;
    this.#peers = new Map();
    this.setPeers(options.peers ?? new Map());
    this.#done = this.#acceptLoop();
  }

  static open(options: NativeListenOptions): NativeListener {
    const family = familyOfAddress(options.hostname);
    const fd = openSocket(family);
    let wake = -1;
    try {
      setIntOption(fd, SOL_SOCKET, SO_REUSEADDR, 1);
      if (family === 6) setIntOption(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
      const local = encodeSockaddr(options.hostname, options.port);
      check(libc().bind(fd, local, local.length), "bind", `${options.hostname}:${options.port}`);
      check(libc().listen(fd, 128), "listen");
      wake = check(libc().eventfd(0, SOCK_NONBLOCK | SOCK_CLOEXEC), "eventfd");
      const port = nameOf(fd, "getsockname").port;
      return new NativeListener(fd, wake, port, options);
    } catch (e) {
      libc().close(fd);
      if (wake >= 0) libc().close(wake);
      throw new Error(
        `Cannot listen on ${options.hostname}:${options.port}: ${
          e instanceof Error ? e.message : e
        }`,
      );
    }
  }

  /**
   * Replace the per-peer settings: MD5 and TCP-AO keys go on the listener
   * (the kernel checks the SYN against them and copies them to the accepted
   * socket), and its TTL is the highest any peer needs so SYN-ACKs reach GTSM
   * peers. The minimum TTL is set per accepted socket only, since one peer's
   * GTSM must not refuse another peer's SYN.
   */
  setPeers(peers: ReadonlyMap<string, TcpSecurity>): void {
    if (this.#closed) return;
    for (const [peer, old] of this.#peers) {
      if (familyOfAddress(peer) !== this.family) continue;
      if (old.md5Key && !peers.get(peer)?.md5Key) {
        setMd5Key(this.#fd, this.family, peer, new Uint8Array());
      }
    }
    let ttl: number | undefined;
    for (const [peer, s] of peers) {
      if (familyOfAddress(peer) !== this.family) continue;
      if (s.md5Key) setMd5Key(this.#fd, this.family, peer, s.md5Key);
      if (s.tcpAo && !this.#peers.get(peer)?.tcpAo) addAoKey(this.#fd, this.family, peer, s.tcpAo);
      if (s.ttl !== undefined) ttl = Math.max(ttl ?? 64, s.ttl);
    }
    if (ttl !== undefined) applyTtl(this.#fd, this.family, ttl);
    this.#peers = peers;
  }

  async #acceptLoop(): Promise<void> {
    const lib = libc();
    const fds = [{ fd: this.#fd, events: POLLIN }, { fd: this.#wake, events: POLLIN }];
    try {
      while (!this.#closed) {
        const [ready] = await pollMany(fds, -1);
        if (this.#closed) break;
        if (!ready) continue;
        for (;;) {
          const conn = lib.accept4(this.#fd, null, null, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (conn < 0) {
            const code = errno();
            if (code !== EAGAIN) this.#options.onError?.(new SyscallError("accept4", code));
            break;
          }
          try {
            const ends = endpointsOf(conn);
            const s = this.#peers.get(ends.remoteAddress);
            if (s) applyTtl(conn, this.family, s.ttl, s.minTtl);
            this.#options.onConnection({ fd: conn, ...ends });
          } catch (e) {
            lib.close(conn);
            this.#options.onError?.(e instanceof Error ? e : new Error(String(e)));
          }
        }
      }
    } catch (e) {
      this.#options.onError?.(e instanceof Error ? e : new Error(String(e)));
    } finally {
      lib.close(this.#fd);
      lib.close(this.#wake);
    }
  }

  /** Stop accepting; resolves once the listening fd is closed. Idempotent. */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      const one = new Uint8Array(8);
      one[0] = 1;
      libc().write(this.#wake, one, 8n);
    }
    return this.#done;
  }
}
