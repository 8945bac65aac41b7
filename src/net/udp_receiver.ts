/**
 * A UDP receive socket through libc that reports the TTL (IPv4) or Hop
 * Limit (IPv6) each datagram arrived with: IP_RECVTTL / IPV6_RECVHOPLIMIT
 * and recvmsg(2) ancillary data. `node:dgram` cannot tell, and BFD needs it
 * (RFC 5881 §5, RFC 5883 §2).
 *
 * A worker-thread `poll` waits on the socket and an eventfd; `close()` writes
 * the eventfd, so the fd is closed only after the waiting poll returned.
 *
 * @module
 */
import {
  check,
  EAGAIN,
  errno,
  IP_RECVTTL,
  IP_TTL,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPV6_HOPLIMIT,
  IPV6_RECVHOPLIMIT,
  IPV6_V6ONLY,
  libc,
  MSG_DONTWAIT,
  POLLIN,
  pollMany,
  setIntOption,
  SO_REUSEADDR,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  SOCK_NONBLOCK,
  SOL_SOCKET,
  SyscallError,
} from "./libc.ts";
import { AF_INET, AF_INET6 } from "./libc.ts";
import { decodeSockaddr, encodeSockaddr, familyOfAddress } from "./sockaddr.ts";

/** One datagram with where it came from and the TTL / Hop Limit it arrived with. */
export interface ReceivedDatagram {
  bytes: Uint8Array;
  from: string;
  fromPort: number;
  /** undefined only if the kernel attached no TTL (should not happen once enabled). */
  ttl?: number;
}

export interface UdpReceiverOptions {
  address: string;
  port: number;
  /** SO_REUSEADDR (default true), so another daemon's wildcard socket does not block us. */
  reuseAddress?: boolean;
  onDatagram: (datagram: ReceivedDatagram) => void;
  onError?: (error: Error) => void;
}

const MAX_DATAGRAM = 2048;

/**
 * The TTL carried in recvmsg ancillary data (pure; the cmsghdr layout of
 * 64-bit Linux: `size_t cmsg_len; int cmsg_level; int cmsg_type; data`, each
 * header aligned to 8). Returns undefined when none is present.
 */
export function ttlFromControl(control: Uint8Array): number | undefined {
  const view = new DataView(control.buffer, control.byteOffset, control.byteLength);
  for (let at = 0; at + 16 <= control.length;) {
    const len = Number(view.getBigUint64(at, true));
    if (len < 16 || at + len > control.length) return undefined;
    const level = view.getInt32(at + 8, true);
    const type = view.getInt32(at + 12, true);
    if (
      len >= 20 &&
      ((level === IPPROTO_IP && type === IP_TTL) ||
        (level === IPPROTO_IPV6 && type === IPV6_HOPLIMIT))
    ) {
      return view.getInt32(at + 16, true);
    }
    at += (len + 7) & ~7;
  }
  return undefined;
}

export class UdpReceiver {
  readonly address: string;
  readonly port: number;
  #fd: number;
  #wake: number;
  #options: UdpReceiverOptions;
  #closed = false;
  #done: Promise<void>;
  // Off-heap buffers the kernel writes into; their addresses go into msghdr once.
  #data = new Uint8Array(new ArrayBuffer(MAX_DATAGRAM));
  #name = new Uint8Array(new ArrayBuffer(128));
  #control = new Uint8Array(new ArrayBuffer(256));
  #iov = new Uint8Array(new ArrayBuffer(16));
  #msg = new Uint8Array(new ArrayBuffer(56));

  private constructor(fd: number, wake: number, port: number, options: UdpReceiverOptions) {
    this.#fd = fd;
    this.#wake = wake;
    this.address = options.address;
    this.port = port;
    this.#options = options;
    const ptr = (b: Uint8Array) => BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(b)));
    const iov = new DataView(this.#iov.buffer);
    iov.setBigUint64(0, ptr(this.#data), true);
    iov.setBigUint64(8, BigInt(this.#data.length), true);
    this.#done = this.#loop();
  }

  static open(options: UdpReceiverOptions): UdpReceiver {
    const family = familyOfAddress(options.address);
    const lib = libc();
    const fd = check(
      lib.socket(family === 4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0),
      "socket",
    );
    let wake = -1;
    try {
      if (options.reuseAddress ?? true) setIntOption(fd, SOL_SOCKET, SO_REUSEADDR, 1);
      if (family === 4) setIntOption(fd, IPPROTO_IP, IP_RECVTTL, 1);
      else {
        setIntOption(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
        setIntOption(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1);
      }
      const local = encodeSockaddr(options.address, options.port);
      check(lib.bind(fd, local, local.length), "bind", `${options.address}:${options.port}`);
      wake = check(lib.eventfd(0, SOCK_NONBLOCK | SOCK_CLOEXEC), "eventfd");
      const name = new Uint8Array(128);
      const len = new Uint8Array(4);
      new DataView(len.buffer).setUint32(0, 128, true);
      check(lib.getsockname(fd, name, len), "getsockname");
      return new UdpReceiver(fd, wake, decodeSockaddr(name).port, options);
    } catch (e) {
      lib.close(fd);
      if (wake >= 0) lib.close(wake);
      throw new Error(
        `Cannot listen on UDP ${options.address}:${options.port}: ${
          e instanceof Error ? e.message : e
        }`,
      );
    }
  }

  /** Read every queued datagram without blocking. */
  #drain(): void {
    const lib = libc();
    const ptr = (b: Uint8Array) => BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(b)));
    const msg = new DataView(this.#msg.buffer);
    for (;;) {
      // struct msghdr (56 bytes): name, namelen, iov, iovlen, control, controllen, flags.
      this.#msg.fill(0);
      msg.setBigUint64(0, ptr(this.#name), true);
      msg.setUint32(8, this.#name.length, true);
      msg.setBigUint64(16, ptr(this.#iov), true);
      msg.setBigUint64(24, 1n, true);
      msg.setBigUint64(32, ptr(this.#control), true);
      msg.setBigUint64(40, BigInt(this.#control.length), true);
      const n = Number(lib.recvmsg(this.#fd, this.#msg, MSG_DONTWAIT));
      if (n < 0) {
        const code = errno();
        if (code !== EAGAIN) this.#options.onError?.(new SyscallError("recvmsg", code));
        return;
      }
      const controlLength = Number(msg.getBigUint64(40, true));
      let from;
      try {
        from = decodeSockaddr(this.#name.subarray(0, msg.getUint32(8, true)));
      } catch {
        continue;
      }
      const ttl = ttlFromControl(this.#control.subarray(0, controlLength));
      this.#options.onDatagram({
        bytes: this.#data.slice(0, n),
        from: from.address,
        fromPort: from.port,
        ...(ttl !== undefined ? { ttl } : {}),
      });
    }
  }

  async #loop(): Promise<void> {
    const fds = [{ fd: this.#fd, events: POLLIN }, { fd: this.#wake, events: POLLIN }];
    try {
      while (!this.#closed) {
        const [ready] = await pollMany(fds, -1);
        if (this.#closed) break;
        if (ready) {
          try {
            this.#drain();
          } catch (e) {
            this.#options.onError?.(e instanceof Error ? e : new Error(String(e)));
          }
        }
      }
    } catch (e) {
      this.#options.onError?.(e instanceof Error ? e : new Error(String(e)));
    } finally {
      libc().close(this.#fd);
      libc().close(this.#wake);
    }
  }

  /** Stop receiving; resolves once the socket is closed. Idempotent. */
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
