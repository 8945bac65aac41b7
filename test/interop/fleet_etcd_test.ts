/**
 * Fleet guard end to end (docs/fleet.md): a real 3-member etcd cluster and five
 * `anycast run` daemons, each a site on its own 127.0.0.x, all peering with one
 * BIRD. BIRD's path count for the prefix is the number of sites announcing it.
 *
 * Addresses: sites 127.0.0.30-34, etcd members 127.0.0.35-37, BIRD 127.0.0.3.
 * Sites s0-s3 use onEtcdLoss: local, s4 uses hold. minSites 2, lease TTL 5 s (the default).
 */
import assert from "node:assert/strict";
import {
  BIRD_ADDRESS,
  BIRD_ASN,
  BirdPeer,
  EtcdCluster,
  interopTest,
  NEXT_HOP_V4,
  sleep,
  SPARE_ADDRESSES,
} from "./harness/mod.ts";
import { cli, HealthEndpoint, RunDaemon, until } from "./_run_daemon.ts";

const SITES = [20, 21, 22, 23, 24].map((i) => SPARE_ADDRESSES[i]!); // 127.0.0.30-34
const ETCD = [25, 26, 27].map((i) => SPARE_ADDRESSES[i]!); // 127.0.0.35-37
const PREFIX = "198.51.100.50/32";
const MIN_SITES = 2;

function siteConfig(
  i: number,
  dir: string,
  health: HealthEndpoint,
  endpoints: string[],
): string {
  const address = SITES[i]!;
  return [
    "speaker:",
    "  asn: 64600",
    `  routerId: "${address}"`,
    "  listenPort: 0",
    "api:",
    `  socket: "${dir}/anycast.sock"`,
    "neighbors:",
    `  - address: "${BIRD_ADDRESS}"`,
    `    asn: ${BIRD_ASN}`,
    `    localAddress: "${address}"`,
    "    holdTime: 9s",
    "prefixes:",
    `  - ipAddress: "${PREFIX}"`,
    `    nextHop: "${NEXT_HOP_V4}"`,
    "    readinessProbe:",
    "      periodSeconds: 200ms",
    "      timeoutSeconds: 150ms",
    "      failureThreshold: 1",
    "      successThreshold: 1",
    "      http:",
    `        port: ${health.port}`,
    "        path: /health",
    "fleet:",
    `  site: s${i}`,
    "  etcd:",
    `    endpoints: [${endpoints.map((e) => `"${e}"`).join(", ")}]`,
    "    timeout: 1s",
    "  leaseTtl: 5s",
    "  guard:",
    `    minSites: ${MIN_SITES}`,
    `  onEtcdLoss: ${i === 4 ? "hold" : "local"}`,
    "",
  ].join("\n");
}

interface FleetJson {
  prefixes: {
    prefix: string;
    announcing: number;
    total: number;
    floor: number;
    belowFloor: boolean;
    sites: { site: string; state: string; reason: string }[];
  }[];
}

