/**
 * Herald (Periphery's current name, github ahmet2mir/periphery) fields that
 * differ from what the native dialect knew, each with its meaning. The
 * fixture test/fixtures/herald-fields.yaml was written from Herald's
 * documented field tables (docs/configuration.md, metrics.md, probes.md) and
 * its pkg/config, pkg/probe and pkg/service structs.
 */
import assert from "node:assert/strict";
import {
  type AnycastConfig,
  formatConfigError,
  formatConfigWarning,
  type HttpHandler,
  parseConfig,
} from "../../../src/config/mod.ts";
import { outRouteFor } from "../../../src/bgp/route.ts";

const SPEAKER = "speaker:\n  asn: 64600\n  routerId: 192.0.2.10\n";
const fixture = new URL("../../fixtures/herald-fields.yaml", import.meta.url);

function load(text: string): AnycastConfig {
  const result = parseConfig(text, "t.yaml");
  if (!result.ok) throw new Error(result.errors.map(formatConfigError).join("\n"));
  return result.config;
}

function errors(text: string): string[] {
  const result = parseConfig(text, "t.yaml");
  assert.equal(result.ok, false, "expected the config to be rejected");
  return result.ok ? [] : result.errors.map(formatConfigError);
}

function warnings(text: string): string[] {
  const result = parseConfig(text, "t.yaml");
  if (!result.ok) throw new Error(result.errors.map(formatConfigError).join("\n"));
  return result.warnings.map(formatConfigWarning);
}

Deno.test("a config using every documented Herald field validates with Herald's meaning", async () => {
  const text = await Deno.readTextFile(fixture);
  const result = parseConfig(text, "herald-fields.yaml");
  if (!result.ok) throw new Error(result.errors.map(formatConfigError).join("\n"));
  const c = result.config;
  // The one warning: Herald's api listener stays closed without a bearer token.
  assert.deepEqual(result.warnings.map((w) => w.path), ["api.listenAddress"]);
  assert.equal(c.dialect, "native");
  assert.deepEqual(c.logging, {
    driver: "file",
    format: "json",
    level: "debug",
    file: "/var/log/herald.log",
  });
  assert.deepEqual(c.metrics, { enabled: true, address: "0.0.0.0:9191", path: "/metrics" });
  assert.deepEqual(
    [c.speaker.gracefulRestartEnabled, c.speaker.gracefulRestartRestartTime],
    [true, 90],
  );
  assert.deepEqual(
    [c.bfd.minRxMs, c.bfd.minTxMs, c.bfd.multiplier, c.bfd.passive],
    [400, 500, 4, true],
  );
  assert.deepEqual([c.api.listenAddress, c.api.listenPort], ["127.0.0.1", 50051]);
  assert.equal(c.neighbors[0]?.ebgpMultihop, true);
  const web = c.prefixes[0]!;
  assert.equal(web.name, "web");
  assert.equal(web.attributes.med, 100);
  assert.deepEqual(web.attributes.asPathPrependAsns, [64601, 64602]);
  assert.equal(web.attributes.asPathPrepend, 2);
  assert.equal(web.maintenanceFile, "/etc/maintenance/web");
  assert.deepEqual(web.service, { name: "nginx.service", type: "systemd" });
  // startupProbe.exec: user and timeout (Herald's ProbeExec fields).
  assert.deepEqual(web.startupProbe?.handler, {
    kind: "exec",
    user: "www-data",
    command: "/usr/local/bin/ready",
    args: ["--verbose"],
    env: {},
    exitCodes: [0, 2],
  });
  assert.equal(web.startupProbe?.timeoutMs, 2000);
  assert.equal(web.startupProbe?.initialDelayMs, 10_000);
  // livenessProbe: terminationGracePeriodSeconds, and requestTimeout bounding the request.
  assert.equal(web.livenessProbe?.terminationGracePeriodMs, 45_000);
  assert.equal(web.livenessProbe?.timeoutMs, 4000);
  const http = web.livenessProbe?.handler as HttpHandler;
  assert.deepEqual(
    [http.scheme, http.host, http.port, http.path, http.expectedStatus, http.headers],
    ["https", "localhost", 8080, "/healthz", [[200, 200], [204, 204]], [{
      name: "Authorization",
      value: "Bearer token",
    }]],
  );
  assert.equal(web.readinessProbe?.timeoutMs, 3000);
  assert.equal(web.readinessProbe?.successThreshold, 2);
  // `asPathPrepend: []` (Herald's documented default) prepends nothing.
  assert.equal(c.prefixes[1]?.attributes.asPathPrepend, 0);
  assert.deepEqual(c.prefixes[1]?.attributes.asPathPrependAsns, []);
  assert.equal(c.prefixes[1]?.readinessProbe?.handler.kind, "grpc");
});

