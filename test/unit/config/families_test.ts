/**
 * Default neighbor families follow the configured prefixes (RFC 4760: a
 * session carries any family it negotiates; RFC 2545: an IPv6 route needs an
 * IPv6 next hop), and validate warns about a prefix no neighbor can carry.
 */
import assert from "node:assert/strict";
import {
  type AnycastConfig,
  formatConfigError,
  formatConfigWarning,
  parseConfig,
} from "../../../src/config/mod.ts";
import { canCarry, defaultFamilies } from "../../../src/config/_families.ts";
import { diffConfig } from "../../../src/daemon/reload.ts";

const SPEAKER = "speaker:\n  asn: 64600\n  routerId: 192.0.2.10\n";

function parse(text: string): { config: AnycastConfig; warnings: string[] } {
  const result = parseConfig(text, "t.yaml");
  if (!result.ok) throw new Error(result.errors.map(formatConfigError).join("\n"));
  return { config: result.config, warnings: result.warnings.map(formatConfigWarning) };
}

Deno.test("defaultFamilies() adds every prefix family the session has a next hop for", () => {
  const v4 = "ipv4-unicast" as const;
  const v6 = "ipv6-unicast" as const;
  assert.deepEqual(defaultFamilies(v4, []), [v4]);
  assert.deepEqual(defaultFamilies(v6, []), [v6]);
  assert.deepEqual(defaultFamilies(v4, [{ family: v6, nextHop: "2001:db8::1" }]), [v4, v6]);
  assert.deepEqual(defaultFamilies(v4, [{ family: v6 }]), [v4]);
  assert.deepEqual(defaultFamilies(v6, [{ family: v4, nextHop: "192.0.2.1" }]), [v4, v6]);
  assert.equal(canCarry({ family: v6 }, [v4, v6], v4), false);
  assert.equal(canCarry({ family: v6 }, [v6], v6), true);
  assert.equal(canCarry({ family: v6, nextHop: "2001:db8::1" }, [v4], v4), false);
});

Deno.test("an IPv4 neighbor without families carries an IPv6 prefix that has an IPv6 next hop", () => {
  const { config, warnings } = parse(
    SPEAKER + "neighbors:\n  - {address: 192.0.2.254, asn: 64599}\n" +
      "prefixes:\n  - ipAddress: 198.51.100.1/32\n" +
      "  - {ipAddress: 2001:db8:1::/48, nextHop: 2001:db8::10}\n",
  );
  assert.deepEqual(config.neighbors[0]?.families, ["ipv4-unicast", "ipv6-unicast"]);
  assert.deepEqual(warnings, []);
});

Deno.test("an IPv6 neighbor without families carries an IPv4 prefix that has an IPv4 next hop", () => {
  const { config } = parse(
    SPEAKER + "neighbors:\n  - {address: 2001:db8::fe, asn: 64599}\n" +
      "prefixes:\n  - {ipAddress: 198.51.100.1/32, nextHop: 192.0.2.10}\n",
  );
  assert.deepEqual(config.neighbors[0]?.families, ["ipv4-unicast", "ipv6-unicast"]);
});

Deno.test("explicit families stay the override, and validate names the neighbor to change", () => {
  const { config, warnings } = parse(
    SPEAKER + "neighbors:\n  - {address: 192.0.2.254, asn: 64599, families: [ipv4-unicast]}\n" +
      "prefixes:\n  - {ipAddress: 2001:db8:1::/48, nextHop: 2001:db8::10}\n",
  );
  assert.deepEqual(config.neighbors[0]?.families, ["ipv4-unicast"]);
  assert.deepEqual(warnings, [
    "t.yaml:7:17: warning: prefixes[0].ipAddress: 2001:db8:1::/48 is announced to no neighbor: add ipv6-unicast to the families of neighbor 192.0.2.254 (neighbors[0]) (it has ipv4-unicast)",
  ]);
});

