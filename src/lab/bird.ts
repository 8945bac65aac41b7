import {
  BasePeer,
  familyOf,
  normalisePrefix,
  normaliseState,
  parseCommunity,
  parseLargeCommunity,
} from "./_base.ts";
import { DaemonProcess, PollAborted, pollUntil, runTool, runToolOk } from "./_process.ts";
import type {
  AnnounceAttributes,
  BfdSessionInfo,
  Family,
  NeighborOptions,
  PeerOptions,
  Route,
  SessionState,
} from "./types.ts";

/** BIRD protocol name of the BGP session with `address`: "n_127_0_0_1". */
export function birdProtocolName(address: string): string {
  return `n_${address.replace(/[.:]/g, "_")}`;
}

const ORIGIN_CODE = { igp: "ORIGIN_IGP", egp: "ORIGIN_EGP", incomplete: "ORIGIN_INCOMPLETE" };

/** One `route … blackhole { attributes }` line of the announcing static protocol. */
function staticRoute(prefix: string, nextHop: string, attrs: AnnounceAttributes): string {
  const sets = [`bgp_next_hop = ${nextHop};`];
  if (attrs.origin) sets.push(`bgp_origin = ${ORIGIN_CODE[attrs.origin]};`);
  if (attrs.med !== undefined) sets.push(`bgp_med = ${attrs.med};`);
  if (attrs.localPref !== undefined) sets.push(`bgp_local_pref = ${attrs.localPref};`);
  for (const c of attrs.communities ?? []) {
    const [a, b] = parseCommunity(c);
    sets.push(`bgp_community.add((${a}, ${b}));`);
  }
  for (const c of attrs.largeCommunities ?? []) {
    const [a, b, d] = parseLargeCommunity(c);
    sets.push(`bgp_large_community.add((${a}, ${b}, ${d}));`);
  }
  // prepend() puts each AS in front, so walk the list backwards to keep its order.
  for (const asn of [...(attrs.asPathPrepend ?? [])].reverse()) {
    sets.push(`bgp_path.prepend(${asn});`);
  }
  return `  route ${prefix} blackhole { ${sets.join(" ")} };`;
}

function bgpProtocol(opts: PeerOptions, n: NeighborOptions): string {
  const hold = n.holdTime ?? 9;
  const families = opts.families ?? ["ipv4"];
  const lines = [
    `protocol bgp ${birdProtocolName(n.address)} {`,
    `  local ${opts.address} port ${opts.listenPort ?? 179} as ${opts.asn};`,
    `  neighbor ${n.address}${n.port ? ` port ${n.port}` : ""} as ${n.asn};`,
    // strict bind: listen on our own address only, never 0.0.0.0:179 (lab rule 2).
    "  strict bind yes;",
    // BIRD refuses a direct neighbour on 127/8 ("Invalid remote address") without multihop.
    // With GTSM the hop count is the multihop value (BIRD computes the minimum TTL from it).
    ...(n.ttlSecurity !== undefined
      ? (n.ttlSecurity > 1 ? [`  multihop ${n.ttlSecurity};`] : [])
      : n.multihop || n.address.startsWith("127.")
      ? ["  multihop;"]
      : []),
    `  hold time ${hold}; keepalive time ${Math.max(1, Math.floor(hold / 3))};`,
    // start delay (default 5 s) holds off the first connect after start and restart.
    "  connect retry time 1; connect delay time 1; start delay time 1;",
    // The default error wait (60, 300 s) would stall every reconnect after a failed test.
    "  error wait time 1, 5;",
  ];
  if (n.passive) lines.push("  passive on;");
  if (n.password !== undefined) lines.push(`  password "${n.password}";`);
  if (n.ttlSecurity !== undefined) lines.push("  ttl security yes;");
  if (n.bfd) lines.push("  bfd yes;");
  if (n.debugRoutes) lines.push("  debug { routes };");
  if (n.gracefulRestart) {
    lines.push(
      "  graceful restart on;",
      `  graceful restart time ${n.gracefulRestart.restartTime};`,
    );
  }
  for (const f of families) {
    // Re-assigning bgp_next_hop and bgp_med in the export filter marks them as set by the
    // filter: only then does BIRD send that next hop (not its own address) and a MED over eBGP.
    lines.push(
      `  ${f} { import all; export filter { if proto != "acst_ann_${f}" then reject; ` +
        "bgp_next_hop = bgp_next_hop; if defined(bgp_med) then bgp_med = bgp_med; accept; }; };",
    );
  }
  lines.push("}");
  return lines.join("\n");
}

