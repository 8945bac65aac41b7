/**
 * Fleet guard benchmark: the time the guard adds to a health-driven withdraw,
 * against the same withdraw without a fleet, with a real 3-member etcd cluster
 * on loopback (bounded: a fixed number of trials, stops by itself, kills what
 * it starts). Run under the interop lock: it binds fixed 127.0.0.x addresses.
 *
 * Two `anycast run` daemons (started as a user does, `deno run -A main.ts run
 * --config FILE`) peer with one BIRD: the subject announces 198.51.100.60/32
 * gated by an HTTP readinessProbe (period 100 ms, failureThreshold 1); a
 * partner announces the same prefix statically, so the guard lets the
 * subject's withdraw go through (one site remains, minSites 1).
 *
 * Per trial: t0 = arrival of the subject's first probe request answered 503
 * (this process's performance.now()); t1 = the subject's path is gone from
 * BIRD, polled over BIRD's control socket (~1 ms per poll). Same trials with
 * and without the `fleet` block; the difference of the two is the guard's
 * cost. Next to it, the real peer doing the guard's etcd work alone: one
 * range read plus one guarded transaction (the guard's two round trips) from
 * a plain etcd3 client in this process against the same cluster.
 *
 * Usage: `deno task bench:fleet [--trials 40]`
 *
 * @module
 */
import { BirdPeer, EtcdCluster, NEXT_HOP_V4, SPARE_ADDRESSES } from "../src/lab/mod.ts";
import { EtcdStore } from "../src/fleet/etcd_store.ts";

function flag(name: string, fallback: string): string {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Deno.args[i + 1] ?? fallback : fallback;
}

const TRIALS = Number(flag("trials", "40"));
// Addresses (spare range): subject .30, partner .31, etcd .35-.37, BIRD .38.
const SUBJECT = SPARE_ADDRESSES[20]!;
const PARTNER = SPARE_ADDRESSES[21]!;
const ETCD = [25, 26, 27].map((i) => SPARE_ADDRESSES[i]!);
const BIRD = SPARE_ADDRESSES[28]!;
const BIRD_ASN = 65002;
const PREFIX = "198.51.100.60/32";
const MAIN = new URL("../main.ts", import.meta.url).pathname;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** BIRD's control socket, kept open: one `show route for P all` per poll. */
class BirdControl {
  #conn: Deno.UnixConn;
  #buffer = "";
  #decoder = new TextDecoder();

  private constructor(conn: Deno.UnixConn) {
    this.#conn = conn;
  }

  static async open(path: string): Promise<BirdControl> {
    const c = new BirdControl(await Deno.connect({ transport: "unix", path }));
    await c.#reply();
    return c;
  }

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

