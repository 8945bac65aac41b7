import {
  type AnnouncedRoute,
  BasePeer,
  familyOf,
  normalisePrefix,
  normaliseState,
} from "./_base.ts";
import { DaemonProcess, PollAborted, pollUntil, runTool, runToolOk } from "./_process.ts";
import type { AnnounceAttributes, Family, PeerOptions, Route, SessionState } from "./types.ts";

const ORIGINS = ["igp", "egp", "incomplete"] as const;

interface GoBgpAttr {
  type: number;
  value?: unknown;
  as_paths?: { segment_type: number; asns?: number[] }[];
  nexthop?: string;
  metric?: number;
  communities?: number[];
}

interface GoBgpPath {
  nlri?: { prefix?: string };
  attrs?: GoBgpAttr[];
  stale?: boolean;
  "neighbor-ip"?: string;
}

/** The parts of `gobgp neighbor X -j` the harness reads. */
interface GoBgpNeighbor {
  state?: { session_state?: number | string };
  timers?: { state?: { uptime?: { seconds?: number } } };
}

/** GoBGP's extended community {type, subtype, value} in the harness's "rt:65000:100" spelling. */
function extendedCommunityText(c: { type?: number; subtype?: number; value?: unknown }): string {
  const names: Record<number, string> = { 2: "rt", 3: "soo" };
  const name = names[c.subtype ?? -1];
  return name ? `${name}:${String(c.value)}` : JSON.stringify(c);
}

/** Turn one path of `gobgp global rib -j` into a Route. */
export function parseGoBgpPath(prefix: string, path: GoBgpPath): Route {
  const route: Route = {
    prefix: normalisePrefix(path.nlri?.prefix ?? prefix),
    nextHop: "",
    asPath: [],
    origin: "igp",
    communities: [],
    largeCommunities: [],
    extendedCommunities: [],
  };
  for (const a of path.attrs ?? []) {
    switch (a.type) {
      case 1: // ORIGIN
        route.origin = ORIGINS[Number(a.value)] ?? "incomplete";
        break;
      case 2: // AS_PATH; AS_SET members are flattened in order
        route.asPath = (a.as_paths ?? []).flatMap((s) => s.asns ?? []);
        break;
      case 3: // NEXT_HOP
      case 14: // MP_REACH_NLRI carries the IPv6 next hop
        if (a.nexthop) route.nextHop = a.nexthop.toLowerCase();
        break;
      case 4:
        route.med = a.metric ?? Number(a.value);
        break;
      case 5:
        route.localPref = Number(a.value);
        break;
      case 8:
        route.communities = (a.communities ?? []).map((c) => `${c >>> 16}:${c & 0xffff}`);
        break;
      case 16:
        route.extendedCommunities = (a.value as { subtype?: number; value?: unknown }[] ?? [])
          .map(extendedCommunityText);
        break;
      case 32:
        route.largeCommunities =
          (a.value as { ASN: number; LocalData1: number; LocalData2: number }[] ??
            []).map((c) => `${c.ASN}:${c.LocalData1}:${c.LocalData2}`);
        break;
    }
  }
  if (path.stale) route.stale = true;
  if (path["neighbor-ip"]) route.from = path["neighbor-ip"];
  return route;
}

function neighborToml(opts: PeerOptions, n: PeerOptions["neighbors"][number]): string {
  const hold = n.holdTime ?? 9;
  const families = opts.families ?? ["ipv4"];
  const lines = [
    "[[neighbors]]",
    "  [neighbors.config]",
    `    neighbor-address = "${n.address}"`,
    `    peer-as = ${n.asn}`,
    ...(n.password !== undefined ? [`    auth-password = "${n.password}"`] : []),
    "  [neighbors.transport.config]",
    `    local-address = "${opts.address}"`,
    ...(n.port ? [`    remote-port = ${n.port}`] : []),
    ...(n.passive ? ["    passive-mode = true"] : []),
    "  [neighbors.timers.config]",
    "    connect-retry = 1",
    `    hold-time = ${hold}`,
    `    keepalive-interval = ${Math.max(1, Math.floor(hold / 3))}`,
    "    idle-hold-time-after-reset = 1",
  ];
  if (n.ttlSecurity !== undefined) {
    lines.push(
      "  [neighbors.ttl-security.config]",
      "    enabled = true",
      `    ttl-min = ${256 - n.ttlSecurity}`,
    );
  } else if (n.multihop) {
    lines.push(
      "  [neighbors.ebgp-multihop.config]",
      "    enabled = true",
      "    multihop-ttl = 255",
    );
  }
  if (n.gracefulRestart) {
    lines.push(
      "  [neighbors.graceful-restart.config]",
      "    enabled = true",
      `    restart-time = ${n.gracefulRestart.restartTime}`,
    );
  }
  for (const f of families) {
    lines.push(
      "  [[neighbors.afi-safis]]",
      "    [neighbors.afi-safis.config]",
      `      afi-safi-name = "${f}-unicast"`,
    );
    if (n.gracefulRestart) {
      lines.push("    [neighbors.afi-safis.mp-graceful-restart.config]", "      enabled = true");
    }
  }
  return lines.join("\n");
}

/** GoBGP's TOML config for `opts`. */
export function goBgpConfig(opts: PeerOptions): string {
  return [
    "[global.config]",
    `  as = ${opts.asn}`,
    `  router-id = "${opts.routerId ?? opts.address}"`,
    `  port = ${opts.listenPort ?? 179}`,
    `  local-address-list = ["${opts.address}"]`,
    ...opts.neighbors.map((n) => neighborToml(opts, n)),
    "",
  ].join("\n");
}

