import assert from "node:assert/strict";
import fc from "fast-check";
import {
  applyResult,
  INITIAL_THRESHOLD_STATE,
  isBetweenStates,
  type ThresholdState,
  type Transition,
} from "../../../src/probe/mod.ts";

type Seen = { at: number; from: string; to: string };

function run(results: boolean[], successThreshold: number, failureThreshold: number) {
  let state: ThresholdState = INITIAL_THRESHOLD_STATE;
  const transitions: Seen[] = [];
  results.forEach((ok, at) => {
    const out = applyResult(state, ok, { successThreshold, failureThreshold });
    state = out.state;
    if (out.transition) transitions.push({ at, ...out.transition });
  });
  return { state, transitions };
}

const T = (n: number) => Array<boolean>(n).fill(true);
const F = (n: number) => Array<boolean>(n).fill(false);

for (const s of [1, 2, 3]) {
  for (const f of [1, 2, 3]) {
    Deno.test(`applyResult() with successThreshold ${s}, failureThreshold ${f}: up, down, up again`, () => {
      const { transitions } = run([...T(s), ...F(f), ...T(s)], s, f);
      assert.deepEqual(transitions, [
        { at: s - 1, from: "unknown", to: "up" },
        { at: s + f - 1, from: "up", to: "down" },
        { at: 2 * s + f - 1, from: "down", to: "up" },
      ]);
    });

    Deno.test(`applyResult() with successThreshold ${s}, failureThreshold ${f}: failures first go unknown to down`, () => {
      const { transitions, state } = run([...F(f), ...T(s)], s, f);
      assert.deepEqual(transitions, [
        { at: f - 1, from: "unknown", to: "down" },
        { at: f + s - 1, from: "down", to: "up" },
      ]);
      assert.equal(state.status, "up");
    });

    Deno.test(`applyResult() with successThreshold ${s}, failureThreshold ${f}: a run one short never flips`, () => {
      // Up first, then (f-1) failures broken by a success, repeated: stays up.
      const dips = Array.from({ length: 4 }, () => [...F(f - 1), true]).flat();
      const { transitions, state } = run([...T(s), ...dips], s, f);
      assert.deepEqual(transitions, [{ at: s - 1, from: "unknown", to: "up" }]);
      assert.equal(state.status, "up");
      // Down first, then (s-1) successes broken by a failure: stays down.
      const rises = Array.from({ length: 4 }, () => [...T(s - 1), false]).flat();
      const down = run([...F(f), ...rises], s, f);
      assert.deepEqual(down.transitions, [{ at: f - 1, from: "unknown", to: "down" }]);
      assert.equal(down.state.status, "down");
    });
  }
}

Deno.test("applyResult() treats thresholds below 1 as 1", () => {
  const out = applyResult(INITIAL_THRESHOLD_STATE, true, {
    successThreshold: 0,
    failureThreshold: 0,
  });
  assert.deepEqual(out.transition, { from: "unknown", to: "up" });
});

Deno.test("isBetweenStates() is true only while results point away from the verdict", () => {
  assert.equal(isBetweenStates(INITIAL_THRESHOLD_STATE), false);
  assert.equal(isBetweenStates({ status: "up", successes: 0, failures: 1 }), true);
  assert.equal(isBetweenStates({ status: "up", successes: 4, failures: 0 }), false);
  assert.equal(isBetweenStates({ status: "down", successes: 1, failures: 0 }), true);
  assert.equal(isBetweenStates({ status: "down", successes: 0, failures: 3 }), false);
  assert.equal(isBetweenStates({ status: "unknown", successes: 1, failures: 0 }), true);
});

/** Declarative oracle: the verdict is set by the latest index that completes a threshold run. */
function oracle(results: boolean[], s: number, f: number): string {
  for (let i = results.length - 1; i >= 0; i--) {
    const windowUp = i - s + 1 >= 0 && results.slice(i - s + 1, i + 1).every((x) => x);
    const windowDown = i - f + 1 >= 0 && results.slice(i - f + 1, i + 1).every((x) => !x);
    if (windowUp) return "up";
    if (windowDown) return "down";
  }
  return "unknown";
}

const sequences = fc.array(fc.boolean(), { maxLength: 60 });
const threshold = fc.integer({ min: 1, max: 5 });

Deno.test("applyResult() property: the verdict matches the latest completed threshold run", () => {
  fc.assert(fc.property(sequences, threshold, threshold, (results, s, f) => {
    assert.equal(run(results, s, f).state.status, oracle(results, s, f));
  }));
});

Deno.test("applyResult() property: transitions chain and never repeat a state", () => {
  fc.assert(fc.property(sequences, threshold, threshold, (results, s, f) => {
    const { transitions } = run(results, s, f);
    let current = "unknown";
    for (const t of transitions as (Transition & { at: number })[]) {
      assert.equal(t.from, current);
      assert.notEqual(t.to, t.from);
      current = t.to;
    }
  }));
});

Deno.test("applyResult() property: counters are the trailing run lengths", () => {
  fc.assert(fc.property(sequences, threshold, threshold, (results, s, f) => {
    const { state } = run(results, s, f);
    let trailing = 0;
    for (let i = results.length - 1; i >= 0 && results[i] === results.at(-1); i--) trailing++;
    assert.equal(state.successes, results.at(-1) === true ? trailing : 0);
    assert.equal(state.failures, results.at(-1) === false ? trailing : 0);
  }));
});
