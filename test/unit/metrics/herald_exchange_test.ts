/**
 * Both metric name families after a real BGP exchange: a Daemon on an
 * in-memory network with a BgpSpeaker peer, metrics served over HTTP and
 * scraped; Herald's series (herald_*) move with ours (anycast_*): prefix up
 * and down, probe success and failure, peer up and state, messages, route
 * count, service restarts. /health answers as Herald's does.
 */
import assert from "node:assert/strict";
import { formatConfigError, parseConfig } from "../../../src/config/mod.ts";
import type { HandlerConfig } from "../../../src/config/model.ts";
import { Daemon } from "../../../src/daemon/mod.ts";
import { BgpSpeaker } from "../../../src/bgp/speaker.ts";
import { MemoryNetwork } from "../../../src/bgp/transport.ts";
import { FakeClock } from "../../../src/util/clock.ts";
import { parseExposition, type Sample } from "./_exposition.ts";

const YAML = `
speaker: {asn: 64600, routerId: 10.0.0.1, listenPort: 0}
metrics:
  enabled: true
  listenAddress: 127.0.0.1
  listenPort: 1
  interval: 15s
neighbors:
  - {address: 127.0.0.2, asn: 65001, localAddress: 127.0.0.1, holdTime: 9s}
prefixes:
  - ipAddress: 192.0.2.1/32
    name: web
    nextHop: 203.0.113.1
    service: {name: web.service, type: systemd}
    readinessProbe:
      periodSeconds: 1s
      timeoutSeconds: 500ms
      failureThreshold: 1
      http: {port: 8080}
    livenessProbe:
      periodSeconds: 1s
      timeoutSeconds: 500ms
      failureThreshold: 1
      tcp: {port: 8081}
`;

async function settle(clock: FakeClock, cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    await new Promise((r) => setTimeout(r, 0));
    if (cond()) return;
    clock.tick(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The value of the one sample named `name` whose labels include `labels`; 0 when absent. */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const hits = samples.filter((s) =>
    s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)
  );
  return hits.reduce((sum, s) => sum + s.value, 0);
}

