/**
 * What the subsystems report for metrics. Code takes a `MetricsReporter`
 * (default `noopMetrics`), so nothing depends on Prometheus and tests need
 * no registry.
 *
 * @module
 */

/** Results of one anycastd icmp_ping check run (per-run packet counts; the exporter sums them). */
export interface IcmpStats {
  avgRttSeconds: number;
  minRttSeconds: number;
  maxRttSeconds: number;
  stdDevRttSeconds: number;
  lossPercent: number;
  packetsSent: number;
  packetsReceived: number;
  packetsReceivedDuplicates: number;
}

/** Results of one anycastd ntpq check run. */
export interface NtpStats {
  offsetMs: number;
  rttMs: number;
  /** Packets sent by this run. */
  packetsSent: number;
}

export type Direction = "sent" | "received";

export interface MetricsReporter {
  /** A config reload was attempted (SIGHUP). */
  configReload(ok: boolean): void;
  /** How late a periodic timer fired: the event loop was busy that long (src/metrics/loop_lag.ts). */
  eventLoopLag(seconds: number): void;

  /** A BGP session entered an RFC 4271 FSM state (Idle ... Established). */
  peerState(peer: string, state: string): void;
  /** One BGP message of `type` (OPEN, UPDATE, NOTIFICATION, KEEPALIVE, ROUTE-REFRESH). */
  bgpMessage(peer: string, direction: Direction, type: string): void;
  /** Prefixes announced or withdrawn in UPDATE messages (NLRI and withdrawn routes counted). */
  bgpPrefixUpdates(peer: string, direction: Direction, count: number): void;
  /** Current Adj-RIB-Out / Adj-RIB-In sizes. */
  peerPrefixes(peer: string, sent: number, received: number): void;
  /**
   * RFC 7606 outcomes of UPDATEs received: `action` is treat-as-withdraw,
   * attribute-discard or session-reset; `count` new ones since the last call.
   */
  bgpUpdateErrors?(peer: string, action: string, count: number): void;

  /** A prefix's route-policy state (up, down, disabled, draining, unknown). */
  prefixState(prefix: string, state: string, previous?: string): void;
  /** The speaker accepted the announce (true) or withdraw (false) of a prefix. */
  prefixAnnounced(prefix: string, announced: boolean): void;

  /** One probe run of a prefix (probe = startup, liveness, readiness). */
  probeResult(
    prefix: string,
    probe: string,
    ok: boolean,
    durationSeconds: number,
    consecutiveFailures: number,
  ): void;

  /** A BFD session entered a state (AdminDown, Down, Init, Up). */
  bfdState(peer: string, state: string, previous?: string): void;
  /** A received BFD packet was discarded, by reason (e.g. ttl-not-255, RFC 5881 §5). */
  bfdDropped?(peer: string | undefined, reason: string): void;

  /** A systemd unit restart was attempted (liveness failure). */
  serviceRestart(unit: string, ok: boolean): void;
  /**
   * A prefix was found not ready, and by what: probe, unit state, process exit,
   * connection watch or stall (the dead-man switch).
   */
  healthFailure(prefix: string, mechanism: string): void;

  // anycastd compatible metrics, so existing dashboards keep working.
  anycastdServiceUp(service: string, check: string, up: boolean): void;
  anycastdCheckDuration(service: string, check: string, seconds: number): void;
  certificateExpiresIn(check: string, path: string, seconds: number): void;
  icmpStats(check: string, host: string, stats: IcmpStats): void;
  ntpStats(check: string, host: string, stats: NtpStats): void;
}

const nothing = () => {};

/** Reports nothing: the default wherever metrics are optional. */
export const noopMetrics: MetricsReporter = {
  configReload: nothing,
  eventLoopLag: nothing,
  peerState: nothing,
  bgpMessage: nothing,
  bgpPrefixUpdates: nothing,
  peerPrefixes: nothing,
  bgpUpdateErrors: nothing,
  prefixState: nothing,
  prefixAnnounced: nothing,
  probeResult: nothing,
  bfdState: nothing,
  bfdDropped: nothing,
  serviceRestart: nothing,
  healthFailure: nothing,
  anycastdServiceUp: nothing,
  anycastdCheckDuration: nothing,
  certificateExpiresIn: nothing,
  icmpStats: nothing,
  ntpStats: nothing,
};
