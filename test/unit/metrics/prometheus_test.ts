import assert from "node:assert/strict";
import { bfdMetrics } from "../../../src/bfd/metrics.ts";
import { PrometheusMetrics } from "../../../src/metrics/prometheus.ts";
import { noopMetrics } from "../../../src/metrics/reporter.ts";
import { FakeClock } from "../../../src/util/clock.ts";
import { parseExposition, type Sample } from "./_exposition.ts";

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter((s) =>
    s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)
  );
  assert.equal(found.length, 1, `${name}${JSON.stringify(labels)} matched ${found.length} samples`);
  return found[0]!.value;
}

Deno.test("PrometheusMetrics exports anycast_up and anycastd_up with the version", async () => {
  const m = new PrometheusMetrics({ version: "1.2.3" });
  const s = parseExposition(await m.metrics());
  assert.equal(value(s, "anycast_up", { version: "1.2.3" }), 1);
  assert.equal(value(s, "anycastd_up", { version: "1.2.3" }), 1);
  assert.match(m.contentType, /^text\/plain; version=0\.0\.4/);
});

Deno.test("PrometheusMetrics tracks peer state one-hot and uptime since Established", async () => {
  const clock = new FakeClock(1000);
  const m = new PrometheusMetrics({ version: "t", clock });
  m.peerState("10.0.0.254", "Active");
  m.peerState("10.0.0.254", "Established");
  clock.tick(90_000);
  let s = parseExposition(await m.metrics());
  assert.equal(value(s, "anycast_bgp_peer_state", { peer: "10.0.0.254", state: "Established" }), 1);
  assert.equal(value(s, "anycast_bgp_peer_state", { peer: "10.0.0.254", state: "Active" }), 0);
  assert.equal(value(s, "anycast_bgp_peer_up", { peer: "10.0.0.254" }), 1);
  assert.equal(value(s, "anycast_bgp_peer_uptime_seconds", { peer: "10.0.0.254" }), 90);
  m.peerState("10.0.0.254", "Idle");
  s = parseExposition(await m.metrics());
  assert.equal(value(s, "anycast_bgp_peer_uptime_seconds", { peer: "10.0.0.254" }), 0);
  assert.equal(value(s, "anycast_bgp_peer_up", { peer: "10.0.0.254" }), 0);
});

Deno.test("PrometheusMetrics counts BGP messages and prefix updates per direction", async () => {
  const m = new PrometheusMetrics({ version: "t" });
  m.bgpMessage("p", "sent", "UPDATE");
  m.bgpMessage("p", "sent", "UPDATE");
  m.bgpMessage("p", "received", "KEEPALIVE");
  m.bgpPrefixUpdates("p", "sent", 3);
  m.peerPrefixes("p", 2, 5);
  const s = parseExposition(await m.metrics());
  assert.equal(value(s, "anycast_bgp_messages_sent_total", { peer: "p", type: "UPDATE" }), 2);
  assert.equal(
    value(s, "anycast_bgp_messages_received_total", { peer: "p", type: "KEEPALIVE" }),
    1,
  );
  assert.equal(value(s, "anycast_bgp_prefix_updates_sent_total", { peer: "p" }), 3);
  assert.equal(value(s, "anycast_bgp_prefixes_sent", { peer: "p" }), 2);
  assert.equal(value(s, "anycast_bgp_prefixes_received", { peer: "p" }), 5);
});

Deno.test("PrometheusMetrics exports prefix state, transitions and announce status", async () => {
  const m = new PrometheusMetrics({ version: "t" });
  m.prefixState("192.0.2.1/32", "unknown");
  m.prefixState("192.0.2.1/32", "up", "unknown");
  m.prefixState("192.0.2.1/32", "down", "up");
  m.prefixState("192.0.2.1/32", "up", "down");
  m.prefixAnnounced("192.0.2.1/32", true);
  const s = parseExposition(await m.metrics());
  const p = { prefix: "192.0.2.1/32" };
  assert.equal(value(s, "anycast_prefix_state", { ...p, state: "up" }), 1);
  assert.equal(value(s, "anycast_prefix_state", { ...p, state: "down" }), 0);
  assert.equal(value(s, "anycast_prefix_transitions_total", { ...p, from: "up", to: "down" }), 1);
  assert.equal(value(s, "anycast_prefix_transitions_total", { ...p, from: "down", to: "up" }), 1);
  assert.equal(value(s, "anycast_prefix_announced", p), 1);
});

