import assert from "node:assert/strict";
import fc from "fast-check";
import { routeKey, RouteReconciler, type RouteSink } from "../../../src/health/reconciler.ts";
import type { RouteSpec } from "../../../src/health/policy.ts";
import { FakeClock } from "../../../src/util/clock.ts";
import { attrs, flush } from "./_fixtures.ts";

function route(prefix: string, med = 0): RouteSpec {
  return { prefix, family: "ipv4-unicast", origin: "igp", attributes: attrs({ med }) };
}

type Failure = "none" | "reject" | "apply-then-reject" | "throw";

/** A speaker stand-in: a RIB, scripted failures, optional delays on the fake clock. */
class FakeSink implements RouteSink {
  rib = new Map<string, RouteSpec>();
  calls: string[] = [];
  failures: Failure[] = [];
  delayMs = 0;
  constructor(readonly clock: FakeClock) {}

  #run(op: string, apply: () => void): Promise<void> | void {
    this.calls.push(op);
    const failure = this.failures.shift() ?? "none";
    if (failure === "throw") throw new Error("sink threw");
    const finish = () => {
      if (failure === "reject") throw new Error("sink rejected");
      apply();
      if (failure === "apply-then-reject") throw new Error("timed out after applying");
    };
    if (this.delayMs === 0) return Promise.resolve().then(finish);
    return new Promise((resolve, reject) =>
      this.clock.setTimeout(() => {
        try {
          finish();
          resolve();
        } catch (e) {
          reject(e);
        }
      }, this.delayMs)
    );
  }
  announce(prefix: string, r: RouteSpec) {
    return this.#run(`announce ${prefix}`, () => void this.rib.set(prefix, r));
  }
  withdraw(prefix: string) {
    return this.#run(`withdraw ${prefix}`, () => void this.rib.delete(prefix));
  }
}

Deno.test("RouteReconciler announces and withdraws the desired routes", async () => {
  const clock = new FakeClock();
  const sink = new FakeSink(clock);
  const rec = new RouteReconciler(sink, { clock });
  rec.setDesired("192.0.2.1/32", route("192.0.2.1/32"));
  await rec.settled();
  assert.deepEqual([...sink.rib.keys()], ["192.0.2.1/32"]);
  rec.setDesired("192.0.2.1/32", undefined);
  await rec.settled();
  assert.equal(sink.rib.size, 0);
  assert.deepEqual(sink.calls, ["announce 192.0.2.1/32", "withdraw 192.0.2.1/32"]);
});

Deno.test("RouteReconciler retries a failed announce with doubling backoff", async () => {
  const clock = new FakeClock();
  const sink = new FakeSink(clock);
  sink.failures = ["reject", "throw", "reject"];
  const delays: number[] = [];
  const rec = new RouteReconciler(sink, { clock, onError: (_, __, ms) => void delays.push(ms) });
  rec.setDesired("192.0.2.1/32", route("192.0.2.1/32"));
  for (let i = 0; i < 3; i++) {
    await flush();
    clock.next();
  }
  await rec.settled();
  assert.deepEqual(delays, [1000, 2000, 4000]);
  assert.equal(clock.now(), 7000);
  assert.equal(sink.calls.length, 4);
  assert.ok(sink.rib.has("192.0.2.1/32"));
});

Deno.test("RouteReconciler sends the latest desired route after an operation in flight", async () => {
  const clock = new FakeClock();
  const sink = new FakeSink(clock);
  sink.delayMs = 100;
  const rec = new RouteReconciler(sink, { clock });
  rec.setDesired("192.0.2.1/32", route("192.0.2.1/32", 1));
  rec.setDesired("192.0.2.1/32", route("192.0.2.1/32", 2));
  assert.equal(sink.calls.length, 1);
  clock.tick(100);
  await flush();
  clock.tick(100);
  await rec.settled();
  assert.equal(sink.rib.get("192.0.2.1/32")?.attributes.med, 2);
  assert.equal(sink.calls.length, 2);
});