Deno.test("Herald's metric series move with ours after a real BGP exchange", async () => {
  const loaded = parseConfig(YAML, "config.yaml");
  if (!loaded.ok) throw new Error(loaded.errors.map(formatConfigError).join("\n"));
  // Port 0: a free port for the test (the config says Herald's form).
  assert.equal(loaded.config.metrics.address, "127.0.0.1:1");
  const config = {
    ...loaded.config,
    metrics: { ...loaded.config.metrics, address: "127.0.0.1:0" },
  };
  const clock = new FakeClock(0);
  const net = new MemoryNetwork();
  const peer = new BgpSpeaker({
    speaker: {
      asn: 65001,
      routerId: "10.0.0.2",
      gracefulRestartEnabled: false,
      gracefulRestartRestartTime: 120,
      listenPort: 179,
    },
    neighbors: [{
      name: "dut",
      address: "127.0.0.1",
      asn: 64600,
      port: 179,
      localAddress: "127.0.0.2",
      passive: true,
      holdTime: 9,
      keepalive: 3,
      connectRetry: 5,
      ebgpMultihop: false,
      ebgpMultihopTtl: 1,
      families: ["ipv4-unicast"],
    }],
    transport: net.transport("127.0.0.2"),
    clock,
  });
  await peer.start();
  const health = { http: true, tcp: true };
  const restarts: string[] = [];
  const daemon = new Daemon({
    config,
    clock,
    transport: net.transport("127.0.0.1"),
    controlApi: false,
    probeRunner: (h: HandlerConfig) => {
      const ok = h.kind === "http" ? health.http : health.tcp;
      return Promise.resolve({
        ok,
        durationMs: 3,
        reason: ok ? "ok" : "refused",
        target: "t",
        figures: {},
      });
    },
    serviceManager: {
      activeState: () => Promise.resolve("active"),
      restart: (unit) => {
        restarts.push(unit);
        return Promise.resolve();
      },
    },
  });
  const rib = () => peer.sessions[0]!.adjRibIn;
  try {
    await daemon.start();
    const base = `http://127.0.0.1:${daemon.metricsServer!.port}`;
    const scrape = async () => parseExposition(await (await fetch(`${base}/metrics`)).text());
    const web = { prefix: "192.0.2.1/32", name: "web" };
    const readiness = { ...web, probe_type: "readiness" };
    const peerLabels = { peer_address: "127.0.0.2", peer_asn: "65001" };

    await settle(clock, () => rib().has("192.0.2.1/32"), "the prefix at the peer");
    let s = await scrape();
    // Up: ours and Herald's.
    assert.equal(value(s, "anycast_prefix_announced", { prefix: "192.0.2.1/32" }), 1);
    assert.equal(value(s, "herald_prefix_up", web), 1);
    assert.equal(value(s, "herald_bgp_route_count", { route_table: "global" }), 1);
    assert.ok(value(s, "herald_probe_success_total", readiness) >= 1);
    assert.equal(value(s, "herald_probe_failure_total", readiness), 0);
    assert.ok(value(s, "herald_probe_duration_seconds_count", readiness) >= 1);
    assert.equal(value(s, "anycast_bgp_peer_up", { peer: "127.0.0.2" }), 1);
    assert.equal(value(s, "herald_bgp_peer_up", peerLabels), 1);
    assert.equal(value(s, "herald_bgp_peer_state", peerLabels), 6);
    for (const type of ["open", "keepalive", "update"]) {
      assert.ok(
        value(s, "herald_bgp_peer_messages_sent_total", { ...peerLabels, message_type: type }) >= 1,
        `sent ${type}`,
      );
    }
    assert.ok(
      value(s, "herald_bgp_peer_messages_received_total", {
        ...peerLabels,
        message_type: "open",
      }) >=
        1,
    );
    const updatesBefore = value(s, "herald_bgp_peer_messages_sent_total", {
      ...peerLabels,
      message_type: "update",
    });
    assert.equal(
      updatesBefore,
      value(s, "anycast_bgp_messages_sent_total", { peer: "127.0.0.2", type: "update" }),
    );

    // Down: readiness fails, the route is withdrawn.
    health.http = false;
    await settle(clock, () => !rib().has("192.0.2.1/32"), "the withdraw at the peer");
    s = await scrape();
    assert.equal(value(s, "anycast_prefix_announced", { prefix: "192.0.2.1/32" }), 0);
    assert.equal(value(s, "herald_prefix_up", web), 0);
    assert.equal(value(s, "herald_bgp_route_count", { route_table: "global" }), 0);
    assert.ok(value(s, "herald_probe_failure_total", readiness) >= 1);
    assert.ok(
      value(s, "herald_bgp_peer_messages_sent_total", { ...peerLabels, message_type: "update" }) >
        updatesBefore,
    );

    // Liveness fails: the unit is restarted, counted under the prefix's name as Herald does.
    health.tcp = false;
    await settle(clock, () => restarts.length > 0, "a restart");
    await settle(clock, () => true, "the restart outcome");
    s = await scrape();
    assert.ok(value(s, "herald_probe_failure_total", { ...web, probe_type: "liveness" }) >= 1);
    assert.equal(value(s, "herald_service_restarts_total", { name: "web" }), 1);
    assert.equal(value(s, "anycast_service_restarts_total", { unit: "web.service" }), 1);

    // Herald's /health.
    const h = await fetch(`${base}/health`);
    assert.deepEqual([h.status, await h.text()], [200, "OK"]);

    // Peer down: both families say so.
    await peer.stop();
    await settle(clock, () => daemon.speaker.peers()[0]?.state !== "Established", "session down");
    s = await scrape();
    assert.equal(value(s, "herald_bgp_peer_up", peerLabels), 0);
    assert.ok(value(s, "herald_bgp_peer_state", peerLabels) < 6);
    assert.equal(value(s, "anycast_bgp_peer_up", { peer: "127.0.0.2" }), 0);
  } finally {
    await daemon.stop();
    await peer.stop();
  }
});
