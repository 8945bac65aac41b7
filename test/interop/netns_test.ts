// Self-test of the namespace/BFD side of the harness: BIRD in one namespace,
// FRR (zebra + bfdd + bgpd) in the other, BGP with BFD 100 ms × 3 between them.
import assert from "node:assert/strict";
import {
  BIRD_ASN,
  BirdPeer,
  FRR_ASN,
  FrrPeer,
  interopTest,
  NetnsPair,
  parseBirdBfdSessions,
  pollUntil,
  reapOrphanedNamespaces,
  runTool,
  runToolOk,
  strayNamespaces,
} from "./harness/mod.ts";

/** Prints "refused" when a TCP connection to argv[1]:9 is refused, i.e. the host answered. */
const PROBE = "import socket,sys\ntry: socket.create_connection((sys.argv[1], 9), timeout=1)\n" +
  "except ConnectionRefusedError: print('refused')\nexcept OSError as e: print(e)";

Deno.test("parseBirdBfdSessions() reads the session table", () => {
  const text = [
    "BIRD 2.0.12 ready.",
    "acst_bfd:",
    "IP address                Interface  State      Since         Interval  Timeout",
    "10.255.20.2               vA         Up         11:00:00.123    0.100    0.300",
    "10.255.20.6               vA         Down       11:00:00.123    1.000    0.000",
  ].join("\n");
  assert.deepEqual(parseBirdBfdSessions(text), [
    { peer: "10.255.20.2", interface: "vA", state: "up" },
    { peer: "10.255.20.6", interface: "vA", state: "down" },
  ]);
});

await interopTest({
  name: "netns: NetnsPair links two namespaces and deletes them",
  daemons: ["netns"],
  fn: async () => {
    let names: string[];
    {
      await using pair = await NetnsPair.create();
      names = [pair.a.name, pair.b.name];
      // A refused TCP connection proves the packet crossed the veth pair (no ping installed).
      const probe = await pair.exec(pair.a, "python3", ["-c", PROBE, pair.b.address]);
      assert.equal(probe.stdout.trim(), "refused", probe.stderr);
      // With the link down the address is gone from the route table: no answer at all.
      await pair.setLink(pair.a, false);
      const cut = await pair.exec(pair.a, "python3", ["-c", PROBE, pair.b.address]);
      assert.notEqual(cut.stdout.trim(), "refused");
      await pair.setLink(pair.a, true);
    }
    const list = (await new Deno.Command("ip", { args: ["netns", "list"] }).output()).stdout;
    const left = new TextDecoder().decode(list);
    for (const n of names) assert.ok(!left.includes(n), `namespace ${n} was not deleted`);
  },
});

await interopTest({
  name: "netns: reapOrphanedNamespaces() deletes the namespaces of a dead run only",
  daemons: ["netns"],
  fn: async () => {
    // The pid of a process that has exited stands for a test run that was killed.
    const dead = new Deno.Command("true").spawn();
    await dead.status;
    const orphan = `acst-${dead.pid}-0a`;
    await using live = await NetnsPair.create();
    await runToolOk("ip", ["netns", "add", orphan]);
    try {
      const reaped = await reapOrphanedNamespaces();
      assert.ok(reaped.includes(orphan), `reaped: ${reaped.join(", ")}`);
      const left = await strayNamespaces();
      assert.ok(!left.includes(orphan));
      assert.ok(left.includes(live.a.name) && left.includes(live.b.name));
    } finally {
      await runTool("ip", ["netns", "del", orphan]);
    }
  },
});

await interopTest({
  name: "netns: BIRD and FRR bring BFD up; a paused BIRD is declared down by FRR",
  daemons: ["bird", "frrBfd", "netns"],
  fn: async () => {
    await using pair = await NetnsPair.create();
    const bfd = { minRxMs: 100, minTxMs: 100, multiplier: 3 };
    await using bird = await BirdPeer.start({
      address: pair.a.address,
      asn: BIRD_ASN,
      netns: pair.a.name,
      bfd,
      neighbors: [{ address: pair.b.address, asn: FRR_ASN, holdTime: 9, bfd: true }],
    });
    await using frr = await FrrPeer.start({
      address: pair.b.address,
      asn: FRR_ASN,
      netns: pair.b.name,
      bfd,
      neighbors: [{ address: pair.a.address, asn: BIRD_ASN, holdTime: 9, bfd: true }],
    });
    await frr.waitEstablished(pair.a.address, 20_000);
    await bird.announce("198.51.100.3/32", "203.0.113.3");
    await frr.waitForRoute("198.51.100.3/32");

    const up = (s: { peer: string; state: string }[]) =>
      s.some((x) => x.peer === pair.a.address && x.state === "up") ? true : undefined;
    await pollUntil("FRR's BFD session to be up", async () => up(await frr.bfdSessions()), {
      timeoutMs: 15_000,
      describe: async () => JSON.stringify(await frr.bfdSessions()) + "\n" + (await frr.logTail()),
    });
    await pollUntil("BIRD's BFD session to be up", async () => {
      const s = await bird.bfdSessions();
      return s.some((x) => x.peer === pair.b.address && x.state === "up") ? true : undefined;
    }, { timeoutMs: 5000, describe: async () => JSON.stringify(await bird.bfdSessions()) });

    // BFD detects the frozen BIRD long before BGP's 9 s hold timer would.
    await bird.pause();
    const started = Date.now();
    await pollUntil("FRR's BFD session to go down", async () => {
      const s = await frr.bfdSessions();
      return s.some((x) => x.peer === pair.a.address && x.state !== "up") ? true : undefined;
    }, { timeoutMs: 5000, intervalMs: 20 });
    const detectMs = Date.now() - started;
    assert.ok(detectMs < 5000, `detected after ${detectMs} ms`);
    await frr.waitForNoRoute("198.51.100.3/32", 5000);
    await bird.resume();
  },
});
