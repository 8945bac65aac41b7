/**
 * Lab: a real etcd cluster (Debian `etcd-server`) on loopback, one member per
 * 127.0.0.x address, each in its own work dir (`acst-etcd-*`). Used by the
 * fleet interop test and `deno task bench:fleet`.
 *
 *   etcd --name m0 --data-dir D --listen-client-urls http://A:2379 --advertise-client-urls http://A:2379
 *        --listen-peer-urls http://A:2380 --initial-advertise-peer-urls http://A:2380
 *        --initial-cluster m0=http://A:2380,m1=... --initial-cluster-state new
 *
 * @module
 */
import { DaemonProcess, pollUntil, runTool, tailFile, waitForFreePort } from "./_process.ts";
import { recordOwner } from "./_reaper.ts";

export interface EtcdClusterOptions {
  /** One loopback address per member (3 for a real quorum). */
  addresses: readonly string[];
  /** Default 2379. */
  clientPort?: number;
  /** Default 2380. */
  peerPort?: number;
  /** Cluster token (default "acst-lab"). */
  token?: string;
}

interface Member {
  name: string;
  address: string;
  workDir: string;
  process: DaemonProcess | undefined;
}

/** `etcdctl endpoint status -w json` for one member. */
interface EndpointStatus {
  Endpoint: string;
  Status: { header: { member_id: number }; leader: number };
}

export class EtcdCluster implements AsyncDisposable {
  readonly options: EtcdClusterOptions;
  #members: Member[];

  private constructor(options: EtcdClusterOptions, members: Member[]) {
    this.options = options;
    this.#members = members;
  }

  get clientPort(): number {
    return this.options.clientPort ?? 2379;
  }

  get peerPort(): number {
    return this.options.peerPort ?? 2380;
  }

  /** Client URLs of every member. */
  get endpoints(): string[] {
    return this.#members.map((m) => this.#clientUrl(m));
  }

  get members(): readonly string[] {
    return this.#members.map((m) => m.name);
  }

  static async start(options: EtcdClusterOptions): Promise<EtcdCluster> {
    const members: Member[] = [];
    for (const [i, address] of options.addresses.entries()) {
      members.push({
        name: `m${i}`,
        address,
        workDir: await Deno.makeTempDir({ prefix: "acst-etcd-" }),
        process: undefined,
      });
    }
    const cluster = new EtcdCluster(options, members);
    try {
      for (const m of members) {
        for (const port of [cluster.clientPort, cluster.peerPort]) {
          if (!(await waitForFreePort(m.address, port, 30_000))) {
            throw new Error(`${m.address}:${port} stayed in use`);
          }
        }
      }
      for (const m of members) await cluster.#launch(m, "new");
      await cluster.waitHealthy();
    } catch (e) {
      const tails = await Promise.all(members.map((m) => tailFile(`${m.workDir}/etcd.log`, 15)));
      await cluster.stop();
      throw new Error(
        `Cannot start etcd: ${e instanceof Error ? e.message : e}\n${tails.join("\n---\n")}`,
      );
    }
    return cluster;
  }

