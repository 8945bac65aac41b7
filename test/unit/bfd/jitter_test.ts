import assert from "node:assert/strict";
import { jitteredInterval, seededRandom } from "../../../src/bfd/jitter.ts";
import { Pair } from "./_harness.ts";

const DRAWS = 100_000;

function quartileShares(values: number[], lo: number, hi: number): number[] {
  const buckets = [0, 0, 0, 0];
  for (const v of values) buckets[Math.min(3, Math.floor(((v - lo) / (hi - lo)) * 4))]!++;
  return buckets.map((b) => b / values.length);
}

Deno.test("jitteredInterval() reduces the interval by 0-25%, uniformly (RFC 5880 §6.8.7)", () => {
  const random = seededRandom(42);
  const draws = Array.from({ length: DRAWS }, () => jitteredInterval(1000, 3, random));
  for (const d of draws) assert.ok(d >= 750 && d < 1000, `draw ${d}`);
  const mean = draws.reduce((a, b) => a + b, 0) / DRAWS;
  assert.ok(Math.abs(mean - 875) < 2, `mean ${mean}`);
  for (const share of quartileShares(draws, 750, 1000)) {
    assert.ok(Math.abs(share - 0.25) < 0.01, `quartile share ${share}`);
  }
});

Deno.test("jitteredInterval() stays within 75-90% when the detect multiplier is 1 (RFC 5880 §6.8.7)", () => {
  const random = seededRandom(7);
  const draws = Array.from({ length: DRAWS }, () => jitteredInterval(1000, 1, random));
  for (const d of draws) assert.ok(d >= 750 && d <= 900, `draw ${d}`);
  const mean = draws.reduce((a, b) => a + b, 0) / DRAWS;
  assert.ok(Math.abs(mean - 825) < 2, `mean ${mean}`);
  for (const share of quartileShares(draws, 750, 900)) {
    assert.ok(Math.abs(share - 0.25) < 0.01, `quartile share ${share}`);
  }
});

Deno.test("jitteredInterval() clamps a random source at its bounds", () => {
  assert.equal(jitteredInterval(100, 3, () => 0), 75);
  assert.ok(jitteredInterval(100, 3, () => 1) < 100);
  assert.ok(jitteredInterval(100, 1, () => 1) <= 90);
});

Deno.test("a session's packet gaps on the wire follow the jitter rule (multiplier 3 and 1)", () => {
  for (const multiplier of [3, 1]) {
    const pair = new Pair({ multiplier }, { multiplier });
    pair.start();
    pair.clock.tick(1000);
    const t = pair.clock.now();
    pair.clock.tick(60_000);
    const gaps = pair.gaps("a", t);
    assert.ok(gaps.length > 1000, `${gaps.length} gaps`);
    const max = multiplier === 1 ? 45 : 50;
    for (const gap of gaps) assert.ok(gap >= 37.5 && gap <= max, `gap ${gap} (mult ${multiplier})`);
    if (multiplier === 3) assert.ok(gaps.every((g) => g < 50));
  }
});
