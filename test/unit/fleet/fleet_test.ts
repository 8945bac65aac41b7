import assert from "node:assert/strict";
import type { FleetConfig } from "../../../src/config/model.ts";
import { PolicyEngine } from "../../../src/health/engine.ts";
import type { DesiredRoute } from "../../../src/health/policy.ts";
import {
  Fleet,
  fleetTable,
  formatFleet,
  MemoryCluster,
  MemoryStore,
  siteStateOf,
} from "../../../src/fleet/mod.ts";
import { FakeClock } from "../../../src/util/clock.ts";
import { prefixConfig, tcpProbe } from "../health/_fixtures.ts";

const P = "192.0.2.1/32";

function config(site: string, over: Partial<FleetConfig> = {}): FleetConfig {
  return {
    site,
    etcd: { endpoints: ["http://127.0.0.1:2379"], prefix: "/anycast/", timeoutMs: 1000 },
    leaseTtlSeconds: 5,
    guard: { minSites: 1, minPercent: 0, exclude: [] },
    onEtcdLoss: "local",
    ...over,
  };
}

interface TestSite {
  engine: PolicyEngine;
  fleet: Fleet;
  store: MemoryStore;
  route: () => DesiredRoute;
  logs: string[];
}

async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
}

async function site(
  cluster: MemoryCluster,
  clock: FakeClock,
  name: string,
  over: Partial<FleetConfig> = {},
): Promise<TestSite> {
  const store = new MemoryStore(cluster);
  let route: DesiredRoute;
  const logs: string[] = [];
  // deno-lint-ignore prefer-const
  let fleet: Fleet;
  const engine = new PolicyEngine(
    [prefixConfig({ prefix: P, readinessProbe: tcpProbe })],
    { setDesired: (_p, r) => void (route = r) },
    {
      clock,
      guard: { holdWithdraw: (p) => fleet.holdWithdraw(p) },
      onDecision: (s) => fleet.record(s.prefix, siteStateOf(s), s.reason),
    },
  );
  fleet = new Fleet({
    config: config(name, over),
    store,
    clock,
    log: (level, message) => void logs.push(`${level} ${message}`),
    onVerdict: (p) => engine.reevaluate(p),
  });
  await fleet.start();
  engine.start();
  engine.setReadiness(P, "ready");
  await flush();
  return { engine, fleet, store, route: () => route, logs };
}

Deno.test("Fleet holds the last site's health-driven withdraw and says why", async () => {
  const cluster = new MemoryCluster();
  const clock = new FakeClock();
  const a = await site(cluster, clock, "a");
  const b = await site(cluster, clock, "b");
  a.engine.setReadiness(P, "not-ready");
  await flush();
  assert.equal(a.route(), undefined, "a may withdraw: b still announces");
  b.engine.setReadiness(P, "not-ready");
  await flush();
  assert.notEqual(b.route(), undefined, "b is the last one: held");
  const status = b.engine.status(P);
  assert.equal(status.state, "held");
  assert.equal(
    status.reason,
    "fleet guard: withdrawing would leave 0 of 2 sites announcing, minimum 1",
  );
  const table = fleetTable("/anycast/", cluster.range("/anycast/prefixes/"), Date.now());
  assert.deepEqual(table.prefixes[0]!.sites.map((s) => [s.site, s.state]), [
    ["a", "withdrawn"],
    ["b", "held"],
  ]);
  // a recovers: the watch makes b decide again, and b may now withdraw.
  a.engine.setReadiness(P, "ready");
  await flush();
  assert.notEqual(a.route(), undefined);
  assert.equal(b.route(), undefined);
  assert.equal(b.engine.status(P).state, "down");
});

Deno.test("Fleet counts a site out once its lease expires", async () => {
  const cluster = new MemoryCluster();
  const clock = new FakeClock();
  const a = await site(cluster, clock, "a");
  const b = await site(cluster, clock, "b");
  const c = await site(cluster, clock, "c");
  cluster.expire(c.store.lease!); // c died
  await c.fleet.stop();
  a.engine.setReadiness(P, "not-ready");
  await flush();
  assert.equal(a.route(), undefined, "b remains");
  b.engine.setReadiness(P, "not-ready");
  await flush();
  assert.equal(
    b.engine.status(P).reason,
    "fleet guard: withdrawing would leave 0 of 2 sites announcing, minimum 1",
  );
});