Deno.test("PrometheusMetrics records probe results in a duration histogram", async () => {
  const m = new PrometheusMetrics({ version: "t" });
  const p = { prefix: "192.0.2.1/32", probe: "readiness" };
  m.probeResult(p.prefix, p.probe, true, 0.02, 0);
  m.probeResult(p.prefix, p.probe, false, 3, 1);
  const s = parseExposition(await m.metrics());
  assert.equal(value(s, "anycast_probe_success", p), 0);
  assert.equal(value(s, "anycast_probe_consecutive_failures", p), 1);
  assert.equal(value(s, "anycast_probe_runs_total", { ...p, result: "failure" }), 1);
  assert.equal(value(s, "anycast_probe_duration_seconds_count", p), 2);
  assert.equal(value(s, "anycast_probe_duration_seconds_sum", p), 3.02);
  assert.equal(value(s, "anycast_probe_duration_seconds_bucket", { ...p, le: "0.025" }), 1);
});

Deno.test("PrometheusMetrics exports BFD state, service restarts and config reloads", async () => {
  const m = new PrometheusMetrics({ version: "t" });
  m.bfdState("10.0.0.254", "Down");
  m.bfdState("10.0.0.254", "Up", "Down");
  m.serviceRestart("nginx.service", true);
  m.serviceRestart("nginx.service", false);
  m.configReload(true);
  m.configReload(false);
  const s = parseExposition(await m.metrics());
  assert.equal(value(s, "anycast_bfd_session_state", { peer: "10.0.0.254", state: "Up" }), 1);
  assert.equal(
    value(s, "anycast_bfd_session_transitions_total", { peer: "10.0.0.254", from: "Down" }),
    1,
  );
  assert.equal(
    value(s, "anycast_service_restarts_total", { unit: "nginx.service", result: "failure" }),
    1,
  );
  assert.equal(value(s, "anycast_config_reloads_total"), 2);
  assert.equal(value(s, "anycast_config_reload_failures_total"), 1);
});

Deno.test("PrometheusMetrics counts dropped BFD packets by reason, through bfdMetrics()", async () => {
  const m = new PrometheusMetrics({ version: "t" });
  const bfd = bfdMetrics(m);
  bfd.packetDropped("10.0.0.254", "ttl-not-255");
  bfd.packetDropped("10.0.0.99", "ttl-not-255");
  bfd.packetDropped(undefined, "bad-version");
  const s = parseExposition(await m.metrics());
  assert.equal(value(s, "anycast_bfd_packets_dropped_total", { reason: "ttl-not-255" }), 2);
  assert.equal(value(s, "anycast_bfd_packets_dropped_total", { reason: "bad-version" }), 1);
});

