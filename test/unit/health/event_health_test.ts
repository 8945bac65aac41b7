import assert from "node:assert/strict";
import {
  combineVerdict,
  findStall,
  PrefixWatch,
  stallLimitMs,
  type Verdict,
  watchedTcp,
} from "../../../src/health/event_health.ts";
import { PrefixHealth } from "../../../src/probe/prefix_health.ts";
import type { ProbeResult } from "../../../src/probe/result.ts";
import { FakeClock } from "../../../src/util/clock.ts";
import type { HttpHandler, TcpHandler } from "../../../src/config/model.ts";
import type { UnitState, UnitWatcher } from "../../../src/systemd/unit_state.ts";
import { prefixConfig, tcpProbe } from "./_fixtures.ts";
import { advance, probe, result } from "../probe/_helpers.ts";

Deno.test("stallLimitMs() is max(3 x period, period + timeout + 1 s) plus jitter", () => {
  assert.equal(stallLimitMs({ ...tcpProbe, periodMs: 1000, timeoutMs: 500 }), 3000);
  assert.equal(stallLimitMs({ ...tcpProbe, periodMs: 1000, timeoutMs: 1000, jitterMs: 0 }), 3000);
  assert.equal(stallLimitMs({ ...tcpProbe, periodMs: 10_000, timeoutMs: 1000 }), 30_000);
  assert.equal(stallLimitMs({ ...tcpProbe, periodMs: 2000, timeoutMs: 5000 }), 8000);
  assert.equal(stallLimitMs({ ...tcpProbe, periodMs: 1000, timeoutMs: 500, jitterMs: 300 }), 3300);
});

Deno.test("combineVerdict(): an authoritative down wins, then a stall, then the probes", () => {
  const probes = { probe: "ready" as const, probeMechanism: "probe" as const, probeReason: "ok" };
  assert.deepEqual(combineVerdict({ ...probes, authoritative: [] }), {
    readiness: "ready",
    mechanism: "probe",
    reason: "ok",
  });
  assert.deepEqual(
    combineVerdict({
      ...probes,
      authoritative: [{ mechanism: "unit state", up: true, reason: "active" }, {
        mechanism: "process exit",
        up: false,
        reason: "process 9 exited",
      }],
      stalled: "health checks stalled",
    }),
    { readiness: "not-ready", mechanism: "process exit", reason: "process 9 exited" },
  );
  assert.deepEqual(
    combineVerdict({ ...probes, authoritative: [], stalled: "health checks stalled: x" }),
    { readiness: "not-ready", mechanism: "stall", reason: "health checks stalled: x" },
  );
});

Deno.test("findStall() looks only at the active probes and their own limits", () => {
  const configured = { readiness: probe("r"), liveness: probe("l", { periodMs: 10_000 }) };
  assert.equal(findStall(3000, ["readiness"], configured, { readiness: 0 }), undefined);
  assert.deepEqual(findStall(3001, ["readiness"], configured, { readiness: 0 }), {
    kind: "readiness",
    silentMs: 3001,
    limitMs: 3000,
  });
  assert.equal(findStall(3001, ["liveness"], configured, { liveness: 0 }), undefined);
  assert.equal(findStall(3001, [], configured, { readiness: 0 }), undefined);
});

function collect(): { verdicts: Verdict[]; onVerdict: (v: Verdict) => void } {
  const verdicts: Verdict[] = [];
  return { verdicts, onVerdict: (v) => void verdicts.push(v) };
}

Deno.test("dead-man switch: a readiness handler that never returns fails the prefix after the limit, on fake time", async () => {
  const clock = new FakeClock();
  let hang = false;
  let calls = 0;
  // Ignores its abort signal: the probe loop's own timeout cannot end it.
  const runner = (): Promise<ProbeResult> => {
    calls++;
    return hang ? new Promise<ProbeResult>(() => {}) : Promise.resolve(result(true));
  };
  const config = prefixConfig({ readinessProbe: probe("r", { periodMs: 1000, timeoutMs: 500 }) });
  const health = new PrefixHealth(config, { clock, runner });
  const { verdicts, onVerdict } = collect();
  const watch = new PrefixWatch(config, health, { clock, onVerdict });
  await watch.start();
  health.start();
  await advance(clock, 10);
  assert.deepEqual(verdicts, [{ readiness: "ready", mechanism: "probe", reason: "healthy" }]);
  // From the run at t=1000 on, the handler hangs: the last result is the one at t=0.
  hang = true;
  await advance(clock, 2900);
  assert.equal(verdicts.length, 1, "within max(3 x 1 s, 1 s + 0.5 s + 1 s) = 3 s: no verdict yet");
  assert.equal(watch.stalled, false);
  await advance(clock, 1100);
  assert.equal(verdicts.length, 2);
  assert.equal(verdicts[1]!.readiness, "not-ready");
  assert.equal(verdicts[1]!.mechanism, "stall");
  assert.match(
    verdicts[1]!.reason,
    /^health checks stalled: no readiness probe result for \d+ ms \(limit 3000 ms\)$/,
  );
  assert.equal(watch.stalled, true);
  assert.equal(calls, 2, "the hung run is never overlapped by another");
  // Staying stalled does not repeat the verdict.
  await advance(clock, 5000);
  assert.equal(verdicts.length, 2);
  watch.stop();
  void health.stop();
});

