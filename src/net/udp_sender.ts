/**
 * A UDP sending socket through libc with a fixed TTL / Hop Limit. BFD sends
 * every packet with 255 (RFC 5881 §5); `node:dgram`'s setTTL sets IP_TTL
 * but not IPV6_UNICAST_HOPS on this runtime, so IPv6 packets would leave with
 * 64 and a peer checking the Hop Limit would drop them.
 *
 * Sends never block (MSG_DONTWAIT): a full socket buffer drops the packet,
 * which for BFD is the same as a loss on the wire.
 *
 * @module
 */
import {
  AF_INET,
  AF_INET6,
  check,
  EAGAIN,
  errno,
  IP_TTL,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPV6_UNICAST_HOPS,
  IPV6_V6ONLY,
  libc,
  MSG_DONTWAIT,
  setIntOption,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  SOCK_NONBLOCK,
  SyscallError,
} from "./libc.ts";
import { encodeSockaddr, familyOfAddress } from "./sockaddr.ts";

const symbols = {
  sendto: { parameters: ["i32", "buffer", "usize", "i32", "buffer", "u32"], result: "isize" },
} as const;
let extra: Deno.DynamicLibrary<typeof symbols> | undefined;

export interface UdpSenderOptions {
  localAddress: string;
  /** Source port; 0 lets the kernel choose. */
  localPort: number;
  /** IP_TTL / IPV6_UNICAST_HOPS of every datagram. */
  ttl: number;
}

export class UdpSender {
  readonly localAddress: string;
  readonly localPort: number;
  #fd: number;
  #closed = false;

  private constructor(fd: number, options: UdpSenderOptions) {
    this.#fd = fd;
    this.localAddress = options.localAddress;
    this.localPort = options.localPort;
  }

  /** Bind and configure; throws (e.g. EADDRINUSE) with a clear message. */
  static open(options: UdpSenderOptions): UdpSender {
    const family = familyOfAddress(options.localAddress);
    const lib = libc();
    extra ??= Deno.dlopen("libc.so.6", symbols);
    const fd = check(
      lib.socket(family === 4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0),
      "socket",
    );
    try {
      if (family === 4) setIntOption(fd, IPPROTO_IP, IP_TTL, options.ttl);
      else {
        setIntOption(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
        setIntOption(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, options.ttl);
      }
      const local = encodeSockaddr(options.localAddress, options.localPort);
      check(
        lib.bind(fd, local, local.length),
        "bind",
        `${options.localAddress}:${options.localPort}`,
      );
      return new UdpSender(fd, options);
    } catch (e) {
      lib.close(fd);
      throw e;
    }
  }

  /** Send one datagram; false when the socket buffer is full (dropped). */
  send(bytes: Uint8Array, address: string, port: number): boolean {
    if (this.#closed) return false;
    const to = encodeSockaddr(address, port);
    const n = Number(
      extra!.symbols.sendto(this.#fd, bytes, BigInt(bytes.length), MSG_DONTWAIT, to, to.length),
    );
    if (n >= 0) return true;
    const code = errno();
    if (code === EAGAIN) return false;
    throw new SyscallError("sendto", code, `${address}:${port}`);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    libc().close(this.#fd);
  }
}
