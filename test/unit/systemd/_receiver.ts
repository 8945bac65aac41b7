import { sockaddrUn } from "../../../src/systemd/unix_datagram.ts";

const lib = Deno.dlopen("libc.so.6", {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  recv: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
  close: { parameters: ["i32"], result: "i32" },
});
const MSG_DONTWAIT = 0x40;

/** A unix datagram socket bound at `path` ("@name" = abstract), as systemd's notify socket. */
export class DatagramReceiver implements Disposable {
  #fd: number;
  constructor(readonly path: string) {
    this.#fd = lib.symbols.socket(1, 2, 0);
    const { address, length } = sockaddrUn(path);
    if (this.#fd < 0 || lib.symbols.bind(this.#fd, address, length) !== 0) {
      throw new Error(`Cannot bind test receiver at ${path}`);
    }
  }
  /** Every datagram queued so far, as text (never blocks). */
  drain(): string[] {
    const out: string[] = [];
    const buf = new Uint8Array(4096);
    for (;;) {
      const n = Number(lib.symbols.recv(this.#fd, buf, 4096n, MSG_DONTWAIT));
      if (n < 0) return out;
      out.push(new TextDecoder().decode(buf.subarray(0, n)));
    }
  }
  [Symbol.dispose]() {
    lib.symbols.close(this.#fd);
    if (!this.path.startsWith("@")) Deno.removeSync(this.path);
  }
}
