import assert from "node:assert/strict";
import { ServiceRestarter } from "../../../src/systemd/restarter.ts";
import type { ServiceManager } from "../../../src/systemd/service_manager.ts";
import { noopMetrics } from "../../../src/metrics/reporter.ts";
import { FakeClock } from "../../../src/util/clock.ts";

function fakeManager() {
  const restarts: string[] = [];
  let fail = false;
  const manager: ServiceManager = {
    activeState: () => Promise.resolve("active"),
    restart: (unit) => {
      if (fail) return Promise.reject(new Error("Access denied"));
      restarts.push(unit);
      return Promise.resolve();
    },
  };
  return { manager, restarts, setFail: (f: boolean) => (fail = f) };
}

Deno.test("ServiceRestarter allows one restart per interval, doubling up to 10 min", async () => {
  const clock = new FakeClock();
  const { manager, restarts } = fakeManager();
  const r = new ServiceRestarter(manager, { clock });
  const outcomes: string[] = [];
  const gaps: number[] = [];
  let last = 0;
  // Ask every second for 40 minutes: restarts happen at 0, 30, 90, 210, 450, 930, 1530 s ...
  for (let t = 0; t < 2400; t++) {
    const outcome = await r.restart("nginx.service", "liveness failed");
    outcomes.push(outcome);
    if (outcome === "restarted") {
      gaps.push(clock.now() / 1000 - last);
      last = clock.now() / 1000;
    }
    clock.tick(1000);
  }
  assert.deepEqual(gaps, [0, 30, 60, 120, 240, 480, 600, 600]);
  assert.equal(restarts.length, 8);
  assert.equal(outcomes.filter((o) => o === "rate-limited").length, 2400 - 8);
});

Deno.test("ServiceRestarter goes back to 30 s after a quiet period", async () => {
  const clock = new FakeClock();
  const { manager } = fakeManager();
  const r = new ServiceRestarter(manager, { clock });
  await r.restart("a.service", "x");
  clock.tick(30_000);
  await r.restart("a.service", "x");
  assert.equal(r.nextAllowedAt("a.service"), 90_000);
  clock.tick(60_000 + 600_000);
  assert.equal(await r.restart("a.service", "x"), "restarted");
  assert.equal(r.nextAllowedAt("a.service"), clock.now() + 30_000);
  assert.equal(r.nextAllowedAt("other.service"), undefined);
});

Deno.test("ServiceRestarter counts and logs failed restarts", async () => {
  const clock = new FakeClock();
  const { manager, setFail } = fakeManager();
  const counted: string[] = [];
  const logged: string[] = [];
  const r = new ServiceRestarter(manager, {
    clock,
    metrics: { ...noopMetrics, serviceRestart: (u, ok) => void counted.push(`${u} ${ok}`) },
    log: (level, message) => void logged.push(`${level}: ${message}`),
  });
  setFail(true);
  assert.equal(await r.restart("nginx.service", "liveness probe failed 3 times"), "failed");
  clock.tick(30_000);
  setFail(false);
  assert.equal(await r.restart("nginx.service", "again"), "restarted");
  assert.deepEqual(counted, ["nginx.service false", "nginx.service true"]);
  assert.deepEqual(logged.slice(0, 2), [
    "warning: restarting nginx.service: liveness probe failed 3 times",
    "error: restart of nginx.service failed: Access denied",
  ]);
});
