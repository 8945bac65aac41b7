import assert from "node:assert/strict";
import { FakeClock } from "../../../src/util/clock.ts";
import type { HandlerConfig, ServiceConfig } from "../../../src/config/model.ts";
import { checkDeadlineMs, type ServiceEvent, ServiceHealth } from "../../../src/probe/mod.ts";
import { advance, fakeHandler, nameOf, result } from "./_helpers.ts";

function service(overrides: Partial<ServiceConfig>): ServiceConfig {
  return {
    name: "dns",
    checkIntervalMs: 10_000,
    strategy: "at_least_one",
    checks: [{ handler: fakeHandler("a") }, { handler: fakeHandler("b") }],
    ...overrides,
  };
}

function scripted(health: Record<string, boolean>) {
  return (h: HandlerConfig) => Promise.resolve(result(health[nameOf(h)] ?? false));
}

Deno.test("ServiceHealth evaluates at once, then every check interval, and reports changes", async () => {
  const clock = new FakeClock();
  const script = { a: true, b: true };
  await using svc = new ServiceHealth(service({}), { clock, runner: scripted(script) });
  const events: ServiceEvent[] = [];
  svc.onEvent((e) => events.push(e));
  assert.equal(svc.up, undefined);
  svc.start();
  await advance(clock, 1);
  assert.equal(svc.up, true);
  script.b = false;
  await advance(clock, 10_000);
  assert.equal(svc.up, false);
  const changes = events.filter((e) => e.kind === "service-changed").map((e) =>
    e.kind === "service-changed" && e.up
  );
  assert.deepEqual(changes, [true, false]);
  assert.equal(events.filter((e) => e.kind === "service-evaluated").length, 2);
  assert.deepEqual(svc.lastResults().map((r) => r.ok), [true, false]);
});

Deno.test("ServiceHealth applies the all strategy: one passing check keeps it up", async () => {
  const clock = new FakeClock();
  await using svc = new ServiceHealth(service({ strategy: "all" }), {
    clock,
    runner: scripted({ a: false, b: true }),
  });
  svc.start();
  await advance(clock, 1);
  assert.equal(svc.up, true);
});

Deno.test("ServiceHealth applies all_in_group with the checks' groups", async () => {
  const clock = new FakeClock();
  const config = service({
    strategy: "all_in_group",
    checks: [
      { handler: fakeHandler("a"), group: "g1" },
      { handler: fakeHandler("b"), group: "g2" },
      { handler: fakeHandler("c"), group: "g2" },
    ],
  });
  const script = { a: true, b: false, c: true };
  await using svc = new ServiceHealth(config, { clock, runner: scripted(script) });
  svc.start();
  await advance(clock, 1);
  assert.equal(svc.up, true);
  script.c = false;
  await advance(clock, 10_000);
  assert.equal(svc.up, false);
});

Deno.test("ServiceHealth applies at_least_n_percentage with strategyN", async () => {
  const clock = new FakeClock();
  const config = service({
    strategy: "at_least_n_percentage",
    strategyN: 0.5,
    checks: ["a", "b", "c", "d"].map((n) => ({ handler: fakeHandler(n) })),
  });
  const script = { a: false, b: false, c: true, d: true };
  await using svc = new ServiceHealth(config, { clock, runner: scripted(script) });
  svc.start();
  await advance(clock, 1);
  assert.equal(svc.up, true);
  script.c = false;
  await advance(clock, 10_000);
  assert.equal(svc.up, false);
});

Deno.test("ServiceHealth aborts a check that outlives its tries and timeouts", async () => {
  const clock = new FakeClock();
  const handler: HandlerConfig = {
    kind: "dns_lookup",
    query: "example.org",
    resolver: "127.0.0.1:53",
    recordType: "A",
    tries: 2,
    intervalMs: 100,
    timeoutMs: 400,
  };
  assert.equal(checkDeadlineMs(handler), 2 * 500 + 1000);
  let abortedAt = -1;
  const runner = (_h: HandlerConfig, signal: AbortSignal) =>
    new Promise<ReturnType<typeof result>>((resolve) =>
      signal.addEventListener("abort", () => {
        abortedAt = clock.now();
        resolve(result(false, "cut off"));
      })
    );
  await using svc = new ServiceHealth(service({ checks: [{ handler }] }), { clock, runner });
  svc.start();
  await advance(clock, 2100);
  assert.equal(abortedAt, 2000);
  assert.equal(svc.up, false);
});
