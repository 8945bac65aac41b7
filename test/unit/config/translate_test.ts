import assert from "node:assert/strict";
import {
  type AnycastConfig,
  didYouMean,
  formatConfigError,
  formatDuration,
  parseCommunity,
  parseConfig,
  parseDuration,
  parseExtendedCommunity,
  parseLargeCommunity,
  resolveConfigPath,
} from "../../../src/config/mod.ts";

const SPEAKER = "speaker:\n  asn: 64600\n  routerId: 192.0.2.10\n";

function load(text: string): AnycastConfig {
  const result = parseConfig(text, "t.yaml");
  if (!result.ok) throw new Error(result.errors.map(formatConfigError).join("\n"));
  return result.config;
}

Deno.test("parseDuration() reads strings and integer seconds into milliseconds", () => {
  assert.equal(parseDuration("10s"), 10_000);
  assert.equal(parseDuration("300ms"), 300);
  assert.equal(parseDuration("1m30s"), 90_000);
  assert.equal(parseDuration("1.5s"), 1500);
  assert.equal(parseDuration("1h"), 3_600_000);
  assert.equal(parseDuration(5), 5000);
  assert.equal(parseDuration("0"), 0);
  assert.throws(() => parseDuration("10"), SyntaxError);
  assert.throws(() => parseDuration(-1), RangeError);
});

Deno.test("formatDuration() prints the shortest form", () => {
  assert.equal(formatDuration(90_000), "1m30s");
  assert.equal(formatDuration(300), "300ms");
  assert.equal(formatDuration(0), "0s");
});

Deno.test("parseCommunity() maps well-known names to their values", () => {
  assert.equal(parseCommunity("no-export"), "65535:65281");
  assert.equal(parseCommunity("no-advertise"), "65535:65282");
  assert.equal(parseCommunity("no-export-subconfed"), "65535:65283");
  assert.equal(parseCommunity("graceful-shutdown"), "65535:0");
  assert.equal(parseCommunity("blackhole"), "65535:666");
  assert.equal(parseCommunity("NO_EXPORT"), "65535:65281");
  assert.equal(parseCommunity("065000:0100"), "65000:100");
  assert.throws(() => parseCommunity("65536:1"), RangeError);
});

Deno.test("parseLargeCommunity() and parseExtendedCommunity() normalise text forms", () => {
  assert.equal(parseLargeCommunity("4200000000:1:2"), "4200000000:1:2");
  assert.equal(parseExtendedCommunity("RT:65000:100"), "rt:65000:100");
  assert.equal(parseExtendedCommunity("target:65000:100"), "rt:65000:100");
  assert.equal(parseExtendedCommunity("soo:192.0.2.1:7"), "soo:192.0.2.1:7");
  assert.throws(() => parseExtendedCommunity("rt:4200000000:70000"), RangeError);
});

Deno.test("didYouMean() finds typos, case and separator changes, and clipped names", () => {
  assert.equal(didYouMean("multihope_ttl", ["multihop_ttl", "name"]), "multihop_ttl");
  assert.equal(didYouMean("router_id", ["routerId", "asn"]), "routerId");
  assert.equal(didYouMean("period", ["periodSeconds", "tcp"]), "periodSeconds");
  assert.equal(didYouMean("zzzzzz", ["asn", "routerId"]), undefined);
});

Deno.test("resolveConfigPath() prefers --config, then CONFIG_PATH, then /config.yaml", () => {
  const env = (n: string) => (n === "CONFIG_PATH" ? "/etc/anycastd.yaml" : undefined);
  assert.equal(resolveConfigPath("/a.yaml", env), "/a.yaml");
  assert.equal(resolveConfigPath(undefined, env), "/etc/anycastd.yaml");
  assert.equal(resolveConfigPath(undefined, () => undefined), "/config.yaml");
  assert.equal(resolveConfigPath(undefined, () => ""), "/config.yaml");
});

