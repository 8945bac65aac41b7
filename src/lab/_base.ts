import { type DaemonProcess, pollUntil, tailFile, waitForFreePort } from "./_process.ts";
import { reapOrphanedDaemons, recordOwner } from "./_reaper.ts";
import type {
  AnnounceAttributes,
  Family,
  PeerDaemon,
  PeerOptions,
  Route,
  SessionState,
} from "./types.ts";

/** A route the harness asked the peer to announce, replayed after restart(). */
export interface AnnouncedRoute {
  prefix: string;
  nextHop: string;
  attrs: AnnounceAttributes;
}

export const familyOf = (prefix: string): Family => (prefix.includes(":") ? "ipv6" : "ipv4");

/** Lower-case, compressed spelling of a prefix so "2001:DB8::/32" and "2001:db8::/32" compare equal. */
export function normalisePrefix(prefix: string): string {
  return prefix.trim().toLowerCase();
}

/** Map a daemon's state spelling onto RFC 4271 names. */
export function normaliseState(raw: string | number | undefined): SessionState {
  if (typeof raw === "number") {
    return ([
      "unknown",
      "idle",
      "connect",
      "active",
      "opensent",
      "openconfirm",
      "established",
    ][raw] ??
      "unknown") as SessionState;
  }
  const s = (raw ?? "").toLowerCase().replace(/[^a-z]/g, "");
  const known: SessionState[] = [
    "idle",
    "connect",
    "active",
    "opensent",
    "openconfirm",
    "established",
  ];
  for (const k of known) {
    if (s === k || s === `bgpfsmstate${k}` || s === `sessionstate${k}`) return k;
  }
  // BIRD's "Passive": waiting for the neighbour to connect, which RFC 4271 calls Active.
  if (s === "passive") return "active";
  return "unknown";
}

/**
 * Behaviour common to every peer: lifecycle, polling helpers, error context.
 * Subclasses start the real daemon and speak its CLI.
 */
export abstract class BasePeer implements PeerDaemon {
  abstract readonly kind: string;
  readonly options: PeerOptions;
  readonly workDir: string;
  protected readonly announced = new Map<string, AnnouncedRoute>();
  protected process: DaemonProcess | undefined;
  #ownsWorkDir: boolean;
  #stopped = false;

  protected constructor(options: PeerOptions, workDir: string, ownsWorkDir: boolean) {
    this.options = options;
    this.workDir = workDir;
    this.#ownsWorkDir = ownsWorkDir;
  }

  protected static async prepareWorkDir(
    kind: string,
    opts: PeerOptions,
  ): Promise<[string, boolean]> {
    if (opts.workDir) {
      await Deno.mkdir(opts.workDir, { recursive: true });
      return [opts.workDir, false];
    }
    return [await Deno.makeTempDir({ prefix: `acst-${kind}-` }), true];
  }

  get pid(): number {
    if (!this.process) throw new Error(`${this.kind} is not running`);
    return this.process.pid;
  }

  get routerId(): string {
    return this.options.routerId ?? this.options.address;
  }

  get families(): Family[] {
    return this.options.families ?? ["ipv4"];
  }

  /** Spread into spawn/runTool options: run inside the peer's namespace, if any. */
  protected get netnsOption(): { netns?: string } {
    return this.options.netns ? { netns: this.options.netns } : {};
  }

  get listenPort(): number {
    return this.options.listenPort ?? 179;
  }

  /** Log file whose tail goes into error messages. */
  protected abstract get logFile(): string;
  /** Start the daemon and return once its control interface answers. */
  protected abstract launch(): Promise<void>;
  /** Re-apply `announced` after a restart, when the config does not carry them already. */
  protected async replayAnnouncements(): Promise<void> {
    for (const r of this.announced.values()) await this.announce(r.prefix, r.nextHop, r.attrs);
  }

  /** Run launch(); if it fails, kill whatever was started and throw with the log tail. */
  protected async startOrCleanUp(): Promise<void> {
    // Another run (another helper's tests) may hold this address: wait for it rather than fail.
    if (!this.options.netns) {
      const waitMs = Number(Deno.env.get("ACST_PORT_WAIT_MS") ?? 60_000);
      let free = await waitForFreePort(this.options.address, this.listenPort, 0);
      if (!free) {
        // Perhaps a daemon left behind by a test run that died: reap those first.
        await reapOrphanedDaemons();
        free = await waitForFreePort(this.options.address, this.listenPort, waitMs);
      }
      if (!free) {
        await this.stop();
        throw new Error(
          `Cannot start ${this.kind}: ${this.options.address}:${this.listenPort} stayed in use ` +
            `for ${waitMs} ms (another test run or a leftover daemon; see \`ss -ltnp\`)`,
        );
      }
    }
    try {
      await this.launch();
      if (this.process) await recordOwner(this.workDir, this.process.pid);
    } catch (e) {
      const tail = await this.logTail(30);
      await this.stop();
      throw new Error(`Cannot start ${this.kind}: ${e instanceof Error ? e.message : e}\n${tail}`);
    }
  }

