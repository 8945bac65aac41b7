/**
 * Model test of the fleet guard (fast-check): five sites, each a real
 * PolicyEngine + Fleet on one in-memory etcd with etcd's revision rules. Random
 * sequences of per-site health flips run while fast-check's scheduler delivers
 * the etcd answers in random order (stale reads, crossing transactions).
 *
 * Safety: no health-driven withdraw ever leaves fewer than minSites announcing.
 * Liveness: once quiet, exactly max(minSites, healthy sites) announce.
 * Control: the same model without the transaction's compares breaks safety.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import type { FleetConfig } from "../../../src/config/model.ts";
import { PolicyEngine } from "../../../src/health/engine.ts";
import type { DesiredRoute } from "../../../src/health/policy.ts";
import {
  Fleet,
  type FleetStore,
  MemoryCluster,
  MemoryStore,
  siteStateOf,
} from "../../../src/fleet/mod.ts";
import { FakeClock } from "../../../src/util/clock.ts";
import { prefixConfig, tcpProbe } from "../health/_fixtures.ts";

const PREFIX = "192.0.2.1/32";
const SITES = 5;

function fleetConfig(site: string, minSites: number): FleetConfig {
  return {
    site,
    etcd: { endpoints: ["http://127.0.0.1:2379"], prefix: "/anycast/", timeoutMs: 1000 },
    leaseTtlSeconds: 5,
    guard: { minSites, minPercent: 0, exclude: [] },
    onEtcdLoss: "local",
  };
}

/** The store's answers arrive when the scheduler says; the work is done at call time, as etcd does. */
function scheduled(store: MemoryStore, s: fc.Scheduler, compares: boolean): FleetStore {
  return {
    grantLease: (ttl, onLost) => store.grantLease(ttl, onLost),
    revokeLease: () => store.revokeLease(),
    watch: (p, fn) => store.watch(p, fn),
    close: () => store.close(),
    range: s.scheduleFunction((p: string) => store.range(p)),
    put: s.scheduleFunction((k: string, v: string) => store.put(k, v)),
    guardedPut: s.scheduleFunction((put: Parameters<FleetStore["guardedPut"]>[0]) =>
      compares ? store.guardedPut(put) : store.put(put.key, put.value).then(() => true)
    ),
  };
}

interface Site {
  engine: PolicyEngine;
  fleet: Fleet;
  route: DesiredRoute;
  healthy: boolean;
}

type Step = { site: number; healthy: boolean; releases: number };

async function runModel(
  s: fc.Scheduler,
  minSites: number,
  steps: Step[],
  compares: boolean,
): Promise<void> {
  const cluster = new MemoryCluster();
  const clock = new FakeClock();
  const sites: Site[] = [];
  /** Checked from the first health flip on (start-up publishes "unknown": no route yet). */
  let armed = false;
  const announcing = () => sites.filter((x) => x.route !== undefined).length;
  for (let i = 0; i < SITES; i++) {
    const store = new MemoryStore(cluster);
    // deno-lint-ignore prefer-const
    let fleet: Fleet;
    const site = { route: undefined, healthy: true } as Site;
    const engine = new PolicyEngine(
      [prefixConfig({ prefix: PREFIX, readinessProbe: tcpProbe })],
      {
        setDesired: (_p, route) => {
          site.route = route;
          if (armed && route === undefined && announcing() < minSites) {
            throw new Error(`only ${announcing()} sites announce, minSites ${minSites}`);
          }
        },
      },
      {
        clock,
        guard: { holdWithdraw: (p) => fleet.holdWithdraw(p) },
        onDecision: (status) => fleet.record(status.prefix, siteStateOf(status), status.reason),
      },
    );
    fleet = new Fleet({
      config: fleetConfig(`s${i}`, minSites),
      store: scheduled(store, s, compares),
      clock,
      onVerdict: (p) => engine.reevaluate(p),
    });
    Object.assign(site, { engine, fleet });
    sites.push(site);
  }
  const quiet = async () => {
    // Microtask turns (queued decisions, watch events) and fake-clock retries, until
    // three rounds in a row leave nothing scheduled.
    for (let i = 0, calm = 0; i < 40 && calm < 3; i++) {
      for (let j = 0; j < 20; j++) await Promise.resolve();
      if (s.count() > 0) {
        calm = 0;
        await s.waitAll();
      } else calm++;
      clock.tick(1000);
    }
  };
  await Promise.all([...sites.map((x) => x.fleet.start()), quiet()]);
  for (const x of sites) {
    x.engine.start();
    x.engine.setReadiness(PREFIX, "ready");
  }
  await quiet();
  assert.equal(announcing(), SITES);
  armed = true;
  for (const step of steps) {
    const site = sites[step.site]!;
    site.healthy = step.healthy;
    site.engine.setReadiness(PREFIX, step.healthy ? "ready" : "not-ready");
    for (let i = 0; i < step.releases && s.count() > 0; i++) await s.waitOne();
  }
  await quiet();
  await quiet();
  const healthy = sites.filter((x) => x.healthy).length;
  assert.equal(announcing(), Math.max(minSites, healthy), "announcing once quiet");
  for (const x of sites) await x.fleet.stop();
}

const stepArb = fc.record({
  site: fc.integer({ min: 0, max: SITES - 1 }),
  healthy: fc.boolean(),
  releases: fc.integer({ min: 0, max: 4 }),
});

Deno.test("fleet guard model: random health over 5 sites never leaves fewer than minSites announcing", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.scheduler(),
      fc.integer({ min: 1, max: 4 }),
      fc.array(stepArb, { minLength: 1, maxLength: 25 }),
      (s, minSites, steps) => runModel(s, minSites, steps, true),
    ),
    { numRuns: 300 },
  );
});

Deno.test("fleet guard model: without the transaction's compares the floor is breached", async () => {
  const result = await fc.check(
    fc.asyncProperty(
      fc.scheduler(),
      fc.integer({ min: 1, max: 4 }),
      fc.array(stepArb, { minLength: 1, maxLength: 25 }),
      (s, minSites, steps) => runModel(s, minSites, steps, false),
    ),
    { numRuns: 300 },
  );
  assert.equal(result.failed, true, "the model must be able to fail");
});
