/**
 * A Herald-style config run by `anycast run` against a real BIRD 2:
 * - `asPathPrepend: [64600, 64600]` (Herald's list form) arrives as
 *   64600 64600 64600 (our AS, then the list);
 * - an IPv4 neighbor without `families` carries an IPv6 prefix with its
 *   IPv6 next hop (Multiprotocol capability, RFC 4760; RFC 2545 next hop);
 * - Herald's metrics block (listenAddress/listenPort/interval) serves
 *   herald_* series and /health.
 */
import assert from "node:assert/strict";
import {
  BIRD_ADDRESS,
  BIRD_ASN,
  BirdPeer,
  interopTest,
  NEXT_HOP_V4,
  SPARE_ADDRESSES,
} from "./harness/mod.ts";
import { parsePrometheus, RunDaemon } from "./_run_daemon.ts";

const SPEAKER = SPARE_ADDRESSES[28]!; // 127.0.0.38

/** A free TCP port on 127.0.0.1 (closed again at once). */
function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

await interopTest({
  name:
    "anycast run + BIRD: Herald's asPathPrepend list, IPv6 over an IPv4 session, herald_* metrics",
  daemons: ["bird"],
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "anycast-herald-bird-" });
    const metricsPort = freePort();
    await using bird = await BirdPeer.start({
      address: BIRD_ADDRESS,
      asn: BIRD_ASN,
      families: ["ipv4", "ipv6"],
      neighbors: [{ address: SPEAKER, asn: 64600, holdTime: 9 }],
    });
    try {
      await Deno.writeTextFile(
        `${dir}/config.yaml`,
        [
          "logging: {driver: stderr, format: text, level: DEBUG}",
          "metrics:",
          "  enabled: true",
          '  listenAddress: "127.0.0.1"',
          `  listenPort: ${metricsPort}`,
          "  interval: 15s",
          "speaker:",
          "  asn: 64600",
          `  routerId: "${SPEAKER}"`,
          "  listenPort: 0",
          "api:",
          `  socket: "${dir}/anycast.sock"`,
          "neighbors:",
          `  - address: "${BIRD_ADDRESS}"`,
          `    asn: ${BIRD_ASN}`,
          "    ebgpMultihopEnabled: true",
          `    localAddress: "${SPEAKER}"`,
          "prefixes:",
          '  - ipAddress: "198.51.100.40/32"',
          "    name: web",
          `    nextHop: "${NEXT_HOP_V4}"`,
          "    asPathPrepend: [64600, 64600]",
          "    multiExitDescriminator: 40",
          '  - ipAddress: "2001:db8:40::/48"',
          "    name: web-v6",
          '    nextHop: "2001:db8::40"',
          "",
        ].join("\n"),
      );
      // LOG_LEVEL would override logging.level; the file's DEBUG (zap's spelling) is what is read.
      await using daemon = RunDaemon.start(dir, { LOG_LEVEL: "" });
      await bird.waitEstablished(SPEAKER, 20_000);

      const v4 = await bird.waitForRoute("198.51.100.40/32", undefined, 10_000);
      assert.deepEqual(v4.asPath, [64600, 64600, 64600]);
      assert.equal(v4.med, 40);
      assert.equal(v4.nextHop, NEXT_HOP_V4);

      const v6 = await bird.waitForRoute("2001:db8:40::/48", undefined, 10_000);
      assert.equal(v6.nextHop, "2001:db8::40");
      assert.deepEqual(v6.asPath, [64600]);
      const protocol = await bird.birdc("show", "protocols", "all");
      assert.match(protocol, /Channel ipv6[\s\S]*?State:\s+UP/);

      const base = `http://127.0.0.1:${metricsPort}`;
      const health = await fetch(`${base}/health`);
      assert.deepEqual([health.status, await health.text()], [200, "OK"]);
      const metrics = parsePrometheus(await (await fetch(`${base}/metrics`)).text());
      const peer = `peer_address="${BIRD_ADDRESS}",peer_asn="${BIRD_ASN}"`;
      assert.equal(metrics.get(`herald_bgp_peer_up{${peer}}`), 1);
      assert.equal(metrics.get(`herald_bgp_peer_state{${peer}}`), 6);
      assert.equal(metrics.get('herald_prefix_up{prefix="198.51.100.40/32",name="web"}'), 1);
      assert.equal(metrics.get('herald_prefix_up{prefix="2001:db8:40::/48",name="web-v6"}'), 1);
      assert.equal(metrics.get('herald_bgp_route_count{route_table="global"}'), 2);
      assert.ok(
        (metrics.get(`herald_bgp_peer_messages_sent_total{${peer},message_type="update"}`) ?? 0) >=
          2,
      );
      assert.ok(
        (metrics.get(`herald_bgp_peer_messages_received_total{${peer},message_type="open"}`) ??
          0) >= 1,
      );

      daemon.signal("SIGTERM");
      assert.equal((await daemon.status()).code, 0, daemon.log.slice(-2000));
      await bird.waitForNoRoute("2001:db8:40::/48", 5_000);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