  async stop(): Promise<void> {
    await this.process?.stop();
    this.process = undefined;
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#ownsWorkDir && !Deno.env.get("ACST_KEEP_WORKDIR")) {
      await Deno.remove(this.workDir, { recursive: true }).catch(() => {});
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /** Send `signal` to the daemon's process group (default SIGKILL); waits for exit on fatal signals. */
  async kill(signal: Deno.Signal = "SIGKILL"): Promise<void> {
    const p = this.process;
    if (!p) return;
    p.signal(signal);
    if (signal === "SIGKILL") {
      await p.status;
      p.signal("SIGKILL");
    }
  }

  pause(): Promise<void> {
    this.process?.signal("SIGSTOP");
    return Promise.resolve();
  }

  resume(): Promise<void> {
    this.process?.signal("SIGCONT");
    return Promise.resolve();
  }

  async restart(): Promise<void> {
    await this.process?.stop();
    this.process = undefined;
    await this.startOrCleanUp();
    await this.replayAnnouncements();
  }

  abstract sessionState(neighbor: string): Promise<SessionState>;
  abstract sessionUptime(neighbor: string): Promise<number | undefined>;
  abstract rib(family?: Family, neighbor?: string): Promise<Route[]>;
  abstract announce(prefix: string, nextHop: string, attrs?: AnnounceAttributes): Promise<void>;
  abstract withdraw(prefix: string): Promise<void>;
  abstract routeRefresh(neighbor: string): Promise<void>;

  async waitEstablished(neighbor: string, timeoutMs = 20_000): Promise<void> {
    await pollUntil(
      `${this.kind} session with ${neighbor} to be established`,
      async () => ((await this.sessionState(neighbor)) === "established" ? true : undefined),
      {
        timeoutMs,
        intervalMs: 100,
        describe: async () =>
          `state: ${await this.sessionState(neighbor).catch((e) => String(e))}\n` +
          `${this.kind} log tail:\n${await this.logTail(20)}`,
      },
    );
  }

  async waitForRoute(
    prefix: string,
    predicate: (route: Route) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<Route> {
    const want = normalisePrefix(prefix);
    return await pollUntil(
      `${this.kind} to hold a matching route for ${prefix}`,
      async () => (await this.rib(familyOf(want))).find((r) => r.prefix === want && predicate(r)),
      { timeoutMs, describe: () => this.describeRib(familyOf(want)) },
    );
  }

  async waitForNoRoute(prefix: string, timeoutMs = 10_000): Promise<void> {
    const want = normalisePrefix(prefix);
    await pollUntil(
      `${this.kind} to hold no route for ${prefix}`,
      async () => ((await this.rib(familyOf(want))).some((r) => r.prefix === want)
        ? undefined
        : true),
      { timeoutMs, describe: () => this.describeRib(familyOf(want)) },
    );
  }

  /** Current RIB and log tail, for timeout messages. */
  async describeRib(family: Family): Promise<string> {
    const rib = await this.rib(family).catch((e) => `(rib unavailable: ${e})`);
    const ribText = typeof rib === "string"
      ? rib
      : rib.length > 50
      ? `${rib.length} routes, first 50:\n${
        rib.slice(0, 50).map((r) => JSON.stringify(r)).join("\n")
      }`
      : rib.map((r) => JSON.stringify(r)).join("\n") || "(empty)";
    return `${this.kind} ${family} RIB:\n${ribText}\n${this.kind} log tail:\n${await this.logTail(
      20,
    )}`;
  }

  logTail(n = 40): Promise<string> {
    return tailFile(this.logFile, n);
  }
}

/** "65000:100" → [65000, 100]; a clear error for bad input. */
export function parseCommunity(text: string): [number, number] {
  const m = /^(\d+):(\d+)$/.exec(text);
  if (!m) throw new TypeError(`Cannot parse community "${text}": expected "asn:value"`);
  return [Number(m[1]), Number(m[2])];
}

/** "65000:1:2" → [65000, 1, 2]. */
export function parseLargeCommunity(text: string): [number, number, number] {
  const m = /^(\d+):(\d+):(\d+)$/.exec(text);
  if (!m) {
    throw new TypeError(`Cannot parse large community "${text}": expected "asn:data1:data2"`);
  }
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}
