import assert from "node:assert/strict";
import {
  AdjRibIn,
  AdjRibOut,
  keyed,
  type KeyedRoute,
  type OutRoute,
} from "../../../../src/bgp/rib.ts";
import { outRouteFor, type RouteSpec } from "../../../../src/bgp/route.ts";
import type { RouteAttributes } from "../../../../src/config/model.ts";

function route(prefix: string, med = 10, nextHop = "203.0.113.1"): OutRoute {
  return {
    prefix,
    family: prefix.includes(":") ? "ipv6-unicast" : "ipv4-unicast",
    attributes: { origin: "igp", asPath: [{ type: "sequence", asns: [64600] }], med },
    nextHop,
  };
}

const both = ["ipv4-unicast", "ipv6-unicast"] as const;

/** A route table as a session holds it: prefix -> keyed route; changes mark the RIB dirty. */
class Table {
  routes = new Map<string, KeyedRoute>();
  readonly rib = new AdjRibOut();
  readonly resolve = (prefix: string) => this.routes.get(prefix);
  set(...routes: OutRoute[]): this {
    for (const r of routes) {
      this.routes.set(r.prefix, keyed(r));
      this.rib.markDirty(r.prefix);
    }
    return this;
  }
  remove(...prefixes: string[]): this {
    for (const p of prefixes) {
      this.routes.delete(p);
      this.rib.markDirty(p);
    }
    return this;
  }
  diff(families: readonly ("ipv4-unicast" | "ipv6-unicast")[] = both, limit?: number) {
    return this.rib.diff(families, this.resolve, limit);
  }
}

Deno.test("AdjRibOut.diff() groups prefixes with identical attributes into one announcement", () => {
  const t = new Table().set(
    route("192.0.2.1/32"),
    route("192.0.2.2/32"),
    route("192.0.2.3/32", 20),
  );
  const diff = t.diff();
  assert.deepEqual(diff.withdraw, []);
  assert.equal(diff.announce.length, 2);
  const sizes = diff.announce.map((g) => g.prefixes.length).sort();
  assert.deepEqual(sizes, [1, 2]);
});

Deno.test("AdjRibOut.diff() is empty once committed", () => {
  const t = new Table().set(route("192.0.2.1/32"));
  t.rib.commit(t.diff());
  assert.deepEqual(t.diff(), { withdraw: [], announce: [] });
  assert.equal(t.rib.sentCount, 1);
  assert.equal(t.rib.pending, 0);
});

Deno.test("AdjRibOut.diff() looks only at dirty prefixes", () => {
  const t = new Table().set(route("192.0.2.1/32"), route("192.0.2.2/32"));
  t.rib.commit(t.diff());
  let resolved = 0;
  t.set(route("192.0.2.2/32", 99));
  const diff = t.rib.diff(both, (p) => (resolved++, t.routes.get(p)));
  assert.equal(resolved, 1);
  assert.deepEqual(diff.announce.map((g) => g.prefixes), [["192.0.2.2/32"]]);
});

Deno.test("AdjRibOut.diff() takes at most `limit` dirty prefixes and leaves the rest pending", () => {
  const t = new Table().set(route("192.0.2.1/32"), route("192.0.2.2/32"), route("192.0.2.3/32"));
  const first = t.diff(both, 2);
  assert.equal(first.announce[0]!.prefixes.length, 2);
  assert.equal(t.rib.pending, 1);
  t.rib.commit(first);
  const second = t.diff();
  assert.deepEqual(second.announce.map((g) => g.prefixes), [["192.0.2.3/32"]]);
  assert.equal(t.rib.pending, 0);
});

Deno.test("AdjRibOut.diff() sends a changed prefix as one replacement, never withdraw first", () => {
  const t = new Table().set(route("192.0.2.1/32", 10));
  t.rib.commit(t.diff());
  t.set(route("192.0.2.1/32", 99));
  const diff = t.diff();
  assert.deepEqual(diff.withdraw, []);
  assert.equal(diff.announce.length, 1);
  assert.equal(diff.announce[0]!.attributes.med, 99);
});

