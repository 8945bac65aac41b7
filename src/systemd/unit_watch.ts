/**
 * systemd unit state as events: `org.freedesktop.DBus.Properties.PropertiesChanged`
 * of each watched unit object (ActiveState, SubState), on one bus
 * connection. No polling: the state is read once when the watch starts,
 * then only signals move it.
 *
 * systemd emits unit PropertiesChanged only while some client has called
 * Manager.Subscribe() (org.freedesktop.systemd1(5)), so we do; LoadUnit
 * gives the object path of a unit that is not loaded yet too.
 *
 * @module
 */
import dbus from "dbus-next";
import { DEFAULT_SYSTEM_BUS } from "./service_manager.ts";
import type { UnitState, UnitWatcher } from "./unit_state.ts";

export type { UnitState, UnitWatcher } from "./unit_state.ts";

const SYSTEMD = "org.freedesktop.systemd1";
const MANAGER_PATH = "/org/freedesktop/systemd1";
const MANAGER = "org.freedesktop.systemd1.Manager";
const UNIT = "org.freedesktop.systemd1.Unit";
const PROPERTIES = "org.freedesktop.DBus.Properties";

export interface DbusUnitWatcherOptions {
  /** Bus address; default $DBUS_SYSTEM_BUS_ADDRESS, else the system bus socket. */
  busAddress?: string;
  env?: (name: string) => string | undefined;
}

type Bus = ReturnType<typeof dbus.sessionBus>;
// deno-lint-ignore no-explicit-any
type ProxyInterface = any;

function variantValue(v: unknown): string {
  const value = (v as { value?: unknown } | undefined)?.value;
  return value === undefined ? "" : String(value);
}

export class DbusUnitWatcher implements UnitWatcher {
  readonly busAddress: string;
  #bus: Bus | undefined;
  #manager: Promise<ProxyInterface> | undefined;

  constructor(options: DbusUnitWatcherOptions = {}) {
    const env = options.env ?? ((name) => Deno.env.get(name));
    this.busAddress = options.busAddress ?? env("DBUS_SYSTEM_BUS_ADDRESS") ?? DEFAULT_SYSTEM_BUS;
  }

  watch(
    unit: string,
    onState: (state: UnitState) => void,
    onError: (error: unknown) => void,
  ): () => void {
    let cancelled = false;
    let props: ProxyInterface | undefined;
    let current: UnitState | undefined;
    const report = (next: UnitState) => {
      if (cancelled) return;
      if (
        current && current.activeState === next.activeState && current.subState === next.subState
      ) {
        return;
      }
      current = next;
      onState(next);
    };
    const listener = (iface: string, changed: Record<string, unknown>) => {
      if (iface !== UNIT) return;
      if (!("ActiveState" in changed) && !("SubState" in changed)) return;
      report({
        activeState: "ActiveState" in changed
          ? variantValue(changed.ActiveState)
          : current?.activeState ?? "",
        subState: "SubState" in changed ? variantValue(changed.SubState) : current?.subState ?? "",
      });
    };
    void (async () => {
      const manager = await this.#managerInterface();
      const path: string = await (async () => await manager.LoadUnit(unit))()
        .catch(() => manager.GetUnit(unit));
      if (cancelled) return;
      const object = await this.#bus!.getProxyObject(SYSTEMD, path);
      props = object.getInterface(PROPERTIES);
      // Subscribe first, read after: a change in between is not lost.
      props.on("PropertiesChanged", listener);
      const [active, sub] = await Promise.all([
        props.Get(UNIT, "ActiveState"),
        props.Get(UNIT, "SubState").catch(() => ({ value: "" })),
      ]);
      if (current === undefined) {
        report({ activeState: variantValue(active), subState: variantValue(sub) });
      }
    })().catch((e) => {
      if (!cancelled) onError(e);
    });
    return () => {
      cancelled = true;
      props?.removeListener("PropertiesChanged", listener);
    };
  }

  close(): void {
    this.#bus?.disconnect();
    this.#bus = undefined;
    this.#manager = undefined;
  }

  #managerInterface(): Promise<ProxyInterface> {
    if (!this.#manager) {
      const bus = dbus.sessionBus({ busAddress: this.busAddress });
      const failed = new Promise<never>((_, reject) =>
        bus.on("error", (e: unknown) => {
          if (this.#bus === bus) this.close();
          reject(e);
        })
      );
      this.#bus = bus;
      this.#manager = Promise.race([
        (async () => {
          const object = await bus.getProxyObject(SYSTEMD, MANAGER_PATH);
          const manager: ProxyInterface = object.getInterface(MANAGER);
          // Without a subscriber systemd sends no unit signals; a stand-in may not need it.
          await (async () => await manager.Subscribe())().catch(() => {});
          return manager;
        })(),
        failed,
      ]);
      this.#manager.catch(() => {
        if (this.#bus === bus) this.close();
      });
    }
    return this.#manager;
  }
}
