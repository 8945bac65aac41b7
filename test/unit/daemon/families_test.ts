/**
 * A neighbor without `families` negotiates the families of the configured
 * prefixes (RFC 4760 §8): an IPv4 session carries an IPv6 prefix in
 * MP_REACH_NLRI (its IPv6 next hop, RFC 2545 §3, is checked against BIRD in
 * test/interop/run_herald_bird_test.ts). Daemon and peer on an in-memory
 * network, fake time.
 */
import assert from "node:assert/strict";
import { formatConfigError, parseConfig } from "../../../src/config/mod.ts";
import { Daemon } from "../../../src/daemon/mod.ts";
import { BgpSpeaker } from "../../../src/bgp/speaker.ts";
import { MemoryNetwork } from "../../../src/bgp/transport.ts";
import { FakeClock } from "../../../src/util/clock.ts";

const YAML = `
speaker: {asn: 64600, routerId: 10.0.0.1, listenPort: 0}
neighbors:
  - {address: 127.0.0.2, asn: 65001, localAddress: 127.0.0.1, holdTime: 9s}
prefixes:
  - {ipAddress: 198.51.100.1/32, nextHop: 203.0.113.1}
  - {ipAddress: "2001:db8:40::/48", nextHop: "2001:db8::40", asPathPrepend: [64700]}
  - ipAddress: "2001:db8:41::/48"
`;

async function settle(clock: FakeClock, cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    await new Promise((r) => setTimeout(r, 0));
    if (cond()) return;
    clock.tick(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

Deno.test("Daemon: an IPv4 neighbor without families carries an IPv6 prefix that has a next hop", async () => {
  const loaded = parseConfig(YAML, "config.yaml");
  if (!loaded.ok) throw new Error(loaded.errors.map(formatConfigError).join("\n"));
  assert.deepEqual(loaded.config.neighbors[0]?.families, ["ipv4-unicast", "ipv6-unicast"]);
  // The prefix without a next hop has none on an IPv4 session: validate says so.
  assert.deepEqual(loaded.warnings.map((w) => w.path), ["prefixes[2].ipAddress"]);
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
      families: ["ipv4-unicast", "ipv6-unicast"],
    }],
    transport: net.transport("127.0.0.2"),
    clock,
  });
  await peer.start();
  const daemon = new Daemon({
    config: loaded.config,
    clock,
    transport: net.transport("127.0.0.1"),
    controlApi: false,
  });
  try {
    await daemon.start();
    const rib = peer.sessions[0]!.adjRibIn;
    await settle(clock, () => rib.size === 2, "the IPv4 and the IPv6 prefix at the peer");
    assert.deepEqual(peer.sessions[0]!.status().families.sort(), [
      "ipv4-unicast",
      "ipv6-unicast",
    ]);
    const v6 = rib.get("2001:db8:40::/48")!;
    assert.equal(v6.family, "ipv6-unicast");
    // The Adj-RIB-In keeps no MP next hop; the next hop on the wire is checked against
    // BIRD in test/interop/run_herald_bird_test.ts and by the MP_REACH_NLRI golden tests.
    assert.deepEqual(v6.attributes.asPath, [{ type: "sequence", asns: [64600, 64700] }]);
    assert.equal(rib.get("198.51.100.1/32")?.attributes.nextHop, "203.0.113.1");
    assert.equal(rib.get("2001:db8:41::/48"), undefined);
  } finally {
    await daemon.stop();
    await peer.stop();
  }
});
