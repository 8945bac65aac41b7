import assert from "node:assert/strict";
import {
  applyEvent,
  combineServices,
  decide,
  gatingOf,
  GRACEFUL_SHUTDOWN,
  initialInputs,
  type PolicyInputs,
} from "../../../src/health/policy.ts";
import { attrs, prefixConfig, tcpProbe } from "./_fixtures.ts";

const probed = prefixConfig({ readinessProbe: tcpProbe });
const ready: PolicyInputs = { ...initialInputs("probe"), health: "ready" };

Deno.test("gatingOf() tells static, probe and services prefixes apart", () => {
  assert.equal(gatingOf(prefixConfig()), "static");
  assert.equal(gatingOf(probed), "probe");
  assert.equal(gatingOf(prefixConfig({ livenessProbe: tcpProbe })), "probe");
  assert.equal(gatingOf(prefixConfig({ services: ["dns"] })), "services");
});

Deno.test("decide() announces a static prefix with its up attributes", () => {
  const d = decide(prefixConfig({ nextHop: "10.0.0.1" }), initialInputs("static"));
  assert.equal(d.state, "up");
  assert.deepEqual(d.route?.attributes.communities, ["65000:100"]);
  assert.equal(d.route?.nextHop, "10.0.0.1");
});

Deno.test("decide() does not announce before the first result", () => {
  const d = decide(probed, initialInputs("probe"));
  assert.equal(d.state, "unknown");
  assert.equal(d.route, undefined);
});

Deno.test("decide() withdraws a down prefix when withdrawOnDown is set", () => {
  const d = decide(probed, { ...ready, health: "not-ready" });
  assert.equal(d.state, "down");
  assert.equal(d.route, undefined);
});

Deno.test("decide() announces downAttributes while down when withdrawOnDown is off", () => {
  const p = prefixConfig({
    readinessProbe: tcpProbe,
    withdrawOnDown: false,
    downAttributes: attrs({ asPathPrepend: 3, communities: ["65000:666"] }),
  });
  const d = decide(p, { ...ready, health: "not-ready" });
  assert.equal(d.state, "down");
  assert.equal(d.route?.attributes.asPathPrepend, 3);
  assert.deepEqual(d.route?.attributes.communities, ["65000:666"]);
});

Deno.test("decide() disables at once while the maintenance file exists", () => {
  const p = prefixConfig({ readinessProbe: tcpProbe, maintenanceFile: "/run/m" });
  const d = decide(p, { ...ready, maintenanceFile: true });
  assert.equal(d.state, "disabled");
  assert.match(d.reason, /\/run\/m/);
  assert.equal(d.route, undefined);
});

Deno.test("decide() announces disabledAttributes while disabled when configured", () => {
  const p = prefixConfig({ disabledAttributes: attrs({ med: 500 }) });
  const d = decide(p, { ...initialInputs("static"), maintenanceApi: true });
  assert.equal(d.state, "disabled");
  assert.equal(d.route?.attributes.med, 500);
});

Deno.test("combineServices() in all mode needs every service up", () => {
  const s = new Map<string, boolean | undefined>([["a", true], ["b", undefined]]);
  assert.equal(combineServices(s, ["a", "b"], "all"), "unknown");
  s.set("b", true);
  assert.equal(combineServices(s, ["a", "b"], "all"), "ready");
  s.set("a", false);
  assert.equal(combineServices(s, ["a", "b"], "all"), "not-ready");
});

Deno.test("combineServices() in any mode needs one service up", () => {
  const s = new Map<string, boolean | undefined>([["a", false]]);
  assert.equal(combineServices(s, ["a", "b"], "any"), "unknown");
  s.set("b", true);
  assert.equal(combineServices(s, ["a", "b"], "any"), "ready");
  s.set("b", false);
  assert.equal(combineServices(s, ["a", "b"], "any"), "not-ready");
});

Deno.test("applyEvent() drain announces GRACEFUL_SHUTDOWN, then withdraws when the timer expires", () => {
  const p = prefixConfig({
    readinessProbe: tcpProbe,
    drainMs: 30_000,
    drainAttributes: attrs({ localPref: 0, communities: ["65000:999"] }),
  });
  const t = applyEvent(p, ready, { type: "drain" });
  assert.deepEqual(t.actions, [{ type: "start-drain-timer", ms: 30_000 }]);
  const draining = decide(p, t.next);
  assert.equal(draining.state, "draining");
  assert.deepEqual(draining.route?.attributes.communities, [
    "65000:100",
    "65000:999",
    GRACEFUL_SHUTDOWN,
  ]);
  assert.equal(draining.route?.attributes.localPref, 0);
  const done = applyEvent(p, t.next, { type: "drain-timer-expired" });
  assert.equal(decide(p, done.next).state, "disabled");
  assert.equal(decide(p, done.next).route, undefined);
});

Deno.test("applyEvent() drain withdraws at once when drainMs is 0", () => {
  const t = applyEvent(probed, ready, { type: "drain" });
  assert.deepEqual(t.actions, []);
  assert.equal(t.next.drain, "drained");
  assert.equal(decide(probed, t.next).route, undefined);
});

Deno.test("applyEvent() drain of a withdrawn prefix needs no timer", () => {
  const p = prefixConfig({ readinessProbe: tcpProbe, drainMs: 5000 });
  const t = applyEvent(p, { ...ready, health: "not-ready" }, { type: "drain" });
  assert.deepEqual(t.actions, []);
  assert.equal(t.next.drain, "drained");
});

Deno.test("decide() withdraws a draining prefix at once when its service fails", () => {
  const p = prefixConfig({ readinessProbe: tcpProbe, drainMs: 5000 });
  const draining = applyEvent(p, ready, { type: "drain" }).next;
  const failed = applyEvent(p, draining, { type: "health", health: "not-ready" }).next;
  assert.equal(decide(p, failed).state, "down");
  assert.equal(decide(p, failed).route, undefined);
});

Deno.test("applyEvent() undrain cancels the drain timer and announces again", () => {
  const p = prefixConfig({ readinessProbe: tcpProbe, drainMs: 5000 });
  const draining = applyEvent(p, ready, { type: "drain" }).next;
  const t = applyEvent(p, draining, { type: "undrain" });
  assert.deepEqual(t.actions, [{ type: "cancel-drain-timer" }]);
  assert.equal(decide(p, t.next).state, "up");
});

Deno.test("applyEvent() refuses undrain after shutdown", () => {
  const p = prefixConfig({ drainMs: 5000 });
  const down = applyEvent(p, initialInputs("static"), { type: "shutdown" });
  assert.equal(down.next.drain, "draining");
  assert.equal(applyEvent(p, down.next, { type: "undrain" }).next.drain, "draining");
  assert.match(decide(p, down.next).reason, /shutdown/);
});
