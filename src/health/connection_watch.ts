/**
 * `tcp: {watch: true}`: one idle connection kept open to the service's
 * port. When the service closes or resets it, that is a hint, not a
 * verdict: `onLost` runs the readiness probe at once, and the probe decides
 * (a dead listener refuses the probe within milliseconds; a healthy server
 * that closes idle connections answers it and nothing changes). Then we
 * reconnect, with exponential backoff while connecting fails.
 *
 * @module
 */
import { type Clock, systemClock, type TimerId } from "../util/clock.ts";

export interface ConnectionTarget {
  host: string;
  port: number;
}

export interface ConnectionWatchOptions {
  /** Default the system clock (reconnect timers). */
  clock?: Clock;
  /** Opens the connection (default Deno.connect over TCP). */
  connect?: (target: ConnectionTarget) => Promise<Deno.Conn>;
  /** First reconnect delay (default 100 ms); doubles per failed connect. */
  minBackoffMs?: number;
  /** Longest reconnect delay (default 5000 ms). */
  maxBackoffMs?: number;
  /** The connection is up (after a connect). */
  onConnected?: () => void;
}

/** A watched connection that lasted this long resets the reconnect backoff. */
const STABLE_MS = 1000;

const defaultConnect = (t: ConnectionTarget): Promise<Deno.Conn> =>
  Deno.connect({ hostname: t.host, port: t.port, transport: "tcp" });

export class ConnectionWatch {
  readonly target: ConnectionTarget;
  #onLost: (reason: string) => void;
  #clock: Clock;
  #connect: (target: ConnectionTarget) => Promise<Deno.Conn>;
  #minBackoffMs: number;
  #maxBackoffMs: number;
  #onConnected: (() => void) | undefined;
  #backoffMs: number;
  #conn: Deno.Conn | undefined;
  #timer: TimerId | undefined;
  #running = false;
  #lost = 0;
  /** Lost and not reconnected yet: a refused reconnect is one more hint. */
  #confirming = false;

  constructor(
    target: ConnectionTarget,
    onLost: (reason: string) => void,
    options: ConnectionWatchOptions = {},
  ) {
    this.target = target;
    this.#onLost = onLost;
    this.#clock = options.clock ?? systemClock;
    this.#connect = options.connect ?? defaultConnect;
    this.#minBackoffMs = options.minBackoffMs ?? 100;
    this.#maxBackoffMs = options.maxBackoffMs ?? 5000;
    this.#onConnected = options.onConnected;
    this.#backoffMs = this.#minBackoffMs;
  }

  /** The watched connection is open now. */
  get connected(): boolean {
    return this.#conn !== undefined;
  }

  /** Times the connection was lost (closed or reset by the other end). */
  get lost(): number {
    return this.#lost;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    void this.#cycle();
  }

  /**
   * Waiting to reconnect (after a loss or failed connects): try now and
   * reset the backoff. Called when a probe finds the service answering again.
   */
  reconnectNow(): void {
    if (!this.#running || this.#timer === undefined) return;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#backoffMs = this.#minBackoffMs;
    void this.#cycle();
  }

  stop(): void {
    this.#running = false;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    try {
      this.#conn?.close();
    } catch { /* closed already */ }
    this.#conn = undefined;
  }

  [Symbol.dispose](): void {
    this.stop();
  }

  async #cycle(): Promise<void> {
    let conn: Deno.Conn;
    try {
      conn = await this.#connect(this.target);
    } catch {
      // Refused or unreachable: the probes see that on their own schedule. But the first
      // refusal after a loss is a hint too: a listener dying with its process may still
      // have answered the probe the loss triggered.
      if (this.#confirming && this.#running) {
        this.#confirming = false;
        this.#onLost("watched connection closed, reconnect refused");
      }
      this.#retry();
      return;
    }
    if (!this.#running) {
      conn.close();
      return;
    }
    this.#conn = conn;
    this.#confirming = false;
    const connectedAt = this.#clock.now();
    const tcp = conn as Partial<Deno.TcpConn>;
    try {
      tcp.setKeepAlive?.(true);
    } catch { /* not fatal */ }
    this.#onConnected?.();
    const reason = await idle(conn);
    if (!this.#running || this.#conn !== conn) return; // stop() closed it
    this.#conn = undefined;
    try {
      conn.close();
    } catch { /* closed already */ }
    this.#lost++;
    // A connection that lived a while starts the backoff afresh; one closed at once
    // (a server that drops every idle connection) keeps doubling it, so the watch
    // cannot turn into a probe storm.
    if (this.#clock.now() - connectedAt >= STABLE_MS) this.#backoffMs = this.#minBackoffMs;
    this.#confirming = true;
    this.#onLost(reason);
    this.#retry();
  }

  #retry(): void {
    if (!this.#running) return;
    const delay = this.#backoffMs;
    this.#backoffMs = Math.min(this.#maxBackoffMs, this.#backoffMs * 2);
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      if (this.#running) void this.#cycle();
    }, delay);
  }
}

/** Read (and drop) whatever the service sends until it closes; why it ended. */
async function idle(conn: Deno.Conn): Promise<string> {
  const buf = new Uint8Array(1024);
  try {
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) return "watched connection closed by the service";
    }
  } catch (e) {
    if (e instanceof Deno.errors.ConnectionReset) return "watched connection reset";
    if (e instanceof Deno.errors.BadResource || e instanceof Deno.errors.Interrupted) {
      return "watched connection closed";
    }
    return `watched connection failed: ${e instanceof Error ? e.message : String(e)}`;
  }
}
