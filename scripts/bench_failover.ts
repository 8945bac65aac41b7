/**
 * Failover benchmark of `anycast run` against a real BIRD 2 on loopback
 * (bounded: a fixed number of trials, stops by itself, kills what it starts).
 *
 * One HTTP health endpoint (Deno.serve in this process) gates two prefixes:
 * ours (`anycast run`, readinessProbe period 1 s, failureThreshold 1) and
 * ExaBGP's (`python3 -m exabgp healthcheck --cmd "curl -sf URL" --interval 1
 * --fall 1 --rise 1` as an ExaBGP process), both announced to the same BIRD.
 *
 * Per trial: t0 = the endpoint starts failing; t1 = the prefix is gone from
 * BIRD's table, polled over BIRD's control socket every ~1 ms (a `show route
 * for P` round trip takes well under 1 ms). t1 - t0 is dominated by where t0
 * falls in the 1 s probe period, so also, phase-free: the endpoint records the
 * arrival of every request (each tool probes its own path), and t1 - the arrival
 * of the tool's first request answered 503 = detection + decision +
 * propagation, what each tool controls (ExaBGP's healthcheck spawns curl per
 * probe, ours uses an in-process HTTP client). All three instants are this
 * process's performance.now(). Also: decision -> BIRD, from the
 * timestamp of our daemon's "up -> down" log line (its own wall clock, ms
 * resolution) to t1 on the same clock. And the idle RSS of `anycast run` with 10 prefixes and 2
 * peers (BIRD and GoBGP), from /proc/PID/status after 5 s idle.
 *
 * With `--kill` (see mainKill): the service process is SIGKILLed instead,
 * and four mechanisms are timed side by side against one BIRD: our process
 * watch (pidfd), our TCP connection watch, our plain TCP probe at 1 s, and
 * ExaBGP healthcheck at --interval 1.
 *
 * `--idle-close MINUTES`: zero withdraws while a healthy service closes idle
 * connections every 3 s (tcp watch). `--cpu SECONDS`: CPU of 100 watched
 * processes vs 100 TCP probes at 1 s vs 100 probes with watch. Neither
 * starts a BGP peer (nothing binds a fixed address; no lock needed).
 *
 * Usage: `deno task bench:failover [--trials 20] [--kill [--trials 50] [--warmup 2]]`
 *        `deno task bench:failover --idle-close 10` | `--cpu 60`
 *
 * @module
 */
import { BirdPeer, GoBgpPeer, NEXT_HOP_V4, SPARE_ADDRESSES } from "../src/lab/mod.ts";

function flag(name: string, fallback: string): string {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Deno.args[i + 1] ?? fallback : fallback;
}

const TRIALS = Number(flag("trials", Deno.args.includes("--kill") ? "50" : "20"));
/** --kill: untimed kills before the timed trials. */
const WARMUP = Number(flag("warmup", "2"));
// Addresses: our daemon .27, ExaBGP .28, BIRD .29, GoBGP .30 (unused by the test suites).
const OURS = SPARE_ADDRESSES[17]!;
const EXA = SPARE_ADDRESSES[18]!;
const BIRD = SPARE_ADDRESSES[19]!;
const GOBGP = SPARE_ADDRESSES[20]!;
const BIRD_ASN = 65002;
const EXA_ASN = 65006;
const GOBGP_ASN = 65001;
const OUR_PREFIX = "198.51.100.90/32";
const EXA_PREFIX = "198.51.100.91/32";
// Each tool probes its own path, so the endpoint can tell their requests apart.
const OUR_PATH = "/health/anycast";
const EXA_PATH = "/health/exabgp";
const MAIN = new URL("../main.ts", import.meta.url).pathname;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** BIRD's control socket, kept open: one `show route for` per poll. */
class BirdControl {
  #conn: Deno.UnixConn;
  #buffer = "";
  #decoder = new TextDecoder();

  private constructor(conn: Deno.UnixConn) {
    this.#conn = conn;
  }

  static async open(path: string): Promise<BirdControl> {
    const c = new BirdControl(await Deno.connect({ transport: "unix", path }));
    await c.#reply(); // "0001 BIRD 2.x ready."
    return c;
  }

  /** Read up to the reply's last line ("dddd text", no dash). */
  async #reply(): Promise<string> {
    const buf = new Uint8Array(65536);
    for (;;) {
      const m = /(^|\n)\d{4} [^\n]*\n/.exec(this.#buffer);
      if (m) {
        const end = m.index + m[0].length;
        const reply = this.#buffer.slice(0, end);
        this.#buffer = this.#buffer.slice(end);
        return reply;
      }
      const n = await this.#conn.read(buf);
      if (n === null) throw new Error("BIRD closed its control socket");
      this.#buffer += this.#decoder.decode(buf.subarray(0, n), { stream: true });
    }
  }

