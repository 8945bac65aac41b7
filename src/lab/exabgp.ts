import {
  BasePeer,
  familyOf,
  normalisePrefix,
  normaliseState,
  parseCommunity,
  parseLargeCommunity,
} from "./_base.ts";
import { DaemonProcess, PollAborted, pollUntil, runToolOk } from "./_process.ts";
import type {
  AnnounceAttributes,
  Family,
  NeighborOptions,
  PeerOptions,
  Route,
  SessionState,
  UpdateRecord,
} from "./types.ts";

const API_SCRIPT = new URL("./api.py", import.meta.url).pathname;

function neighborBlock(opts: PeerOptions, n: NeighborOptions): string {
  const families = opts.families ?? ["ipv4"];
  const lines = [
    `neighbor ${n.address} {`,
    `  router-id ${opts.routerId ?? opts.address};`,
    `  local-address ${opts.address};`,
    `  local-as ${opts.asn};`,
    `  peer-as ${n.asn};`,
    `  hold-time ${n.holdTime ?? 9};`,
    "  group-updates false;",
  ];
  if (n.port) lines.push(`  connect ${n.port};`);
  if (n.passive) lines.push("  passive true;");
  if (n.password !== undefined) lines.push(`  md5-password ${n.password};`);
  if (n.ttlSecurity !== undefined) lines.push(`  incoming-ttl ${256 - n.ttlSecurity};`);
  lines.push("  capability {", "    route-refresh;");
  if (n.gracefulRestart) lines.push(`    graceful-restart ${n.gracefulRestart.restartTime};`);
  lines.push("  }");
  lines.push("  family {", ...families.map((f) => `    ${f} unicast;`), "  }");
  lines.push(
    "  api {",
    "    processes [ acst ];",
    "    neighbor-changes;",
    "    receive { parsed; update; notification; refresh; }",
    "  }",
    "}",
  );
  return lines.join("\n");
}

interface ExaAttributes {
  origin?: string;
  "as-path"?: number[] | Record<string, { value?: number[] }>;
  med?: number;
  "local-preference"?: number;
  community?: [number, number][];
  "large-community"?: [number, number, number][];
  "extended-community"?: { string?: string; value?: number }[];
}

interface ExaMessage {
  type?: string;
  time?: number;
  neighbor?: {
    address?: { local?: string; peer?: string };
    state?: string;
    message?: {
      update?: {
        attribute?: ExaAttributes;
        announce?: Record<string, Record<string, ({ nlri?: string } | string)[]>>;
        withdraw?: Record<string, ({ nlri?: string } | string)[]>;
      };
      notification?: { code?: number; subcode?: number };
      eor?: { afi?: string; safi?: string };
    };
    notification?: { code?: number; subcode?: number };
    "route-refresh"?: { afi?: string; safi?: string; subtype?: string };
  };
}

/** ExaBGP "target:65000:7" → the harness's "rt:65000:7". */
function extendedCommunityText(c: { string?: string; value?: number }): string {
  const s = c.string ?? String(c.value);
  return s.replace(/^target:/, "rt:").replace(/^origin:/, "soo:");
}

function nlriText(n: { nlri?: string } | string): string {
  return normalisePrefix(typeof n === "string" ? n : n.nlri ?? "");
}

/** Routes and withdrawn prefixes of one ExaBGP JSON "update" message. */
export function parseExaBgpUpdate(msg: ExaMessage): { announced: Route[]; withdrawn: string[] } {
  const update = msg.neighbor?.message?.update ?? {};
  const a = update.attribute ?? {};
  const asPathRaw = a["as-path"];
  // ExaBGP 4.2 prints as-path as a list, newer versions as {"0": {element, value}}.
  const asPath = Array.isArray(asPathRaw)
    ? asPathRaw
    : Object.values(asPathRaw ?? {}).flatMap((seg) => seg.value ?? []);
  const from = msg.neighbor?.address?.peer;
  const announced: Route[] = [];
  for (const byNextHop of Object.values(update.announce ?? {})) {
    for (const [nextHop, nlris] of Object.entries(byNextHop)) {
      for (const n of nlris) {
        const route: Route = {
          prefix: nlriText(n),
          nextHop: nextHop.toLowerCase(),
          asPath,
          origin: (a.origin ?? "igp") as Route["origin"],
          communities: (a.community ?? []).map(([x, y]) => `${x}:${y}`),
          largeCommunities: (a["large-community"] ?? []).map(([x, y, z]) => `${x}:${y}:${z}`),
          extendedCommunities: (a["extended-community"] ?? []).map(extendedCommunityText),
        };
        if (a.med !== undefined) route.med = a.med;
        if (a["local-preference"] !== undefined) route.localPref = a["local-preference"];
        if (from) route.from = from;
        announced.push(route);
      }
    }
  }
  const withdrawn = Object.values(update.withdraw ?? {}).flatMap((list) => list.map(nlriText));
  return { announced, withdrawn };
}

