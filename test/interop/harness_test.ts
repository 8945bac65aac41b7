// Self-test of the interop harness: real daemons peer with each other, so the
// harness is proven before our own speaker exists.
import assert from "node:assert/strict";
import {
  BIRD_ADDRESS,
  BIRD_ASN,
  BirdPeer,
  encodeTableDumpV2,
  EXABGP_ADDRESS,
  EXABGP_ASN,
  ExaBgpPeer,
  FRR_ADDRESS,
  FRR_ASN,
  FrrPeer,
  GOBGP_ADDRESS,
  GOBGP_ASN,
  GoBgpPeer,
  hostPrefixes,
  interopTest,
  missingBinaries,
  parseBirdRoutes,
  parseJsonDocuments,
  pollUntil,
  requireBinaries,
  requireDaemon,
  type Route,
  SPARE_ADDRESSES,
} from "./harness/mod.ts";

const processExists = (pid: number) => Deno.stat(`/proc/${pid}`).then(() => true, () => false);

/** The attributes a test route carries, without the fields that vary per daemon. */
function essentials(r: Route) {
  return {
    prefix: r.prefix,
    nextHop: r.nextHop,
    asPath: r.asPath,
    origin: r.origin,
    med: r.med,
    communities: [...r.communities].sort(),
    largeCommunities: [...r.largeCommunities].sort(),
  };
}

const RICH = {
  med: 50,
  communities: ["65000:100", "65000:200"],
  largeCommunities: ["65000:1:2"],
};

Deno.test("parseBirdRoutes() reads every BGP attribute of `show route all`", () => {
  const text = [
    "Table master4:",
    "198.51.100.2/32      unreachable [n_127_0_0_2 2026-11-21 11:00:56 from 127.0.0.2] * (100) [AS65001?]",
    "\tType: BGP univ",
    "\tBGP.origin: Incomplete",
    "\tBGP.as_path: 65001 65001 65001",
    "\tBGP.next_hop: 203.0.113.2",
    "\tBGP.med: 50",
    "\tBGP.local_pref: 100",
    "\tBGP.community: (65000,100) (65000,200)",
    "\tBGP.large_community: (65000, 1, 2)",
    "\tBGP.ext_community: (rt, 65000, 7)",
    "                     unreachable [n_127_0_0_4 2026-11-21 11:00:57 from 127.0.0.4] (100) [AS65003i]",
    "\tBGP.origin: IGP",
    "\tBGP.as_path: 65003",
    "\tBGP.next_hop: 203.0.113.4",
  ].join("\n");
  assert.deepEqual(parseBirdRoutes(text), [
    {
      prefix: "198.51.100.2/32",
      nextHop: "203.0.113.2",
      asPath: [65001, 65001, 65001],
      origin: "incomplete",
      med: 50,
      localPref: 100,
      communities: ["65000:100", "65000:200"],
      largeCommunities: ["65000:1:2"],
      extendedCommunities: ["rt:65000:7"],
      from: "127.0.0.2",
    },
    {
      prefix: "198.51.100.2/32",
      nextHop: "203.0.113.4",
      asPath: [65003],
      origin: "igp",
      communities: [],
      largeCommunities: [],
      extendedCommunities: [],
      from: "127.0.0.4",
    },
  ]);
});

Deno.test("parseJsonDocuments() splits concatenated vtysh JSON output", () => {
  assert.deepEqual(parseJsonDocuments('{"a":"}{"}\n{"b":{"c":1}}\n'), [{ a: "}{" }, {
    b: { c: 1 },
  }]);
});

/** "01 02 ff" → bytes; spaces only group the fields for the reader. */
const hex = (text: string) =>
  Uint8Array.from(text.match(/[0-9a-f]{2}/g)!.map((b) => parseInt(b, 16)));

Deno.test("encodeTableDumpV2() writes a PEER_INDEX_TABLE and one RIB_IPV4_UNICAST record", () => {
  const bytes = encodeTableDumpV2(
    [{ prefix: "10.1.2.0/24", nextHop: "203.0.113.9", asPath: [65001] }],
    { routerId: "192.0.2.1", address: "192.0.2.2", asn: 64999 },
    0x01020304,
  );
  const expected = [
    "01020304 000d 0001 00000015", // timestamp, TABLE_DUMP_V2, PEER_INDEX_TABLE, length 21
    "c0000201 0000 0001", // collector ID, view name length 0, 1 peer
    "02 c0000201 c0000202 0000fde7", // peer type (IPv4, AS4), ID, address, AS 64999
    "01020304 000d 0002 00000026", // RIB_IPV4_UNICAST, length 38
    "00000000 18 0a0102", // sequence 0, 10.1.2.0/24 in 3 bytes
    "0001 0000 01020304 0014", // 1 entry, peer 0, originated time, attributes 20 bytes
    "40010100", // ORIGIN IGP
    "400206 0201 0000fde9", // AS_PATH: one AS_SEQUENCE of [65001]
    "400304 cb007109", // NEXT_HOP 203.0.113.9
  ].join(" ");
  assert.deepEqual(bytes, hex(expected));
  assert.throws(
    () =>
      encodeTableDumpV2([{ prefix: "10.0.0.0/33", nextHop: "203.0.113.9" }], {
        routerId: "192.0.2.1",
        address: "192.0.2.1",
        asn: 1,
      }),
    TypeError,
  );
  assert.deepEqual([...hostPrefixes(3, "10.0.0.255")], [
    "10.0.0.255/32",
    "10.0.1.0/32",
    "10.0.1.1/32",
  ]);
});

