/**
 * A private D-Bus (a real dbus-daemon on a socket in a temp dir) with a
 * test-side stand-in for org.freedesktop.systemd1: Manager.GetUnit,
 * Manager.LoadUnit, Subscribe, RestartUnit, StopUnit, KillUnit, StartUnit
 * (systemd's signatures) and Unit objects with ActiveState and SubState
 * properties. Every state change (`setState()`, and the jobs above) emits a
 * real org.freedesktop.DBus.Properties.PropertiesChanged signal on the bus,
 * as systemd does for subscribed clients.
 */
import dbus from "dbus-next";

const BUS_CONFIG = (socket: string) =>
  `<!DOCTYPE busconfig PUBLIC
 "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`;

class Unit extends dbus.interface.Interface {
  state = "active";
  subState = "running";
  get ActiveState(): string {
    return this.state;
  }
  get SubState(): string {
    return this.subState;
  }
  /** Change the state and signal it (PropertiesChanged on org.freedesktop.systemd1.Unit). */
  setState(active: string, sub: string): void {
    this.state = active;
    this.subState = sub;
    dbus.interface.Interface.emitPropertiesChanged(
      this,
      { ActiveState: active, SubState: sub },
      [],
    );
  }
}
Unit.configureMembers({
  properties: {
    ActiveState: { signature: "s", access: "read" },
    SubState: { signature: "s", access: "read" },
  },
});

class Manager extends dbus.interface.Interface {
  units = new Map<string, { path: string; unit: Unit }>();
  restarts: [string, string][] = [];
  subscribers = 0;
  failRestart = false;
  Subscribe(): void {
    this.subscribers++;
  }
  LoadUnit(name: string): string {
    return this.GetUnit(name);
  }
  GetUnit(name: string): string {
    const entry = this.units.get(name);
    if (!entry) {
      throw new dbus.DBusError("org.freedesktop.systemd1.NoSuchUnit", `Unit ${name} not loaded.`);
    }
    return entry.path;
  }
  RestartUnit(name: string, mode: string): string {
    if (this.failRestart) {
      throw new dbus.DBusError("org.freedesktop.DBus.Error.AccessDenied", "Access denied");
    }
    this.restarts.push([name, mode]);
    const entry = this.units.get(name);
    if (entry) entry.unit.setState("active", "running");
    return `/org/freedesktop/systemd1/job/${this.restarts.length}`;
  }
  /** Every StopUnit/KillUnit/StartUnit call, in order. */
  jobs: string[] = [];
  /** When true, StopUnit leaves the unit "deactivating" (a service that ignores SIGTERM). */
  stopHangs = false;
  StopUnit(name: string, mode: string): string {
    this.jobs.push(`stop ${name} ${mode}`);
    const entry = this.units.get(name);
    if (entry) {
      if (this.stopHangs) entry.unit.setState("deactivating", "stop-sigterm");
      else entry.unit.setState("inactive", "dead");
    }
    return `/org/freedesktop/systemd1/job/${this.jobs.length}`;
  }
  KillUnit(name: string, whom: string, signal: number): void {
    this.jobs.push(`kill ${name} ${whom} ${signal}`);
    const entry = this.units.get(name);
    if (entry && signal === 9) entry.unit.setState("failed", "failed");
  }
  StartUnit(name: string, mode: string): string {
    this.jobs.push(`start ${name} ${mode}`);
    const entry = this.units.get(name);
    if (entry) entry.unit.setState("active", "running");
    return `/org/freedesktop/systemd1/job/${this.jobs.length}`;
  }
}
Manager.configureMembers({
  methods: {
    GetUnit: { inSignature: "s", outSignature: "o" },
    LoadUnit: { inSignature: "s", outSignature: "o" },
    Subscribe: { inSignature: "", outSignature: "" },
    RestartUnit: { inSignature: "ss", outSignature: "o" },
    StopUnit: { inSignature: "ss", outSignature: "o" },
    KillUnit: { inSignature: "ssi", outSignature: "" },
    StartUnit: { inSignature: "ss", outSignature: "o" },
  },
});

export interface FakeSystemd extends AsyncDisposable {
  address: string;
  manager: Manager;
  addUnit(name: string, state: string): Unit;
}

/** Start dbus-daemon and the stand-in; dispose stops both. */
export async function startFakeSystemd(): Promise<FakeSystemd> {
  const dir = await Deno.makeTempDir({ prefix: "anycast-dbus-" });
  const socket = `${dir}/bus.sock`;
  await Deno.writeTextFile(`${dir}/bus.conf`, BUS_CONFIG(socket));
  const daemon = new Deno.Command("dbus-daemon", {
    args: ["--nofork", `--config-file=${dir}/bus.conf`],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const address = `unix:path=${socket}`;
  let bus: ReturnType<typeof dbus.sessionBus> | undefined;
  const stop = async () => {
    bus?.disconnect();
    try {
      daemon.kill("SIGTERM");
    } catch { /* already gone */ }
    await daemon.status;
    await Deno.remove(dir, { recursive: true });
  };
  try {
    // The socket appears within milliseconds; bounded wait.
    for (let i = 0;; i++) {
      try {
        await Deno.stat(socket);
        break;
      } catch {
        if (i > 200) throw new Error("dbus-daemon did not create its socket within 10 s");
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    bus = dbus.sessionBus({ busAddress: address });
    const manager = new Manager("org.freedesktop.systemd1.Manager");
    bus.export("/org/freedesktop/systemd1", manager);
    await bus.requestName("org.freedesktop.systemd1", 0);
    const owned = bus;
    return {
      address,
      manager,
      addUnit(name, state) {
        const unit = new Unit("org.freedesktop.systemd1.Unit");
        unit.state = state;
        const path = `/org/freedesktop/systemd1/unit/${name.replace(/[^A-Za-z0-9]/g, "_")}`;
        owned.export(path, unit);
        manager.units.set(name, { path, unit });
        return unit;
      },
      [Symbol.asyncDispose]: stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
