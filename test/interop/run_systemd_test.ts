/**
 * `anycast run` under systemd-like conditions against a real ExaBGP:
 * sd_notify READY/STATUS/WATCHDOG/STOPPING on a notify socket the test owns, a
 * liveness failure restarting the unit over a private D-Bus, and SIGTERM
 * withdrawing before the Cease (ExaBGP's arrival-ordered update log).
 */
import assert from "node:assert/strict";
import {
  EXABGP_ADDRESS,
  EXABGP_ASN,
  ExaBgpPeer,
  interopTest,
  NEXT_HOP_V4,
  SPARE_ADDRESSES,
} from "./harness/mod.ts";
import { HealthEndpoint, RunDaemon, until } from "./_run_daemon.ts";
import { startFakeSystemd } from "../unit/systemd/_fake_systemd.ts";
import { DatagramReceiver } from "../unit/systemd/_receiver.ts";

// Own address: our daemon 127.0.0.22.
const SPEAKER = SPARE_ADDRESSES[12]!;

await interopTest({
  name:
    "anycast run + ExaBGP: sd_notify, liveness restarts the unit over D-Bus, SIGTERM withdraws before the Cease",
  daemons: ["exabgp"],
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "anycast-run-systemd-" });
    await using liveness = new HealthEndpoint(true);
    await using readiness = new HealthEndpoint(true);
    await using systemd = await startFakeSystemd();
    systemd.addUnit("web.service", "active");
    const notifySocket = `@anycast-run-notify-${Deno.pid}`;
    using notify = new DatagramReceiver(notifySocket);
    await using exa = await ExaBgpPeer.start({
      address: EXABGP_ADDRESS,
      asn: EXABGP_ASN,
      neighbors: [{ address: SPEAKER, asn: 64600, holdTime: 9 }],
    });
    const probe = (kind: string, port: number) => [
      `    ${kind}:`,
      "      periodSeconds: 300ms",
      "      timeoutSeconds: 200ms",
      "      failureThreshold: 2",
      "      successThreshold: 1",
      "      http:",
      `        port: ${port}`,
      "        path: /health",
    ];
    try {
      await Deno.writeTextFile(
        `${dir}/config.yaml`,
        [
          "speaker:",
          "  asn: 64600",
          `  routerId: "${SPEAKER}"`,
          "  listenPort: 0",
          "api:",
          `  socket: "${dir}/anycast.sock"`,
          "neighbors:",
          `  - address: "${EXABGP_ADDRESS}"`,
          `    asn: ${EXABGP_ASN}`,
          `    localAddress: "${SPEAKER}"`,
          "    holdTime: 9s",
          "prefixes:",
          '  - ipAddress: "198.51.100.40/32"',
          `    nextHop: "${NEXT_HOP_V4}"`,
          "    service:",
          "      name: web.service",
          "      type: systemd",
          ...probe("livenessProbe", liveness.port),
          ...probe("readinessProbe", readiness.port),
          '  - ipAddress: "198.51.100.41/32"',
          `    nextHop: "${NEXT_HOP_V4}"`,
          "",
        ].join("\n"),
      );
      const messages: string[] = [];
      const received = (pattern: RegExp) =>
        until(() => {
          messages.push(...notify.drain());
          return messages.find((m) => pattern.test(m));
        }, `sd_notify ${pattern}`);
      await using daemon = RunDaemon.start(dir, {
        NOTIFY_SOCKET: notifySocket,
        DBUS_SYSTEM_BUS_ADDRESS: systemd.address,
        // WatchdogSec=0.4: WATCHDOG=1 every 200 ms.
        WATCHDOG_USEC: "400000",
      });
      const ready = await received(/^READY=1$/m);
      assert.match(ready, /^STATUS=\d\/2 prefixes announced, \d\/1 peers established$/m);
      await exa.waitForRoute("198.51.100.40/32", undefined, 20_000);
      await exa.waitForRoute("198.51.100.41/32", undefined, 10_000);
      await received(/^STATUS=2\/2 prefixes announced, 1\/1 peers established$/m);
      await received(/^WATCHDOG=1$/m);

      // Liveness fails twice: RestartUnit over D-Bus, then the probes start over.
      liveness.healthy = false;
      await until(
        () => systemd.manager.restarts.length > 0 ? true : undefined,
        "RestartUnit",
      );
      assert.deepEqual(systemd.manager.restarts[0], ["web.service", "replace"]);
      liveness.healthy = true;
      await daemon.waitLog(/web\.service: restart restarted/);

      // The unit leaves active: its PropertiesChanged signal over D-Bus withdraws at once,
      // with no probe and no threshold (issue 14); back to active, the probes decide again.
      await exa.waitForRoute("198.51.100.40/32", undefined, 10_000);
      const unit = systemd.manager.units.get("web.service")!.unit;
      const beforeStop = (await exa.updateLog()).length;
      unit.setState("failed", "failed");
      await daemon.waitLog(
        /prefix 198\.51\.100\.40\/32: not ready \(unit state\): unit web\.service failed \(failed\)/,
      );
      await until(async () => {
        const l = (await exa.updateLog()).slice(beforeStop);
        return l.some((r) => r.kind === "update" && r.withdrawn.includes("198.51.100.40/32"))
          ? true
          : undefined;
      }, "ExaBGP sees the withdraw on the unit state");
      unit.setState("active", "running");

      // SIGTERM: every withdraw reaches ExaBGP before the session closes; exit 0.
      await exa.waitForRoute("198.51.100.40/32", undefined, 10_000);
      const before = (await exa.updateLog()).length;
      daemon.signal("SIGTERM");
      assert.equal((await daemon.status()).code, 0, daemon.log.slice(-2000));
      await received(/^STOPPING=1$/m);
      const log = await until(async () => {
        const l = (await exa.updateLog()).slice(before);
        return l.some((r) => r.kind === "state" && r.state === "down") ? l : undefined;
      }, "ExaBGP sees the session close");
      const withdrawnAt = (prefix: string) =>
        log.findIndex((r) => r.kind === "update" && r.withdrawn.includes(prefix));
      const closedAt = log.findIndex((r) =>
        r.kind === "notification" || (r.kind === "state" && r.state === "down")
      );
      assert.ok(withdrawnAt("198.51.100.40/32") >= 0, JSON.stringify(log));
      assert.ok(withdrawnAt("198.51.100.41/32") >= 0, JSON.stringify(log));
      assert.ok(withdrawnAt("198.51.100.40/32") < closedAt, JSON.stringify(log));
      assert.ok(withdrawnAt("198.51.100.41/32") < closedAt, JSON.stringify(log));
      const cease = log.find((r) => r.kind === "notification");
      if (cease?.kind === "notification") assert.deepEqual([cease.code, cease.subcode], [6, 2]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
