import assert from "node:assert/strict";
import { BgpSpeaker } from "../../../src/bgp/speaker.ts";
import { PolicyEngine } from "../../../src/health/engine.ts";
import { RouteReconciler, type RouteSink } from "../../../src/health/reconciler.ts";
import { FakeClock } from "../../../src/util/clock.ts";
import { prefixConfig, tcpProbe } from "./_fixtures.ts";

Deno.test("BgpSpeaker is a RouteSink: the engine's decisions reach its route table", async () => {
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
  const sink: RouteSink = speaker;
  const reconciler = new RouteReconciler(sink, { clock });
  const engine = new PolicyEngine(
    [
      prefixConfig({ prefix: "192.0.2.1/32", drainMs: 1000 }),
      prefixConfig({ prefix: "2001:db8::/48", family: "ipv6-unicast", readinessProbe: tcpProbe }),
    ],
    reconciler,
    { clock },
  );
  engine.start();
  await reconciler.settled();
  assert.deepEqual(speaker.routes().map((r) => r.prefix), ["192.0.2.1/32"]);
  engine.setReadiness("2001:db8::/48", "ready");
  await reconciler.settled();
  assert.deepEqual(speaker.routes().map((r) => r.prefix).sort(), ["192.0.2.1/32", "2001:db8::/48"]);
  const stopped = engine.shutdown();
  await reconciler.settled();
  assert.ok(
    speaker.routes().find((r) => r.prefix === "192.0.2.1/32")?.attributes.communities
      .includes("65535:0"),
  );
  clock.tick(1000);
  await stopped;
  await reconciler.settled();
  assert.deepEqual(speaker.routes(), []);
});