// ------------------------------------------------------------------ metrics

Deno.test("metrics: Herald's listenAddress and listenPort make the address", () => {
  const c = load(
    SPEAKER + "metrics:\n  enabled: true\n  listenAddress: 0.0.0.0\n  listenPort: 9300\n",
  );
  assert.equal(c.metrics.address, "0.0.0.0:9300");
});

Deno.test("metrics: Herald's form defaults to 127.0.0.1 and 9091", () => {
  assert.equal(
    load(SPEAKER + "metrics: {enabled: true, interval: 15s}\n").metrics.address,
    "127.0.0.1:9091",
  );
  assert.equal(load(SPEAKER + "metrics: {listenPort: 9400}\n").metrics.address, "127.0.0.1:9400");
  assert.equal(load(SPEAKER + "metrics: {listenAddress: '::1'}\n").metrics.address, "[::1]:9091");
});

Deno.test("metrics: our address form and its default are unchanged", () => {
  assert.equal(load(SPEAKER + "metrics: {enabled: true}\n").metrics.address, "127.0.0.1:9090");
  assert.equal(
    load(SPEAKER + "metrics: {address: '127.0.0.2:9500', interval: 5s}\n").metrics.address,
    "127.0.0.2:9500",
  );
});

Deno.test("metrics: address together with listenAddress or listenPort is an error", () => {
  assert.deepEqual(
    errors(
      SPEAKER +
        "metrics:\n  address: 127.0.0.1:9090\n  listenAddress: 0.0.0.0\n  listenPort: 9091\n",
    ),
    [
      't.yaml:6:18: metrics.listenAddress: address and listenAddress say the same thing: use address ("host:port") or Herald\'s listenAddress and listenPort, not both',
      't.yaml:7:15: metrics.listenPort: address and listenPort say the same thing: use address ("host:port") or Herald\'s listenAddress and listenPort, not both',
    ],
  );
});

Deno.test("metrics: interval must be a duration", () => {
  assert.deepEqual(errors(SPEAKER + "metrics: {interval: often}\n"), [
    't.yaml:4:21: metrics.interval: expected a duration such as "10s" or "300ms", or integer seconds, got "often"',
  ]);
});

// ------------------------------------------------------------------ asPathPrepend

const EBGP = "neighbors:\n  - {address: 192.0.2.254, asn: 64599}\n";
const IBGP = "neighbors:\n  - {address: 192.0.2.9, asn: 64600}\n";

Deno.test("asPathPrepend: a list prepends exactly its ASNs after our own AS", () => {
  const c = load(
    SPEAKER + EBGP + "prefixes:\n  - ipAddress: 192.0.2.1/32\n    asPathPrepend: [64700, 64701]\n",
  );
  const p = c.prefixes[0]!;
  const route = outRouteFor(p, { localAsn: 64600, ibgp: false, localAddress: "192.0.2.10" });
  assert.deepEqual(route.attributes.asPath, [{ type: "sequence", asns: [64600, 64700, 64701] }]);
});

Deno.test("asPathPrepend: a list ignores the prefix's asn, a count uses it", () => {
  const c = load(
    SPEAKER + EBGP + "prefixes:\n" +
      "  - {ipAddress: 192.0.2.1/32, asn: 65001, asPathPrepend: [64600, 64600]}\n" +
      "  - {ipAddress: 192.0.2.2/32, asn: 65001, asPathPrepend: 2}\n",
  );
  const view = { localAsn: 64600, ibgp: false, localAddress: "192.0.2.10" };
  assert.deepEqual(outRouteFor(c.prefixes[0]!, view).attributes.asPath?.[0]?.asns, [
    64600,
    64600,
    64600,
  ]);
  assert.deepEqual(outRouteFor(c.prefixes[1]!, view).attributes.asPath?.[0]?.asns, [
    64600,
    65001,
    65001,
  ]);
});

Deno.test("asPathPrepend: a list holding our own AS is an error with an iBGP neighbor", () => {
  assert.deepEqual(
    errors(
      SPEAKER + IBGP +
        "prefixes:\n  - ipAddress: 192.0.2.1/32\n    asPathPrepend: [64700, 64600]\n" +
        "    withdrawOnDown: false\n    down: {asPathPrepend: [64600]}\n",
    ),
    [
      "t.yaml:8:28: prefixes[0].asPathPrepend[1]: prepending our own AS 64600 is dropped as a loop by iBGP neighbor 192.0.2.9 (AS 64600); list other AS numbers or use med/localPref",
      "t.yaml:10:28: prefixes[0].down.asPathPrepend[0]: prepending our own AS 64600 is dropped as a loop by iBGP neighbor 192.0.2.9 (AS 64600); list other AS numbers or use med/localPref",
    ],
  );
});