/**
 * A real ExaBGP with a tiny API helper (api.py): what it receives is read
 * from a JSON-lines file, what it should send goes through a FIFO.
 */
export class ExaBgpPeer extends BasePeer {
  readonly kind = "exabgp";
  /** Every UPDATE, state change and NOTIFICATION, in arrival order. */
  readonly updates: UpdateRecord[] = [];
  /** Latest route per family and prefix (and neighbour), from announce/withdraw lines. */
  #routes = new Map<string, Route>();
  #states = new Map<string, { state: string; since: number }>();
  #readOffset = 0;
  #partialLine = "";
  #readyCount = 0;

  get logFile(): string {
    return `${this.workDir}/exabgp.log`;
  }

  get receivedFile(): string {
    return `${this.workDir}/received.jsonl`;
  }

  get fifo(): string {
    return `${this.workDir}/commands.fifo`;
  }

  static async start(opts: PeerOptions): Promise<ExaBgpPeer> {
    const [dir, owns] = await BasePeer.prepareWorkDir("exabgp", opts);
    const peer = new ExaBgpPeer(opts, dir, owns);
    await Deno.writeTextFile(`${dir}/exabgp.conf`, peer.config());
    await Deno.writeTextFile(peer.receivedFile, "");
    await runToolOk("mkfifo", [peer.fifo]);
    await peer.startOrCleanUp();
    return peer;
  }

  config(): string {
    return [
      "process acst {",
      `  run /usr/bin/python3 ${API_SCRIPT} ${this.receivedFile} ${this.fifo};`,
      "  encoder json;",
      "}",
      ...this.options.neighbors.map((n) => neighborBlock(this.options, n)),
      "",
    ].join("\n");
  }

  protected async launch(): Promise<void> {
    const d = this.workDir;
    const env = {
      "exabgp.daemon.user": "root",
      // ExaBGP only listens when tcp.bind is set; otherwise it only connects out.
      "exabgp.tcp.bind": this.options.address,
      "exabgp.tcp.port": String(this.listenPort),
      "exabgp.api.cli": "false",
      "exabgp.log.destination": this.logFile,
      "exabgp.daemon.pid": `${d}/exabgp.pid`,
      "exabgp.tcp.delay": "0",
      "exabgp.tcp.acl": "false",
    };
    // Passed through env(1): dash drops variables with dots in their names from its environment.
    this.process = DaemonProcess.spawn("env", [
      ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
      "exabgp",
      `${d}/exabgp.conf`,
    ], { logFile: `${d}/exabgp.stderr`, ...this.netnsOption });
    const proc = this.process;
    const readyBefore = this.#readyCount;
    // Ready when the API helper says so: it runs only once ExaBGP is up and holds the FIFO open.
    await pollUntil("ExaBGP and its API helper", async () => {
      if (proc.exited) throw new PollAborted(`exabgp exited: ${await this.logTail(20)}`);
      await this.#ingest();
      return this.#readyCount > readyBefore ? true : undefined;
    }, { timeoutMs: 15_000, intervalMs: 50 });
  }

  /** Read lines appended to received.jsonl since the last call. */
  async #ingest(): Promise<void> {
    let file: Deno.FsFile;
    try {
      file = await Deno.open(this.receivedFile);
    } catch {
      return;
    }
    try {
      await file.seek(this.#readOffset, Deno.SeekMode.Start);
      const chunks: Uint8Array[] = [];
      const buf = new Uint8Array(1 << 16);
      for (;;) {
        const n = await file.read(buf);
        if (n === null) break;
        chunks.push(buf.slice(0, n));
        this.#readOffset += n;
      }
      const text = this.#partialLine + new TextDecoder().decode(concat(chunks));
      const lines = text.split("\n");
      this.#partialLine = lines.pop() ?? "";
      for (const line of lines) if (line.trim()) this.#apply(line);
    } finally {
      file.close();
    }
  }

