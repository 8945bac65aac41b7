import assert from "node:assert/strict";
import { PolicyEngine, type PrefixStatus, UnknownPrefixError } from "../../../src/health/engine.ts";
import { type DesiredRoute, GRACEFUL_SHUTDOWN } from "../../../src/health/policy.ts";
import { FakeClock } from "../../../src/util/clock.ts";
import { prefixConfig, tcpProbe } from "./_fixtures.ts";

function recorder() {
  const desired = new Map<string, DesiredRoute>();
  const transitions: string[] = [];
  return {
    desired,
    transitions,
    target: { setDesired: (p: string, r: DesiredRoute) => void desired.set(p, r) },
    onDecision: (s: PrefixStatus, prev: PrefixStatus | undefined) =>
      void transitions.push(`${s.prefix} ${prev?.state ?? "-"}->${s.state}`),
  };
}

const staticPrefix = prefixConfig({ prefix: "192.0.2.1/32", drainMs: 10_000 });
const probedPrefix = prefixConfig({ prefix: "192.0.2.2/32", readinessProbe: tcpProbe });
const dnsPrefix = prefixConfig({
  prefix: "192.0.2.3/32",
  services: ["dns", "ntp"],
  servicesMode: "any",
});

Deno.test("PolicyEngine.start() announces static prefixes and holds back the others", () => {
  const r = recorder();
  const engine = new PolicyEngine([staticPrefix, probedPrefix], r.target, {
    onDecision: r.onDecision,
  });
  engine.start();
  assert.ok(r.desired.get("192.0.2.1/32"));
  assert.equal(r.desired.get("192.0.2.2/32"), undefined);
  assert.deepEqual(r.transitions, ["192.0.2.1/32 -->up", "192.0.2.2/32 -->unknown"]);
});

Deno.test("PolicyEngine.setReadiness() announces and withdraws a probed prefix", () => {
  const r = recorder();
  const engine = new PolicyEngine([probedPrefix], r.target, { onDecision: r.onDecision });
  engine.start();
  engine.setReadiness("192.0.2.2/32", "ready");
  assert.ok(r.desired.get("192.0.2.2/32"));
  engine.setReadiness("192.0.2.2/32", "not-ready");
  assert.equal(r.desired.get("192.0.2.2/32"), undefined);
  assert.equal(engine.status("192.0.2.2/32").state, "down");
  assert.deepEqual(r.transitions.slice(1), [
    "192.0.2.2/32 unknown->up",
    "192.0.2.2/32 up->down",
  ]);
});

Deno.test("PolicyEngine.setServiceState() combines services in any mode", () => {
  const r = recorder();
  const engine = new PolicyEngine([dnsPrefix], r.target);
  engine.start();
  engine.setServiceState("dns", false);
  assert.equal(engine.status("192.0.2.3/32").state, "unknown");
  engine.setServiceState("ntp", true);
  assert.equal(engine.status("192.0.2.3/32").state, "up");
  engine.setServiceState("ntp", false);
  assert.equal(engine.status("192.0.2.3/32").state, "down");
  engine.setServiceState("unrelated", true);
  assert.equal(engine.status("192.0.2.3/32").state, "down");
});

Deno.test("PolicyEngine.drain() re-announces with GRACEFUL_SHUTDOWN, withdraws after drainMs", () => {
  const clock = new FakeClock();
  const r = recorder();
  const engine = new PolicyEngine([staticPrefix], r.target, { clock });
  engine.start();
  engine.drain("192.0.2.1/32");
  assert.ok(r.desired.get("192.0.2.1/32")?.attributes.communities.includes(GRACEFUL_SHUTDOWN));
  clock.tick(9_999);
  assert.ok(r.desired.get("192.0.2.1/32"));
  clock.tick(1);
  assert.equal(r.desired.get("192.0.2.1/32"), undefined);
  engine.undrain("192.0.2.1/32");
  assert.deepEqual(r.desired.get("192.0.2.1/32")?.attributes.communities, ["65000:100"]);
});

Deno.test("PolicyEngine.shutdown() resolves once every prefix is drained", async () => {
  const clock = new FakeClock();
  const r = recorder();
  const engine = new PolicyEngine([staticPrefix, probedPrefix], r.target, { clock });
  engine.start();
  let done = false;
  const stopped = engine.shutdown().then(() => (done = true));
  await Promise.resolve();
  assert.equal(done, false);
  assert.equal(engine.status("192.0.2.1/32").state, "draining");
  clock.tick(10_000);
  await stopped;
  assert.equal(r.desired.get("192.0.2.1/32"), undefined);
  engine.undrain("192.0.2.1/32");
  assert.equal(r.desired.get("192.0.2.1/32"), undefined);
});

Deno.test("PolicyEngine rejects a prefix that is not configured", () => {
  const engine = new PolicyEngine([staticPrefix], recorder().target);
  assert.throws(() => engine.drain("198.51.100.0/24"), UnknownPrefixError);
  assert.throws(() => engine.status("198.51.100.0/24"), /Unknown prefix 198\.51\.100\.0\/24/);
});

Deno.test("PolicyEngine.setMaintenanceFile() disables at once and keeps the state's start time", () => {
  const clock = new FakeClock(1000);
  const r = recorder();
  const engine = new PolicyEngine([staticPrefix], r.target, { clock });
  engine.start();
  clock.tick(500);
  engine.setMaintenanceFile("192.0.2.1/32", true);
  assert.equal(engine.status("192.0.2.1/32").state, "disabled");
  assert.equal(engine.status("192.0.2.1/32").sinceMs, 1500);
  clock.tick(500);
  engine.setMaintenance("192.0.2.1/32", true);
  assert.equal(engine.status("192.0.2.1/32").sinceMs, 1500);
  assert.equal(r.desired.get("192.0.2.1/32"), undefined);
});