Deno.test("an IPv6 prefix without next hop over IPv4 sessions warns for every neighbor", () => {
  const { warnings } = parse(
    SPEAKER + "neighbors:\n  - {address: 192.0.2.254, asn: 64599}\n" +
      "  - {address: 192.0.2.253, asn: 64599, families: [ipv4-unicast]}\n" +
      "prefixes:\n  - ipAddress: 2001:db8:2::/48\n",
  );
  assert.deepEqual(warnings, [
    "t.yaml:8:16: warning: prefixes[0].ipAddress: 2001:db8:2::/48 is announced to no neighbor: neighbor 192.0.2.254 (neighbors[0]) has an IPv4 session, so the route needs an IPv6 next hop: set prefixes[0].nextHop; neighbor 192.0.2.253 (neighbors[1]) has an IPv4 session, so the route needs an IPv6 next hop: set prefixes[0].nextHop, and add ipv6-unicast to its families",
  ]);
});

Deno.test("one neighbor that can carry a prefix is enough: no warning", () => {
  const { config, warnings } = parse(
    SPEAKER + "neighbors:\n  - {address: 192.0.2.254, asn: 64599}\n" +
      "  - {address: 2001:db8::fe, asn: 64599}\n" +
      "prefixes:\n  - ipAddress: 2001:db8:2::/48\n  - ipAddress: 198.51.100.0/24\n",
  );
  assert.deepEqual(config.neighbors.map((n) => n.families), [["ipv4-unicast"], ["ipv6-unicast"]]);
  assert.deepEqual(warnings, []);
});

const ANYCASTD = (local: string, routes: string) =>
  `announcer:\n  router_id: 10.3.3.3\n  local_address: ${local}\n  local_asn: 65999\n` +
  `  routes: [${routes}]\n  peers:\n    - name: r1\n      remote_address: 10.0.0.252\n` +
  "      remote_asn: 65000\n";

Deno.test("anycastd: an IPv6 local_address lets an IPv4 peer carry IPv6 routes with it as next hop", () => {
  const { config, warnings } = parse(ANYCASTD("2001:db8::1", "10.0.0.128/32, 2001:db8:5::/48"));
  assert.deepEqual(config.neighbors[0]?.families, ["ipv4-unicast", "ipv6-unicast"]);
  assert.equal(config.prefixes[1]?.nextHop, "2001:db8::1");
  assert.equal(config.prefixes[0]?.nextHop, undefined);
  assert.deepEqual(warnings, []);
});

Deno.test("anycastd: an IPv6 route with an IPv4 local_address warns, naming the peer", () => {
  const { config, warnings } = parse(ANYCASTD("10.0.0.1", "10.0.0.128/32, 2001:db8::/48"));
  assert.deepEqual(config.neighbors[0]?.families, ["ipv4-unicast"]);
  assert.equal(config.prefixes[0]?.nextHop, "10.0.0.1");
  assert.deepEqual(warnings, [
    "t.yaml:5:27: warning: announcer.routes[1]: 2001:db8::/48 is announced to no neighbor: peer r1 (announcer.peers[0]) has an IPv4 session, so the route needs an IPv6 next hop: anycastd's next hop is local_address (10.0.0.1); write this route in the native dialect with nextHop",
  ]);
});

Deno.test("a reload that adds the first IPv6 prefix changes the IPv4 neighbor (new capabilities)", () => {
  const base = SPEAKER + "neighbors:\n  - {address: 192.0.2.254, asn: 64599}\nprefixes:\n" +
    "  - ipAddress: 198.51.100.1/32\n";
  const before = parse(base).config;
  const after = parse(base + "  - {ipAddress: 2001:db8:1::/48, nextHop: 2001:db8::10}\n").config;
  const diff = diffConfig(before, after);
  assert.deepEqual(diff.neighbors.changed.map((n) => n.families), [[
    "ipv4-unicast",
    "ipv6-unicast",
  ]]);
  assert.deepEqual(diff.prefixes.added.map((p) => p.prefix), ["2001:db8:1::/48"]);
});
