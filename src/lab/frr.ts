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

export const FRR_DIR = "/usr/lib/frr";

/** Split the output of several `vtysh -c '… json'` commands into its JSON documents. */
export function parseJsonDocuments(text: string): unknown[] {
  const docs: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === "\\") i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === "{") {
      if (depth++ === 0) start = i;
    } else if (ch === "}" && depth > 0 && --depth === 0) {
      docs.push(JSON.parse(text.slice(start, i + 1)));
    }
  }
  return docs;
}

const FRR_ORIGINS: Record<string, Route["origin"]> = {
  igp: "igp",
  egp: "egp",
  incomplete: "incomplete",
};

interface FrrPath {
  aspath?: { segments?: { list?: number[] }[] };
  origin?: string;
  metric?: number;
  locPrf?: number;
  localpref?: number;
  community?: { list?: string[]; string?: string };
  largeCommunity?: { list?: string[]; string?: string };
  extendedCommunity?: { string?: string };
  nexthops?: { ip?: string; scope?: string }[];
  peer?: { peerId?: string };
  stale?: boolean;
  local?: boolean;
  sourced?: boolean;
}

/** Turn one path of `show bgp <afi> unicast <prefix> json` into a Route. */
export function parseFrrPath(prefix: string, p: FrrPath): Route {
  const route: Route = {
    prefix: normalisePrefix(prefix),
    nextHop: (p.nexthops?.find((n) => n.scope !== "link-local")?.ip ?? "").toLowerCase(),
    asPath: (p.aspath?.segments ?? []).flatMap((s) => s.list ?? []),
    origin: FRR_ORIGINS[(p.origin ?? "").toLowerCase()] ?? "incomplete",
    communities: p.community?.list ?? p.community?.string?.split(" ").filter(Boolean) ?? [],
    largeCommunities: p.largeCommunity?.list ??
      p.largeCommunity?.string?.split(" ").filter(Boolean) ?? [],
    // "RT:65000:7 SoO:65000:8" → "rt:65000:7", "soo:65000:8"
    extendedCommunities: (p.extendedCommunity?.string ?? "").split(" ").filter(Boolean)
      .map((c) => c.replace(/^(\w+):/, (_, t: string) => `${t.toLowerCase()}:`)),
  };
  if (p.metric !== undefined) route.med = p.metric;
  const localPref = p.locPrf ?? p.localpref;
  if (localPref !== undefined) route.localPref = localPref;
  if (p.stale) route.stale = true;
  if (p.peer?.peerId) route.from = p.peer.peerId;
  return route;
}

function neighborLines(n: NeighborOptions, opts: PeerOptions): string[] {
  const hold = n.holdTime ?? 9;
  const a = n.address;
  const lines = [
    ` neighbor ${a} remote-as ${n.asn}`,
    ` neighbor ${a} update-source ${opts.address}`,
    ` neighbor ${a} timers connect 1`,
    ` neighbor ${a} timers ${Math.max(1, Math.floor(hold / 3))} ${hold}`,
  ];
  if (n.port) lines.push(` neighbor ${a} port ${n.port}`);
  if (n.passive) lines.push(` neighbor ${a} passive`);
  if (n.multihop && n.ttlSecurity === undefined) lines.push(` neighbor ${a} ebgp-multihop 255`);
  if (n.password !== undefined) lines.push(` neighbor ${a} password ${n.password}`);
  if (n.ttlSecurity !== undefined) {
    // bgpd runs without zebra here and cannot see that the peer is connected.
    lines.push(` neighbor ${a} ttl-security hops ${n.ttlSecurity}`);
    lines.push(` neighbor ${a} disable-connected-check`);
  }
  if (n.bfd) lines.push(` neighbor ${a} bfd`, ` neighbor ${a} bfd profile acst`);
  return lines;
}

/**
 * A real FRR bgpd, alone (`-Z`, no zebra: zebra ignores 127/8 addresses), in a
 * private mount namespace so its /var/tmp/frr does not clash with other FRRs.
 */
export class FrrPeer extends BasePeer {
  readonly kind = "frr";
  #nextRouteMapId = 1;

  get logFile(): string {
    return `${this.workDir}/bgpd.log`;
  }

  get vtySocketDir(): string {
    return `${this.workDir}/run`;
  }

  static async start(opts: PeerOptions): Promise<FrrPeer> {
    const [dir, owns] = await BasePeer.prepareWorkDir("frr", opts);
    const peer = new FrrPeer(opts, dir, owns);
    await Deno.mkdir(`${dir}/run`, { recursive: true });
    await Deno.mkdir(`${dir}/vartmp`, { recursive: true });
    await Deno.writeTextFile(`${dir}/bgpd.conf`, peer.config());
    if (opts.bfd) {
      await Deno.writeTextFile(
        `${dir}/zebra.conf`,
        `hostname frr-acst\nlog file ${dir}/zebra.log\n`,
      );
      await Deno.writeTextFile(`${dir}/bfdd.conf`, peer.bfddConfig());
    }
    await peer.startOrCleanUp();
    return peer;
  }

