/**
 * `MetricsReporter` on a prom-client registry: `anycast_*` metrics plus
 * anycastd's and Herald's metric names and labels (herald.ts), so existing
 * dashboards and alerts keep working. Enumerated states are exported one-hot
 * (`anycast_prefix_state{prefix,state="up"} 1`, the other states 0), so
 * `sum by (state)` counts prefixes per state.
 *
 * @module
 */
import client from "prom-client";
import { type Clock, systemClock } from "../util/clock.ts";
import type { Direction, IcmpStats, MetricsReporter, NtpStats } from "./reporter.ts";
import { PrefixSeries } from "./prefix_series.ts";
import { type HeraldLabels, HeraldSeries } from "./herald.ts";

export const PEER_STATES = ["Idle", "Connect", "Active", "OpenSent", "OpenConfirm", "Established"];
export const PREFIX_STATES = ["unknown", "up", "down", "disabled", "draining", "held"];
export const BFD_STATES = ["AdminDown", "Down", "Init", "Up"];

export interface PrometheusMetricsOptions {
  /** Reported in anycast_up / anycastd_up{version}. */
  version: string;
  /** Default the system clock (peer uptime). */
  clock?: Clock;
  /** Probe duration histogram buckets in seconds. */
  durationBuckets?: number[];
  /** Where Herald's `name` and `peer_asn` labels come from (herald.ts); default none. */
  herald?: HeraldLabels;
}

/** A gauge per (labels, state) with 1 for the current state and 0 for the others. */
function setOneHot(
  gauge: client.Gauge<string>,
  labels: Record<string, string>,
  states: readonly string[],
  current: string,
): void {
  const all = states.includes(current) ? states : [...states, current];
  for (const state of all) gauge.set({ ...labels, state }, state === current ? 1 : 0);
}

export class PrometheusMetrics implements MetricsReporter {
  readonly registry: client.Registry;
  #clock: Clock;
  #establishedAt = new Map<string, number>();