Deno.test("parseConfig() fills native defaults the Kubernetes way", () => {
  const c = load(
    SPEAKER +
      "neighbors:\n  - address: 192.0.2.1\n    asn: 65000\nprefixes:\n  - ipAddress: 198.51.100.1\n    readinessProbe:\n      tcp: {port: 53}\n",
  );
  assert.equal(c.logging.driver, "stderr");
  assert.equal(c.logging.level, "info");
  const n = c.neighbors[0]!;
  assert.deepEqual(
    [n.port, n.holdTime, n.keepalive, n.connectRetry, n.ebgpMultihopTtl, n.passive],
    [179, 90, 30, 5, 1, false],
  );
  assert.deepEqual(n.families, ["ipv4-unicast"]);
  assert.equal(n.bfd, undefined);
  const p = c.prefixes[0]!;
  assert.equal(p.prefix, "198.51.100.1/32");
  assert.equal(p.withdrawOnDown, true);
  assert.equal(p.origin, "igp");
  const probe = p.readinessProbe!;
  assert.deepEqual(
    [
      probe.initialDelayMs,
      probe.periodMs,
      probe.timeoutMs,
      probe.failureThreshold,
      probe.successThreshold,
    ],
    [0, 10_000, 1000, 3, 1],
  );
  assert.deepEqual(probe.handler, { kind: "tcp", host: "127.0.0.1", port: 53 });
});

Deno.test("parseConfig() maps Periphery's per-prefix fields onto the model", () => {
  const c = load(
    SPEAKER +
      "prefixes:\n  - ipAddress: 192.0.2.0/24\n    name: web\n    asn: 65123\n    multiExitDescriminator: 50\n    asPathPrepend: 2\n    withdrawOnDown: false\n    maintenance: /run/web.maint\n",
  );
  const p = c.prefixes[0]!;
  assert.equal(p.name, "web");
  assert.equal(p.prependAsn, 65123);
  assert.equal(p.attributes.med, 50);
  assert.equal(p.attributes.asPathPrepend, 2);
  assert.equal(p.withdrawOnDown, false);
  assert.equal(p.maintenanceFile, "/run/web.maint");
  // Announced while down with the up attributes when no `down` block is given.
  assert.deepEqual(p.downAttributes, p.attributes);
});

Deno.test("parseConfig() merges down and disabled overrides over the up attributes", () => {
  const c = load(
    SPEAKER +
      'prefixes:\n  - ipAddress: 192.0.2.0/24\n    communities: ["65000:1"]\n    med: 10\n    withdrawOnDown: false\n    down: {med: 500, asPathPrepend: 3}\n    disabled: {communities: [graceful-shutdown]}\n    drainTime: 30s\n',
  );
  const p = c.prefixes[0]!;
  assert.deepEqual(p.downAttributes, {
    communities: ["65000:1"],
    largeCommunities: [],
    extendedCommunities: [],
    med: 500,
    asPathPrepend: 3,
  });
  assert.deepEqual(p.disabledAttributes?.communities, ["65535:0"]);
  assert.equal(p.disabledAttributes?.med, 10);
  assert.equal(p.drainMs, 30_000);
});

Deno.test("parseConfig() turns on BFD per neighbor from the global block and overrides", () => {
  const c = load(
    SPEAKER +
      "bfd:\n  enabled: true\n  minimumReceptionInterval: 200ms\nneighbors:\n  - address: 192.0.2.1\n    asn: 65000\n  - address: 192.0.2.2\n    asn: 65000\n    bfd: false\n  - address: 192.0.2.3\n    asn: 65000\n    bfd: {detectionMultiplier: 5}\n",
  );
  assert.equal(c.neighbors[0]!.bfd?.minRxMs, 200);
  assert.equal(c.neighbors[0]!.bfd?.multiplier, 3);
  assert.equal(c.neighbors[1]!.bfd, undefined);
  assert.equal(c.neighbors[2]!.bfd?.multiplier, 5);
  assert.equal(c.neighbors[2]!.bfd?.minRxMs, 200);
});

Deno.test("parseConfig() lets a tcp handler timeout set the probe timeout", () => {
  const c = load(
    SPEAKER +
      "prefixes:\n  - ipAddress: 192.0.2.1/32\n    livenessProbe:\n      timeoutSeconds: 1\n      tcp: {port: 80, timeout: 3s}\n",
  );
  assert.equal(c.prefixes[0]!.livenessProbe!.timeoutMs, 3000);
});

Deno.test("parseConfig() canonicalises IPv6 addresses and prefixes", () => {
  const c = load(
    SPEAKER +
      "neighbors:\n  - address: 2001:DB8:0:0::1\n    asn: 65000\nprefixes:\n  - ipAddress: 2001:db8:0:0:0:0:0:0/32\n    nextHop: 2001:db8::0:a\n",
  );
  assert.equal(c.neighbors[0]!.address, "2001:db8::1");
  assert.deepEqual(c.neighbors[0]!.families, ["ipv6-unicast"]);
  assert.equal(c.prefixes[0]!.prefix, "2001:db8::/32");
  assert.equal(c.prefixes[0]!.nextHop, "2001:db8::a");
});

