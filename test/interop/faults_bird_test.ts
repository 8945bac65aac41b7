/**
 * Faults against a real BIRD 2 (issue 16): `anycast run` with an active
 * (default) neighbor recovers in seconds after BIRD restarts; our hold-timer
 * NOTIFICATION and our max-prefix Cease reach BIRD (its log says
 * "Received: ..."), not a reset; after the max-prefix Cease the neighbor
 * stays down for maxPrefixesRestart.
 *
 * Own loopback addresses outside the 127.0.0.x plan, which other suites and
 * benchmarks use up: BIRD on 127.0.17.3-.5, our daemon on 127.0.17.6-.8
 * (listening on port 179 there, as for any neighbor).
 */
import assert from "node:assert/strict";
import { BirdPeer, interopTest, NEXT_HOP_V4, sleep } from "./harness/mod.ts";
import { cli, RunDaemon, until } from "./_run_daemon.ts";

const BIRD_ASN = 65002;

function config(dir: string, speaker: string, bird: string, extra: string[] = [], prefixes = 10) {
  return [
    "speaker:",
    "  asn: 64600",
    `  routerId: "${speaker}"`,
    "api:",
    `  socket: "${dir}/anycast.sock"`,
    "neighbors:",
    `  - address: "${bird}"`,
    `    asn: ${BIRD_ASN}`,
    `    localAddress: "${speaker}"`,
    "    holdTime: 9s",
    ...extra.map((l) => `    ${l}`),
    "prefixes:",
    ...Array.from({ length: prefixes }, (_, i) => [
      `  - ipAddress: "198.51.100.${100 + i}/32"`,
      `    nextHop: "${NEXT_HOP_V4}"`,
    ]).flat(),
    "",
  ].join("\n");
}

async function ourRoutesAt(bird: BirdPeer, speaker: string): Promise<number> {
  const rib = await bird.rib("ipv4").catch(() => []);
  return rib.filter((r) => r.prefix.startsWith("198.51.100.") && r.from === speaker).length;
}

async function birdLog(bird: BirdPeer): Promise<string> {
  return await Deno.readTextFile(bird.logFile).catch(() => "");
}