  #configReloads: client.Counter<string>;
  #configReloadFailures: client.Counter<string>;
  #loopLag: client.Histogram<string>;
  #loopLagMax: client.Gauge<string>;
  #loopLagMaxSeen = 0;
  #peerState: client.Gauge<string>;
  #peerUp: client.Gauge<string>;
  #messages: Record<Direction, client.Counter<string>>;
  #prefixUpdates: Record<Direction, client.Counter<string>>;
  #updateErrors: client.Counter<string>;
  #peerPrefixes: Record<Direction, client.Gauge<string>>;
  #prefixes = new PrefixSeries(PREFIX_STATES);
  #probeSuccess: client.Gauge<string>;
  #probeRuns: client.Counter<string>;
  #probeDuration: client.Histogram<string>;
  #probeFailures: client.Gauge<string>;
  #bfdState: client.Gauge<string>;
  #bfdTransitions: client.Counter<string>;
  #bfdDropped: client.Counter<string>;
  #serviceRestarts: client.Counter<string>;
  #healthFailures: client.Counter<string>;
  #anycastdServiceUp: client.Gauge<string>;
  #anycastdCheckDuration: client.Gauge<string>;
  #certificateExpires: client.Gauge<string>;
  #icmp: {
    avg: client.Gauge<string>;
    loss: client.Gauge<string>;
    max: client.Gauge<string>;
    min: client.Gauge<string>;
    stdDev: client.Gauge<string>;
    duplicates: client.Counter<string>;
    received: client.Counter<string>;
    sent: client.Counter<string>;
  };
  #ntp: { offset: client.Gauge<string>; rtt: client.Gauge<string>; sent: client.Counter<string> };
  #herald: HeraldSeries;

  constructor(options: PrometheusMetricsOptions) {
    const registry = new client.Registry();
    this.registry = registry;
    this.#clock = options.clock ?? systemClock;
    const registers = [registry];
    const gauge = (name: string, help: string, labelNames: string[]) =>
      new client.Gauge({ name, help, labelNames, registers });
    const counter = (name: string, help: string, labelNames: string[]) =>
      new client.Counter({ name, help, labelNames, registers });

    gauge("anycast_up", "The anycast daemon is running (always 1)", ["version"])
      .set({ version: options.version }, 1);
    this.#configReloads = counter("anycast_config_reloads_total", "Config reloads attempted", []);
    this.#configReloadFailures = counter(
      "anycast_config_reload_failures_total",
      "Config reloads that failed (the old config stays in use)",
      [],
    );

    this.#loopLag = new client.Histogram({
      name: "anycast_event_loop_lag_seconds",
      help: "How late a 100 ms timer fired: time the event loop was busy with other work",
      labelNames: [],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.#loopLagMax = gauge(
      "anycast_event_loop_lag_max_seconds",
      "Largest event-loop lag seen since the daemon started",
      [],
    );

    this.#peerState = gauge(
      "anycast_bgp_peer_state",
      "BGP session FSM state, one-hot (RFC 4271 section 8)",
      ["peer", "state"],
    );
    this.#peerUp = gauge("anycast_bgp_peer_up", "1 while the BGP session is Established", ["peer"]);
    const establishedAt = this.#establishedAt;
    const clock = this.#clock;
    new client.Gauge({
      name: "anycast_bgp_peer_uptime_seconds",
      help: "Seconds since the BGP session became Established (0 while it is not)",
      labelNames: ["peer"],
      registers,
      collect() {
        this.reset();
        for (const [peer, since] of establishedAt) {
          this.set({ peer }, since < 0 ? 0 : (clock.now() - since) / 1000);
        }
      },
    });
    this.#messages = {
      received: counter("anycast_bgp_messages_received_total", "BGP messages received", [
        "peer",
        "type",
      ]),
      sent: counter("anycast_bgp_messages_sent_total", "BGP messages sent", ["peer", "type"]),
    };
    this.#updateErrors = counter(
      "anycast_bgp_update_errors_total",
      "RFC 7606 outcomes of UPDATEs received: treat-as-withdraw, attribute-discard, session-reset",
      ["peer", "action"],
    );
    this.#prefixUpdates = {
      received: counter(
        "anycast_bgp_prefix_updates_received_total",
        "Prefixes announced or withdrawn in UPDATEs received",
        ["peer"],
      ),
      sent: counter(
        "anycast_bgp_prefix_updates_sent_total",
        "Prefixes announced or withdrawn in UPDATEs sent",
        ["peer"],
      ),
    };
    this.#peerPrefixes = {
      sent: gauge("anycast_bgp_prefixes_sent", "Prefixes advertised to the peer", ["peer"]),
      received: gauge("anycast_bgp_prefixes_received", "Prefixes received from the peer", [
        "peer",
      ]),
    };

    // anycast_prefix_state, _transitions_total and _announced: see prefix_series.ts.

    this.#probeSuccess = gauge(
      "anycast_probe_success",
      "Result of the last probe run (1 success, 0 failure)",
      ["prefix", "probe"],
    );
    this.#probeRuns = counter("anycast_probe_runs_total", "Probe runs by result", [
      "prefix",
      "probe",
      "result",
    ]);
    this.#probeDuration = new client.Histogram({
      name: "anycast_probe_duration_seconds",
      help: "Probe run duration",
      labelNames: ["prefix", "probe"],
      buckets: options.durationBuckets ?? [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.#probeFailures = gauge(
      "anycast_probe_consecutive_failures",
      "Failed probe runs in a row",
      ["prefix", "probe"],
    );

    this.#bfdState = gauge("anycast_bfd_session_state", "BFD session state, one-hot (RFC 5880)", [
      "peer",
      "state",
    ]);
    this.#bfdTransitions = counter(
      "anycast_bfd_session_transitions_total",
      "BFD session state changes",
      ["peer", "from", "to"],
    );
    // By reason only: a spoofer picks the source address, so it must not pick label values.
    this.#bfdDropped = counter(
      "anycast_bfd_packets_dropped_total",
      "BFD packets discarded on receipt, by reason (ttl-not-255: RFC 5881 5; ttl-below-minimum: RFC 5883 2)",
      ["reason"],
    );
    this.#serviceRestarts = counter(
      "anycast_service_restarts_total",
      "systemd unit restarts after liveness failures, by result",
      ["unit", "result"],
    );
    this.#healthFailures = counter(
      "anycast_health_failures_total",
      "Prefixes found not ready, by the mechanism that decided (probe, unit state, " +
        "process exit, connection watch, stall)",
      ["prefix", "mechanism"],
    );

    // anycastd's names and labels.
    gauge("anycastd_up", "Application liveness status (must always be 1)", ["version"])
      .set({ version: options.version }, 1);
    this.#anycastdServiceUp = gauge(
      "anycastd_service_up",
      "Service liveness status based on checks",
      ["service", "check"],
    );
    this.#anycastdCheckDuration = gauge(
      "anycastd_check_duration_seconds",
      "Duration of check execution in seconds",
      ["service", "check"],
    );
    this.#certificateExpires = gauge(
      "certificate_expires_in_seconds",
      "Time the certificate expires in (in seconds)",
      ["check", "path"],
    );
    const ch = ["check", "host"];
    this.#icmp = {
      avg: gauge("anycastd_check_avg_rtt_seconds", "Avg RTT of ICMP checks", ch),
      loss: gauge("anycastd_check_loss_percent", "Percent of packet loss", ch),
      max: gauge("anycastd_check_max_rtt_seconds", "Max RTT of ICMP checks", ch),
      min: gauge("anycastd_check_min_rtt_seconds", "Min RTT of ICMP checks", ch),
      stdDev: gauge(
        "anycastd_check_std_dev_rtt_seconds",
        "Standard deviation RTT of ICMP checks",
        ch,
      ),
      duplicates: counter(
        "anycastd_check_packets_received_duplicates_total",
        "Total amount of duplicate packets received",
        ch,
      ),
      received: counter(
        "anycastd_check_packets_received_total",
        "Total amount of packets received",
        ch,
      ),
      sent: counter("anycastd_check_packets_sent_total", "Total amount of packets sent", ch),
    };
    this.#herald = new HeraldSeries(registry, options.herald ?? {}, options.durationBuckets);
    this.#ntp = {
      offset: gauge(
        "anycastd_check_last_ntp_offset_ms",
        "The estimated offset of the local system clock relative to the server's clock",
        ch,
      ),
      rtt: gauge(
        "anycastd_check_last_ntp_rtt_ms",
        "An estimate of the round-trip-time delay between the client and the server",
        ch,
      ),
      sent: counter(
        "anycastd_check_ntp_packets_sent_total",
        "Total amount of ntp packets sent",
        ch,
      ),
    };
  }

  /** Prometheus text exposition of every metric. */
  async metrics(): Promise<string> {
    const parts: string[] = [];
    for await (const chunk of this.chunks()) parts.push(chunk);
    return parts.join("");
  }

  /** The exposition in chunks: the per-prefix families are rendered in slices. */
  async *chunks(): AsyncGenerator<string> {
    yield await this.registry.metrics();
    yield* this.#prefixes.chunks();
    yield* this.#herald.chunks();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  configReload(ok: boolean): void {
    this.#configReloads.inc();
    if (!ok) this.#configReloadFailures.inc();
  }

  peerState(peer: string, state: string): void {
    setOneHot(this.#peerState, { peer }, PEER_STATES, state);
    const up = state === "Established";
    this.#peerUp.set({ peer }, up ? 1 : 0);
    this.#herald.peerState(peer, state);
    if (up) {
      if ((this.#establishedAt.get(peer) ?? -1) < 0) {
        this.#establishedAt.set(peer, this.#clock.now());
      }
    } else {
      this.#establishedAt.set(peer, -1);
    }
  }

  eventLoopLag(seconds: number): void {
    this.#loopLag.observe(seconds);
    if (seconds > this.#loopLagMaxSeen) {
      this.#loopLagMaxSeen = seconds;
      this.#loopLagMax.set(seconds);
    }
  }

  bgpMessage(peer: string, direction: Direction, type: string): void {
    this.#messages[direction].inc({ peer, type });
    this.#herald.message(peer, direction, type);
  }

  bgpUpdateErrors(peer: string, action: string, count: number): void {
    if (count > 0) this.#updateErrors.inc({ peer, action }, count);
  }

  bgpPrefixUpdates(peer: string, direction: Direction, count: number): void {
    if (count > 0) this.#prefixUpdates[direction].inc({ peer }, count);
  }

  peerPrefixes(peer: string, sent: number, received: number): void {
    this.#peerPrefixes.sent.set({ peer }, sent);
    this.#peerPrefixes.received.set({ peer }, received);
  }

  prefixState(prefix: string, state: string, previous?: string): void {
    this.#prefixes.setState(prefix, state, previous);
  }

  prefixAnnounced(prefix: string, announced: boolean): void {
    this.#prefixes.setAnnounced(prefix, announced);
    this.#herald.prefixAnnounced(prefix, announced);
  }

  probeResult(
    prefix: string,
    probe: string,
    ok: boolean,
    durationSeconds: number,
    consecutiveFailures: number,
  ): void {
    const labels = { prefix, probe };
    this.#probeSuccess.set(labels, ok ? 1 : 0);
    this.#probeRuns.inc({ ...labels, result: ok ? "success" : "failure" });
    this.#probeDuration.observe(labels, durationSeconds);
    this.#probeFailures.set(labels, consecutiveFailures);
    this.#herald.probeResult(prefix, probe, ok, durationSeconds);
  }

  bfdState(peer: string, state: string, previous?: string): void {
    setOneHot(this.#bfdState, { peer }, BFD_STATES, state);
    if (previous !== undefined && previous !== state) {
      this.#bfdTransitions.inc({ peer, from: previous, to: state });
    }
  }

  /** A received BFD packet was discarded (BfdPacketSink of src/bfd/metrics.ts). */
  bfdDropped(_peer: string | undefined, reason: string): void {
    this.#bfdDropped.inc({ reason });
  }

  serviceRestart(unit: string, ok: boolean): void {
    this.#serviceRestarts.inc({ unit, result: ok ? "success" : "failure" });
    if (ok) this.#herald.serviceRestart(unit);
  }

  healthFailure(prefix: string, mechanism: string): void {
    this.#healthFailures.inc({ prefix, mechanism });
  }

  anycastdServiceUp(service: string, check: string, up: boolean): void {
    this.#anycastdServiceUp.set({ service, check }, up ? 1 : 0);
  }

  anycastdCheckDuration(service: string, check: string, seconds: number): void {
    this.#anycastdCheckDuration.set({ service, check }, seconds);
  }

  certificateExpiresIn(check: string, path: string, seconds: number): void {
    this.#certificateExpires.set({ check, path }, seconds);
  }

  icmpStats(check: string, host: string, s: IcmpStats): void {
    const labels = { check, host };
    this.#icmp.avg.set(labels, s.avgRttSeconds);
    this.#icmp.loss.set(labels, s.lossPercent);
    this.#icmp.max.set(labels, s.maxRttSeconds);
    this.#icmp.min.set(labels, s.minRttSeconds);
    this.#icmp.stdDev.set(labels, s.stdDevRttSeconds);
    this.#icmp.duplicates.inc(labels, s.packetsReceivedDuplicates);
    this.#icmp.received.inc(labels, s.packetsReceived);
    this.#icmp.sent.inc(labels, s.packetsSent);
  }

  ntpStats(check: string, host: string, s: NtpStats): void {
    const labels = { check, host };
    this.#ntp.offset.set(labels, s.offsetMs);
    this.#ntp.rtt.set(labels, s.rttMs);
    this.#ntp.sent.inc(labels, s.packetsSent);
  }
}
