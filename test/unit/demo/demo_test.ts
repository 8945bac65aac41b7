/**
 * End to end: `anycast demo --json` as a child process, on its own loopback
 * addresses (127.0.0.91/92), so it runs beside the other unit tests.
 */
import assert from "node:assert/strict";
import type { ObservedRoute } from "../../../src/demo/mod.ts";
import { assertDemoSaw, interruptDemo, runDemoJson } from "./_run.ts";
import { runCli } from "../../../src/cli/mod.ts";
import { captureCli } from "../cli/_capture.ts";
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

Deno.test({
  name: "anycast demo --json: observer sees announce, withdraw, re-announce, drain, stop",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const run = await runDemoJson([
      "--daemon-address",
      "127.0.0.91",
      "--observer-address",
      "127.0.0.92",
    ]);
    await assertDemoSaw(run, { fromWire: true });
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
  assert.match(screens.at(-1)!, /- withdraw 198\.51\.100\.10\/32/);
});

Deno.test({
  name: "anycast demo stops on SIGINT mid-way and leaves nothing running",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const run = await interruptDemo(
      ["--daemon-address", "127.0.0.95", "--observer-address", "127.0.0.96"],
      "announce",
    );
    const summary = run.events.find((e) => e.type === "summary");
    assert.ok(summary?.type === "summary", run.transcript + run.stderr);
    assert.deepEqual(summary.failed, ["interrupted"]);
    assert.equal(run.code, 1);
    // It did not go on to the next steps.
    assert.ok(!run.events.some((e) => e.type === "step" && e.step === "withdraw"));
    const cleanup = run.events.find((e) => e.type === "cleanup");
    assert.ok(cleanup?.type === "cleanup");
    assert.equal(cleanup.daemonExited, true);
    assert.equal(cleanup.tempDirRemoved, true);
    assert.ok(cleanup.daemonPid !== undefined);
    await assert.rejects(Deno.stat(`/proc/${cleanup.daemonPid}`), Deno.errors.NotFound);
    await assert.rejects(Deno.stat(cleanup.tempDir), Deno.errors.NotFound);
  },
});

Deno.test("anycast demo refuses addresses off loopback and bad durations (exit 2)", async () => {
  for (
    const [args, message] of [
      [["--daemon-address", "192.0.2.1"], /--daemon-address must be an address in 127\.0\.0\.0\/8/],
      [["--observer-address", "127.0.0.300"], /--observer-address must be an address in 127/],
      [["--pause", "soon"], /--pause expects an integer >= 0 \(milliseconds\), got "soon"/],
      [["--peer", "quagga"], /argument 'quagga' is invalid/],
    ] as const
  ) {
    const io = captureCli();
    assert.equal(await runCli(["demo", ...args], io.ctx), 2, args.join(" "));
    assert.match(io.stderr(), message);
  }
});
