/**
 * A reload that removes a prefix with a drain time: the peer first sees it
 * with GRACEFUL_SHUTDOWN (RFC 8326) for drainTime, then the withdraw; a
 * prefix re-added during its drain comes back without a withdraw. Fake time,
 * in-memory network.
 */
import assert from "node:assert/strict";
import { parseConfig } from "../../../src/config/mod.ts";
import { Daemon } from "../../../src/daemon/mod.ts";
import { BgpSpeaker } from "../../../src/bgp/speaker.ts";
import { MemoryNetwork } from "../../../src/bgp/transport.ts";
import { FakeClock } from "../../../src/util/clock.ts";
import { GRACEFUL_SHUTDOWN } from "../../../src/health/policy.ts";

const PEER_ADDRESS = "127.0.0.2";
const DRAINED = "192.0.2.5/32";
const KEPT = "192.0.2.6/32";

function config(prefixes: string[]): string {
  const entries = prefixes.map((p) =>
    `  - ipAddress: "${p}"\n    nextHop: "203.0.113.1"\n    drainTime: 2s\n`
  );
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
prefixes:
${entries.join("")}`;
}

function parsed(yaml: string) {
  const loaded = parseConfig(yaml, "config.yaml");
  assert.ok(loaded.ok, JSON.stringify(!loaded.ok && loaded.errors));
  return loaded.config;
}

async function harness(prefixes: string[]) {
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
  const lines: string[] = [];
  const daemon = new Daemon({
    config: parsed(config(prefixes)),
    clock,
    transport: net.transport("127.0.0.1"),
    controlApi: false,
    log: (level, message) => lines.push(`${level} ${message}`),
  });
  const rib = () => peer.sessions[0]!.adjRibIn;
  /** What the peer holds for a prefix: "absent", "plain" or "graceful-shutdown". */
  const view = (prefix: string) => {
    const route = rib().get(prefix);
    if (!route) return "absent";
    return route.attributes.communities?.includes(GRACEFUL_SHUTDOWN)
      ? "graceful-shutdown"
      : "plain";
  };
  /** Ticks 50 ms per step until `want`; returns every distinct view seen on the way, with its time. */
  const until = async (prefix: string, want: string) => {
    const seen: string[] = [];
    for (let i = 0; i < 400; i++) {
      for (let j = 0; j < 5; j++) await new Promise((r) => setTimeout(r, 0));
      const now = view(prefix);
      if (seen.at(-1)?.split("@")[0] !== now) seen.push(`${now}@${clock.now()}`);
      if (now === want) return seen;
      clock.tick(50);
    }
    throw new Error(`timed out waiting for ${prefix} ${want}: ${seen.join(" ")}`);
  };
  /** Stop drains every prefix for drainTime: run fake time until it is done. */
  const stop = async () => {
    let stopped = false;
    const done = daemon.stop().finally(() => void (stopped = true));
    for (let i = 0; i < 400 && !stopped; i++) {
      await new Promise((r) => setTimeout(r, 0));
      clock.tick(100);
    }
    await done;
    await peer.stop();
  };
  return { clock, peer, daemon, lines, view, until, stop };
}

Deno.test("Daemon.reload() drains a removed prefix with GRACEFUL_SHUTDOWN, then withdraws it", async () => {
  const h = await harness([DRAINED, KEPT]);
  try {
    await h.daemon.start();
    await h.until(DRAINED, "plain");
    await h.until(KEPT, "plain");
    const reloadedAt = h.clock.now();
    await h.daemon.reload(parsed(config([KEPT])));
    const seen = await h.until(DRAINED, "absent");
    assert.deepEqual(seen.map((s) => s.split("@")[0]), ["graceful-shutdown", "absent"]);
    const withdrawnAt = Number(seen.at(-1)!.split("@")[1]);
    // Withdrawn once drainTime (2 s) has passed, within one 50 ms step.
    assert.ok(withdrawnAt - reloadedAt >= 2000, `withdrawn after ${withdrawnAt - reloadedAt} ms`);
    assert.ok(withdrawnAt - reloadedAt <= 2100, `withdrawn after ${withdrawnAt - reloadedAt} ms`);
    assert.equal(h.view(KEPT), "plain");
    assert.ok(
      h.lines.some((l) => l.includes(`prefix ${DRAINED}: up -> draining (removed from the config`)),
    );
    assert.equal(h.peer.peers()[0]!.state, "Established");
  } finally {
    await h.stop();
  }
});

Deno.test("Daemon.reload() re-adding a prefix during its drain announces it again without a withdraw", async () => {
  const h = await harness([DRAINED, KEPT]);
  try {
    await h.daemon.start();
    await h.until(DRAINED, "plain");
    await h.daemon.reload(parsed(config([KEPT])));
    await h.until(DRAINED, "graceful-shutdown");
    // Every withdraw the peer processes for the prefix, however briefly.
    const ribIn = h.peer.sessions[0]!.adjRibIn;
    const withdrawn: number[] = [];
    const remove = ribIn.delete.bind(ribIn);
    ribIn.delete = (prefix: string) => {
      if (prefix === DRAINED) withdrawn.push(h.clock.now());
      return remove(prefix);
    };
    await h.daemon.reload(parsed(config([DRAINED, KEPT])));
    await h.until(DRAINED, "plain");
    // Well past the old drain deadline: still announced, never withdrawn.
    const start = h.clock.now();
    while (h.clock.now() < start + 5000) {
      for (let j = 0; j < 5; j++) await new Promise((r) => setTimeout(r, 0));
      assert.equal(h.view(DRAINED), "plain", `at ${h.clock.now()}`);
      h.clock.tick(100);
    }
    assert.deepEqual(withdrawn, []);
    assert.ok(!h.lines.some((l) => l.includes(`prefix ${DRAINED}:`) && l.endsWith("withdraw")));
  } finally {
    await h.stop();
  }
});