  #clientUrl(m: Member): string {
    return `http://${m.address}:${this.clientPort}`;
  }

  #peerUrl(m: Member): string {
    return `http://${m.address}:${this.peerPort}`;
  }

  async #launch(m: Member, state: "new" | "existing"): Promise<void> {
    const initial = this.#members.map((x) => `${x.name}=${this.#peerUrl(x)}`).join(",");
    m.process = DaemonProcess.spawn("etcd", [
      "--name",
      m.name,
      "--data-dir",
      `${m.workDir}/data`,
      "--listen-client-urls",
      this.#clientUrl(m),
      "--advertise-client-urls",
      this.#clientUrl(m),
      "--listen-peer-urls",
      this.#peerUrl(m),
      "--initial-advertise-peer-urls",
      this.#peerUrl(m),
      "--initial-cluster",
      initial,
      "--initial-cluster-token",
      this.options.token ?? "acst-lab",
      "--initial-cluster-state",
      state,
      // Fast elections on loopback: a killed leader is replaced in about a second.
      "--heartbeat-interval",
      "100",
      "--election-timeout",
      "1000",
      "--logger",
      "zap",
      "--log-outputs",
      "stderr",
    ], { logFile: `${m.workDir}/etcd.log`, cwd: m.workDir });
    await recordOwner(m.workDir, m.process.pid);
  }

  #member(name: string): Member {
    const m = this.#members.find((x) => x.name === name);
    if (!m) throw new RangeError(`Unknown etcd member ${name}`);
    return m;
  }

  /** Wait until every running member answers and the cluster has a leader. */
  async waitHealthy(timeoutMs = 20_000): Promise<void> {
    const running = this.#members.filter((m) => m.process && !m.process.exited);
    await pollUntil("etcd members to be healthy", async () => {
      const r = await runTool("etcdctl", [
        "--endpoints",
        running.map((m) => this.#clientUrl(m)).join(","),
        "--dial-timeout",
        "1s",
        "--command-timeout",
        "2s",
        "endpoint",
        "health",
      ], { timeoutMs: 5000 });
      return r.code === 0 ? true : undefined;
    }, { timeoutMs, intervalMs: 200 });
  }

  /** The name of the current leader, asked of the running members. */
  async leader(): Promise<string> {
    const running = this.#members.filter((m) => m.process && !m.process.exited);
    return await pollUntil("an etcd leader", async () => {
      const r = await runTool("etcdctl", [
        "--endpoints",
        running.map((m) => this.#clientUrl(m)).join(","),
        "--dial-timeout",
        "1s",
        "endpoint",
        "status",
        "-w",
        "json",
      ], { timeoutMs: 5000 });
      if (r.code !== 0) return undefined;
      const statuses = JSON.parse(r.stdout) as EndpointStatus[];
      const leader = statuses.find((s) => s.Status.header.member_id === s.Status.leader);
      if (!leader) return undefined;
      return running.find((m) => leader.Endpoint === this.#clientUrl(m))?.name;
    }, { timeoutMs: 10_000, intervalMs: 200 });
  }

  /** SIGKILL one member. */
  async kill(name: string): Promise<void> {
    const m = this.#member(name);
    m.process?.signal("SIGKILL");
    await m.process?.status;
    m.process = undefined;
  }

  /** Start a killed or stopped member again with its data. */
  async restart(name: string): Promise<void> {
    const m = this.#member(name);
    if (m.process && !m.process.exited) return;
    await this.#launch(m, "existing");
  }

  /** Stop (SIGTERM) every member, keeping the data; `restartAll()` brings them back. */
  async stopAll(): Promise<void> {
    await Promise.all(this.#members.map(async (m) => {
      await m.process?.stop();
      m.process = undefined;
    }));
  }

  async restartAll(): Promise<void> {
    for (const m of this.#members) await this.restart(m.name);
    await this.waitHealthy();
  }

  /** `etcdctl get --prefix` as key -> value. */
  async get(prefix: string): Promise<Map<string, string>> {
    const out = await runTool("etcdctl", [
      "--endpoints",
      this.endpoints.join(","),
      "get",
      "--prefix",
      prefix,
      "-w",
      "json",
    ], { timeoutMs: 5000 });
    const map = new Map<string, string>();
    if (out.code !== 0) throw new Error(`etcdctl get: ${out.stderr}`);
    const doc = JSON.parse(out.stdout) as { kvs?: { key: string; value: string }[] };
    for (const kv of doc.kvs ?? []) map.set(atob(kv.key), atob(kv.value));
    return map;
  }

  async stop(): Promise<void> {
    await this.stopAll();
    if (Deno.env.get("ACST_KEEP_WORKDIR")) return;
    for (const m of this.#members) {
      await Deno.remove(m.workDir, { recursive: true }).catch(() => {});
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
