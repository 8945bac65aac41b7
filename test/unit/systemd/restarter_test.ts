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

/** A unit that takes `stopsAfterMs` to stop after SIGTERM (Infinity = never), recording every call. */
function gracefulManager(clock: FakeClock, stopsAfterMs: number) {
  const calls: string[] = [];
  let stoppedAt: number | undefined;
  let killed = false;
  const manager: ServiceManager = {
    activeState: () => {
      if (killed) return Promise.resolve("failed");
      if (stoppedAt !== undefined && clock.now() >= stoppedAt) return Promise.resolve("inactive");
      return Promise.resolve(stoppedAt === undefined ? "active" : "deactivating");
    },
    restart: (unit) => {
      calls.push(`restart ${unit}`);
      return Promise.resolve();
    },
    stop: (unit) => {
      calls.push(`stop ${unit} at ${clock.now()}`);
      stoppedAt = clock.now() + stopsAfterMs;
      return Promise.resolve();
    },
    kill: (unit, signal) => {
      calls.push(`kill ${unit} ${signal} at ${clock.now()}`);
      killed = true;
      return Promise.resolve();
    },
    start: (unit) => {
      calls.push(`start ${unit} at ${clock.now()}`);
      return Promise.resolve();
    },
  };
  return { manager, calls };
}

/** Run `p` to completion, moving the fake clock 100 ms at a time while it waits. */
async function settle<T>(clock: FakeClock, p: Promise<T>): Promise<T> {
  let done = false;
  const result = p.finally(() => (done = true));
  for (let i = 0; i < 10_000 && !done; i++) {
    for (let j = 0; j < 10; j++) await Promise.resolve();
    if (!done) clock.tick(100);
  }
  return await result;
}

Deno.test("ServiceRestarter with a grace period stops, waits for the unit to stop, then starts", async () => {
  const clock = new FakeClock();
  const { manager, calls } = gracefulManager(clock, 2500);
  const r = new ServiceRestarter(manager, { clock });
  const outcome = await settle(clock, r.restart("web.service", "liveness", { graceMs: 30_000 }));
  assert.equal(outcome, "restarted");
  assert.deepEqual(calls, ["stop web.service at 0", "start web.service at 2500"]);
});

Deno.test("ServiceRestarter kills a unit that outlives its grace period, then starts it", async () => {
  const clock = new FakeClock();
  const { manager, calls } = gracefulManager(clock, Infinity);
  const logs: string[] = [];
  const r = new ServiceRestarter(manager, { clock, log: (_, m) => logs.push(m) });
  const outcome = await settle(clock, r.restart("web.service", "liveness", { graceMs: 1000 }));
  assert.equal(outcome, "restarted");
  assert.deepEqual(calls, [
    "stop web.service at 0",
    "kill web.service 9 at 1000",
    "start web.service at 1000",
  ]);
  assert.ok(
    logs.includes("web.service did not stop within its grace period of 1000 ms: killing it"),
  );
});

Deno.test("ServiceRestarter without a grace period uses one RestartUnit job", async () => {
  const clock = new FakeClock();
  const { manager, calls } = gracefulManager(clock, 0);
  const r = new ServiceRestarter(manager, { clock });
  assert.equal(await r.restart("web.service", "liveness"), "restarted");
  assert.equal(await r.restart("db.service", "liveness", { graceMs: 0 }), "restarted");
  assert.deepEqual(calls, ["restart web.service", "restart db.service"]);
});

Deno.test("ServiceRestarter takes a manager that connects on first use", async () => {
  const clock = new FakeClock();
  const { manager, calls } = gracefulManager(clock, 0);
  let connects = 0;
  const r = new ServiceRestarter(() => {
    connects++;
    return Promise.resolve(manager);
  }, { clock });
  assert.equal(connects, 0);
  assert.equal(await r.restart("web.service", "liveness"), "restarted");
  assert.deepEqual([connects, calls], [1, ["restart web.service"]]);
});
