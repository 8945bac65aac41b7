/**
 * The daemon's wiring on fake time and an in-memory network: probes decide
 * what the peer holds, maintenance, liveness restarts, reload by diff.
 */
import assert from "node:assert/strict";
import { parseConfig } from "../../../src/config/mod.ts";
import { Daemon, type DaemonOptions, diffConfig, statusSummary } from "../../../src/daemon/mod.ts";
import type { UnitState, UnitWatcher } from "../../../src/systemd/unit_state.ts";
import { GRACEFUL_SHUTDOWN } from "../../../src/health/policy.ts";
import { BgpSpeaker } from "../../../src/bgp/speaker.ts";
import { MemoryNetwork } from "../../../src/bgp/transport.ts";
import { FakeClock } from "../../../src/util/clock.ts";
import type { HandlerConfig } from "../../../src/config/model.ts";
import type { ProbeResult } from "../../../src/probe/mod.ts";
import type { FileProbe } from "../../../src/health/mod.ts";
import { SystemdNotifier } from "../../../src/systemd/mod.ts";

const PEER_ADDRESS = "127.0.0.2";

function config(prefixes: string, extraNeighbors = ""): string {
  return `
speaker:
  asn: 64600
  routerId: "10.0.0.1"
  listenPort: 0
neighbors:
  - address: "${PEER_ADDRESS}"
    asn: 65001
    localAddress: "127.0.0.1"
    holdTime: 9s
${extraNeighbors}
prefixes:
${prefixes}
`;
}

const GATED = `
  - ipAddress: "192.0.2.1/32"
    nextHop: "203.0.113.1"
    service:
      name: web.service
      type: systemd
    readinessProbe:
      periodSeconds: 1s
      timeoutSeconds: 500ms
      failureThreshold: 2
      successThreshold: 1
      http:
        port: 8080
    livenessProbe:
      periodSeconds: 1s
      timeoutSeconds: 500ms
      failureThreshold: 1
      tcp:
        port: 8081
`;

const STATIC = `
  - ipAddress: "192.0.2.2/32"
    nextHop: "203.0.113.1"
    maintenance: /maint/192.0.2.2
`;

function parsed(yaml: string) {
  const loaded = parseConfig(yaml, "config.yaml");
  assert.ok(loaded.ok, JSON.stringify(!loaded.ok && loaded.errors));
  return loaded.config;
}

async function settle(clock: FakeClock, cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    for (let j = 0; j < 5; j++) await new Promise((r) => setTimeout(r, 0));
    if (cond()) return;
    clock.tick(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

function ok(ok: boolean): ProbeResult {
  return { ok, durationMs: 1, reason: ok ? "fine" : "failing", target: "t", figures: {} };
}

async function harness(yaml: string, extra: Partial<DaemonOptions> = {}) {
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
      localAddress: PEER_ADDRESS,
      passive: true,
      holdTime: 9,
      keepalive: 3,
      connectRetry: 5,
      ebgpMultihop: false,
      ebgpMultihopTtl: 1,
      families: ["ipv4-unicast"],
    }],
    transport: net.transport(PEER_ADDRESS),
    clock,
  });
  await peer.start();
  const health = { http: true, tcp: true };
  const files = new Set<string>();
  const fileProbe: FileProbe = { exists: (path) => Promise.resolve(files.has(path)) };
  const restarts: string[] = [];
  const notes: string[] = [];
  const lines: string[] = [];
  const daemon = new Daemon({
    config: parsed(yaml),
    clock,
    transport: net.transport("127.0.0.1"),
    controlApi: false,
    probeRunner: (h: HandlerConfig) =>
      Promise.resolve(ok(h.kind === "http" ? health.http : health.tcp)),
    fileProbe,
    serviceManager: {
      activeState: () => Promise.resolve("active"),
      restart: (unit) => {
        restarts.push(unit);
        return Promise.resolve();
      },
    },
    notifier: new SystemdNotifier({
      env: (n) => (n === "NOTIFY_SOCKET" ? "/notify" : undefined),
      sender: { send: (_p, data) => void notes.push(new TextDecoder().decode(data)) },
      clock,
    }),
    log: (level, message) => lines.push(`${level} ${message}`),
    unitWatcher: false,
    ...extra,
  });
  const rib = () => peer.sessions[0]!.adjRibIn;
  return { clock, peer, daemon, health, files, restarts, notes, lines, rib };
}