/** A real BIRD 2, driven through birdc on its private control socket. */
export class BirdPeer extends BasePeer {
  readonly kind = "bird";

  get logFile(): string {
    return `${this.workDir}/bird.log`;
  }

  get socket(): string {
    return `${this.workDir}/bird.ctl`;
  }

  get configFile(): string {
    return `${this.workDir}/bird.conf`;
  }

  static async start(opts: PeerOptions): Promise<BirdPeer> {
    const [dir, owns] = await BasePeer.prepareWorkDir("bird", opts);
    const peer = new BirdPeer(opts, dir, owns);
    for (const r of opts.initialRoutes ?? []) {
      peer.announced.set(r.prefix, { prefix: r.prefix, nextHop: r.nextHop, attrs: {} });
    }
    await peer.#writeConfig();
    await peer.startOrCleanUp();
    return peer;
  }

  /** The complete bird.conf, including the static routes announced so far. */
  config(): string {
    const o = this.options;
    const parts = [
      `log "${this.logFile}" all;`,
      `router id ${this.routerId};`,
      "timeformat protocol iso long;",
      "timeformat route iso long;",
      // Log lines with milliseconds (benchmarks time route arrival from them).
      'timeformat log "%F %T.%3f";',
      "protocol device { scan time 10; }",
    ];
    for (const f of this.families) {
      parts.push(`protocol static acst_ann_${f} {`, `  ${f} { import all; };`);
      // A loop, not push(...spread): a million routes would overflow the call stack.
      for (const r of this.announced.values()) {
        if (familyOf(r.prefix) === f) parts.push(staticRoute(r.prefix, r.nextHop, r.attrs));
      }
      parts.push("}");
    }
    if (o.bfd) {
      const b = o.bfd;
      parts.push(
        "protocol bfd acst_bfd {",
        `  interface "*" { min rx interval ${b.minRxMs ?? 100} ms; ` +
          `min tx interval ${b.minTxMs ?? 100} ms; multiplier ${b.multiplier ?? 3}; };`,
        ...(b.peers ?? []).map((p) =>
          `  neighbor ${p.address}${p.interface ? ` dev "${p.interface}"` : ""};`
        ),
        "}",
      );
    }
    parts.push(...o.neighbors.map((n) => bgpProtocol(o, n)), "");
    return parts.join("\n");
  }

