/**
 * `service: {type: process}`: a process watched by pid file or by a
 * command-line match. Its exit is seen through a pidfd (src/health/_pidfd.ts)
 * the moment it happens; the pid file is re-read when it changes (inotify
 * through Deno.watchFs) and, as a safety net, on a slow poll. A pid file
 * that names no live process means the service is down.
 *
 * The watch is authoritative: its verdict goes to the prefix at once, with
 * no thresholds (a process that exited is not a flaky probe).
 *
 * @module
 */
import { dirname, resolve } from "node:path";
import { type Clock, systemClock, type TimerId } from "../util/clock.ts";
import { PidfdPoller } from "./_pidfd.ts";

/** What to watch: exactly one of `pidFile` and `match`. */
export interface ProcessTarget {
  /** A file holding the pid (decimal, first line). */
  pidFile?: string;
  /** A regular expression matched against /proc/PID/cmdline (arguments joined by spaces). */
  match?: string;
}

export interface ProcessState {
  up: boolean;
  /** The watched pid while up. */
  pid?: number;
  reason: string;
}

export interface ProcessWatchOptions {
  /** Default the system clock (safety poll timer). */
  clock?: Clock;
  /** Shared exit poller (default one per watch). */
  poller?: PidfdPoller;
  /** Re-check interval, a safety net behind inotify (default 10000 ms). */
  safetyPollMs?: number;
  /** Watch the pid file's directory with Deno.watchFs (default true). */
  watchFs?: boolean;
  /** A re-check failed unexpectedly; the last verdict stands. */
  onError?: (error: unknown) => void;
}

/** The first line of a pid file as a pid; undefined when it holds none. */
export function parsePidFile(text: string): number | undefined {
  const line = text.split("\n", 1)[0]!.trim();
  if (!/^\d{1,10}$/.test(line)) return undefined;
  const pid = Number(line);
  return pid > 0 && pid <= 0x3fffffff ? pid : undefined;
}

/** Pids whose command line matches `pattern` (our own process excluded). */
export async function findProcesses(pattern: RegExp): Promise<number[]> {
  const found: number[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const pid = Number(entry.name);
    if (pid === Deno.pid) continue;
    let raw: Uint8Array;
    try {
      raw = await Deno.readFile(`/proc/${pid}/cmdline`);
    } catch {
      continue; // gone meanwhile, or not ours to read
    }
    if (raw.length === 0) continue; // kernel thread or zombie
    const cmdline = new TextDecoder().decode(raw).replace(/\0+$/, "").replaceAll("\0", " ");
    if (pattern.test(cmdline)) found.push(pid);
  }
  return found.sort((a, b) => a - b);
}

export class ProcessWatch {
  readonly target: ProcessTarget;
  readonly description: string;
  #onChange: (state: ProcessState) => void;
  #clock: Clock;
  #poller: PidfdPoller;
  #ownPoller: boolean;
  #safetyPollMs: number;
  #watchFs: boolean;
  #onError: ProcessWatchOptions["onError"];
  #pattern: RegExp | undefined;
  #state: ProcessState | undefined;
  #pid: number | undefined;
  #cancelExit: (() => void) | undefined;
  #timer: TimerId | undefined;
  #fsWatcher: Deno.FsWatcher | undefined;
  #running = false;
  /** Serialises checks: one at a time, and one more queued at most. */
  #checking: Promise<void> | undefined;
  #again = false;

  constructor(
    target: ProcessTarget,
    onChange: (state: ProcessState) => void,
    options: ProcessWatchOptions = {},
  ) {
    if ((target.pidFile === undefined) === (target.match === undefined)) {
      throw new TypeError("Cannot watch a process: give exactly one of pidFile and match");
    }
    this.target = target;
    this.description = target.pidFile !== undefined
      ? `pid file ${target.pidFile}`
      : `process matching /${target.match}/`;
    this.#pattern = target.match !== undefined ? new RegExp(target.match) : undefined;
    this.#onChange = onChange;
    this.#clock = options.clock ?? systemClock;
    this.#ownPoller = options.poller === undefined;
    this.#poller = options.poller ?? new PidfdPoller();
    this.#safetyPollMs = options.safetyPollMs ?? 10_000;
    this.#watchFs = options.watchFs ?? true;
    this.#onError = options.onError;
  }