  async hasRoute(prefix: string): Promise<boolean> {
    await this.#conn.write(new TextEncoder().encode(`show route for ${prefix}\n`));
    return /(^|\n)1007[- ]/.test(await this.#reply());
  }

  close(): void {
    this.#conn.close();
  }
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

function summary(name: string, values: number[]): string {
  return `${name}: n=${values.length} p50 ${percentile(values, 50).toFixed(1)} ms, ` +
    `p99 ${percentile(values, 99).toFixed(1)} ms, min ${Math.min(...values).toFixed(1)} ms, ` +
    `max ${Math.max(...values).toFixed(1)} ms`;
}

async function rssMb(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

async function main(): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "anycast-bench-failover-" });
  let healthy = true;
  // Arrival (performance.now()) of each request answered 503, per path; the
  // handler is synchronous, so arrival and answer are the same instant.
  const failingSeen = new Map<string, number[]>([[OUR_PATH, []], [EXA_PATH, []]]);
  const health = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) => {
      const arrived = performance.now();
      if (!healthy) failingSeen.get(new URL(request.url).pathname)?.push(arrived);
      return new Response(healthy ? "ok\n" : "failing\n", { status: healthy ? 200 : 503 });
    },
  );
  const url = `http://127.0.0.1:${health.addr.port}${EXA_PATH}`;
  /** First request on `path` answered 503 at or after t0. */
  const firstFailingSeen = (path: string, t0: number): number | undefined =>
    failingSeen.get(path)?.find((t) => t >= t0);
  const bird = await BirdPeer.start({
    address: BIRD,
    asn: BIRD_ASN,
    neighbors: [{ address: OURS, asn: 64600, holdTime: 9 }, {
      address: EXA,
      asn: EXA_ASN,
      holdTime: 9,
    }],
  });
  const gobgp = await GoBgpPeer.start({
    address: GOBGP,
    asn: GOBGP_ASN,
    neighbors: [{ address: OURS, asn: 64600, holdTime: 9, multihop: true }],
  });
  let ours: Deno.ChildProcess | undefined;
  let exa: Deno.ChildProcess | undefined;
  let control: BirdControl | undefined;
  try {
    // Our daemon: 1 gated prefix + 9 static ones, BIRD and GoBGP as peers.
    const statics = Array.from({ length: 9 }, (_, i) => [
      `  - ipAddress: "198.51.100.${100 + i}/32"`,
      `    nextHop: "${NEXT_HOP_V4}"`,
    ]).flat();
    await Deno.writeTextFile(
      `${dir}/config.yaml`,
      [
        "speaker:",
        "  asn: 64600",
        `  routerId: "${OURS}"`,
        "  listenPort: 0",
        "api:",
        `  socket: "${dir}/anycast.sock"`,
        "neighbors:",
        `  - address: "${BIRD}"`,
        `    asn: ${BIRD_ASN}`,
        `    localAddress: "${OURS}"`,
        "    holdTime: 9s",
        `  - address: "${GOBGP}"`,
        `    asn: ${GOBGP_ASN}`,
        `    localAddress: "${OURS}"`,
        "    holdTime: 9s",
        "prefixes:",
        `  - ipAddress: "${OUR_PREFIX}"`,
        `    nextHop: "${NEXT_HOP_V4}"`,
        "    readinessProbe:",
        "      periodSeconds: 1s",
        "      timeoutSeconds: 500ms",
        "      failureThreshold: 1",
        "      successThreshold: 1",
        "      http:",
        `        port: ${health.addr.port}`,
        `        path: ${OUR_PATH}`,
        ...statics,
        "",
      ].join("\n"),
    );
    ours = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, "run", "--config", `${dir}/config.yaml`],
      env: { LOG_LEVEL: "info" },
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    // Wall-clock time of each "up -> down" decision, from the daemon's own log timestamp
    // (ms resolution; logged synchronously right after the decision is handed on).
    const decisions: number[] = [];
    let ourLog = "";
    void (async () => {
      const decoder = new TextDecoder();
      let partial = "";
      for await (const chunk of ours!.stderr) {
        const text = partial + decoder.decode(chunk, { stream: true });
        const lines = text.split("\n");
        partial = lines.pop() ?? "";
        ourLog = (ourLog + text).slice(-20_000);
        for (const line of lines) {
          if (!line.includes(`prefix ${OUR_PREFIX}: up -> down`)) continue;
          const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d\.\d{3}) ([+-]\d\d:\d\d)/.exec(line);
          if (m) decisions.push(Date.parse(`${m[1]}T${m[2]}${m[3]}`));
        }
      }
    })();

    // ExaBGP with its healthcheck as a process.
    await Deno.writeTextFile(
      `${dir}/healthcheck.sh`,
      `exec /usr/bin/python3 -m exabgp healthcheck --cmd "curl -sf ${url}" --interval 1 ` +
        `--fast-interval 1 --fall 1 --rise 1 --timeout 1 --ip ${EXA_PREFIX} --no-ip-setup ` +
        `--next-hop ${NEXT_HOP_V4} --withdraw-on-down --no-syslog\n`,
    );
    await Deno.writeTextFile(
      `${dir}/exabgp.conf`,
      [
        "process healthcheck {",
        `  run /bin/sh ${dir}/healthcheck.sh;`,
        "  encoder text;",
        "}",
        `neighbor ${BIRD} {`,
        `  router-id ${EXA};`,
        `  local-address ${EXA};`,
        `  local-as ${EXA_ASN};`,
        `  peer-as ${BIRD_ASN};`,
        "  hold-time 9;",
        "  family { ipv4 unicast; }",
        "  api { processes [ healthcheck ]; }",
        "}",
        "",
      ].join("\n"),
    );
    exa = new Deno.Command("env", {
      args: [
        "exabgp.daemon.user=root",
        `exabgp.tcp.bind=${EXA}`,
        "exabgp.tcp.port=179",
        "exabgp.api.cli=false",
        `exabgp.log.destination=${dir}/exabgp.log`,
        `exabgp.daemon.pid=${dir}/exabgp.pid`,
        "exabgp.tcp.delay=0",
        "exabgp",
        `${dir}/exabgp.conf`,
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();

    control = await BirdControl.open(`${bird.workDir}/bird.ctl`);
    const waitFor = async (what: string, cond: () => Promise<boolean>, timeoutMs = 60_000) => {
      const end = Date.now() + timeoutMs;
      while (!(await cond())) {
        if (Date.now() > end) {
          const exaLog = await Deno.readTextFile(`${dir}/exabgp.log`).catch(() => "");
          throw new Error(
            `timed out waiting for ${what}\nours:\n${ourLog.slice(-1500)}\nexabgp:\n${
              exaLog.slice(-3000)
            }\nbird:\n${await bird.birdc("show", "route", "all")}`,
          );
        }
        await sleep(20);
      }
    };
    await waitFor(
      "both prefixes at BIRD",
      async () => (await control!.hasRoute(OUR_PREFIX)) && (await control!.hasRoute(EXA_PREFIX)),
    );
    await gobgp.waitEstablished(OURS, 60_000);

    // Idle RSS with 10 prefixes and 2 peers Established.
    await sleep(5000);
    const rss = await rssMb(ours.pid);

    const oursMs: number[] = [];
    const exaMs: number[] = [];
    const oursSeenMs: number[] = [];
    const exaSeenMs: number[] = [];
    const decisionMs: number[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      healthy = true;
      await waitFor(
        "both prefixes back",
        async () => (await control!.hasRoute(OUR_PREFIX)) && (await control!.hasRoute(EXA_PREFIX)),
      );
      // A random phase relative to both probe schedules.
      await sleep(200 + Math.random() * 1000);
      const decisionsBefore = decisions.length;
      healthy = false;
      const t0 = performance.now();
      let oursGone: number | undefined;
      let oursGoneWall = 0;
      let exaGone: number | undefined;
      while (oursGone === undefined || exaGone === undefined) {
        const now = performance.now();
        if (now - t0 > 30_000) throw new Error(`trial ${trial}: no withdraw within 30 s`);
        if (oursGone === undefined && !(await control.hasRoute(OUR_PREFIX))) {
          oursGone = performance.now();
          oursGoneWall = Date.now();
        }
        if (exaGone === undefined && !(await control.hasRoute(EXA_PREFIX))) {
          exaGone = performance.now();
        }
        await sleep(1);
      }
      oursMs.push(oursGone - t0);
      exaMs.push(exaGone - t0);
      const oursSeen = firstFailingSeen(OUR_PATH, t0);
      const exaSeen = firstFailingSeen(EXA_PATH, t0);
      if (oursSeen === undefined || exaSeen === undefined) {
        throw new Error(`trial ${trial}: a prefix was withdrawn without a failing probe`);
      }
      oursSeenMs.push(oursGone - oursSeen);
      exaSeenMs.push(exaGone - exaSeen);
      // The decision line may still be in the pipe: give it a moment.
      for (let i = 0; i < 50 && decisions.length <= decisionsBefore; i++) await sleep(10);
      const decidedAt = decisions[decisionsBefore];
      if (decidedAt !== undefined) decisionMs.push(oursGoneWall - decidedAt);
      console.error(
        `trial ${trial + 1}/${TRIALS}: anycast ${(oursGone - t0).toFixed(0)} ms, ` +
          `exabgp ${(exaGone - t0).toFixed(0)} ms; from first failing probe: anycast ` +
          `${(oursGone - oursSeen).toFixed(1)} ms, exabgp ${(exaGone - exaSeen).toFixed(1)} ms` +
          (decidedAt !== undefined ? `, decision->BIRD ${oursGoneWall - decidedAt} ms` : ""),
      );
    }
    healthy = true;
    console.log(`failover, prefix gone from BIRD (${TRIALS} trials, period 1 s,`);
    console.log("failureThreshold/fall 1, BIRD polled every ~1 ms over its socket):");
    console.log("  endpoint starts failing -> gone (end to end, includes the probe phase):");
    console.log("    " + summary("anycast run", oursMs));
    console.log("    " + summary("exabgp healthcheck", exaMs));
    console.log("  tool's first failing probe at the endpoint -> gone (phase-free):");
    console.log("    " + summary("anycast run", oursSeenMs));
    console.log("    " + summary("exabgp healthcheck", exaSeenMs));
    console.log(
      "  | measurement | anycast p50 / p99 | exabgp p50 / p99 | ours/exabgp p50 / p99 |",
    );
    for (
      const [name, a, b] of [
        ["end to end", oursMs, exaMs],
        ["first failing probe -> gone", oursSeenMs, exaSeenMs],
      ] as const
    ) {
      const [a50, a99, b50, b99] = [
        percentile(a, 50),
        percentile(a, 99),
        percentile(b, 50),
        percentile(b, 99),
      ];
      console.log(
        `  | ${name} | ${a50.toFixed(1)} / ${a99.toFixed(1)} ms | ` +
          `${b50.toFixed(1)} / ${b99.toFixed(1)} ms | ` +
          `${(a50 / b50).toFixed(2)} / ${(a99 / b99).toFixed(2)} |`,
      );
    }
    console.log(
      "  " +
        summary("anycast decision (log line) -> BIRD table", decisionMs).replace(/ ms/g, " ms"),
    );
    console.log(
      `  decision -> BIRD p99 ${percentile(decisionMs, 99).toFixed(1)} ms ` +
        `(p50 ${percentile(decisionMs, 50).toFixed(1)} ms; target <= 20 ms)`,
    );
    console.log(
      `idle RSS of anycast run, 10 prefixes, 2 peers: ${rss.toFixed(1)} MB (target <= 60 MB)`,
    );
  } finally {
    control?.close();
    for (const child of [ours, exa]) {
      if (!child) continue;
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }, 5000);
      await child.status;
      clearTimeout(timer);
    }
    await gobgp.stop();
    await bird.stop();
    await health.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
}

