import assert from "node:assert/strict";
import { fuzzDecoder } from "../../../../scripts/fuzz.ts";

Deno.test("fuzzDecoder() finds no crash in 5,000 mutated messages", () => {
  const report = fuzzDecoder(5_000, 42);
  assert.deepEqual(report.failures, []);
  assert.equal(report.failureCount, 0);
  assert.ok(report.decoded > 0, "some mutants still decode");
  assert.ok(Object.keys(report.errors).length > 3, "several NOTIFICATION kinds are exercised");
});
