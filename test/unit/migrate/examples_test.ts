/**
 * The worked examples of docs/migration/: every config under
 * examples/migration/ validates, and each "after" config really is the
 * "before" one moved to anycast.
 */
import assert from "node:assert/strict";
import { type AnycastConfig, formatConfigError, loadConfig } from "../../../src/config/mod.ts";
import { importExabgpConf } from "../../../src/migrate/mod.ts";

const root = new URL("../../../", import.meta.url);
const dir = new URL("examples/migration/", root);

const configs = [...Deno.readDirSync(dir)]
  .filter((e) => e.isFile && /\.(ya?ml|json)$/.test(e.name))
  .map((e) => e.name)
  .sort();

async function load(path: URL): Promise<AnycastConfig> {
  const result = await loadConfig(path.pathname);
  assert.ok(result.ok, result.ok ? "" : result.errors.map(formatConfigError).join("\n"));
  return result.config;
}

Deno.test("examples/migration/ holds the before and after configs of each guide", () => {
  assert.deepEqual(configs, [
    "anycastd-after.yaml",
    "anycastd-before.yaml",
    "exabgp-healthcheck-after.yaml",
    "periphery-after.yaml",
  ]);
});

for (const name of configs) {
  Deno.test(`examples/migration/${name} validates`, async () => {
    const config = await load(new URL(name, dir));
    assert.equal(config.dialect, name.includes("before") ? "anycastd" : "native");
    if (config.dialect === "native") {
      const text = await Deno.readTextFile(new URL(name, dir));
      assert.match(text, /^# yaml-language-server: \$schema=\.\.\/\.\.\/docs\/schema\.json$/m);
    }
  });
}

Deno.test("exabgp-healthcheck-after.yaml is the importer's output for exabgp.conf", async () => {
  const conf = await Deno.readTextFile(new URL("exabgp.conf", dir));
  const result = importExabgpConf(conf, { schemaRef: "../../docs/schema.json" });
  assert.deepEqual(result.warnings, []);
  assert.equal(await Deno.readTextFile(new URL("exabgp-healthcheck-after.yaml", dir)), result.yaml);
  const config = await load(new URL("exabgp-healthcheck-after.yaml", dir));
  assert.deepEqual(config.neighbors.map((n) => [n.address, n.asn, n.localAddress]), [
    ["192.0.2.254", 64599, "192.0.2.10"],
  ]);
  assert.deepEqual([config.speaker.asn, config.speaker.routerId], [64600, "192.0.2.10"]);
});

Deno.test("anycastd-after.yaml announces the same route to the same peers with the same check", async () => {
  const before = await load(new URL("anycastd-before.yaml", dir));
  const after = await load(new URL("anycastd-after.yaml", dir));
  assert.deepEqual(
    { asn: after.speaker.asn, routerId: after.speaker.routerId },
    { asn: before.speaker.asn, routerId: before.speaker.routerId },
  );
  const session = (n: AnycastConfig["neighbors"][number]) => ({
    name: n.name,
    address: n.address,
    asn: n.asn,
    localAddress: n.localAddress,
    ebgpMultihop: n.ebgpMultihop,
    ebgpMultihopTtl: n.ebgpMultihopTtl,
    holdTime: n.holdTime,
    families: n.families,
  });
  assert.deepEqual(after.neighbors.map(session), before.neighbors.map(session));
  assert.deepEqual(after.prefixes.map((p) => p.prefix), before.prefixes.map((p) => p.prefix));
  const service = before.services[0]!;
  const probe = after.prefixes[0]!.readinessProbe!;
  assert.deepEqual(probe.handler, service.checks[0]!.handler);
  assert.equal(probe.periodMs, service.checkIntervalMs);
  assert.equal(probe.failureThreshold, 1);
  assert.equal(probe.successThreshold, 1);
  assert.deepEqual(after.metrics, before.metrics);
  assert.equal(after.logging.level, before.logging.level);
});

Deno.test("periphery-after.yaml keeps every setting of Periphery's example", async () => {
  const before = await load(new URL("examples/periphery.yaml", root));
  const after = await load(new URL("periphery-after.yaml", dir));
  assert.deepEqual(after.speaker, before.speaker);
  const kept = (c: AnycastConfig) => ({
    neighbors: c.neighbors.map((n) => ({ address: n.address, asn: n.asn, hop: n.ebgpMultihop })),
    api: { address: c.api.listenAddress, port: c.api.listenPort },
    prefixes: c.prefixes.map((p) => ({
      prefix: p.prefix,
      nextHop: p.nextHop,
      attributes: p.attributes,
      withdrawOnDown: p.withdrawOnDown,
      service: p.service,
      handler: p.readinessProbe?.handler,
      timing: p.readinessProbe && {
        initialDelayMs: p.readinessProbe.initialDelayMs,
        periodMs: p.readinessProbe.periodMs,
        timeoutMs: p.readinessProbe.timeoutMs,
        failureThreshold: p.readinessProbe.failureThreshold,
        successThreshold: p.readinessProbe.successThreshold,
      },
    })),
  });
  assert.deepEqual(kept(after), kept(before));
  // The additions the guide walks through.
  assert.equal(after.bfd.enabled, true);
  assert.equal(after.prefixes[0]?.drainMs, 30_000);
  assert.equal(after.prefixes[0]?.maintenanceFile, "/etc/anycast/maintenance");
});