Deno.test("requireDaemon() answers true exactly when every binary is installed", async () => {
  const ci = Deno.env.get("CI");
  Deno.env.delete("CI");
  try {
    assert.equal(await requireDaemon("gobgp"), (await missingBinaries("gobgp")).length === 0);
    assert.equal(await requireBinaries(["sh"], "dash"), true);
    assert.equal(await requireBinaries(["acst-no-such-daemon"], "none"), false);
  } finally {
    if (ci !== undefined) Deno.env.set("CI", ci);
  }
});

Deno.test("requireBinaries() throws under CI=true when a daemon is missing", async () => {
  const ci = Deno.env.get("CI");
  Deno.env.set("CI", "true");
  try {
    await assert.rejects(
      requireBinaries(["/usr/sbin/acst-no-such-daemon"], "acst"),
      /missing under CI: \/usr\/sbin\/acst-no-such-daemon not installed \(Debian package acst\)/,
    );
  } finally {
    if (ci === undefined) Deno.env.delete("CI");
    else Deno.env.set("CI", ci);
  }
});

await interopTest({
  name: "harness: GoBGP and BIRD exchange routes with exact attributes both ways",
  daemons: ["gobgp", "bird"],
  fn: async () => {
    await using gobgp = await GoBgpPeer.start({
      address: GOBGP_ADDRESS,
      asn: GOBGP_ASN,
      neighbors: [{ address: BIRD_ADDRESS, asn: BIRD_ASN, holdTime: 3 }],
      families: ["ipv4", "ipv6"],
    });
    await using bird = await BirdPeer.start({
      address: BIRD_ADDRESS,
      asn: BIRD_ASN,
      neighbors: [{ address: GOBGP_ADDRESS, asn: GOBGP_ASN, holdTime: 3 }],
      families: ["ipv4", "ipv6"],
    });
    await bird.waitEstablished(GOBGP_ADDRESS);
    await gobgp.waitEstablished(BIRD_ADDRESS);
    assert.equal(await bird.sessionState(GOBGP_ADDRESS), "established");
    const uptime = await bird.sessionUptime(GOBGP_ADDRESS);
    assert.ok(uptime !== undefined && uptime >= 0 && uptime < 60, `uptime ${uptime}`);

    await gobgp.announce("198.51.100.2/32", "203.0.113.2", { ...RICH, asPathPrepend: [GOBGP_ASN] });
    await gobgp.announce("2001:db8:2::/48", "2001:db8::2", { communities: ["65000:600"] });
    const v4 = await bird.waitForRoute("198.51.100.2/32");
    assert.deepEqual(essentials(v4), {
      prefix: "198.51.100.2/32",
      nextHop: "203.0.113.2",
      asPath: [GOBGP_ASN, GOBGP_ASN],
      origin: "igp",
      ...RICH,
    });
    assert.equal(v4.from, GOBGP_ADDRESS);
    const v6 = await bird.waitForRoute("2001:db8:2::/48");
    assert.deepEqual([v6.nextHop, v6.asPath, v6.communities], ["2001:db8::2", [GOBGP_ASN], [
      "65000:600",
    ]]);

    await bird.announce("198.51.100.3/32", "203.0.113.3", {
      med: 60,
      communities: ["65000:300"],
      largeCommunities: ["65000:3:4"],
      asPathPrepend: [BIRD_ASN, BIRD_ASN],
      origin: "incomplete",
    });
    const fromBird = await gobgp.waitForRoute("198.51.100.3/32");
    assert.deepEqual(essentials(fromBird), {
      prefix: "198.51.100.3/32",
      nextHop: "203.0.113.3",
      asPath: [BIRD_ASN, BIRD_ASN, BIRD_ASN],
      origin: "incomplete",
      med: 60,
      communities: ["65000:300"],
      largeCommunities: ["65000:3:4"],
    });
    // Only routes received from a neighbour count: GoBGP's own injected route is not in rib().
    assert.deepEqual((await gobgp.rib("ipv4")).map((r) => r.prefix), ["198.51.100.3/32"]);

    await gobgp.withdraw("198.51.100.2/32");
    await bird.waitForNoRoute("198.51.100.2/32");
    await bird.withdraw("198.51.100.3/32");
    await gobgp.waitForNoRoute("198.51.100.3/32");

    // BIRD keeps announced routes across restart() (they live in its config).
    await bird.announce("198.51.100.4/32", "203.0.113.4");
    await gobgp.waitForRoute("198.51.100.4/32");
    await bird.restart();
    await gobgp.waitEstablished(BIRD_ADDRESS, 15_000);
    await gobgp.waitForRoute("198.51.100.4/32");
    // GoBGP's softresetin sends no ROUTE-REFRESH, so the harness refuses rather than pretend.
    await assert.rejects(
      gobgp.routeRefresh(BIRD_ADDRESS),
      /cannot be made to send a ROUTE-REFRESH/,
    );
  },
});