Deno.test("PrometheusMetrics keeps anycastd's metric names and labels", async () => {
  const m = new PrometheusMetrics({ version: "t" });
  m.anycastdServiceUp("dns", "dns_lookup", true);
  m.anycastdCheckDuration("dns", "dns_lookup", 0.25);
  m.certificateExpiresIn("tls_certificate", "/etc/ssl/a.pem", 86400);
  const icmp = {
    avgRttSeconds: 0.002,
    minRttSeconds: 0.001,
    maxRttSeconds: 0.003,
    stdDevRttSeconds: 0.0005,
    lossPercent: 33.3,
    packetsSent: 3,
    packetsReceived: 2,
    packetsReceivedDuplicates: 0,
  };
  m.icmpStats("icmp_ping", "127.0.0.1", icmp);
  m.icmpStats("icmp_ping", "127.0.0.1", icmp);
  m.ntpStats("ntpq", "127.0.0.1", { offsetMs: 1.5, rttMs: 0.4, packetsSent: 1 });
  const s = parseExposition(await m.metrics());
  const sc = { service: "dns", check: "dns_lookup" };
  const ch = { check: "icmp_ping", host: "127.0.0.1" };
  const nt = { check: "ntpq", host: "127.0.0.1" };
  assert.equal(value(s, "anycastd_service_up", sc), 1);
  assert.equal(value(s, "anycastd_check_duration_seconds", sc), 0.25);
  assert.equal(
    value(s, "certificate_expires_in_seconds", {
      check: "tls_certificate",
      path: "/etc/ssl/a.pem",
    }),
    86400,
  );
  assert.equal(value(s, "anycastd_check_avg_rtt_seconds", ch), 0.002);
  assert.equal(value(s, "anycastd_check_loss_percent", ch), 33.3);
  assert.equal(value(s, "anycastd_check_max_rtt_seconds", ch), 0.003);
  assert.equal(value(s, "anycastd_check_min_rtt_seconds", ch), 0.001);
  assert.equal(value(s, "anycastd_check_std_dev_rtt_seconds", ch), 0.0005);
  assert.equal(value(s, "anycastd_check_packets_sent_total", ch), 6);
  assert.equal(value(s, "anycastd_check_packets_received_total", ch), 4);
  assert.equal(value(s, "anycastd_check_packets_received_duplicates_total", ch), 0);
  assert.equal(value(s, "anycastd_check_last_ntp_offset_ms", nt), 1.5);
  assert.equal(value(s, "anycastd_check_last_ntp_rtt_ms", nt), 0.4);
  assert.equal(value(s, "anycastd_check_ntp_packets_sent_total", nt), 1);
});

Deno.test("noopMetrics accepts every report", () => {
  noopMetrics.peerState("p", "Idle");
  noopMetrics.icmpStats("c", "h", {
    avgRttSeconds: 0,
    minRttSeconds: 0,
    maxRttSeconds: 0,
    stdDevRttSeconds: 0,
    lossPercent: 0,
    packetsSent: 0,
    packetsReceived: 0,
    packetsReceivedDuplicates: 0,
  });
  assert.equal(Object.values(noopMetrics).every((f) => typeof f === "function"), true);
});

Deno.test("PrometheusMetrics exports Herald's series with Herald's labels and state numbers", async () => {
  const m = new PrometheusMetrics({
    version: "1",
    herald: {
      prefixName: (p) => (p === "192.0.2.1/32" ? "web" : undefined),
      peerAsn: () => 65001,
      unitNames: (u) => (u === "web.service" ? ["web", "web-v6"] : []),
    },
  });
  for (const state of ["Idle", "Connect", "Active", "OpenSent", "OpenConfirm", "Established"]) {
    m.peerState("192.0.2.254", state);
  }
  m.bgpMessage("192.0.2.254", "sent", "route-refresh");
  m.prefixAnnounced("192.0.2.1/32", true);
  m.prefixAnnounced("192.0.2.2/32", true);
  m.prefixAnnounced("192.0.2.2/32", false);
  m.probeResult("192.0.2.1/32", "readiness", false, 0.2, 1);
  m.serviceRestart("web.service", true);
  m.serviceRestart("db.service", true);
  m.serviceRestart("db.service", false);
  const text = await m.metrics();
  const has = (line: string) => assert.ok(text.includes(line), `missing ${line}`);
  has('herald_bgp_peer_state{peer_address="192.0.2.254",peer_asn="65001"} 6');
  has('herald_bgp_peer_up{peer_address="192.0.2.254",peer_asn="65001"} 1');
  has(
    'herald_bgp_peer_messages_sent_total{peer_address="192.0.2.254",peer_asn="65001",message_type="route_refresh"} 1',
  );
  has('herald_prefix_up{prefix="192.0.2.1/32",name="web"} 1');
  has('herald_prefix_up{prefix="192.0.2.2/32",name="192.0.2.2/32"} 0');
  has('herald_bgp_route_count{route_table="global"} 1');
  has('herald_probe_failure_total{prefix="192.0.2.1/32",probe_type="readiness",name="web"} 1');
  has(
    'herald_probe_duration_seconds_bucket{le="0.25",prefix="192.0.2.1/32",probe_type="readiness",name="web"} 1',
  );
  has('herald_service_restarts_total{name="web"} 1');
  has('herald_service_restarts_total{name="web-v6"} 1');
  // Herald counts only restarts that went through; without a prefix the unit names it.
  has('herald_service_restarts_total{name="db.service"} 1');
});