Deno.test("Fleet on etcd loss: local withdraws, hold keeps the route", async () => {
  for (const onEtcdLoss of ["local", "hold"] as const) {
    const cluster = new MemoryCluster();
    const clock = new FakeClock();
    const a = await site(cluster, clock, "a", { onEtcdLoss });
    a.engine.setReadiness(P, "not-ready");
    await flush();
    assert.equal(a.engine.status(P).state, "held", "the only site is held while etcd is up");
    cluster.down = true;
    cluster.expire(a.store.lease!); // the lease cannot be kept: etcd is lost
    await flush();
    if (onEtcdLoss === "local") {
      assert.equal(a.route(), undefined);
      assert.equal(a.engine.status(P).state, "down");
    } else {
      assert.notEqual(a.route(), undefined);
      assert.match(a.engine.status(P).reason, /etcd unreachable, keeping the route/);
    }
    // etcd back: a reconnects (1 s later) and the guard holds again.
    cluster.down = false;
    clock.tick(1000);
    await flush();
    assert.equal(a.fleet.connected, true);
    a.engine.setReadiness(P, "ready");
    a.engine.setReadiness(P, "not-ready");
    await flush();
    assert.equal(a.engine.status(P).state, "held");
    await a.fleet.stop();
  }
});

Deno.test("Fleet never holds an excluded prefix", async () => {
  const cluster = new MemoryCluster();
  const clock = new FakeClock();
  const a = await site(cluster, clock, "a", {
    guard: { minSites: 1, minPercent: 0, exclude: [P] },
  });
  a.engine.setReadiness(P, "not-ready");
  await flush();
  assert.equal(a.route(), undefined);
});

Deno.test("Fleet.breaches() names the operator withdraws below the floor", async () => {
  const cluster = new MemoryCluster();
  const clock = new FakeClock();
  const a = await site(cluster, clock, "a", { guard: { minSites: 2, minPercent: 0, exclude: [] } });
  const b = await site(cluster, clock, "b", { guard: { minSites: 2, minPercent: 0, exclude: [] } });
  assert.deepEqual(
    [...await a.fleet.breaches([P])],
    [[P, "withdrawing would leave 1 of 2 sites announcing, minimum 2"]],
  );
  await b.fleet.stop(); // revokes b's lease: b is counted out, total 1, floor 1
  assert.deepEqual([...await a.fleet.breaches([P])], [[
    P,
    "withdrawing would leave 0 of 1 sites announcing, minimum 1",
  ]]);
  // Unreachable etcd: refused only under onEtcdLoss hold.
  cluster.down = true;
  cluster.expire(a.store.lease!);
  assert.deepEqual([...await a.fleet.breaches([P])], []);
});

Deno.test("formatFleet() prints prefixes x sites and marks a prefix below its floor", () => {
  const rec = (site: string, state: string) =>
    JSON.stringify({
      site,
      state,
      reason: state === "held" ? "fleet guard: x" : "unhealthy",
      since: "2026-12-01T00:00:00.000Z",
      minSites: 2,
      minPercent: 0,
    });
  const table = fleetTable("/anycast/", {
    revision: 9,
    kvs: [
      { key: "/anycast/prefixes/192.0.2.1/32/a", value: rec("a", "held"), modRevision: 3 },
      { key: "/anycast/prefixes/192.0.2.1/32/b", value: rec("b", "withdrawn"), modRevision: 4 },
      { key: "/anycast/prefixes/192.0.2.1/32/c", value: '{"state":"held"}', modRevision: 5 },
    ],
  }, Date.parse("2026-12-01T00:00:30.000Z"));
  assert.equal(table.prefixes[0]!.belowFloor, true);
  assert.equal(table.invalid.length, 1);
  assert.equal(
    formatFleet(table),
    [
      "PREFIX        SITE  STATE      AGE  REASON",
      "192.0.2.1/32  1/2 announcing, floor 2  BELOW FLOOR",
      "              a     held       30s  fleet guard: x",
      "              b     withdrawn  30s  unhealthy",
      "warning: /anycast/prefixes/192.0.2.1/32/c: Cannot parse fleet record: site missing",
      "",
    ].join("\n"),
  );
});

Deno.test("Fleet.reload() applies a new floor at once: a held prefix decides again", async () => {
  const cluster = new MemoryCluster();
  const clock = new FakeClock();
  const guard = { minSites: 2, minPercent: 0, exclude: [] };
  const a = await site(cluster, clock, "a", { guard });
  const b = await site(cluster, clock, "b", { guard });
  a.engine.setReadiness(P, "not-ready");
  await flush();
  assert.equal(a.engine.status(P).state, "held");
  assert.notEqual(b.route(), undefined);
  a.fleet.reload(config("a", { guard: { ...guard, minSites: 1 } }));
  await flush();
  assert.equal(a.route(), undefined);
  assert.equal(a.engine.status(P).state, "down");
});