  /** Whether BIRD holds a path for `prefix` learned from `from`. */
  async hasPathFrom(prefix: string, from: string): Promise<boolean> {
    await this.#conn.write(new TextEncoder().encode(`show route for ${prefix} all\n`));
    return (await this.#reply()).includes(`from ${from}]`);
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

function config(
  address: string,
  dir: string,
  healthPort: number | undefined,
  endpoints: string[] | undefined,
): string {
  const lines = [
    "speaker:",
    "  asn: 64600",
    `  routerId: "${address}"`,
    "  listenPort: 0",
    "api:",
    `  socket: "${dir}/anycast.sock"`,
    "logging:",
    "  level: warning",
    "neighbors:",
    `  - address: "${BIRD}"`,
    `    asn: ${BIRD_ASN}`,
    `    localAddress: "${address}"`,
    "    holdTime: 9s",
    "prefixes:",
    `  - ipAddress: "${PREFIX}"`,
    `    nextHop: "${NEXT_HOP_V4}"`,
  ];
  if (healthPort !== undefined) {
    lines.push(
      "    readinessProbe:",
      "      periodSeconds: 100ms",
      "      timeoutSeconds: 80ms",
      "      failureThreshold: 1",
      "      successThreshold: 1",
      "      http:",
      `        port: ${healthPort}`,
      "        path: /health",
    );
  }
  if (endpoints) {
    lines.push(
      "fleet:",
      `  site: ${address === SUBJECT ? "subject" : "partner"}`,
      "  etcd:",
      `    endpoints: [${endpoints.map((e) => `"${e}"`).join(", ")}]`,
      "  guard:",
      "    minSites: 1",
    );
  }
  return lines.join("\n") + "\n";
}

function startDaemon(dir: string): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "run", "--config", `${dir}/config.yaml`],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
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

async function until(what: string, fn: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function main(): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "anycast-bench-fleet-" });
  let healthy = true;
  const failing: number[] = [];
  const health = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
    if (!healthy) failing.push(performance.now());
    return new Response(healthy ? "ok\n" : "failing\n", { status: healthy ? 200 : 503 });
  });
  const etcd = await EtcdCluster.start({ addresses: ETCD });
  const bird = await BirdPeer.start({
    address: BIRD,
    asn: BIRD_ASN,
    neighbors: [SUBJECT, PARTNER].map((address) => ({ address, asn: 64600, holdTime: 9 })),
  });
  const control = await BirdControl.open(bird.socket);
  const results: Record<string, number[]> = {};
  const children: Deno.ChildProcess[] = [];
  try {
    for (const mode of ["without fleet", "with fleet (3-member etcd)"]) {
      const endpoints = mode.startsWith("with ") ? etcd.endpoints : undefined;
      for (const [address, probe] of [[PARTNER, false], [SUBJECT, true]] as const) {
        const d = `${dir}/${address}`;
        await Deno.mkdir(d, { recursive: true });
        await Deno.writeTextFile(
          `${d}/config.yaml`,
          config(address, d, probe ? health.addr.port : undefined, endpoints),
        );
        children.push(startDaemon(d));
      }
      healthy = true;
      await until(
        "both paths at BIRD",
        async () =>
          await control.hasPathFrom(PREFIX, SUBJECT) && await control.hasPathFrom(PREFIX, PARTNER),
      );
      const samples: number[] = [];
      for (let trial = 0; trial < TRIALS; trial++) {
        healthy = true;
        await until("the subject's path", () => control.hasPathFrom(PREFIX, SUBJECT));
        await sleep(150 + Math.random() * 100);
        const t0 = performance.now();
        healthy = false;
        let t1 = 0;
        for (const deadline = t0 + 10_000; performance.now() < deadline;) {
          if (!(await control.hasPathFrom(PREFIX, SUBJECT))) {
            t1 = performance.now();
            break;
          }
        }
        const seen = failing.find((t) => t >= t0);
        if (t1 === 0 || seen === undefined) throw new Error(`trial ${trial}: no withdraw in 10 s`);
        samples.push(t1 - seen);
      }
      results[mode] = samples;
      for (const c of children.splice(0)) await stopDaemon(c);
      await sleep(500);
    }
    // The guard's own etcd work, from a plain client: one range read + one guarded txn.
    const store = new EtcdStore({ endpoints: etcd.endpoints });
    await store.grantLease(5, () => {});
    const etcdMs: number[] = [];
    const range = "/bench/prefixes/198.51.100.60/32/";
    for (let i = 0; i < TRIALS * 2; i++) {
      const t0 = performance.now();
      const r = await store.range(range);
      await store.guardedPut({
        key: `${range}x`,
        value: String(i),
        range,
        revision: r.revision,
        unchanged: r.kvs,
      });
      etcdMs.push(performance.now() - t0);
    }
    await store.revokeLease();
    await store.close();

    const without = results["without fleet"]!;
    const withFleet = results["with fleet (3-member etcd)"]!;
    console.log("bench:fleet — health-driven withdraw, first failing probe -> path gone at BIRD");
    console.log(`  ${summary("without fleet            ", without)}`);
    console.log(`  ${summary("with fleet (3-member etcd)", withFleet)}`);
    console.log(
      `  guard adds: p50 ${(percentile(withFleet, 50) - percentile(without, 50)).toFixed(1)} ms, ` +
        `p99 ${(percentile(withFleet, 99) - percentile(without, 99)).toFixed(1)} ms`,
    );
    console.log(
      `  ${summary("etcd alone: range + guarded txn (etcd3 client)", etcdMs)}`,
    );
  } finally {
    for (const c of children) await stopDaemon(c);
    control.close();
    await bird.stop();
    await etcd.stop();
    await health.shutdown();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

await main();
