/**
 * `anycast run` end to end: health-gated announce/withdraw at a real GoBGP
 * (native dialect), and the anycastd dialect's services deciding a route
 * at a real BIRD (`routes_mode: all` default and `any`).
 */
import assert from "node:assert/strict";
import {
  BIRD_ADDRESS,
  BIRD_ASN,
  BirdPeer,
  GOBGP_ADDRESS,
  GOBGP_ASN,
  GoBgpPeer,
  interopTest,
  NEXT_HOP_V4,
  sleep,
  SPARE_ADDRESSES,
} from "./harness/mod.ts";
import { HealthEndpoint, RunDaemon } from "./_run_daemon.ts";

// Own addresses: our daemon 127.0.0.23 (GoBGP suite), 127.0.0.24 (anycastd suite).
const SPEAKER_GOBGP = SPARE_ADDRESSES[13]!;
const SPEAKER_ANYCASTD = SPARE_ADDRESSES[14]!;

await interopTest({
  name:
    "anycast run + GoBGP: the route follows the readiness probe; SIGTERM drains, a second SIGTERM exits at once",
  daemons: ["gobgp"],
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "anycast-run-gobgp-" });
    await using health = new HealthEndpoint(true);
    await using gobgp = await GoBgpPeer.start({
      address: GOBGP_ADDRESS,
      asn: GOBGP_ASN,
      neighbors: [{ address: SPEAKER_GOBGP, asn: 64600, holdTime: 9, multihop: true }],
    });
    try {
      await Deno.writeTextFile(
        `${dir}/config.yaml`,
        [
          "speaker:",
          "  asn: 64600",
          `  routerId: "${SPEAKER_GOBGP}"`,
          "  listenPort: 0",
          "api:",
          `  socket: "${dir}/anycast.sock"`,
          "neighbors:",
          `  - address: "${GOBGP_ADDRESS}"`,
          `    asn: ${GOBGP_ASN}`,
          `    localAddress: "${SPEAKER_GOBGP}"`,
          "    holdTime: 9s",
          "prefixes:",
          '  - ipAddress: "198.51.100.60/32"',
          `    nextHop: "${NEXT_HOP_V4}"`,
          '    communities: ["65000:60"]',
          "    drainTime: 5s",
          "    readinessProbe:",
          "      periodSeconds: 300ms",
          "      timeoutSeconds: 200ms",
          "      failureThreshold: 1",
          "      successThreshold: 1",
          "      http:",
          `        port: ${health.port}`,
          "        path: /health",
          "",
        ].join("\n"),
      );
      await using daemon = RunDaemon.start(dir);
      const r = await gobgp.waitForRoute("198.51.100.60/32", undefined, 30_000);
      assert.deepEqual(r.communities, ["65000:60"]);
      health.healthy = false;
      await gobgp.waitForNoRoute("198.51.100.60/32", 10_000);
      health.healthy = true;
      await gobgp.waitForRoute("198.51.100.60/32", undefined, 10_000);
      // SIGTERM drains first (RFC 8326: 65535:0 for drainTime); a second SIGTERM exits at once.
      daemon.signal("SIGTERM");
      await gobgp.waitForRoute(
        "198.51.100.60/32",
        (r) => r.communities.includes("65535:0"),
        5_000,
      );
      const secondAt = Date.now();
      daemon.signal("SIGTERM");
      assert.equal((await daemon.status()).code, 130, daemon.log.slice(-2000));
      assert.ok(Date.now() - secondAt < 2000, "the second signal does not wait for the drain");
      await gobgp.waitForNoRoute("198.51.100.60/32", 15_000);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

function anycastdConfig(mode: "all" | "any", web: HealthEndpoint, api: HealthEndpoint): string {
  const service = (name: string, endpoint: HealthEndpoint) => [
    `  - name: ${name}`,
    "    check_interval: 300ms",
    "    checks:",
    "      - kind: http_2xx",
    "        spec:",
    `          url: ${endpoint.url}`,
    "          method: GET",
    "          tries: 1",
    "          interval: 10ms",
    "          timeout: 200ms",
  ];
  return [
    "announcer:",
    `  router_id: ${SPEAKER_ANYCASTD}`,
    `  local_address: ${SPEAKER_ANYCASTD}`,
    "  local_asn: 64600",
    "  routes:",
    "    - 198.51.100.70/32",
    `  routes_mode: ${mode}`,
    "  peers:",
    "    - name: bird",
    `      remote_address: ${BIRD_ADDRESS}`,
    `      remote_asn: ${BIRD_ASN}`,
    "services:",
    ...service("web", web),
    ...service("api", api),
    "",
  ].join("\n");
}

await interopTest({
  name:
    "anycast run + BIRD, anycastd dialect: routes need every service up; routes_mode any needs one",
  daemons: ["bird"],
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "anycast-run-anycastd-" });
    await using web = new HealthEndpoint(true);
    await using api = new HealthEndpoint(true);
    await using bird = await BirdPeer.start({
      address: BIRD_ADDRESS,
      asn: BIRD_ASN,
      neighbors: [{ address: SPEAKER_ANYCASTD, asn: 64600, holdTime: 9 }],
    });
    try {
      await Deno.writeTextFile(`${dir}/config.yaml`, anycastdConfig("all", web, api));
      await using daemon = RunDaemon.start(dir, { ANYCAST_SOCKET: `${dir}/anycast.sock` });
      await bird.waitEstablished(SPEAKER_ANYCASTD, 20_000);
      await bird.waitForRoute("198.51.100.70/32", undefined, 10_000);
      // all: one service down withdraws.
      api.healthy = false;
      await bird.waitForNoRoute("198.51.100.70/32", 5_000);
      api.healthy = true;
      await bird.waitForRoute("198.51.100.70/32", undefined, 5_000);

      // any (applied by SIGHUP): one service down keeps the route, both down withdraw.
      await Deno.writeTextFile(`${dir}/config.yaml`, anycastdConfig("any", web, api));
      daemon.signal("SIGHUP");
      await daemon.waitLog(/reload done/);
      api.healthy = false;
      await daemon.waitLog(/service api: down/);
      await sleep(900); // three more check rounds
      assert.ok((await bird.rib()).some((r) => r.prefix === "198.51.100.70/32"));
      web.healthy = false;
      await bird.waitForNoRoute("198.51.100.70/32", 5_000);
      web.healthy = true;
      await bird.waitForRoute("198.51.100.70/32", undefined, 5_000);

      daemon.signal("SIGTERM");
      assert.equal((await daemon.status()).code, 0, daemon.log.slice(-2000));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