Deno.test("AdjRibOut.diff() does not resend a prefix set again to the same route", () => {
  const t = new Table().set(route("192.0.2.1/32", 10));
  t.rib.commit(t.diff());
  t.set(route("192.0.2.1/32", 10));
  assert.deepEqual(t.diff(), { withdraw: [], announce: [] });
});

Deno.test("AdjRibOut.diff() batches withdrawals per family", () => {
  const t = new Table().set(route("192.0.2.1/32"), route("192.0.2.2/32"), route("2001:db8::1/128"));
  t.rib.commit(t.diff());
  t.remove("192.0.2.1/32", "192.0.2.2/32", "2001:db8::1/128");
  const diff = t.diff();
  assert.deepEqual(diff.announce, []);
  assert.deepEqual(
    diff.withdraw.map((w) => [w.family, w.prefixes.sort()]).sort(),
    [["ipv4-unicast", ["192.0.2.1/32", "192.0.2.2/32"]], ["ipv6-unicast", ["2001:db8::1/128"]]],
  );
  t.rib.commit(diff);
  assert.equal(t.rib.sentCount, 0);
});

Deno.test("AdjRibOut.diff() withdraws nothing for a prefix the peer never had", () => {
  const t = new Table().set(route("192.0.2.1/32"));
  t.remove("192.0.2.1/32");
  assert.deepEqual(t.diff(), { withdraw: [], announce: [] });
});

Deno.test("AdjRibOut.diff() skips families that were not negotiated", () => {
  const t = new Table().set(route("192.0.2.1/32"), route("2001:db8::1/128"));
  const diff = t.diff(["ipv4-unicast"]);
  assert.deepEqual(diff.announce.map((g) => g.prefixes), [["192.0.2.1/32"]]);
});

Deno.test("AdjRibOut.markAll() after the table was replaced withdraws what is gone", () => {
  const t = new Table().set(route("192.0.2.1/32"), route("192.0.2.2/32"));
  t.rib.commit(t.diff());
  t.routes = new Map([["192.0.2.3/32", keyed(route("192.0.2.3/32"))]]);
  t.rib.markAll(t.routes.keys());
  const diff = t.diff();
  assert.deepEqual(diff.withdraw.map((w) => w.prefixes.sort()), [["192.0.2.1/32", "192.0.2.2/32"]]);
  assert.deepEqual(diff.announce.map((g) => g.prefixes), [["192.0.2.3/32"]]);
});

Deno.test("AdjRibOut.reset() forgets what was sent and what was dirty", () => {
  const t = new Table().set(route("192.0.2.1/32"));
  t.rib.commit(t.diff());
  t.set(route("192.0.2.2/32"));
  t.rib.reset();
  assert.equal(t.rib.sentCount, 0);
  assert.equal(t.rib.pending, 0);
  t.rib.markAll(t.routes.keys());
  assert.equal(t.diff().announce[0]!.prefixes.length, 2);
});

Deno.test("AdjRibOut.sentGroups() returns what the peer has, for a route refresh", () => {
  const t = new Table().set(route("192.0.2.1/32"), route("192.0.2.2/32"), route("2001:db8::1/128"));
  t.rib.commit(t.diff());
  const prefixes = t.rib.sentPrefixes("ipv4-unicast");
  assert.deepEqual(prefixes.sort(), ["192.0.2.1/32", "192.0.2.2/32"]);
  const groups = t.rib.sentGroups(prefixes, t.resolve);
  assert.equal(groups.length, 1);
  assert.deepEqual(groups[0]!.prefixes.sort(), ["192.0.2.1/32", "192.0.2.2/32"]);
});

