import assert from "node:assert/strict";
import { explainStrategy, serviceDown, serviceUp } from "../../../src/probe/mod.ts";

const checks = (oks: boolean[], groups?: string[]) =>
  oks.map((ok, i) => (groups ? { ok, group: groups[i]! } : { ok }));

// The first table is anycastd's own (service/strategy_test.go): [results, groups, serviceDown].
Deno.test("serviceDown() at_least_one: any failure takes the service down", () => {
  assert.equal(serviceDown("at_least_one", checks([true, true])), false);
  assert.equal(serviceDown("at_least_one", checks([true, false])), true);
  assert.equal(serviceDown("at_least_one", checks([false, false])), true);
  assert.equal(serviceDown("at_least_one", []), false);
});

Deno.test("serviceDown() all: down only when every check fails", () => {
  assert.equal(serviceDown("all", checks([true])), false);
  assert.equal(serviceDown("all", checks([true, false])), false);
  assert.equal(serviceDown("all", checks([false, false])), true);
  // anycastd: zero failed of zero checks counts as all failed.
  assert.equal(serviceDown("all", []), true);
});

Deno.test("serviceDown() all_in_group: down when every check of some group fails", () => {
  assert.equal(serviceDown("all_in_group", checks([true, true], ["group1", "group2"])), false);
  assert.equal(
    serviceDown("all_in_group", checks([true, false, true], ["group1", "group2", "group2"])),
    false,
  );
  assert.equal(
    serviceDown("all_in_group", checks([true, false, false], ["group1", "group2", "group2"])),
    true,
  );
  assert.equal(
    serviceDown("all_in_group", checks([false, true, true], ["group1", "group2", "group2"])),
    true,
  );
  // Checks without a group form one group of their own.
  assert.equal(
    serviceDown("all_in_group", [{ ok: false }, { ok: true }, { ok: true, group: "g" }]),
    false,
  );
  assert.equal(
    serviceDown("all_in_group", [{ ok: false }, { ok: false }, { ok: true, group: "g" }]),
    true,
  );
  assert.equal(serviceDown("all_in_group", []), false);
});

Deno.test("serviceDown() at_least_n_percentage: down when the failed share exceeds n", () => {
  assert.equal(serviceDown("at_least_n_percentage", checks([true, true, true, true]), 0.5), false);
  assert.equal(serviceDown("at_least_n_percentage", checks([false, true, true, true]), 0.5), false);
  assert.equal(
    serviceDown("at_least_n_percentage", checks([false, false, true, true]), 0.5),
    false,
  );
  assert.equal(
    serviceDown("at_least_n_percentage", checks([false, false, false, true]), 0.5),
    true,
  );
  assert.equal(serviceDown("at_least_n_percentage", checks([false, true, true, true]), 0), true);
  assert.equal(serviceDown("at_least_n_percentage", [], 0.5), false);
});

Deno.test("serviceDown() at_least_n_percentage reads n above 1 as percent", () => {
  assert.equal(serviceDown("at_least_n_percentage", checks([false, false, true, true]), 50), false);
  assert.equal(serviceDown("at_least_n_percentage", checks([false, false, false, true]), 50), true);
  assert.equal(serviceDown("at_least_n_percentage", checks([false, true, true, true]), 20), true);
});

Deno.test("serviceUp() is the negation of anycastd's serviceDown()", () => {
  assert.equal(serviceUp("at_least_one", checks([true, false])), false);
  assert.equal(serviceUp("all", checks([true, false])), true);
});

Deno.test("explainStrategy() says the verdict and the rule in plain words", () => {
  const text = explainStrategy("all", checks([true, false]));
  assert.match(text, /^up: 1 of 2 checks failed/);
  assert.match(text, /down only when every check fails/);
  assert.match(
    explainStrategy("at_least_n_percentage", checks([false]), 0.25),
    /more than 25% fail/,
  );
});