// ---------------------------------------------------------------- --kill

const KILL_PROCESS_PREFIX = "198.51.100.92/32";
const KILL_WATCH_PREFIX = "198.51.100.93/32";
const KILL_PLAIN_PREFIX = "198.51.100.94/32";

/** A free TCP port on 127.0.0.1 (bound, read, released). */
function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** The service under test: python3's HTTP server, its pid in `pidFile`. */
async function startService(
  port: number,
  pidFile: string,
  dir: string,
): Promise<Deno.ChildProcess> {
  const child = new Deno.Command("python3", {
    args: ["-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", dir],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  await Deno.writeTextFile(pidFile, `${child.pid}\n`);
  // Listening: a connect succeeds.
  for (let i = 0;; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return child;
    } catch {
      if (i > 500) throw new Error("the service did not listen within 10 s");
      await sleep(20);
    }
  }
}

/** Local ends of the established connections from process `pid` to :`port` (ss -tnp). */
async function connectionsFrom(pid: number, port: number): Promise<Set<string>> {
  const out = await new Deno.Command("ss", {
    args: ["-Htnp", "state", "established", `( dport = :${port} )`],
    stdout: "piped",
    stderr: "null",
  }).output();
  return new Set(
    new TextDecoder().decode(out.stdout).split("\n")
      .filter((l) => l.includes(`pid=${pid},`))
      .map((l) => l.trim().split(/\s+/)[2] ?? ""),
  );
}

/** The idle watched connection is up: one connection seen in two samples 300 ms apart. */
async function watchConnected(pid: number, port: number): Promise<boolean> {
  const first = await connectionsFrom(pid, port);
  if (first.size === 0) return false;
  await sleep(300);
  const second = await connectionsFrom(pid, port);
  return [...first].some((c) => second.has(c));
}

/**
 * `--kill`: the service process is SIGKILLed at a random phase; per trial,
 * from the kill to each prefix's absence in BIRD, for four mechanisms side
 * by side, all watching the same process: ours by process watch (pidfd), by
 * TCP connection watch (+ probe at once), by a plain TCP probe every 1 s;
 * and ExaBGP healthcheck (curl every 1 s).
 */
async function mainKill(): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "anycast-bench-kill-" });
  const port = freePort();
  const pidFile = `${dir}/service.pid`;
  const url = `http://127.0.0.1:${port}/`;
  const bird = await BirdPeer.start({
    address: BIRD,
    asn: BIRD_ASN,
    neighbors: [{ address: OURS, asn: 64600, holdTime: 9 }, {
      address: EXA,
      asn: EXA_ASN,
      holdTime: 9,
    }],
  });
  let service: Deno.ChildProcess | undefined;
  let ours: Deno.ChildProcess | undefined;
  let exa: Deno.ChildProcess | undefined;
  let control: BirdControl | undefined;
  const probe = (watch: boolean) => [
    "    readinessProbe:",
    "      periodSeconds: 1s",
    "      timeoutSeconds: 500ms",
    "      failureThreshold: 1",
    "      successThreshold: 1",
    "      tcp:",
    `        port: ${port}`,
    ...(watch ? ["        watch: true"] : []),
  ];
  try {
    service = await startService(port, pidFile, dir);
    await Deno.writeTextFile(
      `${dir}/config.yaml`,
      [
        "speaker:",
        "  asn: 64600",
        `  routerId: "${OURS}"`,
        "  listenPort: 0",
        "api:",
        `  socket: "${dir}/anycast.sock"`,
        "metrics:",
        "  enabled: false",
        "neighbors:",
        `  - address: "${BIRD}"`,
        `    asn: ${BIRD_ASN}`,
        `    localAddress: "${OURS}"`,
        "    holdTime: 9s",
        "prefixes:",
        `  - ipAddress: "${KILL_PROCESS_PREFIX}"`,
        `    nextHop: "${NEXT_HOP_V4}"`,
        "    service:",
        "      type: process",
        `      pidFile: "${pidFile}"`,
        `  - ipAddress: "${KILL_WATCH_PREFIX}"`,
        `    nextHop: "${NEXT_HOP_V4}"`,
        ...probe(true),
        `  - ipAddress: "${KILL_PLAIN_PREFIX}"`,
        `    nextHop: "${NEXT_HOP_V4}"`,
        ...probe(false),
        "",
      ].join("\n"),
    );
    ours = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, "run", "--config", `${dir}/config.yaml`],
      env: { LOG_LEVEL: "info" },
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    // Which mechanism withdrew each prefix, from the daemon's "not ready (mechanism)" lines.
    const mechanisms = new Map<string, Map<string, number>>();
    // Wall-clock time of each "not ready" decision per prefix (the daemon's log timestamp, ms).
    const decidedAt = new Map<string, number[]>();
    let ourLog = "";
    void (async () => {
      const decoder = new TextDecoder();
      let partial = "";
      for await (const chunk of ours!.stderr) {
        const text = partial + decoder.decode(chunk, { stream: true });
        const lines = text.split("\n");
        partial = lines.pop() ?? "";
        ourLog = (ourLog + text).slice(-20_000);
        for (const line of lines) {
          const m = /prefix (\S+): not ready \(([^)]+)\)/.exec(line);
          if (!m) continue;
          const counts = mechanisms.get(m[1]!) ?? new Map<string, number>();
          counts.set(m[2]!, (counts.get(m[2]!) ?? 0) + 1);
          mechanisms.set(m[1]!, counts);
          const t = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d\.\d{3}) ([+-]\d\d:\d\d)/.exec(line);
          if (t) {
            const list = decidedAt.get(m[1]!) ?? [];
            list.push(Date.parse(`${t[1]}T${t[2]}${t[3]}`));
            decidedAt.set(m[1]!, list);
          }
        }
      }
    })();
    await Deno.writeTextFile(
      `${dir}/healthcheck.sh`,
      `exec /usr/bin/python3 -m exabgp healthcheck --cmd "curl -sf ${url}" --interval 1 ` +
        `--fast-interval 1 --fall 1 --rise 1 --timeout 1 --ip ${EXA_PREFIX} --no-ip-setup ` +
        `--next-hop ${NEXT_HOP_V4} --withdraw-on-down --no-syslog\n`,
    );
    await Deno.writeTextFile(
      `${dir}/exabgp.conf`,
      [
        "process healthcheck {",
        `  run /bin/sh ${dir}/healthcheck.sh;`,
        "  encoder text;",
        "}",
        `neighbor ${BIRD} {`,
        `  router-id ${EXA};`,
        `  local-address ${EXA};`,
        `  local-as ${EXA_ASN};`,
        `  peer-as ${BIRD_ASN};`,
        "  hold-time 9;",
        "  family { ipv4 unicast; }",
        "  api { processes [ healthcheck ]; }",
        "}",
        "",
      ].join("\n"),
    );
    exa = new Deno.Command("env", {
      args: [
        "exabgp.daemon.user=root",
        `exabgp.tcp.bind=${EXA}`,
        "exabgp.tcp.port=179",
        "exabgp.api.cli=false",
        `exabgp.log.destination=${dir}/exabgp.log`,
        `exabgp.daemon.pid=${dir}/exabgp.pid`,
        "exabgp.tcp.delay=0",
        "exabgp",
        `${dir}/exabgp.conf`,
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    control = await BirdControl.open(`${bird.workDir}/bird.ctl`);
    const prefixes = [KILL_PROCESS_PREFIX, KILL_WATCH_PREFIX, KILL_PLAIN_PREFIX, EXA_PREFIX];
    const names = ["process watch", "TCP watch", "plain probe 1 s", "exabgp healthcheck 1 s"];
    const allThere = async () => {
      for (const p of prefixes) if (!(await control!.hasRoute(p))) return false;
      return true;
    };
    const waitFor = async (what: string, cond: () => Promise<boolean>, timeoutMs = 60_000) => {
      const end = Date.now() + timeoutMs;
      while (!(await cond())) {
        if (Date.now() > end) {
          throw new Error(
            `timed out waiting for ${what}\nours:\n${ourLog.slice(-2000)}\nbird:\n${await bird
              .birdc("show", "route", "all")}`,
          );
        }
        await sleep(20);
      }
    };
    await waitFor("all four prefixes at BIRD", allThere);
    // Untimed warm-up kills first (the daemon's first withdraw runs cold code).
    for (let w = 0; w < WARMUP; w++) {
      await waitFor("all prefixes back", allThere);
      await waitFor("the watched connection", () => watchConnected(ours!.pid, port));
      service.kill("SIGKILL");
      await service.status;
      await waitFor("all withdrawn", async () => {
        for (const p of prefixes) if (await control!.hasRoute(p)) return false;
        return true;
      });
      service = await startService(port, pidFile, dir);
    }
    const results: number[][] = prefixes.map(() => []);
    // Ours only: kill -> our decision (log line), and decision -> gone from BIRD.
    const toDecision: number[][] = [[], [], []];
    const decisionToBird: number[][] = [[], [], []];
    for (let trial = 0; trial < TRIALS; trial++) {
      await waitFor("all prefixes back", allThere);
      await waitFor(
        "the watched connection",
        () => watchConnected(ours!.pid, port),
      );
      // A random phase relative to the probe schedules.
      await sleep(200 + Math.random() * 1000);
      if (!(await allThere())) {
        trial--;
        continue;
      }
      const before = [0, 1, 2].map((i) => decidedAt.get(prefixes[i]!)?.length ?? 0);
      const t0 = performance.now();
      const t0Wall = Date.now();
      service.kill("SIGKILL");
      const gone: (number | undefined)[] = prefixes.map(() => undefined);
      while (gone.some((g) => g === undefined)) {
        if (performance.now() - t0 > 30_000) throw new Error(`trial ${trial}: no withdraw in 30 s`);
        for (let i = 0; i < prefixes.length; i++) {
          if (gone[i] === undefined && !(await control.hasRoute(prefixes[i]!))) {
            gone[i] = performance.now();
          }
        }
        await sleep(0);
      }
      await service.status;
      gone.forEach((g, i) => results[i]!.push(g! - t0));
      // The decision lines may still be in the pipe.
      for (let i = 0; i < 50; i++) {
        if ([0, 1, 2].every((k) => (decidedAt.get(prefixes[k]!)?.length ?? 0) > before[k]!)) break;
        await sleep(10);
      }
      for (const k of [0, 1, 2]) {
        const at = decidedAt.get(prefixes[k]!)?.[before[k]!];
        if (at === undefined) continue;
        toDecision[k]!.push(at - t0Wall);
        decisionToBird[k]!.push(t0Wall + (gone[k]! - t0) - at);
      }
      console.error(
        `trial ${trial + 1}/${TRIALS}: ` +
          gone.map((g, i) => `${names[i]} ${(g! - t0).toFixed(1)} ms`).join(", "),
      );
      service = await startService(port, pidFile, dir);
    }
    console.log(
      `failover on SIGKILL of the service, prefix gone from BIRD (${TRIALS} trials, ` +
        "kill at a random phase, BIRD polled continuously over its socket):",
    );
    console.log("  | mechanism | p50 | p99 | min | max |");
    results.forEach((r, i) => {
      console.log(
        `  | ${names[i]} | ${percentile(r, 50).toFixed(1)} ms | ${
          percentile(r, 99).toFixed(1)
        } ms | ` +
          `${Math.min(...r).toFixed(1)} ms | ${Math.max(...r).toFixed(1)} ms |`,
      );
    });
    const exa99 = percentile(results[3]!, 99);
    const exa50 = percentile(results[3]!, 50);
    for (const i of [0, 1, 2]) {
      const r = results[i]!;
      console.log(
        `  exabgp / ${names[i]}: p50 ${(exa50 / percentile(r, 50)).toFixed(1)}x, ` +
          `p99 ${(exa99 / percentile(r, 99)).toFixed(1)}x`,
      );
    }
    console.log(
      "  ours split at the decision (daemon log timestamp, ms resolution, same wall clock):",
    );
    for (const k of [0, 1, 2]) {
      if (toDecision[k]!.length === 0) continue;
      console.log(
        `    ${names[k]}: kill -> decision p50 ${percentile(toDecision[k]!, 50).toFixed(0)} / ` +
          `p99 ${percentile(toDecision[k]!, 99).toFixed(0)} ms; decision -> BIRD p50 ` +
          `${percentile(decisionToBird[k]!, 50).toFixed(0)} / p99 ` +
          `${percentile(decisionToBird[k]!, 99).toFixed(0)} ms`,
      );
    }
    console.log("  mechanism named by anycast for each withdraw (log lines):");
    for (const p of [KILL_PROCESS_PREFIX, KILL_WATCH_PREFIX, KILL_PLAIN_PREFIX]) {
      const counts = [...(mechanisms.get(p) ?? new Map()).entries()]
        .map(([m, n]) => `${m} ${n}`).join(", ");
      console.log(`    ${p}: ${counts || "none"}`);
    }
  } finally {
    control?.close();
    for (const child of [ours, exa, service]) {
      if (!child) continue;
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }, 5000);
      await child.status;
      clearTimeout(timer);
    }
    await bird.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

// ---------------------------------------------------------------- --idle-close, --cpu

/** utime + stime of `pid` in seconds (/proc/PID/stat, USER_HZ 100). */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** `anycast run` on `config` (no BGP peer: nothing binds a fixed address), log lines collected. */
function startDaemon(config: string, lines: string[]): Deno.ChildProcess {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "run", "--config", config],
    env: { LOG_LEVEL: "info" },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  void (async () => {
    const decoder = new TextDecoder();
    let partial = "";
    for await (const chunk of child.stderr) {
      const parts = (partial + decoder.decode(chunk, { stream: true })).split("\n");
      partial = parts.pop() ?? "";
      lines.push(...parts);
    }
  })();
  return child;
}

