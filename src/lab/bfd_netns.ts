/**
 * BFD lab: two network namespaces joined by a veth pair (names prefixed
 * `acst-bfd-`, always deleted), FRR (zebra + bfdd) or BIRD in one, our agent
 * (bfd_agent.ts) in the other. One BFD daemon per namespace, because every BFD
 * daemon binds port 3784 and the kernel gives a packet to one socket. Used by
 * the BFD interop tests (test/interop/bfd/lab.ts adds their test registration)
 * and scripts/bench_bfd.ts.
 *
 * @module
 */

const AGENT = new URL("./bfd_agent.ts", import.meta.url).pathname;

export async function run(cmd: string, args: string[], allowFail = false): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success && !allowFail) throw new Error(`${cmd} ${args.join(" ")}: ${text.trim()}`);
  return text;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitUntil<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  intervalMs = 50,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Two namespaces A and B, one veth between them, addresses on both ends. */
export class NetnsPair {
  readonly nsA: string;
  readonly nsB: string;
  readonly ifA: string;
  readonly ifB: string;

  private constructor(tag: string) {
    // The pid keeps concurrent runs (a developer's and CI's) apart.
    this.nsA = `acst-bfd-${tag}-${Deno.pid}-a`;
    this.nsB = `acst-bfd-${tag}-${Deno.pid}-b`;
    // Interface names are at most 15 bytes.
    this.ifA = `ab${tag}a`.slice(0, 15);
    this.ifB = `ab${tag}b`.slice(0, 15);
  }

  /** `addressesA`/`addressesB` in CIDR form, the first one primary. */
  static async create(tag: string, addressesA: string[], addressesB: string[]): Promise<NetnsPair> {
    const pair = new NetnsPair(tag);
    await pair.destroy(); // leftovers of an interrupted run
    try {
      await run("ip", ["netns", "add", pair.nsA]);
      await run("ip", ["netns", "add", pair.nsB]);
      await run("ip", [
        "link",
        "add",
        pair.ifA,
        "netns",
        pair.nsA,
        "type",
        "veth",
        "peer",
        "name",
        pair.ifB,
        "netns",
        pair.nsB,
      ]);
      for (
        const [ns, dev, addresses] of [
          [pair.nsA, pair.ifA, addressesA],
          [pair.nsB, pair.ifB, addressesB],
        ] as const
      ) {
        for (const address of addresses) {
          await run("ip", ["-n", ns, "addr", "add", address, "dev", dev]);
        }
        await run("ip", ["-n", ns, "link", "set", "lo", "up"]);
        await run("ip", ["-n", ns, "link", "set", dev, "up"]);
      }
    } catch (e) {
      await pair.destroy();
      throw e;
    }
    return pair;
  }

  async destroy(): Promise<void> {
    await run("ip", ["netns", "del", this.nsA], true);
    await run("ip", ["netns", "del", this.nsB], true);
  }
}

export interface AgentStateEvent {
  event: "state";
  peer: string;
  from: string;
  to: string;
  diag: string;
  notify: "up" | "down" | null;
  wall: number;
  sinceLastRxMs: number | null;
}

export interface AgentSessionConfig {
  peer: string;
  local: string;
  txMs: number;
  rxMs: number;
  multiplier: number;
  passive?: boolean;
  auth?: { mode: string; keyId: number; secret: string };
}

/** Our BFD (bfd_agent.ts) running in a namespace, its JSON lines collected. */
export class Agent {
  readonly events: Record<string, unknown>[] = [];
  #child: Deno.ChildProcess;
  #stdin: WritableStreamDefaultWriter<Uint8Array>;
  #done: Promise<void>;
  pid = 0;

  private constructor(child: Deno.ChildProcess) {
    this.#child = child;
    this.#stdin = child.stdin.getWriter();
    this.#done = this.#read();
  }