Deno.test("Daemon announces a probe-gated prefix only while its readiness passes", async () => {
  const h = await harness(config(GATED + STATIC));
  try {
    await h.daemon.start();
    await settle(h.clock, () => h.rib().size === 2, "both prefixes at the peer");
    h.health.http = false;
    await settle(h.clock, () => !h.rib().has("192.0.2.1/32"), "withdraw after 2 failures");
    assert.ok(h.rib().has("192.0.2.2/32"));
    assert.ok(
      h.lines.some((l) =>
        /192\.0\.2\.1\/32: up -> down \(unhealthy: probe: .+\): withdraw/.test(l)
      ),
    );
    h.health.http = true;
    await settle(h.clock, () => h.rib().has("192.0.2.1/32"), "announced again");
    assert.ok(h.notes.some((n) => /READY=1/.test(n)));
    assert.ok(
      h.notes.some((n) => n.includes("STATUS=2/2 prefixes announced, 1/1 peers established")),
    );
  } finally {
    await h.daemon.stop();
    await h.peer.stop();
  }
  assert.ok(h.notes.some((n) => /STOPPING=1/.test(n)));
});

Deno.test("Daemon withdraws a prefix while its maintenance file exists", async () => {
  const h = await harness(config(STATIC));
  try {
    await h.daemon.start();
    await settle(h.clock, () => h.rib().has("192.0.2.2/32"), "static prefix announced");
    h.files.add("/maint/192.0.2.2");
    await settle(h.clock, () => !h.rib().has("192.0.2.2/32"), "withdrawn in maintenance");
    h.files.delete("/maint/192.0.2.2");
    await settle(h.clock, () => h.rib().has("192.0.2.2/32"), "back after maintenance");
  } finally {
    await h.daemon.stop();
    await h.peer.stop();
  }
});

Deno.test("Daemon restarts the unit when liveness fails, through the service manager", async () => {
  const h = await harness(config(GATED));
  try {
    await h.daemon.start();
    await settle(h.clock, () => h.rib().has("192.0.2.1/32"), "announced");
    h.health.tcp = false;
    await settle(h.clock, () => h.restarts.length === 1, "one restart");
    assert.deepEqual(h.restarts, ["web.service"]);
    h.health.tcp = true;
    await settle(h.clock, () => h.rib().has("192.0.2.1/32"), "announced after the restart");
  } finally {
    await h.daemon.stop();
    await h.peer.stop();
  }
});

Deno.test("Daemon.reload() adds and changes prefixes without resetting the session", async () => {
  const h = await harness(config(STATIC));
  try {
    await h.daemon.start();
    await settle(h.clock, () => h.rib().has("192.0.2.2/32"), "announced");
    const flapsBefore = h.peer.peers()[0]!.flaps;
    await h.daemon.reload(parsed(config(`
  - ipAddress: "192.0.2.2/32"
    nextHop: "203.0.113.1"
    med: 77
  - ipAddress: "192.0.2.3/32"
    nextHop: "203.0.113.1"
`)));
    await settle(
      h.clock,
      () => h.rib().has("192.0.2.3/32") && h.rib().get("192.0.2.2/32")?.attributes.med === 77,
      "added and changed",
    );
    assert.equal(h.peer.peers()[0]!.state, "Established");
    assert.equal(h.peer.peers()[0]!.flaps, flapsBefore);
    await h.daemon.reload(parsed(config(`
  - ipAddress: "192.0.2.3/32"
    nextHop: "203.0.113.1"
`)));
    await settle(h.clock, () => !h.rib().has("192.0.2.2/32"), "removed prefix withdrawn");
    assert.ok(h.rib().has("192.0.2.3/32"));
  } finally {
    await h.daemon.stop();
    await h.peer.stop();
  }
});

Deno.test("diffConfig() sees added, removed and changed neighbors and prefixes", () => {
  const before = parsed(config(STATIC));
  const after = parsed(config(
    `
  - ipAddress: "192.0.2.9/32"
`,
    `  - address: "127.0.0.9"
    asn: 65009
`,
  ));
  const diff = diffConfig(before, after);
  assert.deepEqual(diff.prefixes.added.map((p) => p.prefix), ["192.0.2.9/32"]);
  assert.deepEqual(diff.prefixes.removed.map((p) => p.prefix), ["192.0.2.2/32"]);
  assert.deepEqual(diff.neighbors.added.map((n) => n.address), ["127.0.0.9"]);
  assert.deepEqual(diff.neighbors.unchanged.map((n) => n.address), [PEER_ADDRESS]);
  assert.deepEqual(diff.needRestart, []);
});

Deno.test("statusSummary() is the one-line sd_notify STATUS", () => {
  assert.equal(
    statusSummary({ configured: 4, announced: 3 }, { configured: 2, established: 2 }),
    "3/4 prefixes announced, 2/2 peers established",
  );
});

