/**
 * systemd units over the system D-Bus (org.freedesktop.systemd1): read a
 * unit's ActiveState, restart it. Used to restart a prefix's `service` when
 * its liveness probe fails (Periphery), through `ServiceRestarter`.
 *
 * @module
 */
import dbus from "dbus-next";

/** What the daemon needs of systemd; tests use a fake. */
export interface ServiceManager {
  /** "active", "inactive", "failed", "activating", "deactivating", "reloading"; "inactive" for a unit not loaded. */
  activeState(unit: string): Promise<string>;
  /** RestartUnit(unit, "replace"); resolves when the job is queued. */
  restart(unit: string): Promise<void>;
  /**
   * The three steps of a restart with a grace period (restarter.ts). Optional:
   * a manager without them restarts in one RestartUnit job.
   */
  /** StopUnit(unit, "replace"): SIGTERM (the unit's KillSignal), then systemd's TimeoutStopSec. */
  stop?(unit: string): Promise<void>;
  /** KillUnit(unit, "all", signal): signal every process of the unit. */
  kill?(unit: string, signal: number): Promise<void>;
  /** StartUnit(unit, "replace"). */
  start?(unit: string): Promise<void>;
}

export const DEFAULT_SYSTEM_BUS = "unix:path=/run/dbus/system_bus_socket";

const SYSTEMD = "org.freedesktop.systemd1";
const MANAGER_PATH = "/org/freedesktop/systemd1";
const MANAGER = "org.freedesktop.systemd1.Manager";
const UNIT = "org.freedesktop.systemd1.Unit";
const PROPERTIES = "org.freedesktop.DBus.Properties";

export interface DbusServiceManagerOptions {
  /** Bus address; default $DBUS_SYSTEM_BUS_ADDRESS, else the system bus socket. */
  busAddress?: string;
  /** Environment lookup (default Deno.env.get). */
  env?: (name: string) => string | undefined;
  /** Give up on a call after this long (default 10000 ms). */
  callTimeoutMs?: number;
}

type Bus = ReturnType<typeof dbus.sessionBus>;
// deno-lint-ignore no-explicit-any
type ProxyInterface = any;

export class DbusServiceManager implements ServiceManager, AsyncDisposable {
  readonly busAddress: string;
  #callTimeoutMs: number;
  #bus: Bus | undefined;
  #manager: Promise<ProxyInterface> | undefined;

  constructor(options: DbusServiceManagerOptions = {}) {
    const env = options.env ?? ((name) => Deno.env.get(name));
    this.busAddress = options.busAddress ?? env("DBUS_SYSTEM_BUS_ADDRESS") ?? DEFAULT_SYSTEM_BUS;
    this.#callTimeoutMs = options.callTimeoutMs ?? 10_000;
  }

  async activeState(unit: string): Promise<string> {
    return await this.#call(`ActiveState of ${unit}`, async () => {
      const manager = await this.#managerInterface();
      let path: string;
      try {
        path = await manager.GetUnit(unit);
      } catch (e) {
        // GetUnit only knows loaded units; one that is not loaded is not running.
        if (e instanceof dbus.DBusError && e.type === `${SYSTEMD}.NoSuchUnit`) return "inactive";
        throw e;
      }
      const object = await this.#bus!.getProxyObject(SYSTEMD, path);
      const properties: ProxyInterface = object.getInterface(PROPERTIES);
      const state = await properties.Get(UNIT, "ActiveState");
      return String(state.value);
    });
  }

  async restart(unit: string): Promise<void> {
    await this.#call(`RestartUnit ${unit}`, async () => {
      const manager = await this.#managerInterface();
      await manager.RestartUnit(unit, "replace");
    });
  }

  async stop(unit: string): Promise<void> {
    await this.#call(`StopUnit ${unit}`, async () => {
      const manager = await this.#managerInterface();
      await manager.StopUnit(unit, "replace");
    });
  }

  async kill(unit: string, signal: number): Promise<void> {
    await this.#call(`KillUnit ${unit}`, async () => {
      const manager = await this.#managerInterface();
      await manager.KillUnit(unit, "all", signal);
    });
  }

  async start(unit: string): Promise<void> {
    await this.#call(`StartUnit ${unit}`, async () => {
      const manager = await this.#managerInterface();
      await manager.StartUnit(unit, "replace");
    });
  }

  close(): void {
    this.#bus?.disconnect();
    this.#bus = undefined;
    this.#manager = undefined;
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }

  #managerInterface(): Promise<ProxyInterface> {
    if (!this.#manager) {
      const bus = dbus.sessionBus({ busAddress: this.busAddress });
      // Without a listener a connection error would be thrown as an uncaught event;
      // the next call connects again.
      const failed = new Promise<never>((_, reject) =>
        bus.on("error", (e: unknown) => {
          if (this.#bus === bus) this.close();
          reject(e);
        })
      );
      this.#bus = bus;
      this.#manager = Promise.race([
        bus.getProxyObject(SYSTEMD, MANAGER_PATH).then((o) => o.getInterface(MANAGER)),
        failed,
      ]);
      this.#manager.catch(() => {
        if (this.#bus === bus) this.close();
      });
    }
    return this.#manager;
  }

  async #call<T>(what: string, body: () => Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`D-Bus ${what}: no answer within ${this.#callTimeoutMs} ms`)),
        this.#callTimeoutMs,
      );
    });
    try {
      return await Promise.race([body(), timeout]);
    } catch (e) {
      const detail = e instanceof dbus.DBusError
        ? `${e.type}: ${e.text}`
        : (e instanceof Error ? e.message : String(e));
      throw new Error(`D-Bus ${what} failed on ${this.busAddress}: ${detail}`, { cause: e });
    } finally {
      clearTimeout(timer);
    }
  }
}
