/**
 * `anycast demo --peer bird|gobgp|frr`: a real BGP daemon as the route
 * receiver, started on loopback by the lab launchers
 * (src/lab/), listening on a high port so it needs no root.
 * Its table is polled (birdc / gobgp / vtysh), so events are what changed
 * between two polls; it reports no NOTIFICATION details.
 *
 * @module
 */
import type { DemoPeer, ObservedRoute, PeerEvent } from "./types.ts";
import type { PeerAddresses } from "./scenario.ts";

export type ExternalPeerKind = "bird" | "gobgp" | "frr";

/** Lab calls we use (PeerDaemon in src/lab/types.ts). */
interface HarnessPeer {
  sessionState(neighbor: string): Promise<string>;
  rib(family: "ipv4" | "ipv6", neighbor?: string): Promise<HarnessRoute[]>;
  stop(): Promise<void>;
}
interface HarnessRoute {
  prefix: string;
  nextHop: string;
  asPath: number[];
  med?: number;
  communities: string[];
  largeCommunities: string[];
}

const POLL_MS = 300;

/** Well-known communities as daemons print them (FRR JSON: "gracefulShutdown"), RFC 1997/8326. */
const WELL_KNOWN: Record<string, string> = {
  gracefulshutdown: "65535:0",
  gshut: "65535:0",
  blackhole: "65535:666",
  noexport: "65535:65281",
  noadvertise: "65535:65282",
  noexportsubconfed: "65535:65283",
  localas: "65535:65283",
};

function numericCommunity(c: string): string {
  return WELL_KNOWN[c.toLowerCase().replace(/[-_]/g, "")] ?? c;
}

/** Which harness binaries `kind` needs that are missing (empty: installed). */
export async function missingPeerBinaries(kind: ExternalPeerKind): Promise<string[]> {
  const { missingBinaries } = await import("../lab/binaries.ts");
  return await missingBinaries(kind);
}

export class ExternalPeer implements DemoPeer {
  readonly kind: ExternalPeerKind;
  readonly address: string;
  readonly port: number;
  readonly asn: number;
  readonly seesNotifications = false;
  #addresses: PeerAddresses;
  #daemon: HarnessPeer | undefined;
  #listeners = new Set<(event: PeerEvent) => void>();
  #routes = new Map<string, ObservedRoute>();
  #established = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #polling: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(kind: ExternalPeerKind, addresses: PeerAddresses) {
    this.kind = kind;
    this.#addresses = addresses;
    this.address = addresses.peerAddress;
    this.port = addresses.peerPort;
    this.asn = addresses.peerAsn;
  }

  async start(): Promise<void> {
    const harness = await import("../lab/mod.ts");
    const a = this.#addresses;
    const options = {
      address: a.peerAddress,
      asn: a.peerAsn,
      routerId: "10.255.0.2",
      // The daemon connects to us; we never connect out (it listens nowhere).
      neighbors: [{ address: a.daemonAddress, asn: a.daemonAsn, passive: true, holdTime: 9 }],
      families: ["ipv4", "ipv6"] as ("ipv4" | "ipv6")[],
      listenPort: a.peerPort,
    };
    this.#daemon = this.kind === "bird"
      ? await harness.BirdPeer.start(options)
      : this.kind === "gobgp"
      ? await harness.GoBgpPeer.start(options)
      : await harness.FrrPeer.start(options);
    this.#schedule();
  }

  onEvent(listener: (event: PeerEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  established(): boolean {
    return this.#established;
  }

  table(): Promise<ObservedRoute[]> {
    return Promise.resolve(
      [...this.#routes.values()].sort((x, y) => x.prefix.localeCompare(y.prefix)),
    );
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#polling;
    await this.#daemon?.stop();
    this.#daemon = undefined;
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#polling = this.#poll().catch(() => {}).finally(() => this.#schedule());
    }, POLL_MS);
  }

  #emit(event: PeerEvent): void {
    for (const l of this.#listeners) l(event);
  }

  async #poll(): Promise<void> {
    const daemon = this.#daemon;
    if (!daemon) return;
    const neighbor = this.#addresses.daemonAddress;
    const state = await daemon.sessionState(neighbor);
    const established = state === "established";
    const fresh = new Map<string, ObservedRoute>();
    if (established) {
      for (const family of ["ipv4", "ipv6"] as const) {
        for (const r of await daemon.rib(family, neighbor)) {
          fresh.set(r.prefix, {
            prefix: r.prefix,
            family: family === "ipv4" ? "ipv4-unicast" : "ipv6-unicast",
            nextHop: r.nextHop,
            asPath: r.asPath,
            ...(r.med !== undefined ? { med: r.med } : {}),
            communities: r.communities.map(numericCommunity),
            largeCommunities: r.largeCommunities,
          });
        }
      }
    }
    // Route changes first: a withdraw and the session's end seen in one poll keep that order.
    for (const prefix of this.#routes.keys()) {
      if (!fresh.has(prefix)) this.#emit({ type: "withdraw", prefix });
    }
    for (const [prefix, route] of fresh) {
      const old = this.#routes.get(prefix);
      if (!old || JSON.stringify(old) !== JSON.stringify(route)) {
        this.#emit({ type: "announce", route });
      }
    }
    this.#routes = fresh;
    if (established !== this.#established) {
      this.#emit({
        type: "session",
        from: established ? "Idle" : "Established",
        to: established ? "Established" : state,
      });
      this.#established = established;
    }
  }
}