Deno.test("AdjRibIn keeps the latest route per prefix", () => {
  const rib = new AdjRibIn();
  rib.set({ prefix: "198.51.100.0/24", family: "ipv4-unicast", attributes: { med: 1 } });
  rib.set({ prefix: "198.51.100.0/24", family: "ipv4-unicast", attributes: { med: 2 } });
  assert.equal(rib.size, 1);
  assert.equal(rib.get("198.51.100.0/24")?.attributes.med, 2);
  assert.ok(rib.delete("198.51.100.0/24"));
  assert.equal(rib.size, 0);
});

const attrs: RouteAttributes = {
  communities: ["65000:100"],
  largeCommunities: ["65000:1:2"],
  extendedCommunities: [],
  med: 50,
  asPathPrepend: 2,
};
const spec: RouteSpec = {
  prefix: "192.0.2.1/32",
  family: "ipv4-unicast",
  origin: "igp",
  attributes: attrs,
};

Deno.test("outRouteFor() prepends our AS leftmost and omits LOCAL_PREF towards eBGP", () => {
  const r = outRouteFor(spec, { localAsn: 64600, ibgp: false, localAddress: "127.0.0.1" });
  assert.deepEqual(r.attributes.asPath, [{ type: "sequence", asns: [64600, 64600, 64600] }]);
  assert.equal(r.attributes.localPref, undefined);
  assert.equal(r.attributes.med, 50);
  assert.deepEqual(r.attributes.communities, ["65000:100"]);
  assert.deepEqual(r.attributes.largeCommunities, ["65000:1:2"]);
  assert.equal(r.nextHop, "127.0.0.1");
});

Deno.test("outRouteFor() sends LOCAL_PREF 100 and no own AS towards iBGP", () => {
  const r = outRouteFor(
    { ...spec, attributes: { ...attrs, asPathPrepend: 0 }, nextHop: "203.0.113.9" },
    { localAsn: 64600, ibgp: true, localAddress: "127.0.0.1" },
  );
  assert.deepEqual(r.attributes.asPath, []);
  assert.equal(r.attributes.localPref, 100);
  assert.equal(r.nextHop, "203.0.113.9");
});

Deno.test("outRouteFor() rejects an IPv6 route without a next hop over an IPv4 session (RFC 2545 §3)", () => {
  // An IPv4-mapped next hop (::ffff:127.0.0.1) is not a global IPv6 address: BIRD drops the route.
  assert.throws(
    () =>
      outRouteFor(
        { ...spec, prefix: "2001:db8::1/128", family: "ipv6-unicast" },
        { localAsn: 64600, ibgp: false, localAddress: "127.0.0.1" },
      ),
    RangeError,
  );
  const r = outRouteFor(
    { ...spec, prefix: "2001:db8::1/128", family: "ipv6-unicast" },
    { localAsn: 64600, ibgp: false, localAddress: "2001:db8::9" },
  );
  assert.equal(r.nextHop, "2001:db8::9");
});

Deno.test("AdjRibIn stores identical attribute sets once and frees them when unused", () => {
  const rib = new AdjRibIn();
  for (let i = 1; i <= 100; i++) {
    rib.set({ prefix: `198.51.100.${i}/32`, family: "ipv4-unicast", attributes: { med: 1 } });
  }
  rib.set({ prefix: "198.51.100.200/32", family: "ipv4-unicast", attributes: { med: 2 } });
  assert.equal(rib.size, 101);
  assert.equal(rib.attributeSets, 2);
  assert.equal(rib.get("198.51.100.1/32")!.attributes, rib.get("198.51.100.2/32")!.attributes);
  rib.delete("198.51.100.200/32");
  assert.equal(rib.attributeSets, 1);
  rib.set({ prefix: "198.51.100.1/32", family: "ipv4-unicast", attributes: { med: 3 } });
  assert.equal(rib.attributeSets, 2);
});

Deno.test("outRouteFor() rejects an IPv4 route without a next hop over an IPv6 session", () => {
  const { nextHop: _, ...noHop } = spec;
  assert.throws(
    () => outRouteFor(noHop, { localAsn: 64600, ibgp: false, localAddress: "2001:db8::1" }),
    RangeError,
  );
});
