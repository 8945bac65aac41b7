/**
 * The libc calls behind our own sockets (Deno FFI, `libc.so.6`, also from
 * the compiled binary). Calls that can wait (`poll`) run on a worker thread
 * (`nonblocking: true`) so the event loop keeps going; everything else is a
 * quick non-blocking system call.
 *
 * Numbers are Linux's (x86_64 and aarch64 share them): `<sys/socket.h>`,
 * `<netinet/in.h>`, `<netinet/tcp.h>`, `<linux/tcp.h>`.
 *
 * @module
 */

export const AF_INET = 2;
export const AF_INET6 = 10;
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;

export const SOL_SOCKET = 1;
export const SO_REUSEADDR = 2;
export const SO_ERROR = 4;

export const IPPROTO_IP = 0;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_IPV6 = 41;

export const IP_TTL = 2;
export const IP_RECVTTL = 12;
export const IP_MINTTL = 21;
export const IPV6_UNICAST_HOPS = 16;
export const IPV6_V6ONLY = 26;
export const IPV6_RECVHOPLIMIT = 51;
export const IPV6_HOPLIMIT = 52;
export const IPV6_MINHOPCOUNT = 73;

export const TCP_NODELAY = 1;
export const TCP_MD5SIG = 14;
export const TCP_AO_ADD_KEY = 38;

export const POLLIN = 0x1;
export const POLLOUT = 0x4;
export const POLLERR = 0x8;
export const POLLHUP = 0x10;
export const MSG_DONTWAIT = 0x40;

export const EINTR = 4;
export const EAGAIN = 11;
export const ENOPROTOOPT = 92;
export const EINPROGRESS = 115;

const symbols = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  connect: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  listen: { parameters: ["i32", "i32"], result: "i32" },
  accept4: { parameters: ["i32", "buffer", "buffer", "i32"], result: "i32" },
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  getpeername: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  recvmsg: { parameters: ["i32", "buffer", "i32"], result: "isize" },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  close: { parameters: ["i32"], result: "i32" },
  eventfd: { parameters: ["u32", "i32"], result: "i32" },
  strerror: { parameters: ["i32"], result: "pointer" },
  __errno_location: { parameters: [], result: "pointer" },
  // Waits: runs on a worker thread.
  poll: { parameters: ["buffer", "u64", "i32"], result: "i32", nonblocking: true },
} as const;

export type Libc = Deno.DynamicLibrary<typeof symbols>["symbols"];
let lib: Deno.DynamicLibrary<typeof symbols> | undefined;

/** libc, opened once; throws a clear error where FFI or libc.so.6 is unavailable. */
export function libc(): Libc {
  if (!lib) {
    try {
      lib = Deno.dlopen("libc.so.6", symbols);
    } catch (e) {
      throw new Error(
        `Cannot open libc.so.6 for native sockets (needs Linux with glibc and --allow-ffi): ${
          e instanceof Error ? e.message : e
        }`,
      );
    }
  }
  return lib.symbols;
}

/** errno of the last failed call on this thread (read right after the call). */
export function errno(): number {
  const p = libc().__errno_location();
  return p === null ? 0 : new Deno.UnsafePointerView(p).getInt32();
}

/** The C library's text for an errno value, e.g. "Connection refused". */
export function strerror(code: number): string {
  const p = libc().strerror(code);
  return p === null ? `errno ${code}` : Deno.UnsafePointerView.getCString(p);
}

/** A system call failed: `code` is errno. */
export class SyscallError extends Error {
  readonly code: number;
  constructor(call: string, code: number, detail = "") {
    super(`${call}${detail ? ` ${detail}` : ""}: ${strerror(code)}`);
    this.name = "SyscallError";
    this.code = code;
  }
}

/** Throws a {@link SyscallError} when `result` is negative. */
export function check(result: number | bigint, call: string, detail = ""): number {
  const n = Number(result);
  if (n < 0) throw new SyscallError(call, errno(), detail);
  return n;
}