Deno.test("dead-man switch: a result after the stall hands the decision back to the probes", async () => {
  const clock = new FakeClock();
  let release: ((r: ProbeResult) => void) | undefined;
  let calls = 0;
  const runner = (): Promise<ProbeResult> => {
    calls++;
    if (calls === 2) return new Promise<ProbeResult>((resolve) => (release = resolve));
    return Promise.resolve(result(true));
  };
  const config = prefixConfig({ readinessProbe: probe("r") });
  const health = new PrefixHealth(config, { clock, runner });
  const { verdicts, onVerdict } = collect();
  const watch = new PrefixWatch(config, health, { clock, onVerdict });
  await watch.start();
  health.start();
  await advance(clock, 4200);
  assert.equal(verdicts.at(-1)?.mechanism, "stall");
  release!(result(true));
  await advance(clock, 10);
  assert.deepEqual(verdicts.at(-1), { readiness: "ready", mechanism: "probe", reason: "healthy" });
  assert.equal(watch.stalled, false);
  watch.stop();
  await health.stop();
});

/** A UnitWatcher driven by the test. */
function scriptedUnits() {
  let listener: ((s: UnitState) => void) | undefined;
  const units: UnitWatcher = {
    watch(_unit, onState) {
      listener = onState;
      return () => (listener = undefined);
    },
    close() {},
  };
  return {
    units,
    set: (activeState: string, subState = "") => listener?.({ activeState, subState }),
  };
}

Deno.test("unit state: leaving active withdraws at once, no thresholds; back to active restarts the probes", async () => {
  const clock = new FakeClock();
  const runner = () => Promise.resolve(result(true));
  const config = prefixConfig({
    service: { type: "systemd", name: "nginx.service" },
    startupProbe: probe("s"),
    readinessProbe: probe("r", { successThreshold: 2, failureThreshold: 5 }),
  });
  const health = new PrefixHealth(config, { clock, runner });
  const { verdicts, onVerdict } = collect();
  const { units, set } = scriptedUnits();
  const watch = new PrefixWatch(config, health, { clock, units: () => units, onVerdict });
  await watch.start();
  set("active", "running");
  health.start();
  await advance(clock, 1100);
  assert.deepEqual(verdicts.at(-1), { readiness: "ready", mechanism: "probe", reason: "healthy" });
  set("deactivating", "stop-sigterm");
  assert.deepEqual(verdicts.at(-1), {
    readiness: "not-ready",
    mechanism: "unit state",
    reason: "unit nginx.service deactivating (stop-sigterm)",
    stopping: true,
  });
  set("inactive", "dead");
  assert.equal(verdicts.at(-1)?.reason, "unit nginx.service inactive (dead)");
  set("active", "running");
  await advance(clock, 1);
  assert.equal(verdicts.at(-1)?.readiness, "not-ready", "the probes decide again, from startup");
  // readiness needs successThreshold 2 again: one more period.
  await advance(clock, 500);
  assert.equal(verdicts.at(-1)?.readiness, "not-ready");
  assert.equal(health.probes().readiness?.state.successes, 1, "counted afresh after startup");
  await advance(clock, 1000);
  assert.deepEqual(verdicts.at(-1), { readiness: "ready", mechanism: "probe", reason: "healthy" });
  watch.stop();
  await health.stop();
});

Deno.test("watchedTcp() watches tcp and http readiness probes with watch: true only", () => {
  const http: HttpHandler = {
    kind: "http",
    scheme: "http" as const,
    host: "127.0.0.1",
    port: 8080,
    path: "/",
    method: "GET",
    headers: [],
    expectedStatus: [[200, 399]],
    insecureSkipVerify: false,
  };
  const tcp: TcpHandler = { kind: "tcp", host: "::1", port: 53 };
  const withProbe = (handler: HttpHandler | TcpHandler) =>
    prefixConfig({ readinessProbe: { ...tcpProbe, handler } });
  assert.deepEqual(watchedTcp(withProbe({ ...tcp, watch: true })), { host: "::1", port: 53 });
  assert.deepEqual(watchedTcp(withProbe({ ...http, watch: true })), {
    host: "127.0.0.1",
    port: 8080,
  });
  assert.equal(watchedTcp(withProbe(tcp)), undefined);
  assert.equal(watchedTcp(withProbe(http)), undefined);
  assert.equal(
    watchedTcp(prefixConfig({ livenessProbe: { ...tcpProbe, handler: { ...tcp, watch: true } } })),
    undefined,
    "only readiness decides the route",
  );
});
