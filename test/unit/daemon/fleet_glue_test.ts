import assert from "node:assert/strict";
import type { FleetConfig } from "../../../src/config/model.ts";
import { PolicyEngine } from "../../../src/health/engine.ts";
import { type ControlBackend, ControlError } from "../../../src/control/types.ts";
import { Fleet, MemoryCluster, MemoryStore, siteStateOf } from "../../../src/fleet/mod.ts";
import { guardedBackend, logShutdownBreaches } from "../../../src/daemon/fleet.ts";
import { FakeClock } from "../../../src/util/clock.ts";
import { prefixConfig } from "../health/_fixtures.ts";

const P = "192.0.2.1/32";

function config(site: string): FleetConfig {
  return {
    site,
    etcd: { endpoints: ["http://127.0.0.1:2379"], prefix: "/anycast/", timeoutMs: 1000 },
    leaseTtlSeconds: 5,
    guard: { minSites: 2, minPercent: 0, exclude: [] },
    onEtcdLoss: "local",
  };
}

async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
}

/** Two static sites of one prefix; minSites 2, so neither may withdraw. */
async function setup() {
  const cluster = new MemoryCluster();
  const clock = new FakeClock();
  const sites = [];
  for (const name of ["a", "b"]) {
    // deno-lint-ignore prefer-const
    let fleet: Fleet;
    const engine = new PolicyEngine([prefixConfig({ prefix: P })], { setDesired: () => {} }, {
      clock,
      onDecision: (s) => fleet.record(s.prefix, siteStateOf(s), s.reason),
    });
    fleet = new Fleet({ config: config(name), store: new MemoryStore(cluster), clock });
    await fleet.start();
    engine.start();
    sites.push({ engine, fleet });
  }
  await flush();
  const calls: string[] = [];
  const backend = {
    drain: (t: { prefix?: string }) => (calls.push(`drain ${t.prefix}`), [t.prefix!]),
    maintenance: (p: string, on: boolean) => void calls.push(`maintenance ${p} ${on}`),
    withdraw: (p: string) => void calls.push(`withdraw ${p}`),
    announce: () => {},
  } as unknown as ControlBackend;
  const a = sites[0]!;
  return { calls, a, guarded: guardedBackend(backend, () => a.fleet, a.engine) };
}

Deno.test("guardedBackend() refuses a drain below the floor, and --force goes ahead", async () => {
  const { calls, guarded } = await setup();
  await assert.rejects(
    async () => await guarded.drain({ prefix: P }),
    (e: unknown) =>
      e instanceof ControlError && e.status === 409 &&
      /Refused by the fleet guard: withdrawing 192\.0\.2\.1\/32 \(withdrawing would leave 1 of 2 sites announcing, minimum 2\).*--force/
        .test(e.message),
  );
  assert.deepEqual(calls, []);
  assert.deepEqual(await guarded.drain({ prefix: P }, { force: true }), [P]);
  assert.deepEqual(calls, [`drain ${P}`]);
});

Deno.test("guardedBackend() checks maintenance on, not maintenance off", async () => {
  const { calls, guarded } = await setup();
  await assert.rejects(async () => await guarded.maintenance(P, true), ControlError);
  await guarded.maintenance(P, false);
  assert.deepEqual(calls, [`maintenance ${P} false`]);
});

Deno.test("logShutdownBreaches() logs each prefix a shutdown takes below its floor", async () => {
  const { a } = await setup();
  const logs: string[] = [];
  await logShutdownBreaches(a.fleet, [P], (level, m) => void logs.push(`${level} ${m}`));
  assert.deepEqual(logs, [
    `warning prefix ${P}: shutdown withdraws it below the fleet floor (withdrawing would leave 1 of 2 sites announcing, minimum 2)`,
  ]);
});
