/** Logs at scale: one event touching many prefixes logs a summary, per-prefix lines at debug. */
import assert from "node:assert/strict";
import { FakeClock } from "../../../src/util/clock.ts";
import type { PrefixConfig } from "../../../src/config/model.ts";
import { MemoryNetwork } from "../../../src/bgp/transport.ts";
import { Daemon } from "../../../src/daemon/mod.ts";
import { testConfig, testNeighbor } from "../_fixtures/daemon.ts";
import { attrs, tcpProbe } from "../health/_fixtures.ts";

function staticPrefix(i: number): PrefixConfig {
  return {
    name: `p${i}`,
    prefix: `198.18.0.${i}/32`,
    family: "ipv4-unicast",
    origin: "igp",
    nextHop: "203.0.113.1",
    attributes: attrs(),
    withdrawOnDown: true,
    drainMs: 0,
    services: [],
    servicesMode: "all",
  } as PrefixConfig;
}

async function run(count: number) {
  const config = testConfig("10.250.0.1", [testNeighbor("10.250.0.2")], { bfd: false });
  config.prefixes = Array.from({ length: count }, (_, i) => staticPrefix(i));
  const lines: string[] = [];
  const daemon = new Daemon({
    config,
    clock: new FakeClock(0),
    transport: new MemoryNetwork().transport("10.250.0.1"),
    log: (level, message) => lines.push(`${level} ${message}`),
  });
  await daemon.start();
  await daemon.stop();
  return lines;
}

Deno.test("Daemon.start() with many prefixes logs one summary line, per-prefix lines at debug", async () => {
  const lines = await run(50);
  assert.equal(lines.filter((l) => /^info prefix /.test(l)).length, 0);
  assert.equal(
    lines.filter((l) => /^debug prefix 198\.18\.0\.\d+\/32: start -> up/.test(l)).length,
    50,
  );
  assert.ok(lines.includes("info 50 prefixes: 50 up (static)"), lines.join("\n"));
});

Deno.test("Daemon.start() with a handful of prefixes logs each at info", async () => {
  const lines = await run(3);
  assert.equal(
    lines.filter((l) => /^info prefix 198\.18\.0\.\d+\/32: start -> up/.test(l)).length,
    3,
  );
});

Deno.test("Daemon logs the first verdicts of many probe-gated prefixes as one summary", async () => {
  const config = testConfig("10.250.0.1", [testNeighbor("10.250.0.2")], { bfd: false });
  config.prefixes = Array.from({ length: 20 }, (_, i) => ({
    ...staticPrefix(i),
    readinessProbe: { ...tcpProbe, failureThreshold: 1 },
  }));
  const lines: string[] = [];
  const clock = new FakeClock(0);
  const daemon = new Daemon({
    config,
    clock,
    transport: new MemoryNetwork().transport("10.250.0.1"),
    log: (level, message) => lines.push(`${level} ${message}`),
    probeRunner: () =>
      Promise.resolve({ ok: true, reason: "fine", durationMs: 1, target: "t", figures: {} }),
  });
  await daemon.start();
  for (let i = 0; i < 20 && !lines.some((l) => l.includes("first verdicts in")); i++) {
    clock.tick(100);
    await new Promise((r) => setTimeout(r, 0));
  }
  await daemon.stop();
  assert.equal(lines.filter((l) => /^info prefix .*(unknown -> up|probe up)/.test(l)).length, 0);
  assert.ok(lines.includes("info first verdicts in: 20 prefixes: 20 up (probe)"), lines.join("\n"));
});
