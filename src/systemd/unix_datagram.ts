/**
 * Send one datagram to a unix socket, for sd_notify. Deno's own unix
 * datagram API needs the unstable "net" flag and cannot reach abstract
 * sockets ("@name"), so this calls libc through FFI: socket(2), sendto(2),
 * close(2). Needs --allow-ffi (the daemon runs with -A).
 *
 * @module
 */

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const MSG_NOSIGNAL = 0x4000;
/** sizeof(struct sockaddr_un) on Linux: sa_family_t + char sun_path[108]. */
const SOCKADDR_UN_SIZE = 110;

const ERRNO_NAMES: Record<number, string> = {
  1: "EPERM",
  2: "ENOENT (no such socket)",
  11: "EAGAIN (socket buffer full)",
  13: "EACCES (permission denied)",
  91: "EPROTOTYPE (not a datagram socket)",
  111: "ECONNREFUSED (nobody is listening)",
};

export interface DatagramSender {
  /** Send `data` to the socket at `path`; "@name" is the abstract socket "\0name". */
  send(path: string, data: Uint8Array): void;
}

const libcSymbols = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  sendto: { parameters: ["i32", "buffer", "usize", "i32", "buffer", "u32"], result: "isize" },
  close: { parameters: ["i32"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

let libc: Deno.DynamicLibrary<typeof libcSymbols> | undefined;

function openLibc(): Deno.DynamicLibrary<typeof libcSymbols> {
  libc ??= Deno.dlopen("libc.so.6", libcSymbols);
  return libc;
}

function errno(lib: Deno.DynamicLibrary<typeof libcSymbols>): string {
  const pointer = lib.symbols.__errno_location();
  const code = pointer ? new Deno.UnsafePointerView(pointer).getInt32() : 0;
  return ERRNO_NAMES[code] ?? `errno ${code}`;
}

/** struct sockaddr_un for a path or an abstract name, and the address length to pass. */
export function sockaddrUn(path: string): { address: Uint8Array; length: number } {
  const abstract = path.startsWith("@");
  const name = new TextEncoder().encode(abstract ? path.slice(1) : path);
  // Path sockets need room for the trailing NUL; abstract ones start with a NUL instead.
  if (name.length + 1 > SOCKADDR_UN_SIZE - 2) {
    throw new RangeError(`Cannot use unix socket path "${path}": longer than 107 bytes`);
  }
  const address = new Uint8Array(SOCKADDR_UN_SIZE);
  new DataView(address.buffer).setUint16(0, AF_UNIX, true);
  address.set(name, abstract ? 3 : 2);
  // Abstract names are exactly as long as given (no NUL terminator, unix(7)).
  return { address, length: 2 + name.length + 1 };
}

/** The libc-backed sender. */
export const libcDatagramSender: DatagramSender = {
  send(path, data) {
    const lib = openLibc();
    const { address, length } = sockaddrUn(path);
    const fd = lib.symbols.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw new Error(`Cannot create unix datagram socket: ${errno(lib)}`);
    try {
      // Copy into a fresh buffer: FFI needs a plain ArrayBuffer-backed view.
      const payload = new Uint8Array(data);
      const sent = lib.symbols.sendto(
        fd,
        payload,
        BigInt(payload.length),
        MSG_NOSIGNAL,
        address,
        length,
      );
      if (Number(sent) < 0) throw new Error(`Cannot send to ${path}: ${errno(lib)}`);
    } finally {
      lib.symbols.close(fd);
    }
  },
};