await interopTest({
  name:
    "harness: FRR and ExaBGP exchange routes, survive pause and restart; ExaBGP logs UPDATEs in order",
  daemons: ["frr", "exabgp"],
  fn: async () => {
    await using exa = await ExaBgpPeer.start({
      address: EXABGP_ADDRESS,
      asn: EXABGP_ASN,
      neighbors: [{ address: FRR_ADDRESS, asn: FRR_ASN, holdTime: 3 }],
      families: ["ipv4", "ipv6"],
    });
    await using frr = await FrrPeer.start({
      address: FRR_ADDRESS,
      asn: FRR_ASN,
      neighbors: [{ address: EXABGP_ADDRESS, asn: EXABGP_ASN, holdTime: 3 }],
      families: ["ipv4", "ipv6"],
    });
    await frr.waitEstablished(EXABGP_ADDRESS);
    await exa.waitEstablished(FRR_ADDRESS);

    await frr.announce("198.51.100.4/32", "203.0.113.4", { ...RICH, asPathPrepend: [FRR_ASN] });
    await frr.announce("2001:db8:4::/48", "2001:db8::4", { largeCommunities: ["65000:4:6"] });
    assert.deepEqual(essentials(await exa.waitForRoute("198.51.100.4/32")), {
      prefix: "198.51.100.4/32",
      nextHop: "203.0.113.4",
      asPath: [FRR_ASN, FRR_ASN],
      origin: "igp",
      ...RICH,
    });
    const v6 = await exa.waitForRoute("2001:db8:4::/48");
    assert.deepEqual([v6.nextHop, v6.largeCommunities], ["2001:db8::4", ["65000:4:6"]]);

    // A changed attribute arrives as one replacing UPDATE, not withdraw + announce.
    const before = (await exa.updateLog()).length;
    await frr.announce("198.51.100.4/32", "203.0.113.4", { med: 77 });
    await exa.waitForRoute("198.51.100.4/32", (r) => r.med === 77);
    const since = (await exa.updateLog()).slice(before);
    assert.deepEqual(
      since.map((u) =>
        u.kind === "update" ? [u.announced.map((r) => r.prefix), u.withdrawn] : u.kind
      ),
      [[["198.51.100.4/32"], []]],
    );

    await exa.announce("198.51.100.6/32", "203.0.113.6", {
      med: 60,
      communities: ["65000:300"],
      largeCommunities: ["65000:3:4"],
      asPathPrepend: [EXABGP_ASN],
    });
    const fromExa = await frr.waitForRoute("198.51.100.6/32");
    assert.deepEqual(essentials(fromExa), {
      prefix: "198.51.100.6/32",
      nextHop: "203.0.113.6",
      asPath: [EXABGP_ASN, EXABGP_ASN],
      origin: "igp",
      med: 60,
      communities: ["65000:300"],
      largeCommunities: ["65000:3:4"],
    });
    assert.equal(fromExa.from, EXABGP_ADDRESS);
    const uptime = await frr.sessionUptime(EXABGP_ADDRESS);
    assert.ok(uptime !== undefined && uptime >= 0, `uptime ${uptime}`);

    await frr.withdraw("198.51.100.4/32");
    await exa.waitForNoRoute("198.51.100.4/32");
    await exa.withdraw("198.51.100.6/32");
    await frr.waitForNoRoute("198.51.100.6/32");
    await frr.routeRefresh(EXABGP_ADDRESS);
    const refresh = await pollUntil(
      "ExaBGP to log FRR's ROUTE-REFRESH",
      async () => (await exa.updateLog()).find((u) => u.kind === "refresh"),
      { timeoutMs: 5000 },
    );
    assert.deepEqual(refresh.kind === "refresh" && [refresh.neighbor, refresh.family], [
      FRR_ADDRESS,
      "ipv4 unicast",
    ]);
    // No UPDATE in the log is empty: End-of-RIB markers are logged as "eor", not as updates.
    assert.ok(
      (await exa.updateLog()).every((u) =>
        u.kind !== "update" || u.announced.length + u.withdrawn.length > 0
      ),
    );

    // A paused ExaBGP sends no KEEPALIVE: FRR's 3 s hold timer expires; resumed, it reconnects.
    await exa.pause();
    await pollUntil(
      "FRR to drop the paused session",
      async () => (await frr.sessionState(EXABGP_ADDRESS)) !== "established" ? true : undefined,
      {
        timeoutMs: 8000,
      },
    );
    await exa.resume();
    await frr.waitEstablished(EXABGP_ADDRESS, 15_000);

    // FRR restarted: ExaBGP sees the session close, then FRR's routes again.
    await frr.restart();
    await exa.waitEstablished(FRR_ADDRESS, 20_000);
    await exa.waitForRoute("2001:db8:4::/48");
    const states = (await exa.updateLog()).filter((u) => u.kind === "state").map((u) =>
      u.kind === "state" ? u.state : ""
    );
    assert.ok(states.includes("down"), `states seen: ${states.join(", ")}`);
  },
});

