import assert from "node:assert/strict";
import { Agent, bfdInteropTest, FrrBfd, NetnsPair, sleep, waitUntil } from "./bfd/lab.ts";

// Our BFD in namespace A, FRR zebra + bfdd in namespace B, 100 ms × 3 both ways.
const OURS = "10.255.0.1", FRR = "10.255.0.2";
const TIMERS = { txMs: 100, rxMs: 100, multiplier: 3 };
const DETECT_MS = 300;
const STOP_MS = 2000;

await bfdInteropTest(
  "BFD interop with FRR bfdd: Up, each side detects the other's SIGSTOP, recovery after SIGCONT",
  ["/usr/lib/frr/zebra", "/usr/lib/frr/bfdd", "vtysh"],
  async () => {
    const lab = await NetnsPair.create("frr", [`${OURS}/30`], [`${FRR}/30`]);
    let frr: FrrBfd | undefined;
    let agent: Agent | undefined;
    try {
      frr = await FrrBfd.start(lab.nsB, [{ peer: OURS, local: FRR, iface: lab.ifB, ...TIMERS }]);
      agent = await Agent.start(lab.nsA, {
        listen: OURS,
        sessions: [{ peer: FRR, local: OURS, ...TIMERS }],
      });
      const a = agent, f = frr;
      await a.waitFor((e) => e.event === "state" && e.to === "Up", 15_000);
      await waitUntil(
        "FRR up",
        async () => ((await f.peers())[OURS]?.status === "up" ? true : undefined),
        10_000,
      );
      await sleep(1000); // steady state at 100 ms
      const stats = await a.stats();
      const session =
        (stats.sessions as { transmitIntervalMs: number; detectionTimeMs: number }[])[0]!;
      assert.equal(session.transmitIntervalMs, 100);
      assert.equal(session.detectionTimeMs, DETECT_MS);

      // 1. Our process stops: FRR must declare the session down by itself (control-expired).
      const stoppedAt = Date.now();
      a.signal("SIGSTOP");
      await sleep(STOP_MS);
      const downs = (await f.stateChanges()).filter((c) =>
        c.to === "down" && c.wall >= stoppedAt - 10
      );
      assert.equal(downs.length, 1, JSON.stringify(await f.stateChanges()));
      assert.equal(downs[0]!.reason, "control-expired");
      const frrDetectMs = downs[0]!.wall - stoppedAt;
      assert.ok(frrDetectMs < STOP_MS, `FRR went down ${frrDetectMs} ms after SIGSTOP`);
      console.log(
        `FRR detected our SIGSTOP after ${frrDetectMs} ms (detection time ${DETECT_MS} ms)`,
      );

      // Recovery: after SIGCONT we notice our own stall (our Detection Time passed) and re-handshake.
      let mark = a.events.length;
      const contAt = Date.now();
      a.signal("SIGCONT");
      const ourDown = await a.waitFor((e) => e.event === "state" && e.to === "Down", 5000, mark);
      // Our own Detection Time passed while stopped: it counts before the backlog does.
      assert.equal(ourDown.diag, "control-detection-time-expired");
      const up = await a.waitFor((e) => e.event === "state" && e.to === "Up", 15_000, mark);
      console.log(`Up again ${(up.wall as number) - contAt} ms after SIGCONT`);
      await waitUntil(
        "FRR up again",
        async () => ((await f.peers())[OURS]?.status === "up" ? true : undefined),
        10_000,
      );
      await sleep(1000);

      // 2. FRR's bfdd stops: we must declare Down with diag 1 (Control Detection Time Expired).
      const bfdd = await f.bfddPid();
      mark = a.events.length;
      const frrStoppedAt = Date.now();
      Deno.kill(bfdd, "SIGSTOP");
      let down;
      try {
        down = await a.waitFor((e) => e.event === "state" && e.to === "Down", STOP_MS, mark);
      } finally {
        Deno.kill(bfdd, "SIGCONT");
      }
      assert.equal(down.diag, "control-detection-time-expired");
      assert.equal(down.notify, "down");
      const ourDetectMs = (down.wall as number) - frrStoppedAt;
      console.log(
        `we detected FRR's SIGSTOP after ${ourDetectMs} ms (${
          Math.round(down.sinceLastRxMs as number)
        } ms after its last packet)`,
      );
      await a.waitFor((e) => e.event === "state" && e.to === "Up", 15_000, mark);
      await waitUntil(
        "FRR up after SIGCONT",
        async () => ((await f.peers())[OURS]?.status === "up" ? true : undefined),
        10_000,
      );

      // 3. Administrative shutdown: FRR sees AdminDown, not a failure.
      mark = a.events.length;
      await a.command(`adminDown ${FRR}`);
      await waitUntil("FRR down by neighbor", async () => {
        const c = (await f.stateChanges()).at(-1);
        return c?.to === "down" ? c : undefined;
      }, 5000).then((c) => assert.equal(c.reason, "neighbor-down"));
      // Nothing FRR sent was malformed; the only drops allowed are the handshake packets
      // that queued up while we were stopped (session.ts quarantine after a stall).
      const drops = (await a.stats()).drops as Record<string, number>;
      // admin-down: what the peer sends while we are AdminDown is discarded (RFC 5880 §6.8.6).
      assert.deepEqual(
        Object.keys(drops).filter((k) => k !== "stale-after-stall" && k !== "admin-down"),
        [],
      );
    } finally {
      await agent?.stop();
      await frr?.stop();
      await lab.destroy();
    }
  },
);