  static async start(
    ns: string,
    config: { listen: string; sessions: AgentSessionConfig[]; probeLoad?: number } | object,
    script = AGENT,
  ): Promise<Agent> {
    const child = new Deno.Command("ip", {
      args: ["netns", "exec", ns, Deno.execPath(), "run", "-A", script, JSON.stringify(config)],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const agent = new Agent(child);
    try {
      const ready = await agent.waitFor((e) => e.event === "ready", 30_000);
      agent.pid = ready.pid as number;
    } catch (e) {
      await agent.stop();
      throw e;
    }
    return agent;
  }

  async #read(): Promise<void> {
    let buffer = "";
    for await (const chunk of this.#child.stdout.pipeThrough(new TextDecoderStream())) {
      buffer += chunk;
      let nl;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          this.events.push(JSON.parse(line));
        } catch {
          this.events.push({ event: "text", line });
        }
      }
    }
  }

  states(): AgentStateEvent[] {
    return this.events.filter((e) => e.event === "state") as unknown as AgentStateEvent[];
  }

  /** The first event (from index `from`) matching `match`. */
  waitFor(
    match: (e: Record<string, unknown>) => boolean,
    timeoutMs: number,
    from = 0,
  ): Promise<Record<string, unknown>> {
    return waitUntil("agent event", () => this.events.slice(from).find(match), timeoutMs, 10);
  }

  async command(line: string): Promise<void> {
    await this.#stdin.write(new TextEncoder().encode(line + "\n"));
  }

  async stats(): Promise<Record<string, unknown>> {
    const from = this.events.length;
    await this.command("stats");
    return await this.waitFor((e) => e.event === "stats", 10_000, from);
  }

  signal(signal: Deno.Signal): void {
    Deno.kill(this.pid, signal);
  }

  async stop(): Promise<void> {
    try {
      if (this.pid) Deno.kill(this.pid, "SIGCONT");
      await this.command("quit");
    } catch { /* already gone */ }
    const timer = setTimeout(() => {
      try {
        this.#child.kill("SIGKILL");
        if (this.pid) Deno.kill(this.pid, "SIGKILL");
      } catch { /* gone */ }
    }, 5000);
    await this.#child.status;
    clearTimeout(timer);
    try {
      await this.#stdin.close();
    } catch { /* closed */ }
    await this.#done;
  }
}

/** FRR zebra + bfdd in a namespace, with static BFD peers from bfdd.conf. */
export class FrrBfd {
  readonly dir: string;
  #pids: number[] = [];

  private constructor(dir: string) {
    this.dir = dir;
  }

  static async start(
    ns: string,
    peers: {
      peer: string;
      local: string;
      iface: string;
      txMs: number;
      rxMs: number;
      multiplier: number;
    }[],
    options: {
      /** Extra lines inside bfdd's `bfd` block (e.g. a profile). */
      bfdLines?: string[];
      /** A bgpd.conf (bgpd then runs too, with zebra); `$DIR` is replaced by the work dir. */
      bgpdConfig?: string;
      /** Address bgpd listens on. */
      bgpdListen?: string;
    } = {},
  ): Promise<FrrBfd> {
    const dir = await Deno.makeTempDir({ prefix: "acst-bfd-frr-" });
    const frr = new FrrBfd(dir);
    await Deno.mkdir(`${dir}/run`);
    await Deno.mkdir(`${dir}/vartmp`);
    await Deno.writeTextFile(`${dir}/zebra.conf`, `hostname z\nlog file ${dir}/zebra.log\n`);
    const lines = [
      "hostname acst-bfdd",
      `log file ${dir}/bfdd.log`,
      "log timestamp precision 3",
      "debug bfd peer",
      "bfd",
    ];
    for (const p of peers) {
      lines.push(
        ` peer ${p.peer} local-address ${p.local} interface ${p.iface}`,
        `  receive-interval ${p.rxMs}`,
        `  transmit-interval ${p.txMs}`,
        `  detect-multiplier ${p.multiplier}`,
        " exit",
      );
    }
    lines.push(...(options.bfdLines ?? []), "exit", "");
    await Deno.writeTextFile(`${dir}/bfdd.conf`, lines.join("\n"));
    if (options.bgpdConfig) {
      await Deno.writeTextFile(`${dir}/bgpd.conf`, options.bgpdConfig.replaceAll("$DIR", dir));
    }
    await Deno.chmod(dir, 0o777);
    const common = `-d -P 0 --vty_socket ${dir}/run -z ${dir}/run/zserv.api -u root -g frrvty`;
    // libfrr writes under /var/tmp/frr: give these daemons a private /var/tmp.
    const script = `mount --bind ${dir}/vartmp /var/tmp && ` +
      `/usr/lib/frr/zebra ${common} -f ${dir}/zebra.conf -i ${dir}/run/zebra.pid && sleep 1 && ` +
      `/usr/lib/frr/bfdd ${common} -f ${dir}/bfdd.conf -i ${dir}/run/bfdd.pid --bfdctl ${dir}/run/bfdd.sock` +
      (options.bgpdConfig
        ? ` && /usr/lib/frr/bgpd ${common} -f ${dir}/bgpd.conf -i ${dir}/run/bgpd.pid -l ${options.bgpdListen} -p 179`
        : "");
    try {
      await run("ip", [
        "netns",
        "exec",
        ns,
        "unshare",
        "-m",
        "--propagation",
        "private",
        "sh",
        "-c",
        script,
      ]);
      frr.#pids = [await frr.#pid("zebra"), await frr.bfddPid()];
      if (options.bgpdConfig) frr.#pids.push(await frr.#pid("bgpd"));
    } catch (e) {
      await frr.stop();
      throw e;
    }
    return frr;
  }

