import assert from "node:assert/strict";
import { DbusUnitWatcher } from "../../../src/systemd/unit_watch.ts";
import { lazyUnitWatcher, type UnitState, unitUp } from "../../../src/systemd/unit_state.ts";
import { PrefixWatch, type Verdict } from "../../../src/health/event_health.ts";
import { startFakeSystemd } from "./_fake_systemd.ts";
import { prefixConfig } from "../health/_fixtures.ts";

/** Wait (bounded) until `cond()` holds. */
async function until(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

Deno.test("unitUp() counts active and reloading as up", () => {
  assert.equal(unitUp("active"), true);
  assert.equal(unitUp("reloading"), true);
  for (const s of ["inactive", "failed", "activating", "deactivating", ""]) {
    assert.equal(unitUp(s), false, s);
  }
});

Deno.test("DbusUnitWatcher: initial state, then every PropertiesChanged signal, over a private D-Bus", async () => {
  await using systemd = await startFakeSystemd();
  const unit = systemd.addUnit("nginx.service", "active");
  const watcher = new DbusUnitWatcher({ env: () => undefined, busAddress: systemd.address });
  const seen: UnitState[] = [];
  const errors: unknown[] = [];
  const cancel = watcher.watch("nginx.service", (s) => seen.push(s), (e) => errors.push(e));
  try {
    await until("the initial state", () => seen.length === 1);
    assert.deepEqual(seen[0], { activeState: "active", subState: "running" });
    assert.equal(systemd.manager.subscribers, 1, "Manager.Subscribe() was called");
    // The stand-in changes its property and emits the signal; we never ask again.
    unit.setState("deactivating", "stop-sigterm");
    await until("deactivating", () => seen.length === 2);
    unit.setState("failed", "failed");
    await until("failed", () => seen.length === 3);
    unit.setState("active", "running");
    await until("active", () => seen.length === 4);
    assert.deepEqual(seen.slice(1), [
      { activeState: "deactivating", subState: "stop-sigterm" },
      { activeState: "failed", subState: "failed" },
      { activeState: "active", subState: "running" },
    ]);
    // A state that did not change is not reported twice.
    unit.setState("active", "running");
    cancel();
    unit.setState("inactive", "dead");
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(seen.length, 4, "nothing after cancel");
    assert.deepEqual(errors, []);
  } finally {
    cancel();
    watcher.close();
  }
});

Deno.test("DbusUnitWatcher reports a bus that is not there as an error, not a crash", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const watcher = lazyUnitWatcher(`unix:path=${dir}/none.sock`);
    const errors: unknown[] = [];
    watcher.watch("nginx.service", () => {}, (e) => errors.push(e));
    await until("the error", () => errors.length === 1);
    watcher.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("PrefixWatch withdraws a static prefix when its unit leaves active (PropertiesChanged) and brings it back", async () => {
  await using systemd = await startFakeSystemd();
  const unit = systemd.addUnit("nginx.service", "active");
  const units = new DbusUnitWatcher({ env: () => undefined, busAddress: systemd.address });
  const verdicts: Verdict[] = [];
  const config = prefixConfig({ service: { type: "systemd", name: "nginx.service" } });
  const watch = new PrefixWatch(config, undefined, {
    units: () => units,
    onVerdict: (v) => void verdicts.push(v),
  });
  try {
    await watch.start();
    await until("ready", () => verdicts.length >= 1);
    assert.deepEqual(verdicts[0], { readiness: "ready", mechanism: "probe", reason: "no probes" });
    const t0 = performance.now();
    unit.setState("failed", "failed");
    await until("withdrawn", () => verdicts.at(-1)?.readiness === "not-ready");
    const ms = performance.now() - t0;
    assert.deepEqual(verdicts.at(-1), {
      readiness: "not-ready",
      mechanism: "unit state",
      reason: "unit nginx.service failed (failed)",
    });
    assert.ok(ms < 2000, `signal to verdict took ${ms} ms`);
    unit.setState("active", "running");
    await until("back", () => verdicts.at(-1)?.readiness === "ready");
  } finally {
    watch.stop();
    units.close();
  }
});
