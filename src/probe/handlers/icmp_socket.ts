/**
 * ICMP echo without shelling out to ping(8): a socket opened through libc
 * with Deno FFI. We first try an unprivileged ICMP datagram socket
 * (socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP), allowed by
 * net.ipv4.ping_group_range) and fall back to a raw socket (needs root or
 * CAP_NET_RAW).
 *
 * @module
 */

const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_DGRAM = 2;
const SOCK_RAW = 3;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const IPPROTO_ICMP = 1;
const IPPROTO_ICMPV6 = 58;
const POLLIN = 1;
const MSG_DONTWAIT = 0x40;

const symbols = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  sendto: { parameters: ["i32", "buffer", "usize", "i32", "buffer", "u32"], result: "isize" },
  recvfrom: { parameters: ["i32", "buffer", "usize", "i32", "buffer", "buffer"], result: "isize" },
  // Runs on a worker thread so the event loop keeps going while we wait.
  poll: { parameters: ["buffer", "u64", "i32"], result: "i32", nonblocking: true },
  close: { parameters: ["i32"], result: "i32" },
} as const;

type Libc = Deno.DynamicLibrary<typeof symbols>;
let libc: Libc | undefined;

function openLibc(): Libc {
  libc ??= Deno.dlopen("libc.so.6", symbols);
  return libc;
}

/** One echo reply as it came off the wire. */
export interface EchoReply {
  identifier: number;
  sequence: number;
  payload: Uint8Array;
}

/** An open ICMP socket for one address family; close() it when done. */
export class IcmpSocket {
  readonly family: 4 | 6;
  /** "dgram" (unprivileged ping socket) or "raw". */
  readonly mode: "dgram" | "raw";
  #fd: number;
  #closed = false;

  private constructor(fd: number, family: 4 | 6, mode: "dgram" | "raw") {
    this.#fd = fd;
    this.family = family;
    this.mode = mode;
  }

  static open(family: 4 | 6): IcmpSocket {
    const lib = openLibc();
    const domain = family === 4 ? AF_INET : AF_INET6;
    const proto = family === 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6;
    const flags = SOCK_NONBLOCK | SOCK_CLOEXEC;
    let fd = lib.symbols.socket(domain, SOCK_DGRAM | flags, proto);
    if (fd >= 0) return new IcmpSocket(fd, family, "dgram");
    fd = lib.symbols.socket(domain, SOCK_RAW | flags, proto);
    if (fd >= 0) return new IcmpSocket(fd, family, "raw");
    throw new Error(
      "Cannot open an ICMP socket: not permitted (run as root, grant CAP_NET_RAW, or widen net.ipv4.ping_group_range)",
    );
  }

  /** Send an echo request (type 8, or 128 for ICMPv6) to `address`. */
  sendEcho(address: string, identifier: number, sequence: number, payload: Uint8Array): void {
    const packet = new Uint8Array(8 + payload.length);
    const view = new DataView(packet.buffer);
    view.setUint8(0, this.family === 4 ? 8 : 128);
    view.setUint16(4, identifier);
    view.setUint16(6, sequence);
    packet.set(payload, 8);
    // RFC 792: checksum over the ICMP message. The kernel fills it in for
    // ICMPv6 (RFC 3542 section 3.1) and for ping sockets, but not for raw IPv4.
    if (this.family === 4) view.setUint16(2, internetChecksum(packet));
    const sockaddr = encodeSockaddr(address, this.family);
    const sent = openLibc().symbols.sendto(
      this.#fd,
      packet,
      BigInt(packet.length),
      0,
      sockaddr,
      sockaddr.length,
    );
    if (Number(sent) < 0) throw new Error(`Cannot send ICMP echo to ${address}: sendto failed`);
  }

  /** Wait up to `ms` (at most) for the socket to become readable. */
  async waitReadable(ms: number): Promise<boolean> {
    const pollfd = new Uint8Array(8);
    const view = new DataView(pollfd.buffer);
    view.setInt32(0, this.#fd, true);
    view.setInt16(4, POLLIN, true);
    const n = await openLibc().symbols.poll(pollfd, 1n, Math.max(0, Math.round(ms)));
    return n > 0 && (view.getInt16(6, true) & POLLIN) !== 0;
  }

  /** Read every queued packet and return the echo replies among them. */
  drainReplies(): EchoReply[] {
    const replies: EchoReply[] = [];
    const buf = new Uint8Array(2048);
    const from = new Uint8Array(32);
    const fromLen = new Uint8Array(4);
    for (;;) {
      new DataView(fromLen.buffer).setUint32(0, from.length, true);
      const n = Number(
        openLibc().symbols.recvfrom(this.#fd, buf, BigInt(buf.length), MSG_DONTWAIT, from, fromLen),
      );
      if (n <= 0) break;
      let icmp = buf.subarray(0, n);
      // Raw IPv4 sockets deliver the IP header too (RFC 791 IHL in 32-bit words).
      if (this.family === 4 && this.mode === "raw") icmp = icmp.subarray((icmp[0]! & 0x0f) * 4);
      if (icmp.length < 8) continue;
      const replyType = this.family === 4 ? 0 : 129;
      if (icmp[0] !== replyType || icmp[1] !== 0) continue;
      const view = new DataView(icmp.buffer, icmp.byteOffset, icmp.byteLength);
      replies.push({
        identifier: view.getUint16(4),
        sequence: view.getUint16(6),
        payload: icmp.slice(8),
      });
    }
    return replies;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    openLibc().symbols.close(this.#fd);
  }
}

/** RFC 1071 one's-complement sum of 16-bit words. */
export function internetChecksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) {
    sum += (bytes[i]! << 8) | (bytes[i + 1] ?? 0);
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function encodeSockaddr(address: string, family: 4 | 6): Uint8Array {
  if (family === 4) {
    // struct sockaddr_in: family (host order), port, 4 address bytes, 8 zero bytes.
    const out = new Uint8Array(16);
    new DataView(out.buffer).setUint16(0, AF_INET, true);
    const parts = address.split(".").map(Number);
    if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
      throw new TypeError(`Cannot parse IPv4 address "${address}"`);
    }
    out.set(parts, 4);
    return out;
  }
  // struct sockaddr_in6: family, port, flowinfo, 16 address bytes, scope id.
  const out = new Uint8Array(28);
  new DataView(out.buffer).setUint16(0, AF_INET6, true);
  out.set(parseIpv6(address), 8);
  return out;
}

function parseIpv6(address: string): Uint8Array {
  const [head, tail] = address.split("::") as [string, string | undefined];
  const words = (s: string | undefined) => (s === undefined || s === "" ? [] : s.split(":"));
  const left = words(head);
  const right = words(tail);
  const fill = address.includes("::") ? 8 - left.length - right.length : 0;
  const all = [...left, ...Array(fill).fill("0"), ...right];
  if (all.length !== 8 || all.some((w) => !/^[0-9a-f]{1,4}$/i.test(w))) {
    throw new TypeError(`Cannot parse IPv6 address "${address}"`);
  }
  const out = new Uint8Array(16);
  all.forEach((w, i) => {
    const v = parseInt(w, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  return out;
}
