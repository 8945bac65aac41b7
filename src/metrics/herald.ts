/**
 * Herald's metric names and labels (ahmet2mir/herald pkg/metrics), emitted
 * next to ours from the same reporter calls, so Herald dashboards and alerts
 * keep working:
 *
 * | series | type | labels | from |
 * |---|---|---|---|
 * | herald_prefix_up | gauge | prefix, name | prefixAnnounced |
 * | herald_probe_success_total | counter | prefix, probe_type, name | probeResult |
 * | herald_probe_failure_total | counter | prefix, probe_type, name | probeResult |
 * | herald_probe_duration_seconds | histogram | prefix, probe_type, name | probeResult |
 * | herald_bgp_peer_up | gauge | peer_address, peer_asn | peerState |
 * | herald_bgp_peer_state | gauge 0-6 | peer_address, peer_asn | peerState |
 * | herald_bgp_peer_messages_sent_total | counter | peer_address, peer_asn, message_type | bgpMessage |
 * | herald_bgp_peer_messages_received_total | counter | peer_address, peer_asn, message_type | bgpMessage |
 * | herald_bgp_route_count | gauge | route_table | prefixAnnounced |
 * | herald_service_restarts_total | counter | name | serviceRestart (successful ones) |
 *
 * Herald reads its BGP figures from GoBGP every `metrics.interval`; these
 * move with each event, so they are current at every scrape.
 *
 * `herald_prefix_up` and the route count are kept in a plain map and written
 * at scrape time in slices, as the anycast_prefix_* families are
 * (prefix_series.ts): with 100,000 prefixes a prom-client `set()` per
 * announce would hash labels on the start-up path.
 *
 * @module
 */
import client from "prom-client";
import { nextTurn, SLICE_MS } from "../util/slice.ts";
import type { Direction } from "./reporter.ts";
import type { AnycastConfig } from "../config/model.ts";

/** Where the labels Herald has and our reporter calls do not carry come from. */
export interface HeraldLabels {
  /** A prefix's `name` (Herald's Prefix.Name); default the prefix itself. */
  prefixName?: (prefix: string) => string | undefined;
  /** A neighbor's AS number for `peer_asn`; default "". */
  peerAsn?: (peer: string) => number | undefined;
  /**
   * Herald labels a restart with the name of the prefix whose liveness probe
   * failed: the names of the prefixes whose service is `unit`; default the unit.
   */
  unitNames?: (unit: string) => string[];
}

function escapeLabel(value: string): string {
  return value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
}

/** GoBGP's api.PeerState_SessionState numbers, as herald_bgp_peer_state exports them. */
export const HERALD_PEER_STATE: Readonly<Record<string, number>> = {
  Idle: 1,
  Connect: 2,
  Active: 3,
  OpenSent: 4,
  OpenConfirm: 5,
  Established: 6,
};