  async #writeConfig(): Promise<void> {
    await Deno.writeTextFile(this.configFile, this.config());
  }

  protected async launch(): Promise<void> {
    await runToolOk("bird", ["-p", "-c", this.configFile]);
    this.process = DaemonProcess.spawn("bird", [
      "-f",
      "-c",
      this.configFile,
      "-s",
      this.socket,
      "-P",
      `${this.workDir}/bird.pid`,
    ], { logFile: `${this.workDir}/bird.stderr`, ...this.netnsOption });
    const proc = this.process;
    await pollUntil("the BIRD control socket", async () => {
      if (proc.exited) {
        throw new PollAborted(
          `bird exited: ${await Deno.readTextFile(`${this.workDir}/bird.stderr`)}`,
        );
      }
      return (await runTool("birdc", ["-s", this.socket, "show", "status"])).code === 0
        ? true
        : undefined;
    }, { timeoutMs: 10_000 });
  }

  /** The config already holds the announced routes. */
  protected override replayAnnouncements(): Promise<void> {
    return Promise.resolve();
  }

  /** Run one birdc command; BIRD reports errors in the text with a code, so check it. */
  async birdc(...args: string[]): Promise<string> {
    const out = await runToolOk("birdc", ["-s", this.socket, ...args]);
    return out;
  }

  async #protocolInfo(neighbor: string): Promise<string> {
    return await this.birdc("show", "protocols", "all", birdProtocolName(neighbor));
  }

  async sessionState(neighbor: string): Promise<SessionState> {
    const text = await this.#protocolInfo(neighbor);
    const m = /BGP state:\s+(\S+)/.exec(text);
    return normaliseState(m?.[1]);
  }

  async sessionUptime(neighbor: string): Promise<number | undefined> {
    const text = await this.#protocolInfo(neighbor);
    if (!/BGP state:\s+Established/.test(text)) return undefined;
    // Header row: name proto table state since info; since = "2026-11-21 10:59:59".
    const m = new RegExp(`^${birdProtocolName(neighbor)}\\s+BGP\\s+\\S+\\s+up\\s+(\\S+ \\S+)`, "m")
      .exec(text);
    if (!m?.[1]) return undefined;
    const since = new Date(m[1].replace(" ", "T")).getTime();
    return Number.isNaN(since) ? undefined : Math.max(0, (Date.now() - since) / 1000);
  }

  async rib(family: Family = "ipv4", neighbor?: string): Promise<Route[]> {
    const table = family === "ipv4" ? "master4" : "master6";
    const args = ["show", "route", "all", "table", table];
    if (neighbor) args.push("protocol", birdProtocolName(neighbor));
    else args.push("where", "source = RTS_BGP");
    const routes = parseBirdRoutes(await this.birdc(...args));
    // `show route` does not print BIRD's stale flag: a route is stale while its session is
    // in graceful-restart recovery (RFC 4724 §4.2), which `show protocols all` does say.
    const recovering = new Map<string, boolean>();
    for (const r of routes) {
      if (!r.from) continue;
      let gr = recovering.get(r.from);
      if (gr === undefined) {
        const info = await this.birdc("show", "protocols", "all", birdProtocolName(r.from))
          .catch(() => "");
        gr = /Neighbor graceful restart active|Neighbor GR:/.test(info);
        recovering.set(r.from, gr);
      }
      if (gr) r.stale = true;
    }
    return routes;
  }

  /** Number of routes in the table, cheap to poll (`show route count`). */
  async routeCount(family: Family = "ipv4"): Promise<number> {
    const table = family === "ipv4" ? "master4" : "master6";
    const out = await this.birdc("show", "route", "table", table, "count");
    const m = /(\d+) of \d+ routes/.exec(out);
    return m?.[1] ? Number(m[1]) : 0;
  }

  async announce(prefix: string, nextHop: string, attrs: AnnounceAttributes = {}): Promise<void> {
    this.announced.set(prefix, { prefix, nextHop, attrs });
    await this.reconfigure();
  }

  async withdraw(prefix: string): Promise<void> {
    this.announced.delete(prefix);
    await this.reconfigure();
  }

  /** Announce many routes with one `configure` (bulk loads, benchmarks). */
  async announceMany(
    routes: Iterable<{ prefix: string; nextHop: string; attrs?: AnnounceAttributes }>,
  ): Promise<void> {
    for (const r of routes) {
      this.announced.set(r.prefix, { prefix: r.prefix, nextHop: r.nextHop, attrs: r.attrs ?? {} });
    }
    await this.reconfigure();
  }

  /** Withdraw every announced route with one `configure`. */
  async withdrawAll(): Promise<void> {
    this.announced.clear();
    await this.reconfigure();
  }

  /** Rewrite bird.conf and apply it with `configure` (only changed static routes are re-sent). */
  async reconfigure(): Promise<void> {
    await this.#writeConfig();
    const out = await runToolOk("birdc", ["-s", this.socket, "configure"], { timeoutMs: 600_000 });
    if (!/Reconfigured|Reconfiguration in progress/.test(out)) {
      throw new Error(`birdc configure failed: ${out.trim()}`);
    }
  }

  async routeRefresh(neighbor: string): Promise<void> {
    await this.birdc("reload", "in", birdProtocolName(neighbor));
  }

  /** BFD sessions from `birdc show bfd sessions`. */
  async bfdSessions(): Promise<BfdSessionInfo[]> {
    return parseBirdBfdSessions(await this.birdc("show", "bfd", "sessions"));
  }
}

