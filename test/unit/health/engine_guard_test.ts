/** The fleet guard hook of PolicyEngine (issue 15): consulted only before a health-driven withdraw. */
import assert from "node:assert/strict";
import { PolicyEngine } from "../../../src/health/engine.ts";
import type { DesiredRoute } from "../../../src/health/policy.ts";
import { FakeClock } from "../../../src/util/clock.ts";
import { attrs, prefixConfig, tcpProbe } from "./_fixtures.ts";

const P = "192.0.2.1/32";

function setup(overrides = {}) {
  let route: DesiredRoute;
  let hold: string | undefined = "fleet guard: test";
  const asked: string[] = [];
  const engine = new PolicyEngine(
    [prefixConfig({ prefix: P, readinessProbe: tcpProbe, ...overrides })],
    { setDesired: (_p, r) => void (route = r) },
    {
      clock: new FakeClock(),
      guard: {
        holdWithdraw: (p) => {
          asked.push(p);
          return hold;
        },
      },
    },
  );
  engine.start();
  engine.setReadiness(P, "ready");
  return {
    engine,
    asked,
    route: () => route,
    release: () => (hold = undefined),
  };
}

Deno.test("PolicyEngine holds a health-driven withdraw the guard refuses, as state held", () => {
  const t = setup();
  t.engine.setReadiness(P, "not-ready");
  assert.deepEqual(t.asked, [P]);
  assert.notEqual(t.route(), undefined);
  assert.equal(t.engine.status(P).state, "held");
  assert.equal(t.engine.status(P).reason, "fleet guard: test");
  // The guard changes its mind: reevaluate() withdraws.
  t.release();
  t.engine.reevaluate(P);
  assert.equal(t.route(), undefined);
  assert.equal(t.engine.status(P).state, "down");
});

Deno.test("PolicyEngine: a held prefix that recovers is up again without a route change", () => {
  const t = setup();
  t.engine.setReadiness(P, "not-ready");
  const held = t.route();
  t.engine.setReadiness(P, "ready");
  assert.equal(t.engine.status(P).state, "up");
  assert.deepEqual(t.route(), held);
});

Deno.test("PolicyEngine does not ask the guard for maintenance, drain or a degrade", () => {
  const t = setup();
  t.engine.setMaintenance(P, true);
  t.engine.setMaintenance(P, false);
  t.engine.drain(P);
  assert.deepEqual(t.asked, []);
  const d = setup({ withdrawOnDown: false, downAttributes: attrs({ med: 500 }) });
  d.engine.setReadiness(P, "not-ready");
  assert.deepEqual(d.asked, []);
  assert.equal(d.route()?.attributes.med, 500);
});
