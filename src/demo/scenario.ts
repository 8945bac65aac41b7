/**
 * The demo scenario: start a service, an observer and `anycast run` (as a
 * child process), then make the service fail and recover, drain it through
 * the control API, and stop the daemon, checking at every step what the
 * observer's table holds. Everything it starts is stopped, and its temp dir
 * removed, however it ends (done, failed step, or Ctrl-C).
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { DemoService } from "./service.ts";
import { GRACEFUL_SHUTDOWN, RouteObserver } from "./observer.ts";
import type { DemoEventBody, DemoPeer, ObservedRoute, PeerEvent } from "./types.ts";

export interface DemoOptions {
  /** Address of the daemon (and the service): default 127.0.0.61. */
  daemonAddress?: string;
  /** Address of the observer: default 127.0.0.62. */
  observerAddress?: string;
  /** Observer TCP port; default a free one. */
  observerPort?: number;
  /** Pause between steps so a human can follow, ms (default 2000; the CLI uses 4000). */
  pauseMs?: number;
  /** Readiness probe period, ms (default 500). */
  probePeriodMs?: number;
  /** RFC 8326 drain time of the VIPs, ms (default 3000). */
  drainMs?: number;
  /** Build the route receiver (default our observer); `--peer bird` etc. plug in here. */
  peer?: (addresses: PeerAddresses) => DemoPeer | Promise<DemoPeer>;
  signal?: AbortSignal;
}

export interface PeerAddresses {
  daemonAddress: string;
  daemonAsn: number;
  peerAddress: string;
  peerPort: number;
  peerAsn: number;
}

export const DAEMON_ASN = 64600;
export const PEER_ASN = 65100;
export const VIP_V4 = "198.51.100.10/32";
export const VIP_V6 = "2001:db8:100::10/128";
/** Documentation next hops: GoBGP and FRR refuse 127/8 ones (src/lab/README.md). */
export const NEXT_HOP_V4 = "203.0.113.10";
export const NEXT_HOP_V6 = "2001:db8::10";
const VIPS = [VIP_V4, VIP_V6];

const MAIN_TS = fileURLToPath(new URL("../../main.ts", import.meta.url));

/** The daemon's config for the demo (native dialect). */
export function demoConfig(o: {
  socket: string;
  daemonAddress: string;
  peerAddress: string;
  peerPort: number;
  servicePort: number;
  probePeriodMs: number;
  drainMs: number;
}): string {
  const probe = (indent: string) =>
    [
      `readinessProbe:`,
      `  periodSeconds: ${o.probePeriodMs}ms`,
      `  timeoutSeconds: ${Math.max(100, Math.floor(o.probePeriodMs * 0.8))}ms`,
      `  failureThreshold: 2`,
      `  successThreshold: 2`,
      `  http:`,
      `    host: "${o.daemonAddress}"`,
      `    port: ${o.servicePort}`,
      `    path: /health`,
      `    expectedStatus: [200]`,
    ].map((l) => indent + l).join("\n");
  return `# Written by \`anycast demo\`: one service, two VIPs, one peer on loopback.
logging:
  driver: stderr
  level: info
speaker:
  asn: ${DAEMON_ASN}
  routerId: "10.255.0.1"
  listenPort: 0
api:
  socket: "${o.socket}"
neighbors:
  - name: observer
    address: "${o.peerAddress}"
    asn: ${PEER_ASN}
    port: ${o.peerPort}
    localAddress: "${o.daemonAddress}"
    connectRetry: 1s
    families: [ipv4-unicast, ipv6-unicast]
prefixes:
  - name: web-v4
    ipAddress: "${VIP_V4}"
    nextHop: "${NEXT_HOP_V4}"
    communities: ["${DAEMON_ASN}:100"]
    med: 10
    drainTime: ${o.drainMs}ms
${probe("    ")}
  - name: web-v6
    ipAddress: "${VIP_V6}"
    nextHop: "${NEXT_HOP_V6}"
    communities: ["${DAEMON_ASN}:100"]
    med: 10
    drainTime: ${o.drainMs}ms
${probe("    ")}
`;
}

