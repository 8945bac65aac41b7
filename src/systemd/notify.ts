/**
 * sd_notify(3) for `Type=notify` units: READY=1 once the daemon serves,
 * WATCHDOG=1 at half of WATCHDOG_USEC, STOPPING=1 on shutdown, STATUS=...
 * for `systemctl status`. Without NOTIFY_SOCKET (not under systemd) every
 * call is a no-op.
 *
 * @module
 */
import { type Clock, systemClock, type TimerId } from "../util/clock.ts";
import { type DatagramSender, libcDatagramSender } from "./unix_datagram.ts";

export interface SystemdNotifierOptions {
  /** Environment lookup (default Deno.env.get). */
  env?: (name: string) => string | undefined;
  /** Default: libc sendto through FFI. */
  sender?: DatagramSender;
  /** Default the system clock (watchdog timer). */
  clock?: Clock;
  /** Our process id, compared with WATCHDOG_PID (default Deno.pid). */
  pid?: number;
  /** A send failed (logged by the caller; the daemon keeps running). */
  onError?: (error: unknown) => void;
}

/** Values must not contain newlines: each line of the datagram is one assignment. */
function assignment(key: string, value: string): string {
  return `${key}=${value.replaceAll("\n", " ")}`;
}

export class SystemdNotifier {
  #socket: string | undefined;
  #env: (name: string) => string | undefined;
  #sender: DatagramSender;
  #clock: Clock;
  #pid: number;
  #onError: SystemdNotifierOptions["onError"];
  #watchdogTimer: TimerId | undefined;

  constructor(options: SystemdNotifierOptions = {}) {
    this.#env = options.env ?? ((name) => Deno.env.get(name));
    const socket = this.#env("NOTIFY_SOCKET");
    this.#socket = socket === undefined || socket === "" ? undefined : socket;
    this.#sender = options.sender ?? libcDatagramSender;
    this.#clock = options.clock ?? systemClock;
    this.#pid = options.pid ?? Deno.pid;
    this.#onError = options.onError;
  }

  /** Running under systemd with a notify socket. */
  get enabled(): boolean {
    return this.#socket !== undefined;
  }

  /** Send assignments ("READY=1\nSTATUS=..."); false when disabled or the send failed. */
  notify(state: Record<string, string>): boolean {
    if (this.#socket === undefined) return false;
    const text = Object.entries(state).map(([k, v]) => assignment(k, v)).join("\n") + "\n";
    try {
      this.#sender.send(this.#socket, new TextEncoder().encode(text));
      return true;
    } catch (e) {
      this.#onError?.(e);
      return false;
    }
  }

  /** The daemon serves: config loaded, API and sessions started. */
  ready(status?: string): boolean {
    return this.notify({ READY: "1", ...(status !== undefined ? { STATUS: status } : {}) });
  }

  status(text: string): boolean {
    return this.notify({ STATUS: text });
  }

  /** Reloading the config (SIGHUP); follow with ready() when done. */
  reloading(): boolean {
    return this.notify({ RELOADING: "1" });
  }

  stopping(status?: string): boolean {
    this.stopWatchdog();
    return this.notify({ STOPPING: "1", ...(status !== undefined ? { STATUS: status } : {}) });
  }

  watchdog(): boolean {
    return this.notify({ WATCHDOG: "1" });
  }

  /**
   * Half of WATCHDOG_USEC in ms (sd_watchdog_enabled(3)), or undefined when
   * the watchdog is off or meant for another process (WATCHDOG_PID).
   */
  watchdogIntervalMs(): number | undefined {
    const usec = Number(this.#env("WATCHDOG_USEC") ?? "");
    if (!Number.isInteger(usec) || usec <= 0) return undefined;
    const pid = this.#env("WATCHDOG_PID");
    if (pid !== undefined && pid !== "" && Number(pid) !== this.#pid) return undefined;
    return Math.max(1, Math.floor(usec / 2000));
  }

  /**
   * Send WATCHDOG=1 every half period until stopWatchdog(), but only on the
   * ticks where `progressing()` (default always) says the daemon's work is
   * moving: a wedged probe scheduler then lets systemd's WatchdogSec restart
   * us. Returns the interval used.
   */
  startWatchdog(progressing: () => boolean = () => true): number | undefined {
    const interval = this.watchdogIntervalMs();
    if (interval === undefined || !this.enabled) return undefined;
    this.stopWatchdog();
    const tick = () => {
      if (progressing()) this.watchdog();
      this.#watchdogTimer = this.#clock.setTimeout(tick, interval);
    };
    tick();
    return interval;
  }

  stopWatchdog(): void {
    if (this.#watchdogTimer !== undefined) this.#clock.clearTimeout(this.#watchdogTimer);
    this.#watchdogTimer = undefined;
  }

  [Symbol.dispose](): void {
    this.stopWatchdog();
  }
}
