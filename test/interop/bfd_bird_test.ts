import assert from "node:assert/strict";
import { Agent, bfdInteropTest, BirdBfd, NetnsPair, sleep, waitUntil } from "./bfd/lab.ts";

// Our BFD in namespace A, BIRD 2 (`protocol bfd` with an explicit neighbor) in B, 100 ms × 3.
const OURS = "10.255.0.5", BIRD = "10.255.0.6";
const TIMERS = { txMs: 100, rxMs: 100, multiplier: 3 };
const STOP_MS = 2000;

await bfdInteropTest(
  "BFD interop with BIRD 2: Up, each side detects the other's SIGSTOP, recovery after SIGCONT",
  ["bird", "birdc"],
  async () => {
    const lab = await NetnsPair.create("bird", [`${OURS}/30`], [`${BIRD}/30`]);
    let bird: BirdBfd | undefined;
    let agent: Agent | undefined;
    try {
      bird = await BirdBfd.start(lab.nsB, BIRD, lab.ifB, TIMERS, [{ peer: OURS, local: BIRD }]);
      agent = await Agent.start(lab.nsA, {
        listen: OURS,
        sessions: [{ peer: BIRD, local: OURS, ...TIMERS }],
      });
      const a = agent, b = bird;
      const birdUp = async () => ((await b.sessions())[OURS] === "Up" ? true : undefined);
      await a.waitFor((e) => e.event === "state" && e.to === "Up", 15_000);
      await waitUntil("BIRD Up", birdUp, 10_000);
      await sleep(1000);
      const session = ((await a.stats()).sessions as { detectionTimeMs: number }[])[0]!;
      assert.equal(session.detectionTimeMs, 300);

      // 1. Our process stops: BIRD declares the session Down on its own.
      const stoppedAt = Date.now();
      a.signal("SIGSTOP");
      await sleep(STOP_MS);
      const downs = (await b.stateChanges()).filter((c) =>
        c.to === "Down" && c.wall >= stoppedAt - 10
      );
      assert.equal(downs.length, 1, JSON.stringify(await b.stateChanges()));
      console.log(
        `BIRD detected our SIGSTOP after ${downs[0]!.wall - stoppedAt} ms (detection 300 ms)`,
      );
      let mark = a.events.length;
      a.signal("SIGCONT");
      await a.waitFor((e) => e.event === "state" && e.to === "Up", 15_000, mark);
      await waitUntil("BIRD Up again", birdUp, 10_000);
      await sleep(1000);

      // 2. BIRD stops: we declare Down, diag 1.
      const pid = await b.pid();
      mark = a.events.length;
      const birdStoppedAt = Date.now();
      Deno.kill(pid, "SIGSTOP");
      let down;
      try {
        down = await a.waitFor((e) => e.event === "state" && e.to === "Down", STOP_MS, mark);
      } finally {
        Deno.kill(pid, "SIGCONT");
      }
      assert.equal(down.diag, "control-detection-time-expired");
      console.log(
        `we detected BIRD's SIGSTOP after ${(down.wall as number) - birdStoppedAt} ms (${
          Math.round(down.sinceLastRxMs as number)
        } ms after its last packet)`,
      );
      await a.waitFor((e) => e.event === "state" && e.to === "Up", 15_000, mark);
      await waitUntil("BIRD Up after SIGCONT", birdUp, 10_000);
      const drops = (await a.stats()).drops as Record<string, number>;
      // admin-down: what the peer sends while we are AdminDown is discarded (RFC 5880 §6.8.6).
      assert.deepEqual(
        Object.keys(drops).filter((k) => k !== "stale-after-stall" && k !== "admin-down"),
        [],
      );
    } finally {
      await agent?.stop();
      await bird?.stop();
      await lab.destroy();
    }
  },
);

await bfdInteropTest(
  "BFD interop with BIRD 2 using Meticulous Keyed SHA1 authentication (RFC 5880 §6.7.4)",
  ["bird", "birdc"],
  async () => {
    const ours = "10.255.0.9", bird = "10.255.0.10";
    const lab = await NetnsPair.create("auth", [`${ours}/30`], [`${bird}/30`]);
    let peer: BirdBfd | undefined;
    let agent: Agent | undefined;
    try {
      peer = await BirdBfd.start(
        lab.nsB,
        bird,
        lab.ifB,
        TIMERS,
        [{ peer: ours, local: bird }],
        `authentication meticulous keyed sha1; password "acst-bfd-key" { id 3; };`,
      );
      agent = await Agent.start(lab.nsA, {
        listen: ours,
        sessions: [{
          peer: bird,
          local: ours,
          ...TIMERS,
          auth: { mode: "meticulous-keyed-sha1", keyId: 3, secret: "acst-bfd-key" },
        }],
      });
      const p = peer;
      await agent.waitFor((e) => e.event === "state" && e.to === "Up", 15_000);
      await waitUntil(
        "BIRD Up",
        async () => ((await p.sessions())[ours] === "Up" ? true : undefined),
        10_000,
      );
      await sleep(1000);
      const stats = await agent.stats();
      assert.deepEqual(stats.drops, {});
      assert.equal((stats.sessions as { state: string }[])[0]!.state, "Up");

      // The same with a wrong secret: every BIRD packet is dropped as auth-mismatch, never Up.
      await agent.stop();
      agent = await Agent.start(lab.nsA, {
        listen: ours,
        sessions: [{
          peer: bird,
          local: ours,
          ...TIMERS,
          auth: { mode: "meticulous-keyed-sha1", keyId: 3, secret: "wrong-key" },
        }],
      });
      await sleep(3000);
      const wrong = await agent.stats();
      assert.equal((wrong.sessions as { state: string }[])[0]!.state, "Down");
      assert.ok(((wrong.drops as Record<string, number>)["auth-mismatch"] ?? 0) > 0);
      assert.notEqual((await p.sessions())[ours], "Up");
    } finally {
      await agent?.stop();
      await peer?.stop();
      await lab.destroy();
    }
  },
);
