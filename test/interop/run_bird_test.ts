/**
 * `anycast run` end to end against a real BIRD 2: health decides the routes,
 * degrade instead of withdraw, maintenance file, drain (RFC 8326), the
 * control API through the CLI, metrics, SIGHUP reload keeping the session
 * up, an invalid reload keeping the old routes.
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
import { cli, HealthEndpoint, parsePrometheus, RunDaemon, until } from "./_run_daemon.ts";

// Own addresses: our daemon 127.0.0.20 (health suite) and 127.0.0.21 (reload suite).
const SPEAKER_HEALTH = SPARE_ADDRESSES[10]!;
const SPEAKER_RELOAD = SPARE_ADDRESSES[11]!;

function probe(url: URL, period = "300ms", failure = 2, success = 2): string[] {
  return [
    "    readinessProbe:",
    `      periodSeconds: ${period}`,
    "      timeoutSeconds: 200ms",
    `      failureThreshold: ${failure}`,
    `      successThreshold: ${success}`,
    "      http:",
    `        port: ${url.port}`,
    `        path: ${url.pathname}`,
  ];
}

function header(speaker: string, dir: string, metricsPort?: number): string[] {
  return [
    "speaker:",
    "  asn: 64600",
    `  routerId: "${speaker}"`,
    "  listenPort: 0",
    "api:",
    `  socket: "${dir}/anycast.sock"`,
    "  allowedPrefixes: [198.51.100.0/24]",
    ...(metricsPort === undefined ? [] : [
      "metrics:",
      "  enabled: true",
      `  address: "127.0.0.1:${metricsPort}"`,
    ]),
    "neighbors:",
    `  - address: "${BIRD_ADDRESS}"`,
    `    asn: ${BIRD_ASN}`,
    `    localAddress: "${speaker}"`,
    "    holdTime: 9s",
  ];
}

/** A free TCP port on 127.0.0.1 (closed again at once). */
function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

