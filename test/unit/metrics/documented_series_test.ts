/**
 * Every series docs/metrics.md documents under "anycast metrics" moves after
 * a real exchange: a whole Daemon (BGP and BFD on in-memory networks, fake
 * time) with a probe-gated prefix that fails and restarts its unit, a peer
 * that sends us a route, and a good and a bad reload. Counters are
 * incremented where messages are sent and received, not rebuilt per scrape.
 */
import assert from "node:assert/strict";
import { parseConfig } from "../../../src/config/mod.ts";
import type { HandlerConfig } from "../../../src/config/model.ts";
import { Daemon } from "../../../src/daemon/mod.ts";
import { BgpSpeaker } from "../../../src/bgp/speaker.ts";
import { MemoryNetwork as BgpMemoryNetwork } from "../../../src/bgp/transport.ts";
import { BfdManager } from "../../../src/bfd/manager.ts";
import { MemoryNetwork as BfdMemoryNetwork } from "../../../src/bfd/memory_transport.ts";
import type { ProbeResult } from "../../../src/probe/mod.ts";
import { FakeClock } from "../../../src/util/clock.ts";
import { testNeighbor } from "../_fixtures/daemon.ts";

const OURS = "10.251.0.1", PEER = "10.251.0.2";

const YAML = `
speaker:
  asn: 64600
  routerId: "${OURS}"
  listenPort: 179
bfd:
  enabled: true
  listenAddress: "${OURS}"
metrics:
  enabled: true
  address: 127.0.0.1:9
neighbors:
  - address: "${PEER}"
    asn: 65001
    localAddress: "${OURS}"
    holdTime: 9s
    bfd:
      minimumReceptionInterval: 50ms
      minimumTransmissionInterval: 50ms
prefixes:
  - ipAddress: "192.0.2.1/32"
    nextHop: "203.0.113.1"
    service:
      name: web.service
      type: systemd
    readinessProbe:
      periodSeconds: 1s
      timeoutSeconds: 500ms
      failureThreshold: 1
      http:
        port: 8080
    livenessProbe:
      periodSeconds: 1s
      timeoutSeconds: 500ms
      failureThreshold: 1
      tcp:
        port: 8081
  - ipAddress: "192.0.2.2/32"
    nextHop: "203.0.113.1"
`;

/** Metric names of the "anycast metrics" table in docs/metrics.md. */
async function documented(): Promise<string[]> {
  const text = await Deno.readTextFile(new URL("../../../docs/metrics.md", import.meta.url));
  const section = text.split("## anycast metrics")[1]!.split("\n## ")[0]!;
  return [...section.matchAll(/^\| `(anycast_[a-z_]+)`/gm)].map((m) => m[1]!);
}

/** Largest sample value per metric name (histograms by their _count). */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || line === "") continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[^}]*\})? (\S+)$/.exec(line);
    if (!m) continue;
    const name = m[1]!.replace(/_count$/, "");
    out.set(name, Math.max(out.get(name) ?? -Infinity, Number(m[2])));
  }
  return out;
}

