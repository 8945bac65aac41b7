import assert from "node:assert/strict";
import { Agent, bfdInteropTest, BirdBfd, NetnsPair, sleep, waitUntil } from "./bfd/lab.ts";

// The anycast daemon (BGP + BFD) in namespace A; BIRD 2 with `protocol bgp … bfd on` in B.
const OURS = "10.255.0.17", BIRD = "10.255.0.18";
const PREFIX = "198.51.100.78/32";
const AGENT_DAEMON = new URL("./bfd/agent_daemon.ts", import.meta.url).pathname;
const TIMERS = { txMs: 100, rxMs: 100, multiplier: 3 };

const BGP = `protocol bgp dut {
  local ${BIRD} as 65020;
  neighbor ${OURS} as 64600;
  passive on;
  bfd on;
  hold time 9; keepalive time 3; connect retry time 1;
  error wait time 1, 5;
  ipv4 { import all; export none; };
}`;

await bfdInteropTest(
  "BFD-BGP coupling with BIRD 2 (bfd on): Established after BFD Up, BFD Down closes BGP, recovery",
  ["bird", "birdc"],
  async () => {
    const lab = await NetnsPair.create("bbgp", [`${OURS}/30`], [`${BIRD}/30`]);
    let bird: BirdBfd | undefined;
    let agent: Agent | undefined;
    try {
      bird = await BirdBfd.start(lab.nsB, BIRD, lab.ifB, TIMERS, [], "", BGP);
      agent = await Agent.start(lab.nsA, {
        local: OURS,
        peer: BIRD,
        peerAsn: 65020,
        prefix: PREFIX,
        ...TIMERS,
      }, AGENT_DAEMON);
      const a = agent, b = bird;
      const birdHasRoute = async () => (await b.birdc("show", "route", PREFIX)).includes(PREFIX);
      const bfdUp = await a.waitFor((e) => e.event === "bfd" && e.to === "Up", 20_000);
      const established = await a.waitFor(
        (e) => e.event === "bgp" && e.to === "Established",
        30_000,
      );
      assert.ok((established.wall as number) >= (bfdUp.wall as number));
      await waitUntil(
        "BIRD route",
        async () => ((await birdHasRoute()) ? true : undefined),
        15_000,
        200,
      );

      // BIRD stops: our BFD detects it and closes BGP with Cease/BFD Down (RFC 9384).
      const pid = await b.pid();
      let mark = a.events.length;
      Deno.kill(pid, "SIGSTOP");
      try {
        const down = await a.waitFor((e) => e.event === "bfd" && e.to === "Down", 3000, mark);
        assert.equal(down.diag, "control-detection-time-expired");
        await a.waitFor((e) => e.event === "bgp" && e.from === "Established", 3000, mark);
        const statsMark = a.events.length;
        await a.command("stats");
        const stats = await a.waitFor((e) => e.event === "stats", 5000, statsMark);
        const bgp = (stats.bgp as { state: string; lastError?: string }[])[0]!;
        assert.match(bgp.lastError ?? "", /sent NOTIFICATION 6\/10/);
        await sleep(1000);
      } finally {
        Deno.kill(pid, "SIGCONT");
      }
      // BIRD resumes: it reads our Cease, BFD comes Up again, then BGP.
      mark = a.events.length;
      await a.waitFor((e) => e.event === "bfd" && e.to === "Up", 20_000, mark);
      await a.waitFor((e) => e.event === "bgp" && e.to === "Established", 30_000, mark);
      await waitUntil(
        "BIRD route again",
        async () => ((await birdHasRoute()) ? true : undefined),
        15_000,
        200,
      );
      const log = await Deno.readTextFile(`${b.dir}/bird.log`);
      // BIRD 2.0.12 has no name for Cease subcode 10 and logs "Unknown error 6.10".
      assert.match(log, /dut: Received: (Unknown error 6\.10|.*BFD)/);
    } finally {
      await agent?.stop();
      await bird?.stop();
      await lab.destroy();
    }
  },
);