Deno.test("Daemon.reload() starts an added neighbor and stops a removed one, leaving the other up", async () => {
  const h = await harness(config(STATIC));
  try {
    await h.daemon.start();
    await settle(h.clock, () => h.rib().has("192.0.2.2/32"), "announced");
    const flapsBefore = h.peer.peers()[0]!.flaps;
    // A neighbor nobody answers for: its session starts; the existing one stays up.
    await h.daemon.reload(parsed(config(
      STATIC,
      `  - address: "127.0.0.9"
    asn: 65009
    localAddress: "127.0.0.1"
`,
    )));
    assert.deepEqual(h.daemon.speaker.peers().map((p) => p.address), [PEER_ADDRESS, "127.0.0.9"]);
    assert.notEqual(h.daemon.speaker.peers()[1]!.state, "Idle");
    assert.equal(h.peer.peers()[0]!.state, "Established");
    await h.daemon.reload(parsed(config(STATIC)));
    assert.deepEqual(h.daemon.speaker.peers().map((p) => p.address), [PEER_ADDRESS]);
    assert.equal(h.peer.peers()[0]!.state, "Established");
    assert.equal(h.peer.peers()[0]!.flaps, flapsBefore);
    assert.ok(h.lines.some((l) => /reload: prefixes \+0 -0 ~0, neighbors \+1 -0 ~0/.test(l)));
  } finally {
    await h.daemon.stop();
    await h.peer.stop();
  }
});

Deno.test("Daemon.reload() restarts only the session of a changed neighbor", async () => {
  const h = await harness(config(STATIC));
  try {
    await h.daemon.start();
    await settle(h.clock, () => h.rib().has("192.0.2.2/32"), "announced");
    const flapsBefore = h.peer.peers()[0]!.flaps;
    await h.daemon.reload(parsed(config(STATIC).replace("holdTime: 9s", "holdTime: 12s")));
    await settle(
      h.clock,
      () => h.peer.peers()[0]!.flaps === flapsBefore + 1 && h.rib().has("192.0.2.2/32"),
      "the changed session reset and came back with the routes",
    );
    assert.equal(h.daemon.speaker.sessions[0]!.neighbor.holdTime, 12);
    assert.ok(h.lines.some((l) => /neighbors \+0 -0 ~1/.test(l)));
  } finally {
    await h.daemon.stop();
    await h.peer.stop();
  }
});

Deno.test("Daemon withdraws at once when the unit leaves active, and says it was the unit state", async () => {
  let emit: ((s: UnitState) => void) | undefined;
  const units: UnitWatcher = {
    watch: (unit, onState) => {
      assert.equal(unit, "web.service");
      emit = onState;
      onState({ activeState: "active", subState: "running" });
      return () => (emit = undefined);
    },
    close: () => {},
  };
  const h = await harness(config(GATED), { unitWatcher: units });
  try {
    await h.daemon.start();
    await settle(h.clock, () => h.rib().has("192.0.2.1/32"), "announced");
    const before = h.clock.now();
    emit!({ activeState: "failed", subState: "failed" });
    await settle(h.clock, () => !h.rib().has("192.0.2.1/32"), "withdrawn");
    assert.ok(h.clock.now() - before <= 50, "no probe period, no threshold (failureThreshold 2)");
    assert.equal(
      h.daemon.engine.status("192.0.2.1/32").reason,
      "unhealthy: unit state: unit web.service failed (failed)",
    );
    assert.ok(h.lines.includes(
      "warning prefix 192.0.2.1/32: not ready (unit state): unit web.service failed (failed)",
    ));
    emit!({ activeState: "active", subState: "running" });
    await settle(h.clock, () => h.rib().has("192.0.2.1/32"), "announced again after the probes");
  } finally {
    await h.daemon.stop();
    await h.peer.stop();
  }
});