async function settle(clock: FakeClock, cond: () => boolean, what: string) {
  for (let i = 0; i < 600; i++) {
    for (let j = 0; j < 3; j++) await new Promise((r) => setTimeout(r, 0));
    if (cond()) return;
    clock.tick(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

Deno.test("every series in docs/metrics.md moves after a real exchange", async () => {
  const clock = new FakeClock(1_000_000);
  const bgpNet = new BgpMemoryNetwork();
  const bfdNet = new BfdMemoryNetwork({ clock });
  const loaded = parseConfig(YAML, "config.yaml");
  assert.ok(loaded.ok, JSON.stringify(!loaded.ok && loaded.errors));
  let healthy = true;
  const result = (ok: boolean): ProbeResult => ({
    ok,
    durationMs: 2,
    reason: ok ? "fine" : "failing",
    target: "t",
    figures: {},
  });
  const restarts: string[] = [];
  const daemon = new Daemon({
    config: loaded.config,
    clock,
    transport: bgpNet.transport(OURS),
    bfdTransport: bfdNet.transport(OURS),
    metricsServer: false,
    probeRunner: (_h: HandlerConfig) => Promise.resolve(result(healthy)),
    serviceManager: {
      activeState: () => Promise.resolve("active"),
      restart: (unit) => (restarts.push(unit), Promise.resolve()),
    },
    restartMinIntervalMs: 0,
  });
  const peer = new BgpSpeaker({
    speaker: {
      asn: 65001,
      routerId: PEER,
      gracefulRestartEnabled: false,
      gracefulRestartRestartTime: 120,
      listenPort: 179,
    },
    neighbors: [testNeighbor(OURS, { asn: 64600, passive: true, localAddress: PEER })],
    transport: bgpNet.transport(PEER),
    clock,
  });
  const peerBfd = new BfdManager({ transport: bfdNet.transport(PEER), clock });
  const dir = await Deno.makeTempDir();
  try {
    await peerBfd.start();
    await peer.start();
    await peerBfd.addSession(OURS, { localAddress: PEER, minTxMs: 50, minRxMs: 50, multiplier: 3 });
    await daemon.start();
    const ribIn = () => peer.sessions[0]!.adjRibIn;
    await settle(clock, () => ribIn().size === 2, "both prefixes at the peer");
    // Gauges go up and down: a series counts as moved when it was above 0 at either scrape.
    const healthyScrape = samples(await daemon.scrape());
    // The peer sends us a route.
    peer.announce("198.51.100.0/24", {
      prefix: "198.51.100.0/24",
      family: "ipv4-unicast",
      origin: "igp",
      nextHop: "203.0.113.2",
      attributes: {
        communities: [],
        largeCommunities: [],
        extendedCommunities: [],
        asPathPrepend: 0,
      },
    });
    await settle(clock, () => daemon.speaker.peers()[0]!.prefixesReceived === 1, "route received");
    // ...and one whose NEXT_HOP is not a host address: RFC 7606 treat-as-withdraw (issue 13).
    peer.announce("198.51.100.128/25", {
      prefix: "198.51.100.128/25",
      family: "ipv4-unicast",
      origin: "igp",
      nextHop: "0.0.0.1",
      attributes: {
        communities: [],
        largeCommunities: [],
        extendedCommunities: [],
        asPathPrepend: 0,
      },
    });
    await settle(
      clock,
      () => daemon.speaker.peers()[0]!.updateErrors?.["treat-as-withdraw"] === 1,
      "treat-as-withdraw counted",
    );
    // The service fails: withdraw, and liveness restarts its unit.
    healthy = false;
    await settle(clock, () => !ribIn().has("192.0.2.1/32") && restarts.length > 0, "withdraw");
    // A good reload and a bad one.
    await Deno.writeTextFile(`${dir}/good.yaml`, YAML);
    await Deno.writeTextFile(`${dir}/bad.yaml`, YAML.replace("asn: 65001", "asn: -1"));
    assert.equal(await daemon.reloadFrom(`${dir}/good.yaml`), true);
    assert.equal(await daemon.reloadFrom(`${dir}/bad.yaml`), false);
    clock.tick(2000);
    // The event-loop lag monitor samples real time every 100 ms.
    await new Promise((r) => setTimeout(r, 250));
    const values = samples(await daemon.scrape());
    for (const [k, v] of healthyScrape) values.set(k, Math.max(v, values.get(k) ?? -Infinity));
    const still: string[] = [];
    for (const name of await documented()) {
      const v = values.get(name);
      if (v === undefined || !(v > 0)) still.push(`${name}=${v}`);
    }
    assert.deepEqual(still, [], "documented series that did not move");
  } finally {
    await daemon.stop();
    await peerBfd.close();
    await peer.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
