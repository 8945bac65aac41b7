/** Runs `anycast demo --json` as a child process and checks what its peer saw. */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import type { DemoEvent, PeerEvent } from "../../../src/demo/mod.ts";
import { NEXT_HOP_V4, NEXT_HOP_V6, VIP_V4, VIP_V6 } from "../../../src/demo/mod.ts";

const MAIN_TS = fileURLToPath(new URL("../../../main.ts", import.meta.url));

export interface DemoRun {
  code: number;
  events: DemoEvent[];
  stderr: string;
  /** Every event, one JSON per line, for assertion messages. */
  transcript: string;
}

/** `anycast demo --json --pause 0 --drain-time 1000 ARGS`, bounded to two minutes. */
export async function runDemoJson(args: string[]): Promise<DemoRun> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN_TS, "demo", "--json", "--pause", "0", "--drain-time", "1000", ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000),
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const events = text.split("\n").filter((l) => l.trim() !== "").map((l) =>
    JSON.parse(l) as DemoEvent
  );
  return {
    code: out.code,
    events,
    stderr: new TextDecoder().decode(out.stderr),
    transcript: text,
  };
}

function processAlive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/**
 * Per VIP: announce, withdraw (unhealthy), announce (recovered), announce with
 * 65535:0 (drain), withdraw (drained), announce (undrain), then the shutdown:
 * 65535:0, withdraw. `fromWire`: the peer saw the Cease itself, after the withdraws.
 */
export async function assertDemoSaw(run: DemoRun, options: { fromWire: boolean }): Promise<void> {
  const { code, events, stderr, transcript } = run;
  const summary = events.find((e) => e.type === "summary");
  assert.ok(summary?.type === "summary", `no summary event; stderr: ${stderr}\n${transcript}`);
  assert.deepEqual(summary.failed, [], transcript);
  assert.equal(code, 0);

  const stream: PeerEvent[] = events.flatMap((e) => (e.type === "peer" ? [e.event] : []));
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
    ], `${vip}\n${transcript}`);
    const first = stream.find((e): e is Extract<PeerEvent, { type: "announce" }> =>
      e.type === "announce" && e.route.prefix === vip
    );
    assert.equal(first?.route.nextHop, nextHop);
    assert.deepEqual(first?.route.asPath, [64600]);
    assert.equal(first?.route.med, 10);
  }
  const sessionEnd = stream.findIndex((e) => e.type === "session" && e.from === "Established");
  assert.ok(sessionEnd > 0, "the session never closed");
  if (options.fromWire) {
    const ceaseAt = stream.findIndex((e) => e.type === "notification" && e.code === 6);
    assert.ok(ceaseAt > 0, "no Cease received");
    assert.ok(
      stream.findLastIndex((e) => e.type === "withdraw") < ceaseAt,
      "the shutdown withdraw came after the Cease",
    );
    const cease = stream[ceaseAt];
    assert.equal(
      cease?.type === "notification" ? cease.communication : undefined,
      "anycast daemon shutting down",
    );
  }

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
}

/**
 * Start `anycast demo --json` with long pauses, send SIGINT once `afterStep`
 * is reported, and return everything it printed until it exited.
 */
export async function interruptDemo(args: string[], afterStep: string): Promise<DemoRun> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN_TS, "demo", "--json", "--pause", "60000", ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const killer = setTimeout(() => child.kill("SIGKILL"), 120_000);
  const stderr = new Response(child.stderr).text();
  let transcript = "";
  const events: DemoEvent[] = [];
  let partial = "";
  let sent = false;
  for await (const text of child.stdout.pipeThrough(new TextDecoderStream())) {
    transcript += text;
    const lines = (partial + text).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines.filter((l) => l.trim() !== "")) {
      const event = JSON.parse(line) as DemoEvent;
      events.push(event);
      if (!sent && event.type === "step" && event.step === afterStep) {
        sent = true;
        child.kill("SIGINT");
      }
    }
  }
  const status = await child.status;
  clearTimeout(killer);
  return { code: status.code, events, stderr: await stderr, transcript };
}