  /** bgpd.conf for the options (announcements are applied at run time through vtysh). */
  config(): string {
    const o = this.options;
    const lines = [
      "hostname frr-acst",
      `log file ${this.logFile}`,
      "log timestamp precision 3",
      `router bgp ${o.asn}`,
      ` bgp router-id ${this.routerId}`,
      // FRR 8.4 sends nothing over eBGP without a policy unless told not to (RFC 8212 default).
      " no bgp ebgp-requires-policy",
      " no bgp network import-check",
      " no bgp default ipv4-unicast",
    ];
    const gr = o.neighbors.find((n) => n.gracefulRestart)?.gracefulRestart;
    if (gr) {
      lines.push(" bgp graceful-restart", ` bgp graceful-restart restart-time ${gr.restartTime}`);
    }
    for (const n of o.neighbors) lines.push(...neighborLines(n, o));
    for (const f of this.families) {
      lines.push(` address-family ${f} unicast`);
      for (const n of o.neighbors) {
        // Keep the next hop set by the announce route-map instead of our own address.
        lines.push(
          `  neighbor ${n.address} activate`,
          `  neighbor ${n.address} attribute-unchanged next-hop`,
        );
      }
      lines.push(" exit-address-family");
    }
    lines.push("exit", "");
    return lines.join("\n");
  }

  /** bfdd.conf: the "acst" profile used by `neighbor X bfd profile acst`, plus BGP-less peers. */
  bfddConfig(): string {
    const b = this.options.bfd ?? {};
    const lines = [
      "hostname frr-acst",
      `log file ${this.workDir}/bfdd.log`,
      "bfd",
      " profile acst",
      `  receive-interval ${b.minRxMs ?? 100}`,
      `  transmit-interval ${b.minTxMs ?? 100}`,
      `  detect-multiplier ${b.multiplier ?? 3}`,
      " exit",
    ];
    for (const p of b.peers ?? []) {
      lines.push(
        ` peer ${p.address}${p.interface ? ` interface ${p.interface}` : ""}`,
        "  profile acst",
        " exit",
      );
    }
    lines.push("exit", "");
    return lines.join("\n");
  }

  protected async launch(): Promise<void> {
    const d = this.workDir;
    const common = `-P 0 --vty_socket '${d}/run' -u root -g frrvty`;
    // libfrr always writes under /var/tmp/frr: give this FRR a private /var/tmp.
    let script = `mount --bind '${d}/vartmp' /var/tmp && `;
    if (this.options.bfd) {
      // BFD needs zebra (interfaces) and bfdd; they run in bgpd's process group and die with it.
      const zserv = `-z '${d}/run/zserv.api'`;
      script +=
        `${FRR_DIR}/zebra ${common} ${zserv} -f '${d}/zebra.conf' -i '${d}/run/zebra.pid' ` +
        `>>'${d}/zebra.stderr' 2>&1 & ` +
        `while [ ! -S '${d}/run/zserv.api' ]; do sleep 0.05; done; ` +
        `${FRR_DIR}/bfdd ${common} ${zserv} --bfdctl '${d}/run/bfdd.sock' -f '${d}/bfdd.conf' ` +
        `-i '${d}/run/bfdd.pid' >>'${d}/bfdd.stderr' 2>&1 & ` +
        `exec ${FRR_DIR}/bgpd ${common} ${zserv} `;
    } else {
      // zebra ignores 127/8 addresses: on loopback bgpd runs alone (-Z).
      script += `exec ${FRR_DIR}/bgpd -Z ${common} `;
    }
    script += `-f '${d}/bgpd.conf' -i '${d}/run/bgpd.pid' -l ${this.options.address} ` +
      `-p ${this.listenPort}`;
    this.process = DaemonProcess.spawn(
      "unshare",
      ["-m", "--propagation", "private", "sh", "-c", script],
      { logFile: `${d}/bgpd.stderr`, ...this.netnsOption },
    );
    const proc = this.process;
    await pollUntil("bgpd's vty", async () => {
      if (proc.exited) {
        throw new PollAborted(`bgpd exited: ${await Deno.readTextFile(`${d}/bgpd.stderr`)}`);
      }
      const r = await runTool("vtysh", [
        "--vty_socket",
        this.vtySocketDir,
        "-c",
        "show bgp summary json",
      ]);
      return r.code === 0 && r.stdout.includes("{") ? true : undefined;
    }, { timeoutMs: 15_000, intervalMs: 100 });
  }

  /** Run vtysh commands (each a `-c`) against this bgpd. */
  async vtysh(...commands: string[]): Promise<string> {
    const out = await runToolOk("vtysh", [
      "--vty_socket",
      this.vtySocketDir,
      ...commands.flatMap((c) => ["-c", c]),
    ]);
    if (/^% /m.test(out)) throw new Error(`vtysh ${commands.join(" / ")}: ${out.trim()}`);
    return out;
  }

