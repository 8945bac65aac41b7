/**
 * End to end: `anycast demo --json` as a child process, on its own loopback
 * addresses (127.0.0.91/92), so it runs beside the other unit tests.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import type { DemoEvent, ObservedRoute, PeerEvent } from "../../../src/demo/mod.ts";
import {
  createView,
  demoConfig,
  formatTable,
  NEXT_HOP_V4,
  NEXT_HOP_V6,
  VIP_V4,
  VIP_V6,
} from "../../../src/demo/mod.ts";
import { formatConfigError, parseConfig } from "../../../src/config/mod.ts";

const MAIN_TS = fileURLToPath(new URL("../../../main.ts", import.meta.url));

async function runDemoJson(): Promise<{ code: number; events: DemoEvent[]; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      MAIN_TS,
      "demo",
      "--json",
      "--pause",
      "0",
      "--drain-time",
      "1000",
      "--daemon-address",
      "127.0.0.91",
      "--observer-address",
      "127.0.0.92",
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000),
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const events = text.split("\n").filter((l) => l.trim() !== "").map((l) =>
    JSON.parse(l) as DemoEvent
  );
  return { code: out.code, events, stderr: new TextDecoder().decode(out.stderr) };
}

function peerEvents(events: DemoEvent[]): PeerEvent[] {
  return events.flatMap((e) => (e.type === "peer" ? [e.event] : []));
}

function processAlive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

Deno.test({
  name: "anycast demo --json: observer sees announce, withdraw, re-announce, drain, stop",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const { code, events, stderr } = await runDemoJson();
    const summary = events.find((e) => e.type === "summary");
    assert.ok(summary, `no summary event; stderr: ${stderr}`);
    assert.deepEqual(
      summary.type === "summary" ? summary.failed : [],
      [],
      events.map((e) => JSON.stringify(e)).join("\n"),
    );
    assert.equal(code, 0);

    // The observer's UPDATE stream, per VIP: announce, withdraw (unhealthy), announce,
    // announce with 65535:0 (drain), withdraw, announce (undrain), then the shutdown:
    // announce with 65535:0, withdraw, and the Cease after it.
    const stream = peerEvents(events);
    for (const [vip, nextHop] of [[VIP_V4, NEXT_HOP_V4], [VIP_V6, NEXT_HOP_V6]] as const) {
      const mine = stream.flatMap((e) => {
        if (e.type === "announce" && e.route.prefix === vip) {
          return [e.route.communities.includes("65535:0") ? "drain" : "announce"];
        }
        if (e.type === "withdraw" && e.prefix === vip) return ["withdraw"];
        return [];
      });
      assert.deepEqual(mine, [
        "announce",
        "withdraw",
        "announce",
        "drain",
        "withdraw",
        "announce",
        "drain",
        "withdraw",
      ], vip);
      const first = stream.find((e): e is Extract<PeerEvent, { type: "announce" }> =>
        e.type === "announce" && e.route.prefix === vip
      );
      assert.equal(first?.route.nextHop, nextHop);
      assert.deepEqual(first?.route.asPath, [64600]);
      assert.equal(first?.route.med, 10);
    }
    const ceaseAt = stream.findIndex((e) => e.type === "notification" && e.code === 6);
    assert.ok(ceaseAt > 0, "no Cease received");
    const lastWithdraw = stream.findLastIndex((e) => e.type === "withdraw");
    assert.ok(lastWithdraw < ceaseAt, "the shutdown withdraw came after the Cease");
    const cease = stream[ceaseAt];
    assert.equal(
      cease?.type === "notification" ? cease.communication : undefined,
      "anycast daemon shutting down",
    );

    // The drain step's table showed the graceful-shutdown community on both VIPs.
    const tables = events.flatMap((e) => (e.type === "table" ? [e.routes] : []));
    assert.ok(
      tables.some((t) =>
        [VIP_V4, VIP_V6].every((p) =>
          t.some((r) => r.prefix === p && r.communities.includes("65535:0"))
        )
      ),
    );

    // Nothing left behind.
    const cleanup = events.find((e) => e.type === "cleanup");
    assert.ok(cleanup?.type === "cleanup");
    assert.equal(cleanup.daemonExited, true);
    assert.equal(cleanup.tempDirRemoved, true);
    assert.ok(cleanup.daemonPid !== undefined && !processAlive(cleanup.daemonPid));
    await assert.rejects(Deno.stat(cleanup.tempDir), Deno.errors.NotFound);
  },
});

Deno.test("demoConfig() is a valid config with both VIPs, their probes and drain time", () => {
  const text = demoConfig({
    socket: "/tmp/x/anycast.sock",
    daemonAddress: "127.0.0.91",
    peerAddress: "127.0.0.92",
    peerPort: 17991,
    servicePort: 8080,
    probePeriodMs: 500,
    drainMs: 3000,
  });
  const loaded = parseConfig(text, "demo.yaml");
  assert.ok(loaded.ok, loaded.ok ? "" : loaded.errors.map(formatConfigError).join("\n"));
  const config = loaded.config;
  assert.deepEqual(config.prefixes.map((p) => [p.prefix, p.nextHop, p.drainMs]), [
    [VIP_V4, NEXT_HOP_V4, 3000],
    [VIP_V6, NEXT_HOP_V6, 3000],
  ]);
  assert.equal(config.prefixes[0]?.readinessProbe?.periodMs, 500);
  assert.equal(config.prefixes[0]?.readinessProbe?.failureThreshold, 2);
  assert.deepEqual(config.neighbors[0]?.families, ["ipv4-unicast", "ipv6-unicast"]);
  assert.equal(config.neighbors[0]?.localAddress, "127.0.0.91");
  assert.equal(config.neighbors[0]?.port, 17991);
});

Deno.test("formatTable() marks 65535:0 as graceful-shutdown and aligns columns", () => {
  const routes: ObservedRoute[] = [
    {
      prefix: VIP_V4,
      family: "ipv4-unicast",
      nextHop: NEXT_HOP_V4,
      asPath: [64600],
      med: 10,
      communities: ["64600:100", "65535:0"],
      largeCommunities: [],
    },
    { prefix: VIP_V6, family: "ipv6-unicast", asPath: [], communities: [], largeCommunities: [] },
  ];
  assert.equal(
    formatTable(routes),
    [
      "  Prefix                Next hop      AS path  MED  Communities",
      "  198.51.100.10/32      203.0.113.10  64600    10   64600:100 65535:0 (graceful-shutdown)",
      "  2001:db8:100::10/128  -             -        -    -",
      "",
    ].join("\n"),
  );
  assert.equal(formatTable([]), "  (no routes)\n");
});

Deno.test("createView('live') keeps the table current from the peer's UPDATEs", () => {
  const screens: string[] = [];
  const show = createView("live", (t) => void screens.push(t));
  const route: ObservedRoute = {
    prefix: VIP_V4,
    family: "ipv4-unicast",
    nextHop: NEXT_HOP_V4,
    asPath: [64600],
    communities: [],
    largeCommunities: [],
  };
  show({ t: 0, type: "peer", event: { type: "announce", route } });
  assert.ok(screens.at(-1)!.startsWith("\x1b[H\x1b[2J"), "screen not cleared");
  assert.match(screens.at(-1)!, /198\.51\.100\.10\/32 +203\.0\.113\.10/);
  show({ t: 10, type: "peer", event: { type: "withdraw", prefix: VIP_V4 } });
  assert.match(screens.at(-1)!, /\(no routes\)/);
  assert.match(screens.at(-1)!, /- UPDATE withdraw 198\.51\.100\.10\/32/);
});