/** Parse `birdc show bfd sessions`: "10.255.0.2   vA   Up   11:00:00.123   0.100   0.300". */
export function parseBirdBfdSessions(text: string): BfdSessionInfo[] {
  const sessions: BfdSessionInfo[] = [];
  for (const line of text.split("\n")) {
    const m = /^([0-9a-fA-F.:]+)\s+(\S+)\s+(Up|Down|Init|AdminDown)\s/.exec(line);
    if (!m?.[1] || !m[2] || !m[3]) continue;
    sessions.push({
      peer: m[1],
      interface: m[2],
      state: m[3].toLowerCase() as BfdSessionInfo["state"],
    });
  }
  return sessions;
}

const BIRD_ORIGINS: Record<string, Route["origin"]> = {
  IGP: "igp",
  EGP: "egp",
  Incomplete: "incomplete",
};

/** Parse `birdc show route all` text into Routes (BGP attributes only). */
export function parseBirdRoutes(text: string): Route[] {
  const routes: Route[] = [];
  let prefix = "";
  let current: Route | undefined;
  for (const line of text.split("\n")) {
    // A route header: "198.51.100.1/32      unreachable [n_127_0_0_1 2026-… from 127.0.0.1] * (100) [AS64600i]"
    // or, for further routes of the same prefix, the same line without the prefix.
    const header =
      /^(\S+\/\d+)?\s+(unicast|unreachable|blackhole|prohibit)\s+\[(\S+)\s[^\]]*?(?:from (\S+))?\]/
        .exec(line);
    if (header) {
      if (header[1]) prefix = normalisePrefix(header[1]);
      current = {
        prefix,
        nextHop: "",
        asPath: [],
        origin: "igp",
        communities: [],
        largeCommunities: [],
        extendedCommunities: [],
      };
      if (header[4]) current.from = header[4];
      if (/\(stale\)|!\s*\(/.test(line)) current.stale = true;
      routes.push(current);
      continue;
    }
    if (!current) continue;
    const attr = /^\s+BGP\.(\w+):\s*(.*)$/.exec(line);
    if (!attr) continue;
    const [, name, value = ""] = attr;
    switch (name) {
      case "origin":
        current.origin = BIRD_ORIGINS[value.trim()] ?? "incomplete";
        break;
      case "as_path":
        current.asPath = (value.match(/\d+/g) ?? []).map(Number);
        break;
      case "next_hop":
        // IPv6 may list a global and a link-local next hop; the first is the one we sent.
        current.nextHop = (value.trim().split(/\s+/)[0] ?? "").toLowerCase();
        break;
      case "med":
        current.med = Number(value);
        break;
      case "local_pref":
        current.localPref = Number(value);
        break;
      case "community":
        current.communities = [...value.matchAll(/\((\d+),\s*(\d+)\)/g)].map((m) =>
          `${m[1]}:${m[2]}`
        );
        break;
      case "large_community":
        current.largeCommunities = [...value.matchAll(/\((\d+),\s*(\d+),\s*(\d+)\)/g)].map((m) =>
          `${m[1]}:${m[2]}:${m[3]}`
        );
        break;
      case "ext_community":
        current.extendedCommunities = [...value.matchAll(/\((\w+),\s*([^,]+),\s*(\d+)\)/g)].map((
          m,
        ) => `${m[1]}:${m[2]!.trim()}:${m[3]}`);
        break;
    }
  }
  return routes;
}
