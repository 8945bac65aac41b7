import assert from "node:assert/strict";
import { FakeClock } from "../../../src/util/clock.ts";
import type { HandlerConfig } from "../../../src/config/model.ts";
import { type HealthEvent, PrefixHealth } from "../../../src/probe/mod.ts";
import { advance, nameOf, probe, result } from "./_helpers.ts";

/** A runner whose answer per probe name is whatever `health[name]` says at run time. */
function scripted(health: Record<string, boolean>) {
  const calls: string[] = [];
  const runner = (h: HandlerConfig) => {
    const name = nameOf(h);
    calls.push(name);
    return Promise.resolve(result(health[name] ?? false, `${name} says ${health[name]}`));
  };
  return { runner, calls };
}

function record(health: PrefixHealth) {
  const events: HealthEvent[] = [];
  health.onEvent((e) => events.push(e));
  const summary = () =>
    events.filter((e) => e.kind !== "probe-result" && e.kind !== "probe-transition").map((e) =>
      e.kind === "ready-changed" ? `ready=${e.ready}` : e.kind
    );
  return { events, summary };
}

Deno.test("PrefixHealth is not ready before readiness has a verdict", async () => {
  const clock = new FakeClock();
  const { runner } = scripted({ ready: true });
  await using health = new PrefixHealth(
    { name: "p", readinessProbe: probe("ready", { initialDelayMs: 5000, successThreshold: 2 }) },
    { clock, runner },
  );
  const { summary } = record(health);
  health.start();
  await advance(clock, 5500);
  assert.equal(health.ready, false);
  assert.equal(health.probes().readiness?.state.status, "unknown");
  await advance(clock, 1000);
  assert.equal(health.ready, true);
  assert.deepEqual(summary(), ["ready=true"]);
});

Deno.test("PrefixHealth gates liveness and readiness behind the startup probe", async () => {
  const clock = new FakeClock();
  const script = { start: false, live: true, ready: true };
  const { runner, calls } = scripted(script);
  await using health = new PrefixHealth({
    name: "p",
    startupProbe: probe("start", { failureThreshold: 10 }),
    livenessProbe: probe("live"),
    readinessProbe: probe("ready"),
  }, { clock, runner });
  const { summary } = record(health);
  health.start();
  await advance(clock, 3500);
  assert.deepEqual(calls, ["start", "start", "start", "start"]);
  assert.equal(health.phase, "startup");
  script.start = true;
  await advance(clock, 1000);
  assert.equal(health.phase, "running");
  assert.deepEqual(calls.slice(4), ["start", "live", "ready"]);
  assert.deepEqual(summary(), ["startup-succeeded", "ready=true"]);
  await advance(clock, 2000);
  assert.equal(calls.filter((c) => c === "start").length, 5, "startup stops once it passed");
});

Deno.test("PrefixHealth reports startup exhaustion as a liveness failure and keeps retrying", async () => {
  const clock = new FakeClock();
  const { runner, calls } = scripted({ start: false });
  await using health = new PrefixHealth({
    name: "p",
    startupProbe: probe("start", { failureThreshold: 3 }),
    readinessProbe: probe("ready"),
  }, { clock, runner });
  const { summary } = record(health);
  health.start();
  await advance(clock, 5500);
  // Failures 1-3 exhaust it, 4-6 exhaust it again.
  assert.equal(calls.length, 6);
  assert.deepEqual(summary(), [
    "startup-failed",
    "liveness-failed",
    "startup-failed",
    "liveness-failed",
  ]);
  assert.equal(health.ready, false);
});

Deno.test("PrefixHealth emits liveness-failed once per fall and starts over after restarted()", async () => {
  const clock = new FakeClock();
  const script = { live: true, ready: true };
  const { runner } = scripted(script);
  await using health = new PrefixHealth({
    name: "p",
    livenessProbe: probe("live", { failureThreshold: 3 }),
    readinessProbe: probe("ready"),
  }, { clock, runner });
  const { summary } = record(health);
  health.start();
  await advance(clock, 500);
  assert.equal(health.ready, true);
  script.live = false;
  await advance(clock, 2000);
  assert.deepEqual(summary(), ["ready=true"], "two failures are not enough");
  await advance(clock, 4000);
  assert.deepEqual(summary(), ["ready=true", "liveness-failed"], "fires once, not every period");
  script.live = true;
  await health.restarted();
  assert.equal(health.ready, false);
  await advance(clock, 500);
  assert.deepEqual(summary(), ["ready=true", "liveness-failed", "ready=false", "ready=true"]);
});

Deno.test("PrefixHealth withdraws and re-announces as readiness crosses its thresholds", async () => {
  const clock = new FakeClock();
  const script = { ready: true };
  const { runner } = scripted(script);
  await using health = new PrefixHealth({
    name: "p",
    readinessProbe: probe("ready", { failureThreshold: 2, successThreshold: 2, fastPeriodMs: 100 }),
  }, { clock, runner });
  const { events, summary } = record(health);
  health.start();
  await advance(clock, 1500);
  assert.deepEqual(summary(), ["ready=true"]);
  script.ready = false;
  // Rising: success at 0, fast re-check at 100 -> up; then 1100 ok, fail at 2100, fast 2200 -> down.
  await advance(clock, 1000);
  assert.deepEqual(summary(), ["ready=true", "ready=false"]);
  const downAt = events.find((e) => e.kind === "ready-changed" && !e.ready);
  assert.ok(downAt);
  const runs = events.filter((e) => e.kind === "probe-result").map((e) =>
    e.kind === "probe-result" ? e.timing.startedAt : 0
  );
  assert.deepEqual(runs, [0, 100, 1100, 2100, 2200]);
  script.ready = true;
  await advance(clock, 3000);
  assert.deepEqual(summary(), ["ready=true", "ready=false", "ready=true"]);
});

Deno.test("PrefixHealth without a readiness probe is ready once startup passed", async () => {
  const clock = new FakeClock();
  const { runner } = scripted({ start: true });
  await using health = new PrefixHealth({ name: "p", startupProbe: probe("start") }, {
    clock,
    runner,
  });
  health.start();
  assert.equal(health.ready, false);
  await advance(clock, 10);
  assert.equal(health.ready, true);
});

Deno.test("PrefixHealth keeps the last result of each probe", async () => {
  const clock = new FakeClock();
  const { runner } = scripted({ ready: false });
  await using health = new PrefixHealth({ name: "p", readinessProbe: probe("ready") }, {
    clock,
    runner,
  });
  health.start();
  await advance(clock, 10);
  const view = health.probes().readiness;
  assert.equal(view?.lastResult?.ok, false);
  assert.equal(view?.lastResult?.reason, "ready says false");
  assert.equal(view?.state.status, "down");
});

Deno.test("probeDeadlineMs() gives anycastd kinds their whole retry budget", async () => {
  const { probeDeadlineMs } = await import("../../../src/probe/mod.ts");
  const base = probe("x", { timeoutMs: 1000 });
  assert.equal(probeDeadlineMs(base), 1000);
  const dns = {
    ...base,
    handler: {
      kind: "dns_lookup" as const,
      query: "a.test",
      resolver: "127.0.0.1:53",
      recordType: "A" as const,
      tries: 3,
      intervalMs: 100,
      timeoutMs: 1000,
    },
  };
  assert.equal(probeDeadlineMs(dns), 3300);
});
