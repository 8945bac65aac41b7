/**
 * Config and fake-time helpers shared by the unit tests that run a whole
 * `Daemon` or `BgpSpeaker` on an in-memory network.
 *
 * @module
 */
import type { AnycastConfig, NeighborConfig } from "../../../src/config/model.ts";
import type { FakeClock } from "../../../src/util/clock.ts";

/** An eBGP neighbor with short timers; `over` replaces any field. */
export function testNeighbor(address: string, over: Partial<NeighborConfig> = {}): NeighborConfig {
  return {
    name: address,
    address,
    asn: 65001,
    port: 179,
    passive: false,
    holdTime: 9,
    keepalive: 3,
    connectRetry: 1,
    ebgpMultihop: false,
    ebgpMultihopTtl: 1,
    families: ["ipv4-unicast"],
    ...over,
  };
}

/** A native config for AS 64600 at `ours`, no prefixes; BFD 50 ms × 3 when `bfd` is on. */
export function testConfig(
  ours: string,
  neighbors: NeighborConfig[],
  options: { bfd: boolean },
): AnycastConfig {
  return {
    dialect: "native",
    source: "",
    logging: { driver: "none", format: "text", level: "info" },
    speaker: {
      asn: 64600,
      routerId: ours,
      gracefulRestartEnabled: false,
      gracefulRestartRestartTime: 120,
      listenPort: 179,
    },
    api: { socket: "/nonexistent" },
    neighbors,
    prefixes: [],
    services: [],
    bfd: {
      enabled: options.bfd,
      listenAddress: ours,
      listenPort: 3784,
      minRxMs: 50,
      minTxMs: 50,
      multiplier: 3,
      passive: false,
      multihop: false,
      holdBgpUntilUp: true,
    },
    metrics: { enabled: false, address: "127.0.0.1:9000", path: "/metrics" },
  };
}

/** Let pending promise callbacks and zero-delay timers run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((r) => setTimeout(r, 0));
}

/** Advance fake time in 50 ms steps, flushing between steps so I/O callbacks interleave. */
export async function advance(clock: FakeClock, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 50) {
    clock.tick(50);
    await flush();
  }
}
