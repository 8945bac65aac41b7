// Network namespaces for tests that need real interfaces (BFD single hop,
// RFC 5881): a pair of namespaces joined by a veth pair, addresses 10.255.x.y/30
// that exist only inside them, always deleted afterwards.
import { DaemonProcess, type RunResult, runTool, runToolOk } from "./_process.ts";

/** One side of a namespace pair. */
export interface NetnsSide {
  /** Namespace name, "acst-<pid>-<n>a". */
  name: string;
  /** veth interface inside the namespace: "vA" or "vB". */
  iface: string;
  /** Address of `iface`, without the prefix length. */
  address: string;
}

export interface NetnsPairOptions {
  /** Third octet of 10.255.x.0/30 and its successors. Default: derived from pid and a counter. */
  subnet?: number;
}

const LIVE_NAMESPACES = new Set<string>();
let pairCounter = 0;
let unloadHookInstalled = false;

/** Delete namespaces left behind when the test process exits mid-test. */
function installUnloadHook(): void {
  if (unloadHookInstalled) return;
  unloadHookInstalled = true;
  globalThis.addEventListener("unload", () => {
    for (const ns of LIVE_NAMESPACES) {
      new Deno.Command("ip", { args: ["netns", "del", ns], stdout: "null", stderr: "null" })
        .outputSync();
    }
  });
}

/**
 * Two network namespaces `a` and `b` joined by a veth pair: a.address/30 on
 * a.iface, b.address/30 on b.iface, loopback up in both.
 */
export class NetnsPair implements AsyncDisposable {
  readonly a: NetnsSide;
  readonly b: NetnsSide;
  #deleted = false;

  private constructor(a: NetnsSide, b: NetnsSide) {
    this.a = a;
    this.b = b;
  }

  static async create(opts: NetnsPairOptions = {}): Promise<NetnsPair> {
    installUnloadHook();
    // A killed run cannot delete its namespaces (or free their subnets): do it for it.
    await reapOrphanedNamespaces();
    const n = pairCounter++;
    const base = `acst-${Deno.pid}-${n}`;
    // /30 subnets: 10.255.<x>.<4k+1>, <4k+2>; x and k spread runs of different processes apart.
    const third = opts.subnet ?? (Deno.pid % 200) + 20;
    const fourth = (n % 60) * 4;
    const pair = new NetnsPair(
      { name: `${base}a`, iface: "vA", address: `10.255.${third}.${fourth + 1}` },
      { name: `${base}b`, iface: "vB", address: `10.255.${third}.${fourth + 2}` },
    );
    try {
      for (const side of [pair.a, pair.b]) {
        await runToolOk("ip", ["netns", "add", side.name]);
        LIVE_NAMESPACES.add(side.name);
      }
      await runToolOk("ip", [
        "link",
        "add",
        pair.a.iface,
        "netns",
        pair.a.name,
        "type",
        "veth",
        "peer",
        "name",
        pair.b.iface,
        "netns",
        pair.b.name,
      ]);
      for (const side of [pair.a, pair.b]) {
        await runToolOk("ip", [
          "-n",
          side.name,
          "addr",
          "add",
          `${side.address}/30`,
          "dev",
          side.iface,
        ]);
        await runToolOk("ip", ["-n", side.name, "link", "set", "lo", "up"]);
        await runToolOk("ip", ["-n", side.name, "link", "set", side.iface, "up"]);
      }
    } catch (e) {
      await pair.delete();
      throw e;
    }
    return pair;
  }

  /** Run a command to completion inside namespace `side`. */
  exec(side: NetnsSide, cmd: string, args: string[] = []): Promise<RunResult> {
    return runTool(cmd, args, { netns: side.name });
  }

  /** Start a long-running process inside `side`, in its own process group. */
  spawn(side: NetnsSide, cmd: string, args: string[], logFile: string): DaemonProcess {
    return DaemonProcess.spawn(cmd, args, { logFile, netns: side.name });
  }

  /** Take the veth link down or up (from inside `side`): a link failure without killing anything. */
  async setLink(side: NetnsSide, up: boolean): Promise<void> {
    await runToolOk("ip", ["-n", side.name, "link", "set", side.iface, up ? "up" : "down"]);
  }

  /** Delete both namespaces (the veth pair goes with them). Safe to call twice. */
  async delete(): Promise<void> {
    if (this.#deleted) return;
    this.#deleted = true;
    for (const side of [this.a, this.b]) {
      if (!LIVE_NAMESPACES.has(side.name)) continue;
      await runTool("ip", ["netns", "del", side.name]);
      LIVE_NAMESPACES.delete(side.name);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.delete();
  }
}

/** Names of namespaces left by earlier runs (prefix "acst-"), for a cleanup step. */
export async function strayNamespaces(): Promise<string[]> {
  const r = await runTool("ip", ["netns", "list"]);
  return r.stdout.split("\n").map((l) => l.split(" ")[0] ?? "").filter((n) =>
    n.startsWith("acst-")
  );
}

/**
 * Delete namespaces made by NetnsPair in a process that no longer exists (its
 * pid is in the name: acst-<pid>-<n>a). Namespaces of live processes, and names
 * of any other shape, are left alone. Returns the names deleted.
 */
export async function reapOrphanedNamespaces(): Promise<string[]> {
  const reaped: string[] = [];
  for (const name of await strayNamespaces()) {
    const m = /^acst-(\d+)-\d+[ab]$/.exec(name);
    if (!m?.[1] || Number(m[1]) === Deno.pid) continue;
    if (await Deno.stat(`/proc/${m[1]}`).then(() => true, () => false)) continue;
    if ((await runTool("ip", ["netns", "del", name])).code === 0) reaped.push(name);
  }
  return reaped;
}