  async #neighborJson(neighbor: string): Promise<Record<string, unknown> | undefined> {
    const out = await this.vtysh(`show bgp neighbors ${neighbor} json`);
    const j = JSON.parse(out) as Record<string, Record<string, unknown>>;
    return j[neighbor];
  }

  async sessionState(neighbor: string): Promise<SessionState> {
    const n = await this.#neighborJson(neighbor);
    return normaliseState(n?.bgpState as string | undefined);
  }

  async sessionUptime(neighbor: string): Promise<number | undefined> {
    const n = await this.#neighborJson(neighbor);
    if (normaliseState(n?.bgpState as string | undefined) !== "established") return undefined;
    const ms = n?.bgpTimerUpMsec;
    return typeof ms === "number" ? ms / 1000 : undefined;
  }

  async rib(family: Family = "ipv4", neighbor?: string): Promise<Route[]> {
    const summary = JSON.parse(await this.vtysh(`show bgp ${family} unicast json`)) as {
      routes?: Record<string, { peerId?: string }[]>;
    };
    // Only routes received from a neighbour; locally originated ones have peerId "(unspec)".
    const prefixes = Object.entries(summary.routes ?? {})
      .filter(([, paths]) => paths.some((p) => p.peerId && p.peerId !== "(unspec)"))
      .map(([prefix]) => prefix);
    const routes: Route[] = [];
    // Communities are only in the per-prefix view; ask for up to 100 prefixes per vtysh run.
    for (let i = 0; i < prefixes.length; i += 100) {
      const batch = prefixes.slice(i, i + 100);
      const out = await this.vtysh(...batch.map((p) => `show bgp ${family} unicast ${p} json`));
      for (const doc of parseJsonDocuments(out) as { prefix?: string; paths?: FrrPath[] }[]) {
        for (const p of doc.paths ?? []) {
          if (p.sourced || p.local || !doc.prefix) continue;
          const route = parseFrrPath(doc.prefix, p);
          if (!neighbor || route.from === neighbor) routes.push(route);
        }
      }
    }
    return routes;
  }

  /** A fresh route-map per announce: re-pointing `network` at it changes the attributes in place. */
  #newRouteMapName(): string {
    return `ACST-ANN-${this.#nextRouteMapId++}`;
  }

  async announce(prefix: string, nextHop: string, attrs: AnnounceAttributes = {}): Promise<void> {
    const family = familyOf(prefix);
    const map = this.#newRouteMapName();
    const sets = [
      family === "ipv4" ? `set ip next-hop ${nextHop}` : `set ipv6 next-hop global ${nextHop}`,
      `set origin ${attrs.origin ?? "igp"}`,
    ];
    if (attrs.med !== undefined) sets.push(`set metric ${attrs.med}`);
    if (attrs.localPref !== undefined) sets.push(`set local-preference ${attrs.localPref}`);
    if (attrs.communities?.length) {
      attrs.communities.forEach(parseCommunity);
      sets.push(`set community ${attrs.communities.join(" ")}`);
    }
    if (attrs.largeCommunities?.length) {
      attrs.largeCommunities.forEach(parseLargeCommunity);
      sets.push(`set large-community ${attrs.largeCommunities.join(" ")}`);
    }
    if (attrs.asPathPrepend?.length) {
      sets.push(`set as-path prepend ${attrs.asPathPrepend.join(" ")}`);
    }
    await this.vtysh(
      "configure terminal",
      `route-map ${map} permit 10`,
      ...sets,
      "exit",
      `router bgp ${this.options.asn}`,
      `address-family ${family} unicast`,
      `network ${prefix} route-map ${map}`,
    );
    this.announced.set(prefix, { prefix, nextHop, attrs });
  }

  async withdraw(prefix: string): Promise<void> {
    await this.vtysh(
      "configure terminal",
      `router bgp ${this.options.asn}`,
      `address-family ${familyOf(prefix)} unicast`,
      `no network ${prefix}`,
    );
    this.announced.delete(prefix);
  }

  async routeRefresh(neighbor: string): Promise<void> {
    await this.vtysh(`clear bgp ${neighbor} soft in`);
  }

  /** BFD sessions from bfdd (`show bfd peers json`); needs `bfd` in the options. */
  async bfdSessions(): Promise<BfdSessionInfo[]> {
    const peers = JSON.parse(await this.vtysh("show bfd peers json")) as {
      peer?: string;
      status?: string;
      interface?: string;
    }[];
    return peers.map((p) => {
      const s: BfdSessionInfo = {
        peer: p.peer ?? "",
        state: (["up", "down", "init", "admindown"].includes(p.status ?? "")
          ? p.status
          : "unknown") as BfdSessionInfo["state"],
      };
      if (p.interface) {
        s.interface = p.interface;
      }
      return s;
    });
  }
}