/** prometheus.DefBuckets, which Herald's probe histogram uses. */
const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class HeraldSeries {
  #labels: HeraldLabels;
  /** prefix -> 1 announced, 0 withdrawn (herald_prefix_up). */
  #prefixUp = new Map<string, 0 | 1>();
  #announcedCount = 0;
  #probeSuccess: client.Counter<string>;
  #probeFailure: client.Counter<string>;
  #probeDuration: client.Histogram<string>;
  #peerUp: client.Gauge<string>;
  #peerState: client.Gauge<string>;
  #messages: Record<Direction, client.Counter<string>>;
  #messageChildren = new Map<string, client.Counter.Internal>();
  #restarts: client.Counter<string>;

  constructor(registry: client.Registry, labels: HeraldLabels, buckets?: number[]) {
    this.#labels = labels;
    const registers = [registry];
    const gauge = (name: string, help: string, labelNames: string[]) =>
      new client.Gauge({ name, help, labelNames, registers });
    const counter = (name: string, help: string, labelNames: string[]) =>
      new client.Counter({ name, help, labelNames, registers });
    const probe = ["prefix", "probe_type", "name"];
    const peer = ["peer_address", "peer_asn"];
    this.#probeSuccess = counter(
      "herald_probe_success_total",
      "Total number of successful probe executions",
      probe,
    );
    this.#probeFailure = counter(
      "herald_probe_failure_total",
      "Total number of failed probe executions",
      probe,
    );
    this.#probeDuration = new client.Histogram({
      name: "herald_probe_duration_seconds",
      help: "Duration of probe execution in seconds",
      labelNames: probe,
      buckets: buckets ?? DEFAULT_BUCKETS,
      registers,
    });
    this.#peerUp = gauge("herald_bgp_peer_up", "BGP peer status (1=established, 0=down)", peer);
    this.#peerState = gauge(
      "herald_bgp_peer_state",
      "BGP peer session state (0=unknown, 1=idle, 2=connect, 3=active, 4=opensent, 5=openconfirm, 6=established)",
      peer,
    );
    this.#messages = {
      sent: counter(
        "herald_bgp_peer_messages_sent_total",
        "Total number of BGP messages sent to peer",
        [...peer, "message_type"],
      ),
      received: counter(
        "herald_bgp_peer_messages_received_total",
        "Total number of BGP messages received from peer",
        [...peer, "message_type"],
      ),
    };
    const announced = () => this.#announcedCount;
    new client.Gauge({
      name: "herald_bgp_route_count",
      help: "Number of BGP routes",
      labelNames: ["route_table"],
      registers,
      collect() {
        this.set({ route_table: "global" }, announced());
      },
    });
    this.#restarts = counter(
      "herald_service_restarts_total",
      "Total number of service restarts triggered",
      ["name"],
    );
  }

  #name(prefix: string): string {
    return this.#labels.prefixName?.(prefix) ?? prefix;
  }

  #peer(peer: string): { peer_address: string; peer_asn: string } {
    const asn = this.#labels.peerAsn?.(peer);
    return { peer_address: peer, peer_asn: asn === undefined ? "" : String(asn) };
  }

  prefixAnnounced(prefix: string, announced: boolean): void {
    const was = this.#prefixUp.get(prefix) ?? 0;
    const now = announced ? 1 : 0;
    this.#prefixUp.set(prefix, now);
    this.#announcedCount += now - was;
  }

  /** herald_prefix_up in the text exposition format, in chunks (sliced over the prefixes). */
  async *chunks(): AsyncGenerator<string> {
    yield "# HELP herald_prefix_up Prefix announcement status (1=announced, 0=withdrawn)\n" +
      "# TYPE herald_prefix_up gauge\n";
    let out: string[] = [];
    let started = performance.now();
    for (const [prefix, up] of this.#prefixUp) {
      const name = escapeLabel(this.#name(prefix));
      out.push(`herald_prefix_up{prefix="${escapeLabel(prefix)}",name="${name}"} ${up}`);
      if (out.length === 2048) {
        yield out.join("\n") + "\n";
        out = [];
        if (performance.now() - started >= SLICE_MS) {
          await nextTurn();
          started = performance.now();
        }
      }
    }
    if (out.length) yield out.join("\n") + "\n";
  }

  /** herald_prefix_up as one string. */
  async render(): Promise<string> {
    const parts: string[] = [];
    for await (const chunk of this.chunks()) parts.push(chunk);
    return parts.join("");
  }

  probeResult(prefix: string, probe: string, ok: boolean, durationSeconds: number): void {
    const labels = { prefix, probe_type: probe, name: this.#name(prefix) };
    (ok ? this.#probeSuccess : this.#probeFailure).inc(labels);
    this.#probeDuration.observe(labels, durationSeconds);
  }

  peerState(peer: string, state: string): void {
    const labels = this.#peer(peer);
    this.#peerState.set(labels, HERALD_PEER_STATE[state] ?? 0);
    this.#peerUp.set(labels, state === "Established" ? 1 : 0);
  }

  /** `type` as the session counts it (update, route-refresh); Herald writes route_refresh style. */
  /**
   * Called once per BGP message: the labelled child is kept, so a message
   * costs one map lookup instead of prom-client hashing the label set.
   */
  message(peer: string, direction: Direction, type: string): void {
    const labels = this.#peer(peer);
    const key = `${direction}\t${peer}\t${labels.peer_asn}\t${type}`;
    let child = this.#messageChildren.get(key);
    if (child === undefined) {
      const message_type = type.toLowerCase().replaceAll("-", "_");
      child = this.#messages[direction].labels({ ...labels, message_type });
      this.#messageChildren.set(key, child);
    }
    child.inc();
  }

  serviceRestart(unit: string): void {
    const names = this.#labels.unitNames?.(unit) ?? [];
    for (const name of names.length > 0 ? names : [unit]) this.#restarts.inc({ name });
  }
}

/**
 * Herald's labels read from the running config (`config()` follows reloads).
 * Lookups are O(1): the maps are rebuilt once per config object.
 */
export function heraldLabelsOf(config: () => AnycastConfig): HeraldLabels {
  let seen: AnycastConfig | undefined;
  let names = new Map<string, string>();
  let asns = new Map<string, number>();
  let units = new Map<string, string[]>();
  const current = () => {
    const c = config();
    if (c === seen) return;
    seen = c;
    names = new Map(c.prefixes.map((p) => [p.prefix, p.name]));
    asns = new Map(c.neighbors.map((n) => [n.address, n.asn]));
    units = new Map();
    for (const p of c.prefixes) {
      if (p.service) units.set(p.service.name, [...(units.get(p.service.name) ?? []), p.name]);
    }
  };
  return {
    prefixName: (prefix) => {
      current();
      return names.get(prefix);
    },
    peerAsn: (peer) => {
      current();
      return asns.get(peer);
    },
    unitNames: (unit) => {
      current();
      return units.get(unit) ?? [];
    },
  };
}
