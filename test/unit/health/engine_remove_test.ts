/**
 * Removing a prefix (config reload) drains it first when it has a drain
 * time (RFC 8326), like shutdown does; re-adding it during the drain brings
 * it back without a withdraw.
 */
import assert from "node:assert/strict";
import { PolicyEngine } from "../../../src/health/engine.ts";
import { type DesiredRoute, GRACEFUL_SHUTDOWN } from "../../../src/health/policy.ts";
import { FakeClock } from "../../../src/util/clock.ts";
import { attrs, flush, prefixConfig } from "./_fixtures.ts";

const DRAINED = prefixConfig({ prefix: "192.0.2.1/32", drainMs: 10_000 });
const INSTANT = prefixConfig({ prefix: "192.0.2.2/32", drainMs: 0 });

/** Every setDesired call in order: "<prefix> announce <communities>" or "<prefix> withdraw". */
function recorder() {
  const calls: string[] = [];
  const desired = new Map<string, DesiredRoute>();
  return {
    calls,
    desired,
    target: {
      setDesired: (prefix: string, route: DesiredRoute) => {
        desired.set(prefix, route);
        calls.push(
          route
            ? `${prefix} announce ${route.attributes.communities.join(",")}`
            : `${prefix} withdraw`,
        );
      },
    },
  };
}

Deno.test("PolicyEngine.removePrefix() announces GRACEFUL_SHUTDOWN for drainMs, then withdraws", () => {
  const clock = new FakeClock(0);
  const r = recorder();
  const engine = new PolicyEngine([DRAINED], r.target, { clock });
  engine.start();
  engine.removePrefix("192.0.2.1/32");
  assert.deepEqual(r.calls, [
    "192.0.2.1/32 announce 65000:100",
    `192.0.2.1/32 announce 65000:100,${GRACEFUL_SHUTDOWN}`,
  ]);
  const status = engine.status("192.0.2.1/32");
  assert.equal(status.state, "draining");
  assert.match(status.reason, /removed from the config/);
  clock.tick(9_999);
  assert.equal(r.calls.length, 2);
  clock.tick(1);
  assert.equal(r.calls.at(-1), "192.0.2.1/32 withdraw");
  assert.equal(engine.has("192.0.2.1/32"), false);
  assert.deepEqual(engine.statuses(), []);
});

Deno.test("PolicyEngine.removePrefix() withdraws at once without a drain time or a route", () => {
  const clock = new FakeClock(0);
  const r = recorder();
  const down = prefixConfig({ prefix: "192.0.2.3/32", drainMs: 10_000 });
  const engine = new PolicyEngine([INSTANT, down], r.target, { clock });
  engine.start();
  engine.setMaintenance("192.0.2.3/32", true);
  engine.removePrefix("192.0.2.2/32");
  engine.removePrefix("192.0.2.3/32");
  assert.equal(r.desired.get("192.0.2.2/32"), undefined);
  assert.equal(r.desired.get("192.0.2.3/32"), undefined);
  assert.equal(engine.has("192.0.2.2/32"), false);
  assert.equal(engine.has("192.0.2.3/32"), false);
  assert.equal(clock.pending, 0);
});

Deno.test("PolicyEngine.addPrefix() during its removal drain brings it back without a withdraw", () => {
  const clock = new FakeClock(0);
  const r = recorder();
  const engine = new PolicyEngine([DRAINED], r.target, { clock });
  engine.start();
  engine.removePrefix("192.0.2.1/32");
  clock.tick(5_000);
  const readded = { ...DRAINED, attributes: attrs({ communities: ["65000:200"] }) };
  engine.addPrefix(readded);
  assert.equal(engine.status("192.0.2.1/32").state, "up");
  clock.tick(60_000);
  assert.deepEqual(r.calls, [
    "192.0.2.1/32 announce 65000:100",
    `192.0.2.1/32 announce 65000:100,${GRACEFUL_SHUTDOWN}`,
    "192.0.2.1/32 announce 65000:200",
  ]);
  assert.ok(engine.has("192.0.2.1/32"));
});

Deno.test("PolicyEngine.undrain() does not keep a removed prefix announced", () => {
  const clock = new FakeClock(0);
  const r = recorder();
  const engine = new PolicyEngine([DRAINED], r.target, { clock });
  engine.start();
  engine.removePrefix("192.0.2.1/32");
  engine.undrain("192.0.2.1/32");
  engine.undrainAll();
  assert.equal(engine.status("192.0.2.1/32").state, "draining");
  clock.tick(10_000);
  assert.equal(r.calls.at(-1), "192.0.2.1/32 withdraw");
  assert.equal(engine.has("192.0.2.1/32"), false);
});

Deno.test("PolicyEngine.shutdown() resolves when a draining prefix is removed", async () => {
  const clock = new FakeClock(0);
  const r = recorder();
  const engine = new PolicyEngine([DRAINED, INSTANT], r.target, { clock });
  engine.start();
  let resolved = false;
  const done = engine.shutdown().then(() => void (resolved = true));
  engine.removePrefix("192.0.2.1/32");
  engine.removePrefix("192.0.2.2/32");
  await flush();
  assert.equal(resolved, false, "still draining 192.0.2.1/32");
  clock.tick(10_000);
  await done;
  assert.equal(r.desired.get("192.0.2.1/32"), undefined);
  assert.equal(engine.has("192.0.2.1/32"), false);
});

Deno.test("PolicyEngine.shutdown() is not held up by a prefix a reload adds meanwhile", async () => {
  const clock = new FakeClock(0);
  const r = recorder();
  const engine = new PolicyEngine([DRAINED], r.target, { clock });
  engine.start();
  const done = engine.shutdown();
  // A reload during shutdown adds a prefix: it is never announced and does not hold shutdown up.
  engine.addPrefix(INSTANT);
  assert.equal(r.desired.get("192.0.2.2/32"), undefined);
  clock.tick(10_000);
  await done;
  assert.equal(r.desired.get("192.0.2.1/32"), undefined);
});

Deno.test("PolicyEngine.addPrefix() of a removed prefix during shutdown keeps its drain going", async () => {
  const clock = new FakeClock(0);
  const r = recorder();
  const engine = new PolicyEngine([DRAINED], r.target, { clock });
  engine.start();
  const done = engine.shutdown();
  clock.tick(4_000);
  engine.removePrefix("192.0.2.1/32");
  engine.addPrefix(DRAINED);
  assert.equal(engine.status("192.0.2.1/32").state, "draining");
  clock.tick(6_000);
  await done;
  assert.deepEqual(r.calls, [
    "192.0.2.1/32 announce 65000:100",
    `192.0.2.1/32 announce 65000:100,${GRACEFUL_SHUTDOWN}`,
    "192.0.2.1/32 withdraw",
  ]);
});
