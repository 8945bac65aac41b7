/** Herald's asPathPrepend list through the policy: a changed list is a changed route, drain keeps it. */
import assert from "node:assert/strict";
import { sameRoute } from "../../../src/health/engine.ts";
import { drainAttributes, type RouteSpec } from "../../../src/health/policy.ts";
import { attrs } from "./_fixtures.ts";

const route = (asns?: number[]): RouteSpec => ({
  prefix: "192.0.2.1/32",
  family: "ipv4-unicast",
  origin: "igp",
  attributes: attrs({ asPathPrepend: 2, ...(asns ? { asPathPrependAsns: asns } : {}) }),
});

Deno.test("sameRoute() sees a changed asPathPrepend list of the same length", () => {
  assert.equal(sameRoute(route([65001, 65001]), route([65001, 65001])), true);
  assert.equal(sameRoute(route([65001, 65001]), route([65002, 65002])), false);
  assert.equal(sameRoute(route([65001, 65001]), route()), false);
});

Deno.test("drainAttributes() keeps the asPathPrepend list of the route it drains", () => {
  const drained = drainAttributes(attrs({ asPathPrepend: 2, asPathPrependAsns: [65001, 65001] }));
  assert.deepEqual(drained.asPathPrependAsns, [65001, 65001]);
  assert.ok(drained.communities.includes("65535:0"));
});