  async #pid(daemon: string): Promise<number> {
    return await waitUntil(`${daemon} pid`, async () => {
      const text = await Deno.readTextFile(`${this.dir}/run/${daemon}.pid`).catch(() => "");
      const pid = parseInt(text.trim(), 10);
      return pid > 0 ? pid : undefined;
    }, 10_000);
  }

  bfddPid(): Promise<number> {
    return this.#pid("bfdd");
  }

  /**
   * Run vtysh commands against one daemon (`-d`): vtysh without it talks to
   * every daemon and hangs while one of them is stopped (SIGSTOP).
   */
  async vtysh(daemon: string, ...commands: string[]): Promise<string> {
    return await run("vtysh", [
      "--vty_socket",
      `${this.dir}/run`,
      "-d",
      daemon,
      ...commands.flatMap((c) => ["-c", c]),
    ]);
  }

  /** `show bfd peers json`, keyed by peer address. */
  async peers(): Promise<Record<string, { status: string; diagnostic: string }>> {
    const out = await this.vtysh("bfdd", "show bfd peers json");
    const list = JSON.parse(out.slice(out.indexOf("["))) as {
      peer: string;
      status: string;
      diagnostic: string;
    }[];
    return Object.fromEntries(list.map((p) => [p.peer, p]));
  }

  /** State changes from bfdd's log: wall time (ms), peer, from, to, reason. */
  async stateChanges(): Promise<
    { wall: number; peer: string; from: string; to: string; reason: string }[]
  > {
    const text = await Deno.readTextFile(`${this.dir}/bfdd.log`).catch(() => "");
    const out = [];
    const re =
      /^(\d{4})\/(\d\d)\/(\d\d) (\d\d:\d\d:\d\d\.\d{3}) BFD: \[[^\]]+\] state-change: \[mhop:\S+ peer:(\S+) [^\]]*\] (\S+) -> (\S+)(?: reason:(\S+))?/gm;
    for (const m of text.matchAll(re)) {
      // FRR logs local time; the lab runs in UTC, as `date` shows.
      const wall = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}Z`);
      out.push({ wall, peer: m[5]!, from: m[6]!, to: m[7]!, reason: m[8] ?? "" });
    }
    return out;
  }

  async stop(): Promise<void> {
    for (const daemon of ["bgpd", "bfdd", "zebra"]) {
      const text = await Deno.readTextFile(`${this.dir}/run/${daemon}.pid`).catch(() => "");
      const pid = parseInt(text.trim(), 10);
      if (pid > 0) {
        try {
          Deno.kill(pid, "SIGCONT");
          Deno.kill(pid, "SIGTERM");
        } catch { /* gone */ }
      }
    }
    for (const pid of this.#pids) {
      await waitUntil("FRR exit", () => (isAlive(pid) ? undefined : true), 5000).catch(() => {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch { /* gone */ }
      });
    }
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}

export function isAlive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

/** BIRD 2 in a namespace with `protocol bfd` and explicit neighbors. */
export class BirdBfd {
  readonly dir: string;
  #child: Deno.ChildProcess | undefined;

  private constructor(dir: string) {
    this.dir = dir;
  }

  static async start(
    ns: string,
    routerId: string,
    iface: string,
    timers: { txMs: number; rxMs: number; multiplier: number },
    neighbors: { peer: string; local: string }[],
    /** e.g. `authentication meticulous keyed sha1; password "x" { id 3; };` */
    interfaceExtra = "",
    /** More protocols (e.g. a `protocol bgp` with `bfd yes`). */
    extraConfig = "",
  ): Promise<BirdBfd> {
    const dir = await Deno.makeTempDir({ prefix: "acst-bfd-bird-" });
    const bird = new BirdBfd(dir);
    const config = [
      `log "${dir}/bird.log" all;`,
      `timeformat log "%F %T.%3f";`,
      `router id ${routerId};`,
      "protocol device { }",
      "protocol bfd acstbfd {",
      "  debug { states, events };",
      `  interface "${iface}" { min rx interval ${timers.rxMs} ms; min tx interval ${timers.txMs} ms; multiplier ${timers.multiplier}; ${interfaceExtra} };`,
      ...neighbors.map((n) => `  neighbor ${n.peer} dev "${iface}" local ${n.local};`),
      "}",
      extraConfig,
      "",
    ].join("\n");
    await Deno.writeTextFile(`${dir}/bird.conf`, config);
    await run("bird", ["-p", "-c", `${dir}/bird.conf`]);
    bird.#child = new Deno.Command("ip", {
      args: [
        "netns",
        "exec",
        ns,
        "bird",
        "-f",
        "-c",
        `${dir}/bird.conf`,
        "-s",
        `${dir}/bird.ctl`,
        "-P",
        `${dir}/bird.pid`,
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      await waitUntil(
        "birdc",
        async () => {
          const out = await run("birdc", ["-s", `${dir}/bird.ctl`, "show", "status"], true);
          return out.includes("Daemon is up") ? true : undefined;
        },
        10_000,
        50,
      );
    } catch (e) {
      await bird.stop();
      throw e;
    }
    return bird;
  }

  async pid(): Promise<number> {
    return parseInt((await Deno.readTextFile(`${this.dir}/bird.pid`)).trim(), 10);
  }

  /** Run one birdc command. */
  async birdc(...args: string[]): Promise<string> {
    return await run("birdc", ["-s", `${this.dir}/bird.ctl`, ...args]);
  }

  /** `show bfd sessions` parsed: peer address -> state. */
  async sessions(): Promise<Record<string, string>> {
    const out = await run("birdc", ["-s", `${this.dir}/bird.ctl`, "show", "bfd", "sessions"]);
    const result: Record<string, string> = {};
    for (const m of out.matchAll(/^(\d+\.\d+\.\d+\.\d+)\s+\S+\s+(\w+)/gm)) result[m[1]!] = m[2]!;
    return result;
  }

  /** State changes from bird.log: wall (ms), peer, to. */
  async stateChanges(): Promise<{ wall: number; peer: string; to: string }[]> {
    const text = await Deno.readTextFile(`${this.dir}/bird.log`).catch(() => "");
    const out = [];
    const re = /^(\S+ \d\d:\d\d:\d\d\.\d{3}) .*Session to (\S+) changed state from \S+ to (\S+)/gm;
    for (const m of text.matchAll(re)) {
      out.push({ wall: Date.parse(m[1]!.replace(" ", "T") + "Z"), peer: m[2]!, to: m[3]! });
    }
    return out;
  }

  async stop(): Promise<void> {
    const pid = await this.pid().catch(() => 0);
    if (pid > 0) {
      try {
        Deno.kill(pid, "SIGCONT");
      } catch { /* gone */ }
    }
    await run("birdc", ["-s", `${this.dir}/bird.ctl`, "down"], true);
    if (this.#child) {
      const timer = setTimeout(() => {
        try {
          this.#child?.kill("SIGKILL");
        } catch { /* gone */ }
      }, 5000);
      await this.#child.status;
      clearTimeout(timer);
    }
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}