await interopTest({
  name: "harness: BIRD and FRR report routes of a killed GoBGP as stale until it returns",
  daemons: ["gobgp", "bird", "frr"],
  fn: async () => {
    const gr = { restartTime: 30 };
    await using gobgp = await GoBgpPeer.start({
      address: GOBGP_ADDRESS,
      asn: GOBGP_ASN,
      neighbors: [
        { address: BIRD_ADDRESS, asn: BIRD_ASN, gracefulRestart: gr },
        { address: FRR_ADDRESS, asn: FRR_ASN, gracefulRestart: gr },
      ],
    });
    const toGoBgp = [{ address: GOBGP_ADDRESS, asn: GOBGP_ASN, gracefulRestart: gr }];
    await using bird = await BirdPeer.start({
      address: BIRD_ADDRESS,
      asn: BIRD_ASN,
      neighbors: toGoBgp,
    });
    await using frr = await FrrPeer.start({
      address: FRR_ADDRESS,
      asn: FRR_ASN,
      neighbors: toGoBgp,
    });
    await gobgp.announce("198.51.100.2/32", "203.0.113.2");
    for (const peer of [bird, frr]) {
      const r = await peer.waitForRoute("198.51.100.2/32", undefined, 20_000);
      assert.equal(r.stale, undefined, `${peer.kind} route stale before the restart`);
    }

    await gobgp.kill("SIGKILL");
    for (const peer of [bird, frr]) {
      await peer.waitForRoute("198.51.100.2/32", (r) => r.stale === true, 5000);
    }
    await gobgp.restart(); // replays the announcement
    for (const peer of [bird, frr]) {
      await peer.waitForRoute("198.51.100.2/32", (r) => r.stale !== true, 20_000);
    }
  },
});

await interopTest({
  name: "harness: a daemon left behind by a killed test run is reaped when its address is needed",
  daemons: ["bird"],
  fn: async () => {
    const address = SPARE_ADDRESSES[40]!;
    // A neighbour makes BIRD listen on address:179, the resource a later run needs.
    const neighbors = `[{ address: "${SPARE_ADDRESSES[39]!}", asn: 65011, passive: true }]`;
    const mod = new URL("./harness/mod.ts", import.meta.url).href;
    // A test run that starts BIRD and is then SIGKILLed: no cleanup code runs.
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `import { BirdPeer } from "${mod}";
         const bird = await BirdPeer.start({ address: "${address}", asn: 65010, neighbors: ${neighbors} });
         console.log(bird.pid);
         await new Promise(() => {});`,
      ],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    const orphanPid = Number((await reader.read()).value?.trim());
    try {
      child.kill("SIGKILL");
    } catch { /* it failed on its own; the assertion below says so */ }
    await child.status;
    await reader.cancel();
    assert.ok(orphanPid > 0 && (await processExists(orphanPid)), "the orphan BIRD runs on");

    const started = Date.now();
    await using bird = await BirdPeer.start({
      address,
      asn: 65010,
      neighbors: [{ address: SPARE_ADDRESSES[39]!, asn: 65011, passive: true }],
    });
    assert.ok(Date.now() - started < 10_000, "the orphan was reaped, not waited out");
    await pollUntil(
      "the orphan BIRD to exit",
      async () => (await processExists(orphanPid)) ? undefined : true,
      { timeoutMs: 5000 },
    );
    assert.equal(await bird.sessionState(SPARE_ADDRESSES[39]!), "active");
    // The new BIRD, not the orphan, holds the port now.
    assert.throws(() => Deno.listen({ hostname: address, port: 179 }), Deno.errors.AddrInUse);
  },
});
