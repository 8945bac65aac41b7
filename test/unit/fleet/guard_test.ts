import assert from "node:assert/strict";
import {
  decideWithdraw,
  decodeRecord,
  encodeRecord,
  floorOf,
  parseSiteKey,
  rangeEnd,
  siteKey,
  type SiteRecord,
  standingOf,
} from "../../../src/fleet/mod.ts";

const rec = (site: string, state: SiteRecord["state"], minSites = 2): SiteRecord => ({
  site,
  state,
  reason: "r",
  since: "2026-12-01T00:00:00.000Z",
  minSites,
  minPercent: 0,
});

Deno.test("floorOf() takes the larger of minSites and minPercent, capped at the live sites", () => {
  assert.deepEqual(floorOf(5, { minSites: 2, minPercent: 0 }), 2);
  assert.deepEqual(floorOf(5, { minSites: 1, minPercent: 50 }), 3); // ceil(2.5)
  assert.deepEqual(floorOf(10, { minSites: 0, minPercent: 30 }), 3);
  assert.deepEqual(floorOf(2, { minSites: 3, minPercent: 0 }), 2);
  assert.deepEqual(floorOf(0, { minSites: 1, minPercent: 0 }), 0);
});

Deno.test("decideWithdraw() holds when the rest would fall below minSites", () => {
  const records = [rec("a", "announced"), rec("b", "announced"), rec("c", "withdrawn")];
  const v = decideWithdraw("a", records, { minSites: 2, minPercent: 0 });
  assert.deepEqual(v.allow, false);
  assert.deepEqual(v.remaining, 1);
  assert.deepEqual(v.total, 3);
  assert.deepEqual(v.reason, "withdrawing would leave 1 of 3 sites announcing, minimum 2");
});

Deno.test("decideWithdraw() counts held sites as announcing and draining ones as not", () => {
  const records = [rec("a", "announced"), rec("b", "held"), rec("c", "announced")];
  assert.deepEqual(decideWithdraw("a", records, { minSites: 2, minPercent: 0 }).allow, true);
  const draining = [rec("a", "announced"), rec("b", "draining"), rec("c", "announced")];
  assert.deepEqual(decideWithdraw("a", draining, { minSites: 2, minPercent: 0 }).allow, false);
});

Deno.test("decideWithdraw() counts this site as live before its record exists", () => {
  const v = decideWithdraw("new", [rec("a", "announced")], { minSites: 1, minPercent: 0 });
  assert.deepEqual([v.allow, v.total, v.remaining], [true, 2, 1]);
});

Deno.test("standingOf() applies the strictest floor of the live sites", () => {
  const s = standingOf([rec("a", "announced", 1), rec("b", "withdrawn", 2), rec("c", "withdrawn")]);
  assert.deepEqual(s, { announcing: 1, total: 3, floor: 2, belowFloor: true });
});

Deno.test("siteKey() and parseSiteKey() round-trip IPv4 and IPv6 prefixes", () => {
  for (const prefix of ["198.51.100.1/32", "2001:db8::/48", "10.0.0.0/8"]) {
    const key = siteKey("/anycast/", prefix, "fra1");
    assert.deepEqual(parseSiteKey("/anycast/", key), { prefix, site: "fra1" });
  }
  assert.deepEqual(
    siteKey("/anycast/", "198.51.100.1/32", "x"),
    "/anycast/prefixes/198.51.100.1/32/x",
  );
  assert.deepEqual(parseSiteKey("/anycast/", "/anycast/prefixes/nonsense"), undefined);
  assert.deepEqual(parseSiteKey("/anycast/", "/other/prefixes/198.51.100.1/32/x"), undefined);
});

Deno.test("rangeEnd() is the prefix plus one", () => {
  assert.deepEqual(new TextDecoder().decode(rangeEnd("/a/b/")), "/a/b0");
  assert.deepEqual([...rangeEnd("a\xff")], [0x61, 0xc3, 0xc0]); // UTF-8 bytes, last one bumped
});

Deno.test("encodeRecord() and decodeRecord() round-trip", () => {
  const r = rec("fra1", "held");
  assert.deepEqual(decodeRecord(encodeRecord(r)), r);
});

Deno.test("decodeRecord() rejects bad JSON, non-objects, missing fields and unknown states", () => {
  assert.throws(
    () => decodeRecord("{"),
    (e: Error) => e instanceof SyntaxError && e.message.includes("Cannot parse fleet record"),
  );
  assert.throws(
    () => decodeRecord("[]"),
    (e: Error) => e instanceof SyntaxError && e.message.includes("expected a JSON object"),
  );
  assert.throws(
    () => decodeRecord('{"state":"held"}'),
    (e: Error) => e instanceof SyntaxError && e.message.includes("site missing"),
  );
  assert.throws(
    () => decodeRecord(JSON.stringify({ ...rec("a", "held"), state: "gone" })),
    (e: Error) => e instanceof SyntaxError && e.message.includes('unknown state "gone"'),
  );
  assert.throws(
    () => decodeRecord(JSON.stringify({ ...rec("a", "held"), minSites: -1 })),
    (e: Error) => e instanceof SyntaxError && e.message.includes("minSites is not a number"),
  );
});