Deno.test("RouteReconciler.invalidate() announces everything again", async () => {
  const clock = new FakeClock();
  const sink = new FakeSink(clock);
  const rec = new RouteReconciler(sink, { clock });
  rec.setDesired("192.0.2.1/32", route("192.0.2.1/32"));
  await rec.settled();
  sink.rib.clear();
  rec.invalidate();
  await rec.settled();
  assert.ok(sink.rib.has("192.0.2.1/32"));
});

Deno.test("routeKey() ignores key order and undefined fields", () => {
  const a = route("192.0.2.1/32");
  const b: RouteSpec = {
    attributes: {
      asPathPrepend: 0,
      extendedCommunities: [],
      largeCommunities: [],
      communities: [],
    },
    origin: "igp",
    family: "ipv4-unicast",
    prefix: "192.0.2.1/32",
  };
  b.attributes.med = 0;
  assert.equal(routeKey(a), routeKey(b));
  assert.notEqual(routeKey(a), routeKey(route("192.0.2.1/32", 1)));
});

const prefixes = ["192.0.2.1/32", "192.0.2.2/32", "2001:db8::1/128"];
const command = fc.oneof(
  fc.record({
    kind: fc.constant("set" as const),
    prefix: fc.constantFrom(...prefixes),
    med: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
  }),
  fc.record({
    kind: fc.constant("fail" as const),
    failures: fc.array(fc.constantFrom<Failure>("reject", "apply-then-reject", "throw"), {
      maxLength: 4,
    }),
  }),
  fc.record({ kind: fc.constant("delay" as const), ms: fc.constantFrom(0, 50, 700) }),
  fc.record({ kind: fc.constant("tick" as const), ms: fc.integer({ min: 0, max: 5000 }) }),
  fc.record({ kind: fc.constant("flush" as const) }),
  fc.record({ kind: fc.constant("invalidate" as const) }),
);

Deno.test("RouteReconciler model check: after quiescence the sink holds exactly the desired routes", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(command, { maxLength: 40 }), async (commands) => {
      const clock = new FakeClock();
      const sink = new FakeSink(clock);
      const rec = new RouteReconciler(sink, { clock, maxBackoffMs: 8000 });
      const model = new Map<string, RouteSpec>();
      for (const c of commands) {
        switch (c.kind) {
          case "set":
            if (c.med === undefined) model.delete(c.prefix);
            else model.set(c.prefix, route(c.prefix, c.med));
            rec.setDesired(c.prefix, c.med === undefined ? undefined : route(c.prefix, c.med));
            break;
          case "fail":
            sink.failures.push(...c.failures);
            break;
          case "delay":
            sink.delayMs = c.ms;
            break;
          case "tick":
            clock.tick(c.ms);
            break;
          case "flush":
            await flush();
            break;
          case "invalidate":
            // The speaker lost its RIB.
            sink.rib.clear();
            rec.invalidate();
            break;
        }
      }
      // Quiescence: no more failures, run every timer until nothing is left to do.
      sink.failures = [];
      for (let i = 0; i < 1000 && !rec.converged; i++) {
        await flush();
        if (!rec.converged) clock.next();
      }
      assert.ok(rec.converged, "reconciler did not converge");
      const show = (m: ReadonlyMap<string, RouteSpec>) =>
        [...m].map(([p, r]) => `${p} ${routeKey(r)}`).sort();
      assert.deepEqual(show(sink.rib), show(model));
      assert.deepEqual(show(rec.announced), show(model));
      rec.close();
    }),
    { numRuns: 200 },
  );
});

Deno.test("RouteReconciler.retryNow() skips the backoff wait", async () => {
  const clock = new FakeClock();
  const sink = new FakeSink(clock);
  sink.failures = ["reject"];
  const rec = new RouteReconciler(sink, { clock });
  rec.setDesired("192.0.2.1/32", route("192.0.2.1/32"));
  await flush();
  assert.equal(rec.converged, false);
  rec.retryNow();
  await rec.settled();
  assert.equal(clock.now(), 0);
  assert.equal(clock.pending, 0);
  assert.ok(sink.rib.has("192.0.2.1/32"));
});