/** A real gobgpd, driven through the gobgp CLI over its gRPC API on `address:50051`. */
export class GoBgpPeer extends BasePeer {
  readonly kind = "gobgp";

  get logFile(): string {
    return `${this.workDir}/gobgpd.log`;
  }

  get apiHost(): string {
    return this.options.address;
  }

  static async start(opts: PeerOptions): Promise<GoBgpPeer> {
    const [dir, owns] = await BasePeer.prepareWorkDir("gobgp", opts);
    const peer = new GoBgpPeer(opts, dir, owns);
    await Deno.writeTextFile(`${dir}/gobgpd.toml`, goBgpConfig(opts));
    await peer.startOrCleanUp();
    return peer;
  }

  protected async launch(): Promise<void> {
    this.process = DaemonProcess.spawn("gobgpd", [
      "-f",
      `${this.workDir}/gobgpd.toml`,
      "-p",
      "--api-hosts",
      `${this.apiHost}:50051`,
      "--pprof-disable",
    ], { logFile: this.logFile, ...this.netnsOption });
    const proc = this.process;
    await pollUntil("the gobgpd API", async () => {
      if (proc.exited) throw new PollAborted("gobgpd exited");
      return (await runTool("gobgp", ["-u", this.apiHost, "global"], this.netnsOption)).code === 0
        ? true
        : undefined;
    }, { timeoutMs: 10_000 });
  }

  /** Run the gobgp CLI against this daemon. */
  gobgp(...args: string[]): Promise<string> {
    return runToolOk("gobgp", ["-u", this.apiHost, ...args], this.netnsOption);
  }

  async #neighborJson(neighbor: string): Promise<GoBgpNeighbor | undefined> {
    const r = await runTool(
      "gobgp",
      ["-u", this.apiHost, "neighbor", neighbor, "-j"],
      this.netnsOption,
    );
    if (r.code !== 0) return undefined;
    return JSON.parse(r.stdout) as GoBgpNeighbor;
  }

  async sessionState(neighbor: string): Promise<SessionState> {
    const j = await this.#neighborJson(neighbor);
    return normaliseState(j?.state?.session_state ?? 1);
  }

  async sessionUptime(neighbor: string): Promise<number | undefined> {
    const j = await this.#neighborJson(neighbor);
    if (normaliseState(j?.state?.session_state) !== "established") return undefined;
    const since = j?.timers?.state?.uptime?.seconds;
    return typeof since === "number" ? Math.max(0, Date.now() / 1000 - since) : undefined;
  }

  async rib(family: Family = "ipv4", neighbor?: string): Promise<Route[]> {
    const args = neighbor
      ? ["neighbor", neighbor, "adj-in", "-a", family, "-j"]
      : ["global", "rib", "-a", family, "-j"];
    const r = await runTool("gobgp", ["-u", this.apiHost, ...args], this.netnsOption);
    // adj-in of a session that is down is an error, not an empty table.
    if (r.code !== 0 || r.stdout.startsWith('{"error"')) {
      if (neighbor) return [];
      throw new Error(`gobgp ${args.join(" ")}: ${r.stderr || r.stdout}`);
    }
    const table = JSON.parse(r.stdout || "{}") as Record<string, GoBgpPath[]>;
    const routes: Route[] = [];
    for (const [prefix, paths] of Object.entries(table)) {
      // Only routes received from a neighbour: locally injected paths carry no neighbor-ip.
      for (const p of paths) {
        if (p["neighbor-ip"] || neighbor) routes.push(parseGoBgpPath(prefix, p));
      }
    }
    return routes;
  }

  async announce(prefix: string, nextHop: string, attrs: AnnounceAttributes = {}): Promise<void> {
    const args = ["global", "rib", "add", "-a", familyOf(prefix), prefix, "nexthop", nextHop];
    // The gobgp CLI defaults to origin incomplete; the other peers default to IGP.
    args.push("origin", attrs.origin ?? "igp");
    if (attrs.med !== undefined) args.push("med", String(attrs.med));
    if (attrs.localPref !== undefined) args.push("local-pref", String(attrs.localPref));
    if (attrs.communities?.length) args.push("community", attrs.communities.join(","));
    if (attrs.largeCommunities?.length) {
      args.push("large-community", attrs.largeCommunities.join(","));
    }
    // gobgpd adds its own AS on eBGP; the path given here comes after it.
    if (attrs.asPathPrepend?.length) args.push("aspath", attrs.asPathPrepend.join(","));
    await this.gobgp(...args);
    this.announced.set(prefix, { prefix, nextHop, attrs } satisfies AnnouncedRoute);
  }

  async withdraw(prefix: string): Promise<void> {
    await this.gobgp("global", "rib", "del", "-a", familyOf(prefix), prefix);
    this.announced.delete(prefix);
  }

  /** Load an MRT TABLE_DUMP_V2 file into the global RIB (`gobgp mrt inject global`). */
  async injectMrt(file: string): Promise<void> {
    await runToolOk("gobgp", ["-u", this.apiHost, "mrt", "inject", "global", file], {
      timeoutMs: 600_000,
      ...this.netnsOption,
    });
  }

  /**
   * Not available: gobgpd keeps an Adj-RIB-In, and `gobgp neighbor X softresetin`
   * only re-applies import policy locally; it sends no ROUTE-REFRESH (seen with
   * ExaBGP as the receiver, while BIRD's `reload in` and FRR's `soft in` do send one).
   */
  routeRefresh(neighbor: string): Promise<void> {
    return Promise.reject(
      new Error(
        `GoBGP cannot be made to send a ROUTE-REFRESH to ${neighbor}: softresetin is local; ` +
          "use BIRD, FRR or ExaBGP for route-refresh tests",
      ),
    );
  }
}