Deno.test("asPathPrepend: a list of other ASNs is fine with an iBGP neighbor", () => {
  const c = load(
    SPEAKER + IBGP + "prefixes:\n  - ipAddress: 192.0.2.1/32\n    asPathPrepend: [64700]\n",
  );
  const route = outRouteFor(c.prefixes[0]!, {
    localAsn: 64600,
    ibgp: true,
    localAddress: "192.0.2.10",
  });
  assert.deepEqual(route.attributes.asPath, [{ type: "sequence", asns: [64700] }]);
});

Deno.test("asPathPrepend: bad entries and lists longer than 32 are errors", () => {
  assert.deepEqual(
    errors(SPEAKER + "prefixes:\n  - ipAddress: 192.0.2.1/32\n    asPathPrepend: [0]\n"),
    ["t.yaml:6:21: prefixes[0].asPathPrepend[0]: expected AS number 1-4294967295, got 0"],
  );
  const long = `[${Array(33).fill(64700).join(", ")}]`;
  assert.deepEqual(
    errors(SPEAKER + `prefixes:\n  - ipAddress: 192.0.2.1/32\n    asPathPrepend: ${long}\n`),
    [
      "t.yaml:6:20: prefixes[0].asPathPrepend: expected a count 0-32 or a list of up to 32 AS numbers, got a list",
    ],
  );
  assert.deepEqual(
    errors(SPEAKER + "prefixes:\n  - ipAddress: 192.0.2.1/32\n    asPathPrepend: lots\n"),
    [
      't.yaml:6:20: prefixes[0].asPathPrepend: expected a count 0-32 or a list of up to 32 AS numbers, got "lots"',
    ],
  );
});

// ------------------------------------------------------------------ probes

const PROBE = (lines: string) =>
  SPEAKER +
  "prefixes:\n  - ipAddress: 192.0.2.1/32\n    service: {name: web.service, type: systemd}\n" +
  "    livenessProbe:\n" + lines;

Deno.test("terminationGracePeriodSeconds: read as the restart grace period, default none", () => {
  const c = load(PROBE("      terminationGracePeriodSeconds: 30s\n      tcp: {port: 80}\n"));
  assert.equal(c.prefixes[0]?.livenessProbe?.terminationGracePeriodMs, 30_000);
  const d = load(PROBE("      terminationGracePeriodSeconds: 5\n      tcp: {port: 80}\n"));
  assert.equal(d.prefixes[0]?.livenessProbe?.terminationGracePeriodMs, 5000);
  const e = load(PROBE("      tcp: {port: 80}\n"));
  assert.equal(e.prefixes[0]?.livenessProbe?.terminationGracePeriodMs, undefined);
});

Deno.test("timeoutSeconds longer than periodSeconds is accepted with a warning", () => {
  const text = PROBE("      periodSeconds: 5s\n      timeoutSeconds: 60s\n      tcp: {port: 80}\n");
  const c = load(text);
  assert.deepEqual([
    c.prefixes[0]?.livenessProbe?.periodMs,
    c.prefixes[0]?.livenessProbe?.timeoutMs,
  ], [
    5000,
    60_000,
  ]);
  assert.deepEqual(warnings(text), [
    "t.yaml:9:23: warning: prefixes[0].livenessProbe.timeoutSeconds: timeout 1m is longer than the period 5s: runs never overlap, so while runs time out the probe runs every 1m, not every 5s",
  ]);
});

Deno.test("a handler timeout longer than the default period warns at the handler's key", () => {
  assert.deepEqual(
    warnings(PROBE("      http: {port: 80, requestTimeout: 12s}\n")),
    [
      "t.yaml:8:40: warning: prefixes[0].livenessProbe.http.requestTimeout: timeout 12s is longer than the period 10s: runs never overlap, so while runs time out the probe runs every 12s, not every 10s",
    ],
  );
  assert.deepEqual(
    warnings(PROBE("      periodSeconds: 5s\n      timeoutSeconds: 5s\n      tcp: {port: 80}\n")),
    [],
  );
});

Deno.test("logging.level takes zap's spellings: upper case, dpanic and panic", () => {
  const level = (l: string) => load(SPEAKER + `logging: {level: ${l}}\n`).logging.level;
  assert.equal(level("DEBUG"), "debug");
  assert.equal(level("WARN"), "warning");
  assert.equal(level("ERROR"), "error");
  assert.equal(level("dpanic"), "fatal");
  assert.equal(level("PANIC"), "fatal");
  assert.equal(level("FATAL"), "fatal");
});

Deno.test("the windows logging driver keeps its not-supported error", () => {
  assert.deepEqual(errors(SPEAKER + "logging: {driver: windows, format: json, level: info}\n"), [
    "t.yaml:4:19: logging.driver: the windows driver (Windows Event Log) is not supported on this platform; use stderr, file, syslog, journald or none",
  ]);
});