/** setsockopt with a 32-bit integer value. */
export function setIntOption(fd: number, level: number, name: number, value: number): void {
  const buf = new Uint8Array(4);
  new DataView(buf.buffer).setInt32(0, value, true);
  check(libc().setsockopt(fd, level, name, buf, 4), "setsockopt", optionName(level, name));
}

/** getsockopt of a 32-bit integer value. */
export function getIntOption(fd: number, level: number, name: number): number {
  const buf = new Uint8Array(4);
  const len = new Uint8Array(4);
  new DataView(len.buffer).setUint32(0, 4, true);
  check(libc().getsockopt(fd, level, name, buf, len), "getsockopt", optionName(level, name));
  return new DataView(buf.buffer).getInt32(0, true);
}

function optionName(level: number, name: number): string {
  const names: Record<string, string> = {
    [`${IPPROTO_IP}:${IP_TTL}`]: "IP_TTL",
    [`${IPPROTO_IP}:${IP_MINTTL}`]: "IP_MINTTL",
    [`${IPPROTO_IP}:${IP_RECVTTL}`]: "IP_RECVTTL",
    [`${IPPROTO_IPV6}:${IPV6_UNICAST_HOPS}`]: "IPV6_UNICAST_HOPS",
    [`${IPPROTO_IPV6}:${IPV6_MINHOPCOUNT}`]: "IPV6_MINHOPCOUNT",
    [`${IPPROTO_IPV6}:${IPV6_RECVHOPLIMIT}`]: "IPV6_RECVHOPLIMIT",
    [`${IPPROTO_IPV6}:${IPV6_V6ONLY}`]: "IPV6_V6ONLY",
    [`${IPPROTO_TCP}:${TCP_NODELAY}`]: "TCP_NODELAY",
    [`${IPPROTO_TCP}:${TCP_MD5SIG}`]: "TCP_MD5SIG",
    [`${IPPROTO_TCP}:${TCP_AO_ADD_KEY}`]: "TCP_AO_ADD_KEY",
    [`${SOL_SOCKET}:${SO_REUSEADDR}`]: "SO_REUSEADDR",
    [`${SOL_SOCKET}:${SO_ERROR}`]: "SO_ERROR",
  };
  return names[`${level}:${name}`] ?? `${level}/${name}`;
}

/** Wait until `fd` has one of `events` or `timeoutMs` passes; returns revents (0 on timeout). */
export async function pollOne(fd: number, events: number, timeoutMs: number): Promise<number> {
  const pfd = new Uint8Array(8);
  const view = new DataView(pfd.buffer);
  view.setInt32(0, fd, true);
  view.setInt16(4, events, true);
  const n = await libc().poll(pfd, 1n, Math.max(0, Math.round(timeoutMs)));
  if (n < 0) {
    const code = errno();
    if (code === EINTR) return 0;
    throw new SyscallError("poll", code);
  }
  return n === 0 ? 0 : view.getInt16(6, true);
}

/**
 * Wait on several fds at once; returns each fd's revents, in order. Used with
 * an eventfd among them so another part of the program can wake the waiter.
 */
export async function pollMany(
  fds: readonly { fd: number; events: number }[],
  timeoutMs: number,
): Promise<number[]> {
  const pfd = new Uint8Array(8 * fds.length);
  const view = new DataView(pfd.buffer);
  fds.forEach((f, i) => {
    view.setInt32(i * 8, f.fd, true);
    view.setInt16(i * 8 + 4, f.events, true);
  });
  const n = await libc().poll(pfd, BigInt(fds.length), Math.max(0, Math.round(timeoutMs)));
  if (n < 0) {
    const code = errno();
    if (code === EINTR) return fds.map(() => 0);
    throw new SyscallError("poll", code);
  }
  return fds.map((_, i) => view.getInt16(i * 8 + 6, true));
}
