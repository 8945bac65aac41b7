import assert from "node:assert/strict";
import { FakeClock } from "../../../src/util/clock.ts";
import { ProbeLoop, type ProbeResult, type ProbeTiming } from "../../../src/probe/mod.ts";
import { advance, flush, result } from "./_helpers.ts";

function loopWith(
  clock: FakeClock,
  run: (signal: AbortSignal) => Promise<ProbeResult>,
  extra: Partial<ConstructorParameters<typeof ProbeLoop>[0]> = {},
) {
  const seen: { result: ProbeResult; timing: ProbeTiming }[] = [];
  const loop = new ProbeLoop({
    clock,
    initialDelayMs: 100,
    periodMs: 1000,
    jitterMs: 0,
    timeoutMs: 300,
    run,
    onResult: (r, timing) => seen.push({ result: r, timing }),
    ...extra,
  });
  return { loop, seen };
}

Deno.test("ProbeLoop runs after the initial delay, then every period on time", async () => {
  const clock = new FakeClock();
  const starts: number[] = [];
  const { loop, seen } = loopWith(clock, () => {
    starts.push(clock.now());
    return Promise.resolve(result(true));
  });
  loop.start();
  await advance(clock, 3200);
  assert.deepEqual(starts, [100, 1100, 2100, 3100]);
  assert.ok(seen.every((s) => s.timing.startedAt === s.timing.scheduledAt));
  await loop.stop();
  assert.equal(clock.pending, 0);
});

Deno.test("ProbeLoop never overlaps a run that outlasts its period", async () => {
  const clock = new FakeClock();
  let active = 0;
  let maxActive = 0;
  const starts: number[] = [];
  const { loop } = loopWith(clock, (signal) => {
    starts.push(clock.now());
    active++;
    maxActive = Math.max(maxActive, active);
    // Finishes 2500 ms later, well past the 1000 ms period.
    return new Promise((resolve) => {
      const timer = clock.setTimeout(() => {
        active--;
        resolve(result(true));
      }, 2500);
      signal.addEventListener("abort", () => {
        clock.clearTimeout(timer);
        resolve(result(false));
      });
    });
  }, { timeoutMs: 10_000 });
  loop.start();
  await advance(clock, 8000);
  assert.equal(maxActive, 1);
  // Each next run starts as soon as the overrunning one ends.
  assert.deepEqual(starts, [100, 2600, 5100, 7600]);
  await loop.stop();
});

Deno.test("ProbeLoop aborts a run at its timeout with a TimeoutError", async () => {
  const clock = new FakeClock();
  let abortedAt = -1;
  let reasonName = "";
  const { loop, seen } = loopWith(clock, (signal) =>
    new Promise((resolve) => {
      signal.addEventListener("abort", () => {
        abortedAt = clock.now();
        reasonName = (signal.reason as DOMException).name;
        resolve(result(false, "timed out"));
      });
    }));
  loop.start();
  await advance(clock, 500);
  assert.equal(abortedAt, 400);
  assert.equal(reasonName, "TimeoutError");
  assert.equal(seen.length, 1);
  await loop.stop();
});

Deno.test("ProbeLoop.stop() cancels the pending start and aborts the run in progress", async () => {
  const clock = new FakeClock();
  let signalSeen: AbortSignal | undefined;
  const { loop, seen } = loopWith(clock, (signal) => {
    signalSeen = signal;
    return new Promise((resolve) => signal.addEventListener("abort", () => resolve(result(false))));
  });
  loop.start();
  await advance(clock, 150);
  assert.ok(signalSeen && !signalSeen.aborted);
  await loop.stop();
  assert.equal(signalSeen.aborted, true);
  assert.equal((signalSeen.reason as DOMException).name, "AbortError");
  assert.equal(seen.length, 0, "a run ended by stop() is not reported");
  assert.equal(clock.pending, 0);
  await advance(clock, 5000);
  assert.equal(seen.length, 0);
});

Deno.test("ProbeLoop adds jitter to each start without drifting", async () => {
  const clock = new FakeClock();
  const starts: number[] = [];
  const { loop } = loopWith(clock, () => {
    starts.push(clock.now());
    return Promise.resolve(result(true));
  }, { jitterMs: 200, random: () => 0.5 });
  loop.start();
  await advance(clock, 2300);
  assert.deepEqual(starts, [200, 1200, 2200]);
  await loop.stop();
});

Deno.test("ProbeLoop uses the fast period while the verdict is in flux", async () => {
  const clock = new FakeClock();
  const starts: number[] = [];
  const { loop } = loopWith(clock, () => {
    starts.push(clock.now());
    return Promise.resolve(result(true));
  }, { fastPeriodMs: 200, inFlux: () => starts.length === 2 || starts.length === 3 });
  loop.start();
  await advance(clock, 2600);
  assert.deepEqual(starts, [100, 1100, 1300, 1500, 2500]);
  await loop.stop();
});

Deno.test("ProbeLoop reports a crashing runner as a failure and keeps going", async () => {
  const clock = new FakeClock();
  const { loop, seen } = loopWith(clock, () => Promise.reject(new Error("boom")));
  loop.start();
  await advance(clock, 1200);
  await flush();
  assert.equal(seen.length, 2);
  assert.equal(seen[0]!.result.ok, false);
  assert.match(seen[0]!.result.reason, /boom/);
  await loop.stop();
});

Deno.test("ProbeLoop treats a runner that throws synchronously as a failed run", async () => {
  const clock = new FakeClock();
  const { loop, seen } = loopWith(clock, () => {
    throw new Error("sync boom");
  });
  loop.start();
  await advance(clock, 1200);
  assert.equal(seen.length, 2);
  assert.match(seen[0]!.result.reason, /sync boom/);
  await loop.stop();
});

Deno.test("ProbeLoop.runNow() runs at once and the schedule continues from there", async () => {
  const clock = new FakeClock();
  const starts: number[] = [];
  const { loop } = loopWith(clock, () => {
    starts.push(clock.now());
    return Promise.resolve(result(true));
  });
  loop.start();
  await advance(clock, 500);
  loop.runNow();
  await advance(clock, 1600);
  assert.deepEqual(starts, [100, 500, 1500]);
  await loop.stop();
  loop.runNow();
  await advance(clock, 2000);
  assert.equal(starts.length, 3, "runNow() after stop() does nothing");
});

Deno.test("ProbeLoop.runNow() during a run starts the next one as soon as it ends", async () => {
  const clock = new FakeClock();
  const starts: number[] = [];
  const { loop } = loopWith(clock, () => {
    starts.push(clock.now());
    return new Promise((resolve) => clock.setTimeout(() => resolve(result(true)), 50));
  });
  loop.start();
  await advance(clock, 120);
  loop.runNow();
  await advance(clock, 40);
  assert.deepEqual(starts, [100, 150]);
  await advance(clock, 100);
  await loop.stop();
});

Deno.test("ProbeLoop.stop() does not hang on a handler that ignores its abort signal", async () => {
  const clock = new FakeClock();
  const { loop } = loopWith(clock, () => new Promise<ProbeResult>(() => {}));
  loop.start();
  await advance(clock, 500); // the run started at 100 and timed out at 400
  await loop.stop();
  assert.equal(loop.running, false);
});