  /** The last verdict (undefined before the first check). */
  get state(): ProcessState | undefined {
    return this.#state;
  }

  /** Check once (reporting the initial state), then watch. */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    if (this.#watchFs && this.target.pidFile !== undefined) this.#startFsWatch();
    await this.check();
    this.#schedule();
  }

  stop(): void {
    this.#running = false;
    this.#cancelExit?.();
    this.#cancelExit = undefined;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    try {
      this.#fsWatcher?.close();
    } catch { /* closed already */ }
    this.#fsWatcher = undefined;
    if (this.#ownPoller) this.#poller.close();
  }

  [Symbol.dispose](): void {
    this.stop();
  }

  /** Re-read the pid file (or scan for the command line) now. */
  check(): Promise<void> {
    if (this.#checking) {
      this.#again = true;
      return this.#checking;
    }
    this.#checking = (async () => {
      try {
        do {
          this.#again = false;
          await this.#checkOnce().catch((e) => this.#onError?.(e));
        } while (this.#again && this.#running);
      } finally {
        this.#checking = undefined;
      }
    })();
    return this.#checking;
  }

  #report(state: ProcessState): void {
    const previous = this.#state;
    this.#state = state;
    if (previous && previous.up === state.up && previous.pid === state.pid) return;
    this.#onChange(state);
  }

  async #candidate(): Promise<{ pid?: number; none: string }> {
    if (this.target.pidFile !== undefined) {
      let text: string;
      try {
        text = await Deno.readTextFile(this.target.pidFile);
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) {
          return { none: `pid file ${this.target.pidFile} does not exist` };
        }
        throw e;
      }
      const pid = parsePidFile(text);
      if (pid === undefined) return { none: `pid file ${this.target.pidFile} holds no pid` };
      return { pid, none: `pid file ${this.target.pidFile} names pid ${pid}, not running` };
    }
    // While a matched process is alive its pidfd tells us of its end: no scan needed.
    if (this.#pid !== undefined && this.#cancelExit) return { pid: this.#pid, none: "" };
    const pids = await findProcesses(this.#pattern!);
    const none = `no process matches /${this.target.match}/`;
    return pids[0] !== undefined ? { pid: pids[0], none } : { none };
  }

  async #checkOnce(): Promise<void> {
    if (!this.#running) return;
    const { pid, none } = await this.#candidate();
    if (!this.#running) return;
    if (pid !== undefined && pid === this.#pid && this.#cancelExit) return; // unchanged, watched
    const cancel = pid === undefined ? undefined : this.#poller.watch(pid, () => this.#exited(pid));
    if (!cancel || pid === undefined) {
      // A pid file being rewritten (truncated, then written) or naming a process that
      // is not up yet does not take down a process we still see running: its exit will.
      if (this.#cancelExit === undefined) this.#report({ up: false, reason: none });
      return;
    }
    this.#cancelExit?.();
    this.#pid = pid;
    this.#cancelExit = cancel;
    this.#report({ up: true, pid, reason: `pid ${pid} running (${this.description})` });
  }

  #exited(pid: number): void {
    if (!this.#running || this.#pid !== pid) return;
    this.#pid = undefined;
    this.#cancelExit = undefined;
    this.#report({ up: false, reason: `process ${pid} exited (${this.description})` });
    // A replacement may already be there (pid file rewritten first).
    void this.check();
  }

  #schedule(): void {
    if (!this.#running) return;
    this.#timer = this.#clock.setTimeout(async () => {
      this.#timer = undefined;
      await this.check();
      this.#schedule();
    }, this.#safetyPollMs);
  }

  #startFsWatch(): void {
    const file = resolve(this.target.pidFile!);
    try {
      this.#fsWatcher = Deno.watchFs(dirname(file), { recursive: false });
    } catch (e) {
      // The directory may not exist yet: the safety poll still covers it.
      this.#onError?.(e);
      return;
    }
    const watcher = this.#fsWatcher;
    void (async () => {
      try {
        for await (const event of watcher) {
          if (event.paths.some((p) => p === file)) void this.check();
        }
      } catch (e) {
        if (this.#running) this.#onError?.(e);
      }
    })();
  }
}
