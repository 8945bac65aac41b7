import assert from "node:assert/strict";
import { DbusServiceManager } from "../../../src/systemd/service_manager.ts";
import { startFakeSystemd } from "./_fake_systemd.ts";

Deno.test("DbusServiceManager reads ActiveState and restarts a unit over a private D-Bus", async () => {
  await using systemd = await startFakeSystemd();
  systemd.addUnit("nginx.service", "failed");
  await using manager = new DbusServiceManager({
    env: () => undefined,
    busAddress: systemd.address,
  });
  assert.equal(await manager.activeState("nginx.service"), "failed");
  await manager.restart("nginx.service");
  assert.deepEqual(systemd.manager.restarts, [["nginx.service", "replace"]]);
  assert.equal(await manager.activeState("nginx.service"), "active");
  assert.equal(await manager.activeState("not-loaded.service"), "inactive");
});

Deno.test("DbusServiceManager takes the bus from DBUS_SYSTEM_BUS_ADDRESS and reports D-Bus errors", async () => {
  await using systemd = await startFakeSystemd();
  systemd.manager.failRestart = true;
  await using manager = new DbusServiceManager({
    env: (n) => (n === "DBUS_SYSTEM_BUS_ADDRESS" ? systemd.address : undefined),
  });
  assert.equal(manager.busAddress, systemd.address);
  await assert.rejects(
    manager.restart("nginx.service"),
    /D-Bus RestartUnit nginx\.service failed on unix:path=.*: org\.freedesktop\.DBus\.Error\.AccessDenied: Access denied/,
  );
});

Deno.test("DbusServiceManager fails clearly when the bus is not there", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using manager = new DbusServiceManager({ busAddress: `unix:path=${dir}/none.sock` });
    await assert.rejects(
      manager.activeState("nginx.service"),
      /D-Bus ActiveState of nginx\.service failed on unix:path=/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("DbusServiceManager stops, kills and starts a unit (restart with a grace period)", async () => {
  await using systemd = await startFakeSystemd();
  systemd.addUnit("web.service", "active");
  await using manager = new DbusServiceManager({
    env: () => undefined,
    busAddress: systemd.address,
  });
  systemd.manager.stopHangs = true;
  await manager.stop("web.service");
  assert.equal(await manager.activeState("web.service"), "deactivating");
  await manager.kill("web.service", 9);
  assert.equal(await manager.activeState("web.service"), "failed");
  await manager.start("web.service");
  assert.equal(await manager.activeState("web.service"), "active");
  assert.deepEqual(systemd.manager.jobs, [
    "stop web.service replace",
    "kill web.service all 9",
    "start web.service replace",
  ]);
});