/** A port nobody listens on at `hostname` right now. */
function freePort(hostname: string): number {
  const l = Deno.listen({ hostname, port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

class Aborted extends Error {
  override name = "Aborted";
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Aborted("interrupted"));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Aborted("interrupted"));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Poll `ok` every 50 ms until it holds (true) or `timeoutMs` passes (false). */
async function waitFor(
  ok: () => boolean | Promise<boolean>,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await ok()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(50, signal);
  }
}

async function pumpLines(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): Promise<string> {
  let all = "";
  let partial = "";
  for await (const text of stream.pipeThrough(new TextDecoderStream())) {
    all += text;
    const lines = (partial + text).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) if (line.trim() !== "") onLine(line);
  }
  if (partial.trim() !== "") onLine(partial);
  return all;
}

const has = (routes: ObservedRoute[], prefix: string) => routes.some((r) => r.prefix === prefix);
const draining = (r: ObservedRoute) => r.communities.includes(GRACEFUL_SHUTDOWN);

/**
 * Run the scenario; `emit` gets every event (the live view and `--json` print
 * them). Resolves true when every step saw what it should.
 */
export async function runDemo(
  options: DemoOptions,
  emit: (event: DemoEventBody) => void,
): Promise<boolean> {
  const signal = options.signal;
  const daemonAddress = options.daemonAddress ?? "127.0.0.61";
  const peerAddress = options.observerAddress ?? "127.0.0.62";
  const pauseMs = options.pauseMs ?? 2000;
  const probePeriodMs = options.probePeriodMs ?? 500;
  const drainMs = options.drainMs ?? 3000;
  const failed: string[] = [];
  const narrate = (text: string) => emit({ type: "narrate", text });
  const step = (name: string, ok: boolean, detail: string) => {
    if (!ok) failed.push(name);
    emit({ type: "step", step: name, ok, detail });
  };
  const pause = () => sleep(pauseMs, signal);

  const tempDir = await Deno.makeTempDir({ prefix: "anycast-demo-" });
  const socket = `${tempDir}/anycast.sock`;
  let service: DemoService | undefined;
  let peer: DemoPeer | undefined;
  let daemon: Deno.ChildProcess | undefined;
  let daemonExited = false;
  let daemonOutput: Promise<unknown> = Promise.resolve();
  const commands = new Set<Deno.ChildProcess>();
  const peerEvents: PeerEvent[] = [];

  /** Run `anycast ARGS` (this checkout's main.ts) and report it. */
  const anycast = async (args: string[]): Promise<number> => {
    const argv = ["anycast", ...args];
    narrate(`$ ${argv.join(" ")}`);
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN_TS, ...args],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    commands.add(child);
    try {
      const out = await child.output();
      const output = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      emit({ type: "command", argv, exitCode: out.code, output: output.trimEnd() });
      return out.code;
    } finally {
      commands.delete(child);
    }
  };

  const table = () => peer?.table() ?? Promise.resolve([]);
  const vipsPresent = async (ok: (r: ObservedRoute) => boolean = () => true) => {
    const routes = await table();
    return VIPS.every((p) => routes.some((r) => r.prefix === p && ok(r)));
  };
  const vipsAbsent = async () => {
    const routes = await table();
    return VIPS.every((p) => !has(routes, p));
  };
  const showTable = async () => emit({ type: "table", routes: await table() });

  try {
    service = DemoService.start(daemonAddress);
    const peerPort = options.observerPort ?? freePort(peerAddress);
    const addresses: PeerAddresses = {
      daemonAddress,
      daemonAsn: DAEMON_ASN,
      peerAddress,
      peerPort,
      peerAsn: PEER_ASN,
    };
    peer = options.peer ? await options.peer(addresses) : new RouteObserver({
      address: peerAddress,
      port: peerPort,
      asn: PEER_ASN,
      daemonAddress,
      daemonAsn: DAEMON_ASN,
    });
    peer.onEvent((event) => {
      peerEvents.push(event);
      emit({ type: "peer", event });
    });
    emit({ type: "start", tempDir, socket, peer: peer.kind, prefixes: VIPS });
    narrate(
      `A web service answers on http://${daemonAddress}:${service.port}/ (health: /health). ` +
        `The ${peer.kind} (AS ${PEER_ASN}) waits on ${peerAddress}:${peerPort}.`,
    );
    await peer.start();

    const configPath = `${tempDir}/anycast.yaml`;
    await Deno.writeTextFile(
      configPath,
      demoConfig({
        socket,
        daemonAddress,
        peerAddress,
        peerPort,
        servicePort: service.port,
        probePeriodMs,
        drainMs,
      }),
    );
    narrate(
      `Starting \`anycast run --config ${configPath}\` (AS ${DAEMON_ASN}, ${daemonAddress}): ` +
        `it announces ${VIP_V4} and ${VIP_V6} while the service's /health answers 200.`,
    );
    daemon = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN_TS, "run", "--config", configPath],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const running = daemon;
    emit({ type: "daemon", pid: running.pid });
    daemonOutput = Promise.all([
      pumpLines(running.stdout, (line) => emit({ type: "log", line })),
      pumpLines(running.stderr, (line) => emit({ type: "log", line })),
    ]).catch(() => {});
    running.status.then(() => (daemonExited = true));

    // 1. Healthy: both VIPs appear.
    // A daemon that exits at once (bad config, address in use) ends the wait early.
    let ok = await waitFor(async () => daemonExited || await vipsPresent(), 30_000, signal) &&
      !daemonExited;
    await showTable();
    step(
      "announce",
      ok,
      ok
        ? "both VIPs announced"
        : daemonExited
        ? `anycast run exited with code ${(await running.status).code}`
        : "VIPs not announced within 30 s",
    );
    if (daemonExited) throw new Error("anycast run is not running (see its log above)");
    await pause();

    // 2. The service fails: after failureThreshold probes the daemon withdraws.
    narrate(
      "The service starts failing: /health answers 503. After 2 failed probes the " +
        "daemon withdraws both VIPs.",
    );
    service.healthy = false;
    ok = await waitFor(vipsAbsent, probePeriodMs * 4 + 8_000, signal);
    await showTable();
    step("withdraw", ok, ok ? "both VIPs withdrawn" : "VIPs still announced while unhealthy");
    await pause();

    // 3. It recovers: after successThreshold probes, announced again.
    narrate(
      "The service recovers: /health answers 200 again. After 2 good probes the VIPs " +
        "come back.",
    );
    service.healthy = true;
    ok = await waitFor(() => vipsPresent(), probePeriodMs * 4 + 8_000, signal);
    await showTable();
    step("re-announce", ok, ok ? "both VIPs announced again" : "VIPs not re-announced");
    await pause();

    // 4. Drain (RFC 8326): GRACEFUL_SHUTDOWN first, withdraw drainMs later.
    narrate(
      `Draining through the control API: the VIPs are re-announced with ` +
        `${GRACEFUL_SHUTDOWN} (graceful-shutdown), then withdrawn ${drainMs} ms later.`,
    );
    const drainExit = await anycast(["announce", "--drain", "--all", "--socket", socket]);
    ok = drainExit === 0 && await waitFor(() => vipsPresent(draining), 8_000, signal);
    await showTable();
    step(
      "drain",
      ok,
      ok
        ? `both VIPs carry ${GRACEFUL_SHUTDOWN}`
        : drainExit !== 0
        ? `anycast announce --drain exited ${drainExit}`
        : `no ${GRACEFUL_SHUTDOWN} on the VIPs`,
    );
    ok = drainExit === 0 && await waitFor(vipsAbsent, drainMs + 8_000, signal);
    await showTable();
    step("drain-withdraw", ok, ok ? "withdrawn after the drain time" : "not withdrawn");
    await pause();

    narrate("Undrain: the VIPs return to what their health says (healthy: announced).");
    const undrainExit = await anycast(["announce", "--undrain", "--all", "--socket", socket]);
    ok = undrainExit === 0 &&
      await waitFor(() => vipsPresent((r) => !draining(r)), 8_000, signal);
    await showTable();
    step("undrain", ok, ok ? "both VIPs announced, no 65535:0" : "VIPs not back after undrain");
    await pause();

    // 5. SIGTERM: withdraw (after a drain) and Cease with a shutdown communication (RFC 9003).
    narrate(
      "Stopping the daemon with SIGTERM: it drains, withdraws, and closes the session " +
        "with a Cease.",
    );
    const stopFrom = peerEvents.length;
    running.kill("SIGTERM");
    const exited = await waitFor(() => daemonExited, drainMs + 15_000, signal);
    // The observer may read the last bytes just after the process is gone.
    await waitFor(
      () =>
        peerEvents.slice(stopFrom).some((e) => e.type === "session" && e.from === "Established"),
      3_000,
      signal,
    );
    await showTable();
    const afterStop = peerEvents.slice(stopFrom);
    const sessionEnd = afterStop.findIndex((e) => e.type === "session" && e.from === "Established");
    if (peer.seesNotifications) {
      const ceaseAt = afterStop.findIndex((e) => e.type === "notification" && e.code === 6);
      const before = ceaseAt === -1 ? afterStop : afterStop.slice(0, ceaseAt);
      const withdrawn = VIPS.filter((p) =>
        before.some((e) => e.type === "withdraw" && e.prefix === p)
      );
      step(
        "stop-withdraw",
        withdrawn.length === VIPS.length,
        `withdrawn before the Cease: ${withdrawn.join(", ") || "none"}`,
      );
      const cease = ceaseAt === -1 ? undefined : afterStop[ceaseAt];
      step(
        "stop-cease",
        cease !== undefined,
        cease?.type === "notification"
          ? `Cease subcode ${cease.subcode}${
            cease.communication ? ` "${cease.communication}"` : ""
          }`
          : "no Cease received",
      );
    } else {
      // A polled daemon: the withdraw and the session's end may fall in one poll.
      const gone = await vipsAbsent();
      step("stop-withdraw", gone, gone ? "both VIPs gone" : "VIPs still in the table");
      step(
        "stop-cease",
        sessionEnd !== -1,
        sessionEnd !== -1 ? `session closed (${peer.kind} reports no NOTIFICATION)` : "still up",
      );
    }
    step("daemon-exit", exited, exited ? "anycast run exited" : "anycast run did not exit");
  } catch (e) {
    if (e instanceof Aborted) {
      failed.push("interrupted");
      narrate("Interrupted: cleaning up.");
    } else {
      failed.push("error");
      narrate(`Demo failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  } finally {
    for (const c of commands) {
      try {
        c.kill("SIGKILL");
      } catch { /* already gone */ }
    }
    if (daemon && !daemonExited) {
      try {
        daemon.kill("SIGTERM");
      } catch { /* already gone */ }
      const gone = await Promise.race([
        daemon.status.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), drainMs + 5_000)),
      ]);
      if (!gone) {
        try {
          daemon.kill("SIGKILL");
        } catch { /* already gone */ }
      }
      await daemon.status;
      daemonExited = true;
    }
    await daemonOutput;
    await peer?.stop().catch(() => {});
    await service?.stop().catch(() => {});
    let tempDirRemoved = false;
    try {
      await Deno.remove(tempDir, { recursive: true });
      tempDirRemoved = true;
    } catch { /* reported below */ }
    emit({
      type: "cleanup",
      ...(daemon ? { daemonPid: daemon.pid } : {}),
      daemonExited,
      tempDir,
      tempDirRemoved,
    });
    emit({ type: "summary", ok: failed.length === 0, failed });
  }
  return failed.length === 0;
}
