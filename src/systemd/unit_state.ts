/**
 * systemd unit state as the health code sees it, without D-Bus: the types,
 * what counts as up, and a watcher that loads the D-Bus one (dbus-next costs
 * ~15 MB of RSS) only when a unit is watched.
 *
 * @module
 */

export interface UnitState {
  /** active, reloading, inactive, failed, activating, deactivating. */
  activeState: string;
  /** running, exited, dead, ... ("" when not reported). */
  subState: string;
}

/** Up for routing purposes: active (reloading keeps serving). */
export function unitUp(state: string): boolean {
  return state === "active" || state === "reloading";
}

/** Watches units; the daemon needs only this of it (tests may fake it). */
export interface UnitWatcher {
  /** Call `onState` with the current state, then on every change; returns the cancel function. */
  watch(
    unit: string,
    onState: (state: UnitState) => void,
    onError: (error: unknown) => void,
  ): () => void;
  close(): void;
}

/** A UnitWatcher that loads the D-Bus implementation on first use. */
export function lazyUnitWatcher(busAddress?: string): UnitWatcher {
  let real: UnitWatcher | undefined;
  let loading: Promise<UnitWatcher> | undefined;
  let closed = false;
  const load = () =>
    loading ??= import("./unit_watch.ts").then(({ DbusUnitWatcher }) => {
      real = new DbusUnitWatcher(busAddress !== undefined ? { busAddress } : {});
      if (closed) real.close();
      return real;
    });
  return {
    watch(unit, onState, onError) {
      let cancel: (() => void) | undefined;
      let cancelled = false;
      load().then((w) => {
        if (!cancelled && !closed) cancel = w.watch(unit, onState, onError);
      }, onError);
      return () => {
        cancelled = true;
        cancel?.();
      };
    },
    close() {
      closed = true;
      real?.close();
    },
  };
}
