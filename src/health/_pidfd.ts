/**
 * Process exit as an event: pidfd_open(2) gives a file descriptor that
 * becomes readable (POLLIN) the moment the process exits. One poll(2) on a
 * worker thread (Deno FFI, `nonblocking`, as the ICMP socket does) waits on
 * every watched pidfd plus an eventfd(2) used to wake it when the set
 * changes: no polling, no timer, one thread however many processes are
 * watched.
 *
 * @module
 */

const SYS_PIDFD_OPEN = 434; // the same number on every architecture (unified syscall table)
const POLLIN = 0x1;
const POLLERR = 0x8;
const POLLHUP = 0x10;
const POLLNVAL = 0x20;
const EFD_NONBLOCK = 0o4000;
const EFD_CLOEXEC = 0o2000000;

const symbols = {
  syscall: { parameters: ["i64", "i64", "i64"], result: "i64" },
  eventfd: { parameters: ["u32", "i32"], result: "i32" },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  // Runs on a worker thread so the event loop keeps going while we wait.
  poll: { parameters: ["buffer", "u64", "i32"], result: "i32", nonblocking: true },
  /** The same poll(2), called synchronously with timeout 0. */
  pollNow: { name: "poll", parameters: ["buffer", "u64", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  kill: { parameters: ["i32", "i32"], result: "i32" },
} as const;

type Libc = Deno.DynamicLibrary<typeof symbols>;
let libc: Libc | undefined;

function openLibc(): Libc {
  libc ??= Deno.dlopen("libc.so.6", symbols);
  return libc;
}

/**
 * pidfd_open(pid, 0) for a process that is still running; undefined when no
 * such process exists (ESRCH), on error, or when it has exited already and
 * waits to be reaped (a zombie's pidfd is readable at once).
 */
export function pidfdOpen(pid: number): number | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const lib = openLibc().symbols;
  const fd = Number(lib.syscall(BigInt(SYS_PIDFD_OPEN), BigInt(pid), 0n));
  if (fd < 0) return undefined;
  const pollfd = new Uint8Array(8);
  const view = new DataView(pollfd.buffer);
  view.setInt32(0, fd, true);
  view.setInt16(4, POLLIN, true);
  if (lib.pollNow(pollfd, 1n, 0) !== 0) {
    lib.close(fd);
    return undefined;
  }
  return fd;
}

/** kill(pid, 0) == 0: the process exists (and we may signal it). */
export function processExists(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  return openLibc().symbols.kill(pid, 0) === 0;
}

interface Watch {
  fd: number;
  onExit: () => void;
}

/**
 * Waits for the exit of any number of processes. `watch()` returns a
 * cancel function; the callback runs at most once, on the event loop.
 */
export class PidfdPoller {
  #watches = new Map<number, Watch>();
  #wake: number;
  #running = false;
  #closed = false;
  #loop: Promise<void> | undefined;

  constructor() {
    this.#wake = openLibc().symbols.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (this.#wake < 0) throw new Error("Cannot create an eventfd for the process watcher");
  }

  /** Number of processes watched now. */
  get size(): number {
    return this.#watches.size;
  }

  /**
   * Watch `pid`; `onExit` runs once when it exits. Returns undefined when the
   * process does not exist (already gone), else a function that stops watching.
   */
  watch(pid: number, onExit: () => void): (() => void) | undefined {
    if (this.#closed) throw new Error("Cannot watch a process: the poller is closed");
    const fd = pidfdOpen(pid);
    if (fd === undefined) return undefined;
    const w: Watch = { fd, onExit };
    this.#watches.set(fd, w);
    this.#kick();
    return () => {
      if (this.#watches.get(fd) !== w) return;
      this.#watches.delete(fd);
      this.#closeFd(fd);
    };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const fd of this.#watches.keys()) this.#closeFd(fd);
    this.#watches.clear();
    // The eventfd is closed by the loop once poll() has returned.
    if (this.#running) this.#signal();
    else openLibc().symbols.close(this.#wake);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** Closing a pidfd while poll() waits on it is harmless; closed ones are skipped after. */
  #closeFd(fd: number): void {
    if (!this.#running) {
      openLibc().symbols.close(fd);
      return;
    }
    // Defer: poll() may still hold this fd number; it is closed after the wake-up.
    this.#pendingClose.push(fd);
    this.#signal();
  }

  #pendingClose: number[] = [];

  #signal(): void {
    const one = new Uint8Array(8);
    new DataView(one.buffer).setBigUint64(0, 1n, true);
    openLibc().symbols.write(this.#wake, one, 8n);
  }

  #kick(): void {
    if (this.#running) {
      this.#signal();
      return;
    }
    this.#running = true;
    this.#loop = this.#run();
  }

  async #run(): Promise<void> {
    const lib = openLibc().symbols;
    try {
      while (!this.#closed && this.#watches.size > 0) {
        const fds = [this.#wake, ...this.#watches.keys()];
        const pollfds = new Uint8Array(8 * fds.length);
        const view = new DataView(pollfds.buffer);
        fds.forEach((fd, i) => {
          view.setInt32(8 * i, fd, true);
          view.setInt16(8 * i + 4, POLLIN, true);
        });
        const n = await lib.poll(pollfds, BigInt(fds.length), -1);
        // Drain the wake-up counter.
        lib.read(this.#wake, new Uint8Array(8), 8n);
        for (const fd of this.#pendingClose.splice(0)) lib.close(fd);
        if (n <= 0) continue; // EINTR, or nothing
        const exited: Watch[] = [];
        fds.forEach((fd, i) => {
          if (i === 0) return;
          const revents = view.getInt16(8 * i + 6, true);
          if ((revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) === 0) return;
          const w = this.#watches.get(fd);
          if (!w) return;
          this.#watches.delete(fd);
          lib.close(fd);
          exited.push(w);
        });
        for (const w of exited) {
          try {
            w.onExit();
          } catch (e) {
            queueMicrotask(() => {
              throw e;
            });
          }
        }
      }
    } finally {
      this.#running = false;
      for (const fd of this.#pendingClose.splice(0)) lib.close(fd);
      if (this.#closed) lib.close(this.#wake);
    }
  }

  /** Resolves when the wait loop has ended (after close(), or with nothing left to watch). */
  async idle(): Promise<void> {
    await this.#loop;
  }
}