await interopTest({
  name: "anycast run + BIRD restarted 10 times: routes back within 10 s of BIRD being up",
  daemons: ["bird"],
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const BIRD = "127.0.17.3";
    const OURS = "127.0.17.6";
    const dir = await Deno.makeTempDir({ prefix: "anycast-faults-restart-" });
    await using bird = await BirdPeer.start({
      address: BIRD,
      asn: BIRD_ASN,
      neighbors: [{ address: OURS, asn: 64600, holdTime: 9 }],
    });
    await Deno.writeTextFile(`${dir}/config.yaml`, config(dir, OURS, BIRD));
    await using daemon = RunDaemon.start(dir);
    try {
      await until(
        async () => (await ourRoutesAt(bird, OURS)) === 10 || undefined,
        "10 routes",
        20_000,
      );
      const recoveries: number[] = [];
      for (let cycle = 0; cycle < 10; cycle++) {
        await bird.kill("SIGKILL");
        await sleep(1000 + Math.floor(Math.random() * 4000));
        await bird.restart();
        const upAt = Date.now();
        await until(
          async () => (await ourRoutesAt(bird, OURS)) === 10 || undefined,
          `all 10 routes at BIRD after restart ${cycle + 1}`,
          10_000,
        );
        recoveries.push(Date.now() - upAt);
        // The router stays up a little while before the next fault.
        await sleep(2000);
      }
      console.log(`recovery after BIRD is up, ms: ${recoveries.join(" ")}`);
      assert.equal(recoveries.length, 10);
      assert.ok(!daemon.exited, "the daemon keeps running");
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

await interopTest({
  name:
    "anycast run + passive BIRD restarted: our own reconnects bring the routes back within 10 s",
  daemons: ["bird"],
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const BIRD = "127.0.17.4";
    const OURS = "127.0.17.7";
    const dir = await Deno.makeTempDir({ prefix: "anycast-faults-passive-" });
    // BIRD never connects: only our connect retries can restore the session.
    await using bird = await BirdPeer.start({
      address: BIRD,
      asn: BIRD_ASN,
      neighbors: [{ address: OURS, asn: 64600, holdTime: 9, passive: true }],
    });
    await Deno.writeTextFile(`${dir}/config.yaml`, config(dir, OURS, BIRD));
    await using daemon = RunDaemon.start(dir);
    try {
      await until(
        async () => (await ourRoutesAt(bird, OURS)) === 10 || undefined,
        "10 routes",
        20_000,
      );
      const recoveries: number[] = [];
      for (let cycle = 0; cycle < 5; cycle++) {
        // Up long enough to count as stable (no flap damping).
        await sleep(5500);
        await bird.kill("SIGKILL");
        await sleep(1000 + Math.floor(Math.random() * 4000));
        await bird.restart();
        const upAt = Date.now();
        await until(
          async () => (await ourRoutesAt(bird, OURS)) === 10 || undefined,
          `all 10 routes at BIRD after restart ${cycle + 1}`,
          10_000,
        );
        recoveries.push(Date.now() - upAt);
      }
      console.log(`recovery after passive BIRD is up, ms: ${recoveries.join(" ")}`);
      assert.ok(!daemon.exited);
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

await interopTest({
  name:
    "anycast run + BIRD: our hold-timer NOTIFICATION and the Cease on SIGTERM reach BIRD, not a reset",
  daemons: ["bird"],
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const BIRD = "127.0.17.5";
    const OURS = "127.0.17.8";
    const dir = await Deno.makeTempDir({ prefix: "anycast-faults-hold-" });
    await using bird = await BirdPeer.start({
      address: BIRD,
      asn: BIRD_ASN,
      neighbors: [{ address: OURS, asn: 64600, holdTime: 9 }],
    });
    await Deno.writeTextFile(
      `${dir}/config.yaml`,
      config(dir, OURS, BIRD).replace("holdTime: 9s", "holdTime: 3s"),
    );
    await using daemon = RunDaemon.start(dir);
    try {
      await until(
        async () => (await ourRoutesAt(bird, OURS)) === 10 || undefined,
        "10 routes",
        20_000,
      );
      // BIRD freezes beyond our 3 s hold time; we send Hold Timer Expired and close.
      await bird.pause();
      await daemon.waitLog(/Established -> Idle on HoldTimer_Expires/, 10_000);
      await sleep(500);
      await bird.resume();
      const resumedAt = Date.now();
      const received = await until(
        async () => {
          const log = await birdLog(bird);
          return /Received: Hold timer expired/.exec(log)?.[0];
        },
        "BIRD to log our Hold Timer Expired NOTIFICATION",
        10_000,
      );
      assert.ok(received);
      assert.doesNotMatch(await birdLog(bird), /Connection reset/);
      // And the session comes back.
      await until(
        async () => (await ourRoutesAt(bird, OURS)) === 10 || undefined,
        "routes back",
        15_000,
      );
      console.log(`routes back ${Date.now() - resumedAt} ms after BIRD resumed from SIGSTOP`);
      // SIGTERM: the Cease (Administrative Shutdown) reaches BIRD before we exit.
      daemon.signal("SIGTERM");
      assert.equal((await daemon.status()).code, 0);
      const log = await birdLog(bird);
      assert.match(log, /Received: Administrative shutdown/);
      assert.doesNotMatch(log, /Connection reset/);
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

await interopTest({
  name:
    "anycast run + BIRD: max-prefix Cease reaches BIRD, the neighbor stays down for maxPrefixesRestart",
  daemons: ["bird"],
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const BIRD = "127.0.17.5";
    const OURS = "127.0.17.8";
    const dir = await Deno.makeTempDir({ prefix: "anycast-faults-maxpfx-" });
    await using bird = await BirdPeer.start({
      address: BIRD,
      asn: BIRD_ASN,
      neighbors: [{ address: OURS, asn: 64600, holdTime: 9 }],
    });
    // BIRD floods 10,000 routes against our limit of 100: its UPDATEs are still arriving when we close.
    await bird.announceMany(
      Array.from({ length: 10_000 }, (_, i) => ({
        prefix: `10.${Math.floor(i / 250)}.${i % 250}.0/24`,
        nextHop: NEXT_HOP_V4,
      })),
    );
    await Deno.writeTextFile(
      `${dir}/config.yaml`,
      config(dir, OURS, BIRD, ["maxPrefixes: 100", "maxPrefixesRestart: 12s"], 2),
    );
    await using daemon = RunDaemon.start(dir);
    try {
      await daemon.waitLog(/prefix limit 100 exceeded/, 20_000);
      const trippedAt = Date.now();
      await until(
        async () => {
          return /Received: Maximum number of prefixes reached/.exec(await birdLog(bird))?.[0];
        },
        "BIRD to log our max-prefix Cease",
        10_000,
      );
      // Held down: `anycast peers` says so, and BIRD's own attempts are refused.
      const peers = await cli(["peers", "--json", "--socket", `${dir}/anycast.sock`]);
      assert.equal(peers.code, 0, peers.stderr);
      const [peer] = JSON.parse(peers.stdout) as {
        state: string;
        maxPrefixesHold?: { remainingSeconds?: number };
      }[];
      assert.equal(peer!.state, "Idle");
      const remaining = peer!.maxPrefixesHold?.remainingSeconds;
      assert.ok(remaining !== undefined && remaining > 0 && remaining <= 12, `hold ${remaining}`);
      while (Date.now() - trippedAt < 10_000) {
        assert.notEqual(await bird.sessionState(OURS), "established", "up during the hold");
        await sleep(500);
      }
      // After the hold: a new session (and, as BIRD still floods, a second Cease).
      await until(
        async () => {
          const n = (await birdLog(bird)).match(/Received: Maximum number of prefixes reached/g);
          return n && n.length >= 2 ? true : undefined;
        },
        "a second session after the hold",
        15_000,
      );
      const secondAt = Date.now() - trippedAt;
      assert.ok(secondAt >= 11_000, `restarted after ${secondAt} ms`);
      const log = await birdLog(bird);
      console.log(
        `BIRD log: ${(log.match(/Received: [^\n]*/g) ?? []).slice(0, 6).join(" | ")}`,
      );
      assert.doesNotMatch(log, /Connection reset/);
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
