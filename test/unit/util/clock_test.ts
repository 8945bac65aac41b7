import assert from "node:assert/strict";
import { FakeClock } from "../../../src/util/clock.ts";

Deno.test("FakeClock.tick() fires due timers in time order, ties in creation order", () => {
  const clock = new FakeClock();
  const fired: string[] = [];
  clock.setTimeout(() => fired.push("b@20"), 20);
  clock.setTimeout(() => fired.push("a@10"), 10);
  clock.setTimeout(() => fired.push("c@10"), 10);
  clock.tick(15);
  assert.deepEqual(fired, ["a@10", "c@10"]);
  assert.equal(clock.now(), 15);
  clock.tick(5);
  assert.deepEqual(fired, ["a@10", "c@10", "b@20"]);
});

Deno.test("FakeClock.tick() fires timers set by timers within the same tick", () => {
  const clock = new FakeClock();
  const at: number[] = [];
  const again = () => {
    at.push(clock.now());
    if (at.length < 3) clock.setTimeout(again, 100);
  };
  clock.setTimeout(again, 100);
  clock.tick(1000);
  assert.deepEqual(at, [100, 200, 300]);
  assert.equal(clock.pending, 0);
});

Deno.test("FakeClock.clearTimeout() cancels a pending timer", () => {
  const clock = new FakeClock();
  let fired = false;
  const id = clock.setTimeout(() => (fired = true), 10);
  clock.clearTimeout(id);
  clock.tick(100);
  assert.equal(fired, false);
});