const ANYCASTD = `announcer:
  router_id: 10.3.3.3
  local_address: 10.0.0.1
  local_asn: 65999
  routes: [10.0.0.128/32, 10.0.1.0/24]
  peers:
    - name: r1
      remote_address: 10.0.0.252
      remote_asn: 65000
services:
  - name: dns
    check_interval: 5s
    checks:
      - kind: dns_lookup
        spec: {query: example.org, resolver: 127.0.0.1:53, tries: 3, interval: 100ms, timeout: 3s}
  - name: web
    strategy: at_least_n_percentage
    strategy_options: {n: 50}
    checks:
      - kind: http_2xx
        group: a
        spec: {url: http://127.0.0.1:8080/}
`;

Deno.test("parseConfig() gates every anycastd route by all services", () => {
  const result = parseConfig(ANYCASTD, "a.yaml");
  assert.ok(result.ok);
  assert.equal(result.dialect, "anycastd");
  const c = result.config;
  assert.deepEqual(c.prefixes.map((p) => [p.prefix, p.services, p.servicesMode]), [
    ["10.0.0.128/32", ["dns", "web"], "all"],
    ["10.0.1.0/24", ["dns", "web"], "all"],
  ]);
  assert.equal(c.speaker.asn, 65999);
  assert.equal(c.neighbors[0]!.localAddress, "10.0.0.1");
  assert.equal(c.neighbors[0]!.name, "r1");
  assert.equal(c.services[0]!.checkIntervalMs, 5000);
  assert.deepEqual(c.services[0]!.checks[0]!.handler, {
    kind: "dns_lookup",
    query: "example.org",
    resolver: "127.0.0.1:53",
    recordType: "A",
    tries: 3,
    intervalMs: 100,
    timeoutMs: 3000,
  });
  assert.equal(c.services[1]!.strategy, "at_least_n_percentage");
  assert.equal(c.services[1]!.strategyN, 50);
  assert.equal(c.services[1]!.checks[0]!.group, "a");
  assert.equal(c.logging.level, "warning");
});

Deno.test("parseConfig() honours announcer.routes_mode: any", () => {
  const c = load(ANYCASTD.replace("  peers:", "  routes_mode: any\n  peers:"));
  assert.deepEqual(c.prefixes.map((p) => p.servicesMode), ["any", "any"]);
});

const ANYCASTD_HEAD = `announcer:
  router_id: 192.0.2.1
  local_address: 192.0.2.1
  local_asn: 64600
  routes: [198.51.100.1/32]
  peers: [{ name: r1, remote_address: 192.0.2.254, remote_asn: 64599 }]
`;

Deno.test("anycastd translation: strategy defaults to anycastd's at_least_one", () => {
  const r = parseConfig(
    ANYCASTD_HEAD + `services:
  - name: web
    check_interval: 1s
    checks: [{ kind: assigned_address, spec: { ipv4: 192.0.2.1 } }]
`,
    "a.yaml",
  );
  assert.ok(r.ok);
  assert.equal(r.config.services[0]!.strategy, "at_least_one");
});

Deno.test("anycastd translation: strategy_options.n takes anycastd's fraction", () => {
  const r = parseConfig(
    ANYCASTD_HEAD + `services:
  - name: web
    check_interval: 1s
    strategy: at_least_n_percentage
    strategy_options: { n: 0.5 }
    checks: [{ kind: assigned_address, spec: { ipv4: 192.0.2.1 } }]
`,
    "a.yaml",
  );
  assert.ok(r.ok, r.ok ? "" : JSON.stringify(r.errors));
  assert.equal(r.config.services[0]!.strategyN, 0.5);
});

Deno.test("anycastd translation: icmp_ping tries become echo requests in one run", () => {
  const r = parseConfig(
    ANYCASTD_HEAD + `services:
  - name: web
    check_interval: 1s
    checks:
      - kind: icmp_ping
        spec: { static: { host: 127.0.0.1 }, tries: 4, interval: 100ms, timeout: 2s }
`,
    "a.yaml",
  );
  assert.ok(r.ok, r.ok ? "" : JSON.stringify(r.errors));
  assert.deepEqual(r.config.services[0]!.checks[0]!.handler, {
    kind: "icmp_ping",
    host: "127.0.0.1",
    count: 4,
    maxLossPercent: 100,
    intervalMs: 100,
    timeoutMs: 2000,
    tries: 1,
  });
});