async function stopDaemon(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGTERM");
  } catch { /* gone */ }
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, 5000);
  await child.status;
  clearTimeout(timer);
}

function daemonConfig(dir: string, prefixes: string[]): string {
  return [
    "speaker:",
    "  asn: 64600",
    '  routerId: "10.0.0.1"',
    "  listenPort: 0",
    "api:",
    `  socket: "${dir}/anycast.sock"`,
    "metrics:",
    "  enabled: false",
    "prefixes:",
    ...prefixes,
    "",
  ].join("\n");
}

/**
 * `--idle-close MINUTES`: a healthy TCP service that closes every connection
 * 3 s after accepting it (an idle timeout), watched with `tcp: {watch: true}`
 * at period 1 s and failureThreshold 1 (the strictest). Counts the closes and
 * every "not ready" / "up -> down" the daemon logs: the target is zero.
 */
async function mainIdleClose(minutes: number): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "anycast-bench-idle-" });
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  let accepted = 0;
  let idleCloses = 0;
  const serving = (async () => {
    for await (const conn of listener) {
      accepted++;
      const timer = setTimeout(() => {
        idleCloses++;
        try {
          conn.close();
        } catch { /* closed */ }
      }, 3000);
      // A probe closes its side at once: drop our timer then.
      void conn.read(new Uint8Array(1)).then((n) => {
        if (n !== null) return;
        clearTimeout(timer);
        try {
          conn.close();
        } catch { /* closed */ }
      }, () => clearTimeout(timer));
    }
  })().catch(() => {});
  const lines: string[] = [];
  await Deno.writeTextFile(
    `${dir}/config.yaml`,
    daemonConfig(dir, [
      '  - ipAddress: "198.51.100.95/32"',
      `    nextHop: "${NEXT_HOP_V4}"`,
      "    readinessProbe:",
      "      periodSeconds: 1s",
      "      timeoutSeconds: 500ms",
      "      failureThreshold: 1",
      "      successThreshold: 1",
      "      tcp:",
      `        port: ${port}`,
      "        watch: true",
    ]),
  );
  const daemon = startDaemon(`${dir}/config.yaml`, lines);
  try {
    const end = Date.now() + minutes * 60_000;
    await sleep(3000);
    const cpu0 = await cpuSeconds(daemon.pid);
    const t0 = Date.now();
    while (Date.now() < end) await sleep(1000);
    const cpu = (await cpuSeconds(daemon.pid)) - cpu0;
    const wall = (Date.now() - t0) / 1000;
    const notReady = lines.filter((l) => l.includes("not ready (")).length;
    const downs = lines.filter((l) => / up -> down /.test(l)).length;
    console.log(`idle-closing service, ${minutes} min, tcp watch, period 1 s, failureThreshold 1:`);
    console.log(
      `  connections accepted ${accepted}, closed idle by the service ${idleCloses}; ` +
        `"not ready" decisions ${notReady}, up -> down ${downs} (target 0); ` +
        `daemon CPU ${(100 * cpu / wall).toFixed(2)} % of a core`,
    );
  } finally {
    await stopDaemon(daemon);
    listener.close();
    await serving;
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * `--cpu [SECONDS]`: CPU of `anycast run` with 100 prefixes, each (a) watching
 * a process by pid file (pidfd, no probes), (b) a TCP probe at 1 s, (c) a TCP
 * probe at 1 s with `watch: true`. Same service for all; measured after 5 s.
 */
async function mainCpu(seconds: number): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "anycast-bench-cpu-" });
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const open: Deno.Conn[] = [];
  const serving = (async () => {
    for await (const conn of listener) open.push(conn);
  })().catch(() => {});
  const sleepers = Array.from(
    { length: 100 },
    () => new Deno.Command("sleep", { args: ["3600"], stdout: "null", stderr: "null" }).spawn(),
  );
  try {
    for (let i = 0; i < 100; i++) {
      await Deno.writeTextFile(`${dir}/s${i}.pid`, `${sleepers[i]!.pid}\n`);
    }
    const prefix = (i: number) => [
      `  - ipAddress: "198.51.${100 + Math.floor(i / 250)}.${i % 250}/32"`,
      `    nextHop: "${NEXT_HOP_V4}"`,
    ];
    const variants: [string, (i: number) => string[]][] = [
      ["static prefixes, nothing watched (baseline)", (i) => prefix(i)],
      ["process watch (pidfd), no probes", (i) => [
        ...prefix(i),
        "    service:",
        "      type: process",
        `      pidFile: "${dir}/s${i}.pid"`,
      ]],
      ["TCP probe every 1 s", (i) => [
        ...prefix(i),
        "    readinessProbe:",
        "      periodSeconds: 1s",
        "      timeoutSeconds: 500ms",
        "      tcp:",
        `        port: ${port}`,
      ]],
      ["TCP probe every 1 s + watch", (i) => [
        ...prefix(i),
        "    readinessProbe:",
        "      periodSeconds: 1s",
        "      timeoutSeconds: 500ms",
        "      tcp:",
        `        port: ${port}`,
        "        watch: true",
      ]],
    ];
    console.log(`CPU of anycast run, 100 prefixes, ${seconds} s after 5 s settling:`);
    for (const [name, make] of variants) {
      await Deno.writeTextFile(
        `${dir}/config.yaml`,
        daemonConfig(dir, Array.from({ length: 100 }, (_, i) => make(i)).flat()),
      );
      const lines: string[] = [];
      const daemon = startDaemon(`${dir}/config.yaml`, lines);
      try {
        await sleep(5000);
        const cpu0 = await cpuSeconds(daemon.pid);
        const t0 = performance.now();
        await sleep(seconds * 1000);
        const cpu = (await cpuSeconds(daemon.pid)) - cpu0;
        const wall = (performance.now() - t0) / 1000;
        const threads = (await Deno.readTextFile(`/proc/${daemon.pid}/status`))
          .match(/Threads:\s+(\d+)/)?.[1];
        console.log(
          `  ${name}: ${(100 * cpu / wall).toFixed(2)} % of a core, ${threads} threads`,
        );
      } finally {
        await stopDaemon(daemon);
      }
    }
  } finally {
    for (const s of sleepers) {
      try {
        s.kill("SIGKILL");
      } catch { /* gone */ }
      await s.status;
    }
    listener.close();
    for (const c of open) {
      try {
        c.close();
      } catch { /* closed */ }
    }
    await serving;
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  if (Deno.args.includes("--kill")) await mainKill();
  else if (Deno.args.includes("--idle-close")) {
    await mainIdleClose(Number(flag("idle-close", "10")));
  } else if (Deno.args.includes("--cpu")) await mainCpu(Number(flag("cpu", "60")));
  else await main();
}
