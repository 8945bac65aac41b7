import assert from "node:assert/strict";
import { Agent, bfdInteropTest, FrrBfd, NetnsPair, sleep, waitUntil } from "./bfd/lab.ts";

// The anycast daemon (BGP + BFD) in namespace A; FRR zebra + bfdd + bgpd with
// `neighbor … bfd` in namespace B. BFD couples to BGP both ways (RFC 5882, RFC 9384).
const OURS = "10.255.0.13", FRR = "10.255.0.14";
const PREFIX = "198.51.100.77/32";
const AGENT_DAEMON = new URL("./bfd/agent_daemon.ts", import.meta.url).pathname;

const BGPD = `hostname acst-bgpd
log file $DIR/bgpd.log
router bgp 65010
 bgp router-id ${FRR}
 no bgp ebgp-requires-policy
 no bgp network import-check
 timers bgp 3 9
 neighbor ${OURS} remote-as 64600
 neighbor ${OURS} update-source ${FRR}
 neighbor ${OURS} passive
 neighbor ${OURS} bfd
 neighbor ${OURS} bfd profile fast
exit
`;

await bfdInteropTest(
  "BFD-BGP coupling with FRR: BGP waits for BFD, BFD Down closes BGP (Cease 10), AdminDown on stop",
  ["/usr/lib/frr/zebra", "/usr/lib/frr/bfdd", "/usr/lib/frr/bgpd", "vtysh"],
  async () => {
    const lab = await NetnsPair.create("bgp", [`${OURS}/30`], [`${FRR}/30`]);
    let frr: FrrBfd | undefined;
    let agent: Agent | undefined;
    try {
      frr = await FrrBfd.start(lab.nsB, [], {
        bfdLines: [
          " profile fast",
          "  receive-interval 100",
          "  transmit-interval 100",
          "  detect-multiplier 3",
          " exit",
        ],
        bgpdConfig: BGPD,
        bgpdListen: FRR,
      });
      agent = await Agent.start(lab.nsA, {
        local: OURS,
        peer: FRR,
        peerAsn: 65010,
        prefix: PREFIX,
        txMs: 100,
        rxMs: 100,
        multiplier: 3,
      }, AGENT_DAEMON);
      const a = agent, f = frr;
      const frrRoute = async () => {
        const out = await f.vtysh("bgpd", `show bgp ipv4 unicast ${PREFIX} json`);
        return out.includes('"paths"') && !out.includes('"paths":[]');
      };
      const frrBgpState = async () => {
        const out = await f.vtysh("bgpd", `show bgp neighbors ${OURS} json`);
        return (JSON.parse(out)[OURS] as { bgpState: string }).bgpState;
      };

      // BGP came up only after BFD did (holdBgpUntilUp).
      const bfdUp = await a.waitFor((e) => e.event === "bfd" && e.to === "Up", 20_000);
      const established = await a.waitFor(
        (e) => e.event === "bgp" && e.to === "Established",
        30_000,
      );
      assert.ok((established.wall as number) >= (bfdUp.wall as number));
      assert.ok(
        !a.events.some((e) =>
          e.event === "bgp" && e.to === "OpenSent" && (e.wall as number) < (bfdUp.wall as number)
        ),
        "BGP opened before BFD was Up",
      );
      await waitUntil(
        "FRR route",
        async () => ((await frrRoute()) ? true : undefined),
        15_000,
        200,
      );
      await waitUntil(
        "FRR BFD up",
        async () => ((await f.peers())[OURS]?.status === "up" ? true : undefined),
        10_000,
      );

      // FRR's bfdd stops: our BFD goes Down and takes BGP down with Cease/BFD Down.
      const bfdd = await f.bfddPid();
      let mark = a.events.length;
      Deno.kill(bfdd, "SIGSTOP");
      try {
        const down = await a.waitFor((e) => e.event === "bfd" && e.to === "Down", 3000, mark);
        assert.equal(down.diag, "control-detection-time-expired");
        await a.waitFor((e) => e.event === "bgp" && e.from === "Established", 3000, mark);
        const stats = await a.waitFor(
          (e) => e.event === "stats",
          5000,
          await a.command("stats").then(() => mark),
        );
        const bgp = (stats.bgp as { state: string; lastError?: string }[])[0]!;
        assert.notEqual(bgp.state, "Established");
        assert.match(bgp.lastError ?? "", /NOTIFICATION 6\/10/);
        await waitUntil(
          "FRR drops the route",
          async () => ((await frrRoute()) ? undefined : true),
          10_000,
          200,
        );
        const neighborInfo = JSON.parse(
          await f.vtysh("bgpd", `show bgp neighbors ${OURS} json`),
        )[OURS];
        // FRR decodes our NOTIFICATION as RFC 9384's subcode.
        assert.equal(neighborInfo.lastNotificationReason, "Cease/BFD Down");
        // Held: no new BGP session while BFD is down.
        await sleep(2000);
        assert.notEqual(await frrBgpState(), "Established");
      } finally {
        Deno.kill(bfdd, "SIGCONT");
      }

      // BFD recovers, BGP follows.
      mark = a.events.length;
      await a.waitFor((e) => e.event === "bfd" && e.to === "Up", 20_000, mark);
      await a.waitFor((e) => e.event === "bgp" && e.to === "Established", 30_000, mark);
      await waitUntil(
        "FRR route again",
        async () => ((await frrRoute()) ? true : undefined),
        15_000,
        200,
      );

      // Graceful stop: BFD AdminDown first, so FRR's BFD sees neighbor-down, not a timeout.
      const before = (await f.stateChanges()).length;
      await a.stop();
      agent = undefined;
      const change = await waitUntil("FRR BFD down", async () => {
        const c = (await f.stateChanges()).slice(before).find((x) => x.to === "down");
        return c;
      }, 5000);
      assert.equal(change.reason, "neighbor-down");
    } finally {
      await agent?.stop();
      await frr?.stop();
      await lab.destroy();
    }
  },
);