await interopTest({
  name: "fleet guard: 3-member etcd, 5 anycast run sites, one BIRD",
  daemons: ["bird", "etcd"],
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async (t) => {
    const dirs: string[] = [];
    await using etcd = await EtcdCluster.start({ addresses: ETCD });
    await using bird = await BirdPeer.start({
      address: BIRD_ADDRESS,
      asn: BIRD_ASN,
      neighbors: SITES.map((address) => ({ address, asn: 64600, holdTime: 9 })),
    });
    const health = SITES.map(() => new HealthEndpoint(true));
    const daemons: (RunDaemon | undefined)[] = [];
    const fleet = async (): Promise<{ code: number; table: FleetJson }> => {
      const r = await cli(["fleet", "--endpoints", etcd.endpoints.join(","), "--json"]);
      if (r.code !== 0 && r.code !== 1) throw new Error(`anycast fleet: ${r.code} ${r.stderr}`);
      return { code: r.code, table: JSON.parse(r.stdout) as FleetJson };
    };
    const sitesOf = async () => (await fleet()).table.prefixes[0]?.sites ?? [];
    /** The sites (addresses) BIRD has a path from. */
    const paths = async () =>
      (await bird.rib("ipv4")).filter((r) => r.prefix === PREFIX).map((r) => r.from ?? "?")
        .sort();
    const waitPaths = (n: number, what: string, timeoutMs = 20_000) =>
      until(async () => ((await paths()).length === n ? true : undefined), what, timeoutMs);
    /** Poll BIRD for `ms`, returning the fewest paths seen. */
    const fewestPaths = async (ms: number) => {
      let fewest = Infinity;
      const end = Date.now() + ms;
      while (Date.now() < end) {
        fewest = Math.min(fewest, (await paths()).length);
        await sleep(50);
      }
      return fewest;
    };
    const logs = () =>
      daemons.map((d, i) => `--- s${i}\n${d?.log.slice(-2500) ?? "(stopped)"}`).join("\n");
    try {
      for (let i = 0; i < SITES.length; i++) {
        const dir = await Deno.makeTempDir({ prefix: `anycast-fleet-s${i}-` });
        dirs.push(dir);
        await Deno.writeTextFile(
          `${dir}/config.yaml`,
          siteConfig(i, dir, health[i]!, etcd.endpoints),
        );
        daemons.push(RunDaemon.start(dir));
      }
      for (const a of SITES) await bird.waitEstablished(a, 30_000);

      await t.step("all five healthy: five paths, anycast fleet exits 0", async () => {
        await waitPaths(5, "5 paths at BIRD");
        await until(
          async () => ((await sitesOf()).filter((s) => s.state === "announced").length === 5 ||
            undefined),
          "5 announced records in etcd",
        );
        const { code, table } = await fleet();
        assert.equal(code, 0);
        assert.deepEqual(
          [table.prefixes[0]!.announcing, table.prefixes[0]!.total, table.prefixes[0]!.floor],
          [5, 5, 2],
        );
      });

      let held: number[] = [];
      await t.step("all five fail at once: exactly minSites paths remain", async () => {
        for (const h of health) h.healthy = false;
        await waitPaths(MIN_SITES, `${MIN_SITES} paths at BIRD`);
        // It stays there: the held sites do not withdraw.
        assert.equal(await fewestPaths(2000), MIN_SITES, logs());
        assert.equal((await paths()).length, MIN_SITES);
        const sites = await sitesOf();
        held = sites.filter((s) => s.state === "held").map((s) => Number(s.site.slice(1)));
        assert.equal(held.length, MIN_SITES, JSON.stringify(sites));
        for (const s of sites.filter((s) => s.state === "held")) {
          assert.match(
            s.reason,
            /fleet guard: withdrawing would leave 1 of 5 sites announcing, minimum 2/,
          );
        }
        assert.deepEqual(await paths(), held.map((i) => SITES[i]!).sort());
        for (const i of held) {
          await daemons[i]!.waitLog(/held \(fleet guard: withdrawing would leave 1 of 5/);
        }
        assert.equal((await fleet()).code, 0, "at the floor, not below it");
        const peers = await cli(["peers", "--socket", `${dirs[held[0]!]}/anycast.sock`]);
        assert.match(peers.stdout, /held: 198\.51\.100\.50\/32 \(fleet guard: withdrawing/);
      });

      await t.step("operator drain at the floor is refused without --force", async () => {
        const site = held[0]!;
        const refused = await cli([
          "announce",
          "--drain",
          PREFIX,
          "--socket",
          `${dirs[site]}/anycast.sock`,
        ]);
        assert.equal(refused.code, 1, refused.stderr);
        assert.match(refused.stderr, /Refused by the fleet guard.*--force/);
        assert.equal((await paths()).length, MIN_SITES);
      });

      await t.step("one site recovers: one held site may withdraw", async () => {
        const recovered = [0, 1, 2, 3, 4].find((i) => !held.includes(i))!;
        health[recovered]!.healthy = true;
        await until(
          async () => {
            const p = await paths();
            return p.includes(SITES[recovered]!) &&
                p.length === MIN_SITES
              ? true
              : undefined;
          },
          "the recovered site plus one held site",
        );
        assert.equal(await fewestPaths(1500), MIN_SITES);
        const p = await paths();
        assert.equal(p.filter((a) => held.map((i) => SITES[i]).includes(a)).length, 1);
      });

      await t.step("etcd leader killed: decisions continue", async () => {
        for (const h of health) h.healthy = true;
        await waitPaths(5, "5 paths again");
        const leader = await etcd.leader();
        await etcd.kill(leader);
        // Three sites fail: they may all withdraw (two healthy remain).
        for (const i of [0, 1, 2]) health[i]!.healthy = false;
        await waitPaths(2, "two paths after three withdraws", 30_000);
        assert.deepEqual(await paths(), [SITES[3]!, SITES[4]!].sort());
        // And the guard still holds: s3 failing keeps its route.
        health[3]!.healthy = false;
        await daemons[3]!.waitLog(/held \(fleet guard: withdrawing would leave 1 of /, 20_000);
        assert.equal(await fewestPaths(1500), 2);
        // Decided through etcd, not by falling back: no site lost its lease.
        for (const d of daemons) assert.doesNotMatch(d!.log, /lost etcd/);
        await etcd.restart(leader);
        await etcd.waitHealthy();
      });

      await t.step("etcd fully stopped: local sites decide alone, hold keeps routes", async () => {
        // s3 (local) is held; s4 (hold) is healthy.
        await etcd.stopAll();
        // s3's lease is lost after its TTL: it withdraws on its own health.
        await waitPaths(1, "s3 withdrawn by its local decision", 20_000);
        assert.deepEqual(await paths(), [SITES[4]!]);
        await daemons[3]!.waitLog(/onEtcdLoss: local/);
        // s4 fails too: onEtcdLoss hold keeps its route.
        health[4]!.healthy = false;
        await daemons[4]!.waitLog(/held \(fleet guard: etcd unreachable/, 20_000);
        assert.equal(await fewestPaths(1500), 1);
        await etcd.restartAll();
        for (const h of health) h.healthy = true;
        await waitPaths(5, "5 paths after etcd is back", 30_000);
      });

      await t.step("a site killed: its lease expires and the others count it out", async () => {
        await until(
          async () => ((await sitesOf()).filter((s) => s.state === "announced").length === 5 ||
            undefined),
          "5 announced records in etcd",
          // After a full etcd outage the client's circuit breaker waits ~5 s before reconnecting.
          40_000,
        );
        daemons[4]!.signal("SIGKILL");
        await daemons[4]!.status();
        daemons[4] = undefined;
        await waitPaths(4, "s4's session gone at BIRD");
        await until(
          async () => ((await sitesOf()).every((s) => s.site !== "s4") || undefined),
          "s4's records to expire",
          20_000,
        );
        // With s4 counted out, 4 live sites: failing all keeps exactly 2 (not 3 with s4 counted).
        for (const i of [0, 1, 2, 3]) health[i]!.healthy = false;
        await waitPaths(2, "two sites held among four", 20_000);
        assert.equal(await fewestPaths(1500), 2);
        const { table } = await fleet();
        assert.equal(table.prefixes[0]!.total, 4);
        for (const s of table.prefixes[0]!.sites.filter((s) => s.state === "held")) {
          assert.match(s.reason, /of 4 sites announcing, minimum 2/);
        }
      });

      await t.step("SIGTERM is never blocked; below the floor it is logged", async () => {
        const heldNow = (await sitesOf()).filter((s) => s.state === "held")
          .map((s) => Number(s.site.slice(1)));
        const site = heldNow[0]!;
        daemons[site]!.signal("SIGTERM");
        const status = await daemons[site]!.status();
        assert.equal(status.code, 0);
        assert.match(daemons[site]!.log, /shutdown withdraws it below the fleet floor/);
        await waitPaths(1, "the stopped site's path gone");
        const { code } = await fleet();
        assert.equal(code, 1, "anycast fleet exits 1 below the floor");
      });
    } finally {
      const dump = Deno.env.get("ACST_FLEET_LOGS");
      if (dump) {
        for (const [i, d] of daemons.entries()) {
          if (d) await Deno.writeTextFile(`${dump}/s${i}.log`, d.log);
        }
      }
      for (const d of daemons) await d?.[Symbol.asyncDispose]();
      for (const h of health) await h[Symbol.asyncDispose]();
      for (const dir of dirs) await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