await interopTest({
  name: "anycast run + BIRD: health, thresholds, degrade, maintenance, drain, API, metrics",
  daemons: ["bird"],
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "anycast-run-bird-" });
    await using health = new HealthEndpoint(false);
    const url = new URL(health.url);
    const metricsPort = freePort();
    await using bird = await BirdPeer.start({
      address: BIRD_ADDRESS,
      asn: BIRD_ASN,
      neighbors: [{ address: SPEAKER_HEALTH, asn: 64600, holdTime: 9 }],
    });
    try {
      await Deno.writeTextFile(
        `${dir}/config.yaml`,
        [
          ...header(SPEAKER_HEALTH, dir, metricsPort),
          "prefixes:",
          // Gated: withdrawn while down.
          '  - ipAddress: "198.51.100.20/32"',
          `    nextHop: "${NEXT_HOP_V4}"`,
          "    med: 10",
          ...probe(url),
          // Gated, degrades instead of vanishing.
          '  - ipAddress: "198.51.100.21/32"',
          `    nextHop: "${NEXT_HOP_V4}"`,
          "    med: 10",
          "    withdrawOnDown: false",
          "    down:",
          "      med: 500",
          '      communities: ["65000:666"]',
          ...probe(url),
          // Static, with a maintenance file and a drain time.
          '  - ipAddress: "198.51.100.22/32"',
          `    nextHop: "${NEXT_HOP_V4}"`,
          '    communities: ["65000:22"]',
          `    maintenance: "${dir}/maintenance"`,
          "    drainTime: 2s",
          // Static, kept as a worse path while in maintenance.
          '  - ipAddress: "198.51.100.23/32"',
          `    nextHop: "${NEXT_HOP_V4}"`,
          `    maintenance: "${dir}/maintenance-23"`,
          "    disabled:",
          "      med: 900",
          "      asPathPrepend: 2",
          "",
        ].join("\n"),
      );
      await using daemon = RunDaemon.start(dir);
      await bird.waitEstablished(SPEAKER_HEALTH, 20_000);

      // Static prefix at once; unhealthy: .20 withdrawn, .21 announced with its down attributes.
      await bird.waitForRoute("198.51.100.22/32", undefined, 10_000);
      const degraded = await bird.waitForRoute("198.51.100.21/32", (r) => r.med === 500, 10_000);
      assert.deepEqual(degraded.communities, ["65000:666"]);
      assert.equal((await bird.rib()).some((r) => r.prefix === "198.51.100.20/32"), false);

      // Healthy: after successThreshold (2) successes both come up with the normal attributes.
      health.healthy = true;
      await bird.waitForRoute("198.51.100.20/32", (r) => r.med === 10, 10_000);
      const up = await bird.waitForRoute("198.51.100.21/32", (r) => r.med === 10, 10_000);
      assert.deepEqual(up.communities, []);
      assert.match(daemon.log, /prefix 198\.51\.100\.20\/32: unknown|down -> up/);

      // Unhealthy again: withdrawn after exactly failureThreshold (2) failed runs.
      const logBefore = daemon.log.length;
      health.healthy = false;
      await bird.waitForNoRoute("198.51.100.20/32", 10_000);
      await bird.waitForRoute("198.51.100.21/32", (r) => r.med === 500, 10_000);
      const fall = daemon.log.slice(logBefore);
      const untilDown = fall.slice(0, fall.indexOf("prefix 198.51.100.20/32: up -> down"));
      const failures = untilDown.match(/prefix 198\.51\.100\.20\/32: readiness failed/g) ?? [];
      assert.equal(failures.length, 2, untilDown);

      // Maintenance file: disabled at once (withdrawn), back when removed.
      await Deno.writeTextFile(`${dir}/maintenance`, "");
      await bird.waitForNoRoute("198.51.100.22/32", 5_000);
      await Deno.remove(`${dir}/maintenance`);
      await bird.waitForRoute("198.51.100.22/32", undefined, 5_000);
      // Maintenance with disabled attributes: a worse path instead of a withdraw.
      assert.deepEqual((await bird.waitForRoute("198.51.100.23/32")).asPath, [64600]);
      await Deno.writeTextFile(`${dir}/maintenance-23`, "");
      const disabled = await bird.waitForRoute("198.51.100.23/32", (r) => r.med === 900, 5_000);
      assert.deepEqual(disabled.asPath, [64600, 64600, 64600]);
      await Deno.remove(`${dir}/maintenance-23`);
      await bird.waitForRoute("198.51.100.23/32", (r) => r.med === undefined, 5_000);

      // The CLI against the running daemon.
      const socket = `${dir}/anycast.sock`;
      const peers = await cli(["peers", "--json", "--socket", socket]);
      assert.equal(peers.code, 0, peers.stderr);
      const peerList = JSON.parse(peers.stdout) as { address: string; state: string }[];
      assert.deepEqual(peerList.map((p) => [p.address, p.state]), [[BIRD_ADDRESS, "Established"]]);
      const sent = await cli(["peers", BIRD_ADDRESS, "--routes", "--json", "--socket", socket]);
      assert.equal(sent.code, 0, sent.stderr);
      const sentPrefixes = (JSON.parse(sent.stdout) as { prefix: string }[]).map((r) => r.prefix)
        .sort();
      assert.deepEqual(sentPrefixes, ["198.51.100.21/32", "198.51.100.22/32", "198.51.100.23/32"]);
      // Adj-RIB-In: what BIRD sends us.
      await bird.announce("192.0.2.0/24", NEXT_HOP_V4, { med: 24 });
      const received = await until(async () => {
        const r = await cli([
          "peers",
          BIRD_ADDRESS,
          "--routes",
          "--received",
          "--json",
          "--socket",
          socket,
        ]);
        const list = JSON.parse(r.stdout) as { prefix: string; med?: number; asPath: number[] }[];
        return list.find((x) => x.prefix === "192.0.2.0/24");
      }, "BIRD's route in our Adj-RIB-In");
      assert.equal(received.med, 24);
      assert.deepEqual(received.asPath, [BIRD_ASN]);
      // An operator prefix reaches BIRD and goes again.
      const manual = await cli([
        "announce",
        "198.51.100.29/32",
        "--next-hop",
        NEXT_HOP_V4,
        "--med",
        "29",
        "--socket",
        socket,
      ]);
      assert.equal(manual.code, 0, manual.stderr);
      await bird.waitForRoute("198.51.100.29/32", (r) => r.med === 29, 5_000);
      const unannounce = await cli([
        "announce",
        "--withdraw",
        "198.51.100.29/32",
        "--socket",
        socket,
      ]);
      assert.equal(unannounce.code, 0, unannounce.stderr);
      await bird.waitForNoRoute("198.51.100.29/32", 5_000);

      // Drain: GRACEFUL_SHUTDOWN (65535:0) at BIRD first, then the withdraw after drainTime.
      const drain = await cli(["announce", "--drain", "198.51.100.22/32", "--socket", socket]);
      assert.equal(drain.code, 0, drain.stderr);
      const drained = await bird.waitForRoute(
        "198.51.100.22/32",
        (r) => r.communities.includes("65535:0"),
        5_000,
      );
      assert.deepEqual([...drained.communities].sort(), ["65000:22", "65535:0"]);
      const drainSeenAt = Date.now();
      await bird.waitForNoRoute("198.51.100.22/32", 10_000);
      assert.ok(Date.now() - drainSeenAt >= 1000, "withdrawn only after the drain time");
      const undrain = await cli(["announce", "--undrain", "198.51.100.22/32", "--socket", socket]);
      assert.equal(undrain.code, 0, undrain.stderr);
      await bird.waitForRoute("198.51.100.22/32", (r) => !r.communities.includes("65535:0"));

      // Metrics, /healthz and /readyz.
      const base = `http://127.0.0.1:${metricsPort}`;
      assert.equal(await (await fetch(`${base}/healthz`)).text(), "ok\n");
      assert.equal((await fetch(`${base}/readyz`)).status, 200);
      const metrics = parsePrometheus(await (await fetch(`${base}/metrics`)).text());
      assert.equal(metrics.get('anycast_prefix_state{prefix="198.51.100.20/32",state="down"}'), 1);
      assert.equal(metrics.get('anycast_prefix_state{prefix="198.51.100.22/32",state="up"}'), 1);
      assert.equal(metrics.get(`anycast_bgp_peer_up{peer="${BIRD_ADDRESS}"}`), 1);
      assert.ok(
        (metrics.get(`anycast_bgp_messages_sent_total{peer="${BIRD_ADDRESS}",type="update"}`) ??
          0) >= 5,
      );

      daemon.signal("SIGTERM");
      assert.equal((await daemon.status()).code, 0, daemon.log.slice(-2000));
      await bird.waitForNoRoute("198.51.100.21/32", 5_000);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

await interopTest({
  name:
    "anycast run + BIRD: SIGHUP adds a prefix without resetting the session; a bad reload keeps the routes",
  daemons: ["bird"],
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "anycast-run-reload-" });
    const metricsPort = freePort();
    await using bird = await BirdPeer.start({
      address: BIRD_ADDRESS,
      asn: BIRD_ASN,
      neighbors: [{ address: SPEAKER_RELOAD, asn: 64600, holdTime: 9 }],
    });
    try {
      const prefix = (n: number, med: number) => [
        `  - ipAddress: "198.51.100.${n}/32"`,
        `    nextHop: "${NEXT_HOP_V4}"`,
        `    med: ${med}`,
      ];
      const write = (lines: string[]) =>
        Deno.writeTextFile(
          `${dir}/config.yaml`,
          [...header(SPEAKER_RELOAD, dir, metricsPort), ...lines, ""].join("\n"),
        );
      await write(["prefixes:", ...prefix(30, 30), ...prefix(31, 31)]);
      await using daemon = RunDaemon.start(dir);
      await bird.waitEstablished(SPEAKER_RELOAD, 20_000);
      await bird.waitForRoute("198.51.100.30/32", undefined, 10_000);
      await bird.waitForRoute("198.51.100.31/32", undefined, 10_000);
      // Let the session age, so a reset would show as a smaller uptime.
      await new Promise((r) => setTimeout(r, 2000));
      const uptimeBefore = (await bird.sessionUptime(SPEAKER_RELOAD))!;
      assert.ok(uptimeBefore >= 1, `uptime ${uptimeBefore}`);

      // Added .32, removed .31, changed .30's MED.
      await write(["prefixes:", ...prefix(30, 300), ...prefix(32, 32)]);
      daemon.signal("SIGHUP");
      await bird.waitForRoute("198.51.100.32/32", undefined, 5_000);
      await bird.waitForRoute("198.51.100.30/32", (r) => r.med === 300, 5_000);
      await bird.waitForNoRoute("198.51.100.31/32", 5_000);
      const uptimeAfter = (await bird.sessionUptime(SPEAKER_RELOAD))!;
      assert.ok(uptimeAfter >= uptimeBefore, `uptime went ${uptimeBefore} -> ${uptimeAfter}`);
      assert.match(daemon.log, /reload: prefixes \+1 -1 ~1, neighbors \+0 -0 ~0/);

      // An invalid config: errors with file:line:column, the old routes stay, a failure counted.
      await Deno.writeTextFile(
        `${dir}/config.yaml`,
        [
          ...header(SPEAKER_RELOAD, dir, metricsPort),
          "prefixes:",
          '  - ipAddress: "not-a-prefix"',
          "",
        ].join("\n"),
      );
      daemon.signal("SIGHUP");
      await daemon.waitLog(/reload failed: keeping the running config/);
      assert.match(daemon.log, /reload failed: .*config\.yaml:\d+:\d+/);
      const rib = (await bird.rib()).map((r) => r.prefix).sort();
      assert.deepEqual(rib, ["198.51.100.30/32", "198.51.100.32/32"]);
      const metrics = parsePrometheus(
        await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text(),
      );
      assert.equal(metrics.get("anycast_config_reload_failures_total"), 1);
      assert.equal(metrics.get("anycast_config_reloads_total"), 2);
      assert.equal(await bird.sessionState(SPEAKER_RELOAD), "established");

      daemon.signal("SIGTERM");
      assert.equal((await daemon.status()).code, 0);
      await until(
        async () => (await bird.rib()).length === 0 ? true : undefined,
        "BIRD's table empty after SIGTERM",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

// Own address: our daemon 127.0.0.25.
const SPEAKER_GR = SPARE_ADDRESSES[15]!;

await interopTest({
  name: "anycast run + BIRD: --graceful-exit keeps the routes (stale) until the --restarting start",
  daemons: ["bird"],
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "anycast-run-gr-" });
    await using bird = await BirdPeer.start({
      address: BIRD_ADDRESS,
      asn: BIRD_ASN,
      neighbors: [{
        address: SPEAKER_GR,
        asn: 64600,
        holdTime: 9,
        gracefulRestart: { restartTime: 60 },
      }],
    });
    try {
      const lines = header(SPEAKER_GR, dir);
      lines.splice(lines.indexOf("  listenPort: 0") + 1, 0, "  gracefulRestartEnabled: true");
      await Deno.writeTextFile(
        `${dir}/config.yaml`,
        [
          ...lines,
          "prefixes:",
          '  - ipAddress: "198.51.100.50/32"',
          `    nextHop: "${NEXT_HOP_V4}"`,
          "",
        ]
          .join("\n"),
      );
      {
        await using first = RunDaemon.start(dir, {}, ["--graceful-exit"]);
        await bird.waitForRoute("198.51.100.50/32", (r) => !r.stale, 20_000);
        first.signal("SIGTERM");
        assert.equal((await first.status()).code, 0, first.log.slice(-2000));
      }
      // The session is gone, the route stays, marked stale (RFC 4724 §4.2).
      const stale = await bird.waitForRoute("198.51.100.50/32", (r) => r.stale === true, 10_000);
      assert.equal(stale.prefix, "198.51.100.50/32");
      await using second = RunDaemon.start(dir, {}, ["--restarting"]);
      await bird.waitForRoute("198.51.100.50/32", (r) => !r.stale, 20_000);
      second.signal("SIGTERM");
      assert.equal((await second.status()).code, 0);
      await bird.waitForNoRoute("198.51.100.50/32", 10_000);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
