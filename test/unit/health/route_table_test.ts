import assert from "node:assert/strict";
import { BgpSpeaker } from "../../../src/bgp/speaker.ts";
import { PolicyEngine } from "../../../src/health/engine.ts";
import type { DesiredRouteTarget } from "../../../src/health/engine.ts";
import { FakeClock } from "../../../src/util/clock.ts";
import { prefixConfig, tcpProbe } from "./_fixtures.ts";

Deno.test("PolicyEngine decisions reach the speaker's route table, one prefix at a time", async () => {
  const clock = new FakeClock();
  const speaker = new BgpSpeaker({
    speaker: {
      asn: 65000,
      routerId: "192.0.2.10",
      gracefulRestartEnabled: false,
      gracefulRestartRestartTime: 0,
      listenPort: 0,
    },
    neighbors: [],
    clock,
  });
  const table: DesiredRouteTarget = {
    setDesired: (prefix, route) =>
      route ? speaker.announce(prefix, route) : speaker.withdraw(prefix),
  };
  const engine = new PolicyEngine(
    [
      prefixConfig({ prefix: "192.0.2.1/32", drainMs: 1000 }),
      prefixConfig({ prefix: "2001:db8::/48", family: "ipv6-unicast", readinessProbe: tcpProbe }),
    ],
    table,
    { clock },
  );
  await engine.start();
  assert.deepEqual(speaker.routes().map((r) => r.prefix), ["192.0.2.1/32"]);
  engine.setReadiness("2001:db8::/48", "ready");
  assert.deepEqual(speaker.routes().map((r) => r.prefix).sort(), ["192.0.2.1/32", "2001:db8::/48"]);
  const stopped = engine.shutdown();
  assert.ok(
    speaker.routes().find((r) => r.prefix === "192.0.2.1/32")?.attributes.communities
      .includes("65535:0"),
  );
  clock.tick(1000);
  await stopped;
  assert.deepEqual(speaker.routes(), []);
});