  #apply(line: string): void {
    let msg: ExaMessage;
    try {
      // ExaBGP 4.2 double-quotes the values of route-refresh messages: ""ipv4"".
      msg = JSON.parse(line.replace(/""([\w-]*)""/g, '"$1"')) as ExaMessage;
    } catch {
      return; // ExaBGP also echoes non-JSON text lines; they carry no routes
    }
    const neighbor = msg.neighbor?.address?.peer ?? "";
    const time = msg.time ? msg.time * 1000 : Date.now();
    if (msg.type === "acst-ready") {
      this.#readyCount++;
    } else if (msg.type === "state") {
      const state = msg.neighbor?.state ?? "unknown";
      this.#states.set(neighbor, { state, since: time });
      this.updates.push({ kind: "state", time, neighbor, state });
      if (state === "down") {
        // ExaBGP keeps no RIB: a closed session takes the neighbour's routes with it.
        for (const [key, r] of this.#routes) if (r.from === neighbor) this.#routes.delete(key);
      }
    } else if (msg.type === "notification") {
      const n = msg.neighbor?.notification ?? msg.neighbor?.message?.notification ?? {};
      this.updates.push({
        kind: "notification",
        time,
        neighbor,
        code: n.code ?? 0,
        subcode: n.subcode ?? 0,
      });
    } else if (msg.type === "refresh") {
      const r = msg.neighbor?.["route-refresh"] ?? {};
      this.updates.push({
        kind: "refresh",
        time,
        neighbor,
        family: `${r.afi ?? ""} ${r.safi ?? ""}`.trim(),
        subtype: r.subtype ?? "",
      });
    } else if (msg.type === "update" && msg.neighbor?.message?.eor) {
      const eor = msg.neighbor.message.eor;
      this.updates.push({ kind: "eor", time, neighbor, family: `${eor.afi} ${eor.safi}` });
    } else if (msg.type === "update") {
      const { announced, withdrawn } = parseExaBgpUpdate(msg);
      this.updates.push({ kind: "update", time, neighbor, announced, withdrawn });
      for (const p of withdrawn) this.#routes.delete(`${neighbor} ${p}`);
      for (const r of announced) this.#routes.set(`${neighbor} ${r.prefix}`, r);
    }
  }

  /** Every UPDATE/state/NOTIFICATION received so far, in arrival order. */
  async updateLog(): Promise<UpdateRecord[]> {
    await this.#ingest();
    return [...this.updates];
  }

  async sessionState(neighbor: string): Promise<SessionState> {
    await this.#ingest();
    const s = this.#states.get(neighbor)?.state;
    if (s === "up") return "established";
    if (s === "connected") return "opensent";
    return s === "down" ? "idle" : normaliseState(s);
  }

  async sessionUptime(neighbor: string): Promise<number | undefined> {
    await this.#ingest();
    const s = this.#states.get(neighbor);
    return s?.state === "up" ? Math.max(0, (Date.now() - s.since) / 1000) : undefined;
  }

  async rib(family: Family = "ipv4", neighbor?: string): Promise<Route[]> {
    await this.#ingest();
    return [...this.#routes.values()].filter((r) =>
      familyOf(r.prefix) === family && (!neighbor || r.from === neighbor)
    );
  }

  /** Write one API command line to ExaBGP through the FIFO. */
  async command(line: string): Promise<void> {
    const f = await Deno.open(this.fifo, { write: true });
    try {
      await f.write(new TextEncoder().encode(line.trim() + "\n"));
    } finally {
      f.close();
    }
  }

  /** Write many API command lines in one go (bulk loads, benchmarks). */
  async commands(lines: Iterable<string>): Promise<void> {
    const f = await Deno.open(this.fifo, { write: true });
    try {
      let batch: string[] = [];
      const flush = async () => {
        const bytes = new TextEncoder().encode(batch.join(""));
        for (let at = 0; at < bytes.length;) at += await f.write(bytes.subarray(at));
        batch = [];
      };
      for (const l of lines) {
        batch.push(l.trim() + "\n");
        if (batch.length >= 1000) await flush();
      }
      await flush();
    } finally {
      f.close();
    }
  }

  async announce(prefix: string, nextHop: string, attrs: AnnounceAttributes = {}): Promise<void> {
    const parts = [
      `announce route ${prefix} next-hop ${nextHop}`,
      `origin ${attrs.origin ?? "igp"}`,
    ];
    if (attrs.med !== undefined) parts.push(`med ${attrs.med}`);
    if (attrs.localPref !== undefined) parts.push(`local-preference ${attrs.localPref}`);
    if (attrs.communities?.length) {
      attrs.communities.forEach(parseCommunity);
      parts.push(`community [ ${attrs.communities.join(" ")} ]`);
    }
    if (attrs.largeCommunities?.length) {
      attrs.largeCommunities.forEach(parseLargeCommunity);
      parts.push(`large-community [ ${attrs.largeCommunities.join(" ")} ]`);
    }
    // ExaBGP sends the AS_PATH as given; put our own AS first like the other daemons do.
    if (attrs.asPathPrepend?.length) {
      parts.push(`as-path [ ${[this.options.asn, ...attrs.asPathPrepend].join(" ")} ]`);
    }
    await this.command(parts.join(" "));
    this.announced.set(prefix, { prefix, nextHop, attrs });
  }

  async withdraw(prefix: string): Promise<void> {
    const r = this.announced.get(prefix);
    await this.command(`withdraw route ${prefix} next-hop ${r?.nextHop ?? "self"}`);
    this.announced.delete(prefix);
  }

  async routeRefresh(neighbor: string): Promise<void> {
    for (const f of this.families) {
      await this.command(`neighbor ${neighbor} announce route-refresh ${f} unicast`);
    }
  }

  override async restart(): Promise<void> {
    this.#states.clear();
    this.#routes.clear();
    await super.restart();
  }
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
