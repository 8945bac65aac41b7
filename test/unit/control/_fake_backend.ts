import {
  type ControlBackend,
  ControlError,
  type ManualAnnounce,
  type PeerInfo,
  type PrefixInfo,
  type PrefixTarget,
  type RouteDirection,
  type RouteInfo,
  type StatusInfo,
} from "../../../src/control/types.ts";
import { UnknownPrefixError } from "../../../src/health/engine.ts";

export const PEERS: PeerInfo[] = [
  {
    name: "10.0.0.254",
    address: "10.0.0.254",
    asn: 64599,
    state: "Established",
    uptimeSeconds: 3723,
    prefixesSent: 2,
    prefixesReceived: 0,
    bfd: "Up",
  },
  {
    name: "core2",
    address: "2001:db8::fe",
    asn: 64600,
    state: "Active",
    uptimeSeconds: 90061,
    prefixesSent: 0,
    prefixesReceived: 0,
    lastError: "Connection refused",
  },
];

export const ROUTES: RouteInfo[] = [{
  prefix: "192.0.2.1/32",
  nextHop: "10.0.0.1",
  asPath: [65000],
  origin: "igp",
  med: 10,
  communities: ["65000:100"],
  largeCommunities: [],
  ageSeconds: 42,
}];

/** A ControlBackend that records every call and answers from fixtures. */
export class FakeBackend implements ControlBackend {
  calls: string[] = [];
  configured = new Set(["192.0.2.1/32", "192.0.2.2/32"]);
  fail: Error | undefined;

  status(): StatusInfo {
    this.#check();
    return {
      version: "0.1.0",
      pid: 1234,
      startedAt: "2026-01-01T00:00:00.000Z",
      uptimeSeconds: 60,
      asn: 65000,
      routerId: "10.0.0.1",
      config: "/etc/anycast/config.yaml",
      ready: true,
      peers: { configured: 2, established: 1 },
      prefixes: { configured: 2, announced: 1 },
    };
  }
  peers(): PeerInfo[] {
    this.#check();
    return PEERS;
  }
  routes(peer: string, direction: RouteDirection): RouteInfo[] {
    this.calls.push(`routes ${peer} ${direction}`);
    if (!PEERS.some((p) => p.name === peer || p.address === peer)) {
      throw new ControlError(404, `Unknown peer ${peer}`);
    }
    return direction === "sent" ? ROUTES : [];
  }
  /** Prefixes reported as down and withdrawn, with their reason. */
  withdrawn = new Map<string, string>();
  prefixes(): PrefixInfo[] {
    return [...this.configured].map((prefix) => ({
      name: prefix,
      prefix,
      state: this.withdrawn.has(prefix) ? "down" : "up",
      reason: this.withdrawn.get(prefix) ?? "healthy",
      announced: !this.withdrawn.has(prefix),
      sinceSeconds: 5,
      maintenance: false,
      drain: "none",
      manual: false,
      probes: [{ probe: "readiness", ok: true, durationMs: 3 }],
    }));
  }
  announce(request: ManualAnnounce): void {
    this.calls.push(`announce ${JSON.stringify(request)}`);
  }
  withdraw(prefix: string): void {
    this.calls.push(`withdraw ${prefix}`);
  }
  drain(target: PrefixTarget): string[] {
    this.calls.push(`drain ${JSON.stringify(target)}`);
    if ("all" in target) return [...this.configured];
    if (!this.configured.has(target.prefix)) throw new UnknownPrefixError(target.prefix);
    return [target.prefix];
  }
  undrain(target: PrefixTarget): string[] {
    this.calls.push(`undrain ${JSON.stringify(target)}`);
    return "all" in target ? [...this.configured] : [target.prefix];
  }
  maintenance(prefix: string, on: boolean): void {
    this.calls.push(`maintenance ${prefix} ${on}`);
  }
  resetPeer(peer: string): boolean {
    this.#check();
    this.calls.push(`resetPeer ${peer}`);
    if (peer === "nobody") throw new ControlError(404, `Unknown peer ${peer}`);
    return peer === "10.0.0.254";
  }
  #check() {
    if (this.fail) throw this.fail;
  }
}
