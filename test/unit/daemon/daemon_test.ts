import assert from "node:assert/strict";
import { parseConfig } from "../../../src/config/mod.ts";
import { Daemon, routeOf } from "../../../src/daemon/mod.ts";
import { BgpSpeaker } from "../../../src/bgp/speaker.ts";
import { MemoryNetwork } from "../../../src/bgp/transport.ts";
import { FakeClock } from "../../../src/util/clock.ts";

const YAML = `
speaker:
  asn: 64600
  routerId: "10.0.0.1"
neighbors:
  - address: "127.0.0.2"
    asn: 65001
    localAddress: "127.0.0.1"
    holdTime: 9s
    families: [ipv4-unicast, ipv6-unicast]
prefixes:
  - ipAddress: "192.0.2.1/32"
    nextHop: "203.0.113.1"
    communities: ["65000:100"]
    largeCommunities: ["65000:1:2"]
    med: 20
    asPathPrepend: 1
  - ipAddress: "2001:db8::1/128"
    nextHop: "2001:db8::ff"
`;

async function settle(clock: FakeClock, cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    await new Promise((r) => setTimeout(r, 0));
    if (cond()) return;
    clock.tick(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

Deno.test("Daemon announces every configured prefix and withdraws with a Cease on stop", async () => {
  const loaded = parseConfig(YAML, "config.yaml");
  assert.ok(loaded.ok, JSON.stringify(!loaded.ok && loaded.errors));
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
  const lines: string[] = [];
  const daemon = new Daemon({
    config: loaded.config,
    clock,
    transport: net.transport("127.0.0.1"),
    controlApi: false,
    log: (level, message) => lines.push(`${level} ${message}`),
  });
  try {
    await daemon.start();
    const rib = peer.sessions[0]!.adjRibIn;
    await settle(clock, () => rib.size === 2, "both prefixes at the peer");
    const v4 = rib.get("192.0.2.1/32")!.attributes;
    assert.equal(v4.med, 20);
    assert.deepEqual(v4.communities, ["65000:100"]);
    assert.deepEqual(v4.largeCommunities, ["65000:1:2"]);
    assert.deepEqual(v4.asPath, [{ type: "sequence", asns: [64600, 64600] }]);
    assert.ok(lines.some((l) => /Established/.test(l)));
    await daemon.stop();
    await settle(clock, () => peer.peers()[0]!.state !== "Established", "session closed");
    assert.match(peer.peers()[0]!.lastError ?? "", /6\/2 .*anycast daemon shutting down/);
    assert.equal(rib.size, 0);
  } finally {
    await daemon.stop();
    await peer.stop();
  }
});

Deno.test("routeOf() carries next hop, origin and attributes of a prefix", () => {
  const loaded = parseConfig(YAML, "config.yaml");
  assert.ok(loaded.ok);
  const r = routeOf(loaded.config.prefixes[0]!);
  assert.equal(r.prefix, "192.0.2.1/32");
  assert.equal(r.nextHop, "203.0.113.1");
  assert.equal(r.origin, "igp");
  assert.equal(r.attributes.med, 20);
});