Deno.test("Daemon withdraws a prefix whose process exits (pidfd), and announces it for the new pid", async () => {
  const dir = await Deno.makeTempDir({ prefix: "anycast-daemon-pw-" });
  const pidFile = `${dir}/svc.pid`;
  let child = new Deno.Command("sleep", { args: ["60"] }).spawn();
  await Deno.writeTextFile(pidFile, `${child.pid}\n`);
  const h = await harness(config(`
  - ipAddress: "192.0.2.3/32"
    nextHop: "203.0.113.1"
    service:
      type: process
      pidFile: ${pidFile}
`));
  try {
    await h.daemon.start();
    await settle(h.clock, () => h.rib().has("192.0.2.3/32"), "announced while the process runs");
    child.kill("SIGKILL");
    await settle(h.clock, () => !h.rib().has("192.0.2.3/32"), "withdrawn on exit");
    assert.equal(
      h.daemon.engine.status("192.0.2.3/32").reason,
      `unhealthy: process exit: process ${child.pid} exited (pid file ${pidFile})`,
    );
    await child.status;
    child = new Deno.Command("sleep", { args: ["60"] }).spawn();
    await Deno.writeTextFile(pidFile, `${child.pid}\n`);
    await settle(h.clock, () => h.rib().has("192.0.2.3/32"), "announced for the new process");
  } finally {
    await h.daemon.stop();
    await h.peer.stop();
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
    await child.status;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Daemon: stalled health checks withdraw the prefix and stop WATCHDOG=1", async () => {
  let hang = false;
  const ref: { clock?: FakeClock } = {};
  const notes: string[] = [];
  const notifier = new SystemdNotifier({
    env: (n) =>
      ({ NOTIFY_SOCKET: "/notify", WATCHDOG_USEC: "1000000" } as Record<string, string>)[n],
    sender: { send: (_p, data) => void notes.push(new TextDecoder().decode(data)) },
    clock: {
      now: () => ref.clock!.now(),
      setTimeout: (fn, ms) => ref.clock!.setTimeout(fn, ms),
      clearTimeout: (id) => ref.clock!.clearTimeout(id),
    },
  });
  const h = await harness(config(GATED), {
    notifier,
    // Handlers that never return once `hang` is set, whatever their abort signal says.
    probeRunner: () => hang ? new Promise<ProbeResult>(() => {}) : Promise.resolve(ok(true)),
  });
  ref.clock = h.clock;
  const watchdogs = () => notes.filter((n) => n.includes("WATCHDOG=1")).length;
  try {
    await h.daemon.start();
    await settle(h.clock, () => h.rib().has("192.0.2.1/32"), "announced");
    const before = watchdogs();
    await settle(h.clock, () => watchdogs() >= before + 3, "WATCHDOG=1 while probes progress");
    hang = true;
    await settle(h.clock, () => !h.rib().has("192.0.2.1/32"), "withdrawn on the stall");
    assert.match(
      h.daemon.engine.status("192.0.2.1/32").reason,
      /^unhealthy: stall: health checks stalled: no (readiness|liveness) probe result for \d+ ms \(limit 3000 ms\)$/,
    );
    assert.ok(h.lines.some((l) => l.includes("not ready (stall)")));
    const stalled = watchdogs();
    for (let i = 0; i < 100; i++) {
      h.clock.tick(50);
      await new Promise((r) => setTimeout(r, 0));
    }
    assert.equal(watchdogs(), stalled, "no WATCHDOG=1 while the scheduler is stalled");
  } finally {
    await h.daemon.stop();
    await h.peer.stop();
  }
});

Deno.test("Daemon drains (RFC 8326) a prefix with drainTime while its unit is deactivating, withdraws when it is gone", async () => {
  let emit: ((s: UnitState) => void) | undefined;
  const units: UnitWatcher = {
    watch: (_unit, onState) => {
      emit = onState;
      onState({ activeState: "active", subState: "running" });
      return () => (emit = undefined);
    },
    close: () => {},
  };
  const h = await harness(
    config(GATED.replace("    service:", "    drainTime: 30s\n    service:")),
    {
      unitWatcher: units,
    },
  );
  const gshut = () =>
    h.rib().get("192.0.2.1/32")?.attributes.communities?.includes(GRACEFUL_SHUTDOWN) === true;
  try {
    await h.daemon.start();
    await settle(h.clock, () => h.rib().has("192.0.2.1/32") && !gshut(), "announced");
    emit!({ activeState: "deactivating", subState: "stop-sigterm" });
    await settle(h.clock, gshut, "announced with GRACEFUL_SHUTDOWN while the unit stops");
    assert.equal(h.daemon.engine.status("192.0.2.1/32").state, "draining");
    emit!({ activeState: "inactive", subState: "dead" });
    await settle(h.clock, () => !h.rib().has("192.0.2.1/32"), "withdrawn once the unit is gone");
    assert.equal(
      h.daemon.engine.status("192.0.2.1/32").reason,
      "unhealthy: unit state: unit web.service inactive (dead)",
    );
    emit!({ activeState: "active", subState: "running" });
    await settle(
      h.clock,
      () => h.rib().has("192.0.2.1/32") && !gshut(),
      "announced again, not drained, once the probes pass",
    );
  } finally {
    // Shutdown drains for drainTime (30 s) on the fake clock: run it.
    let stopped = false;
    const stopping = h.daemon.stop().then(() => (stopped = true));
    for (let i = 0; i < 2000 && !stopped; i++) {
      await new Promise((r) => setTimeout(r, 0));
      h.clock.tick(50);
    }
    await stopping;
    await h.peer.stop();
  }
});
