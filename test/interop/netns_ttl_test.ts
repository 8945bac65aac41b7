/**
 * TTL security in network namespaces (src/lab/netns_chain.ts: b directly
 * connected to a, c two hops away behind r), with our product started as a
 * user does (`deno run -A main.ts run --config FILE`) inside namespace a:
 *
 * - GTSM (RFC 5082) with BIRD (`ttl security yes`) and FRR (`ttl-security
 *   hops 1`) across the veth: Established. A peer two hops away gets no
 *   session with `ttlSecurity: 1`, and does with `ttlSecurity: 2`.
 * - eBGP TTL on the wire: TTL 1 single hop, `ebgpMultihopTtl` when multihop.
 * - BFD (RFC 5881 §5): State Down packets spoofed with the peer's address and
 *   the right discriminators from c (arriving with TTL 254) are dropped and
 *   counted, and the session stays Up against FRR bfdd.
 */
import assert from "node:assert/strict";
import {
  BirdPeer,
  FrrPeer,
  interopTest,
  type NeighborOptions,
  type PeerDaemon,
  requireBinaries,
} from "./harness/mod.ts";
import { NetnsChain } from "../../src/lab/netns_chain.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const OUR_ASN = 64600;
const PEER_ASN = 65011;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Our product in namespace `ns`, its log collected. */
class Product implements AsyncDisposable {
  readonly dir: string;
  #child: Deno.ChildProcess;
  #log = "";
  #reading: Promise<void>;

  private constructor(child: Deno.ChildProcess, dir: string) {
    this.#child = child;
    this.dir = dir;
    this.#reading = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of child.stderr) this.#log += decoder.decode(chunk, { stream: true });
    })();
  }

  static async start(ns: string, config: Record<string, unknown>): Promise<Product> {
    const dir = await Deno.makeTempDir({ prefix: "acst-i11-run-" });
    const full = {
      ...config,
      api: { socket: `${dir}/api.sock` },
      metrics: { enabled: true, address: "127.0.0.1:9911" },
    };
    await Deno.writeTextFile(`${dir}/config.yaml`, JSON.stringify(full, null, 2));
    const child = new Deno.Command("ip", {
      args: [
        "netns",
        "exec",
        ns,
        Deno.execPath(),
        "run",
        "-A",
        MAIN,
        "run",
        "--config",
        `${dir}/config.yaml`,
      ],
      env: { LOG_LEVEL: "debug" },
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    return new Product(child, dir);
  }

  get log(): string {
    return this.#log;
  }

  async metrics(ns: string): Promise<string> {
    const out = await new Deno.Command("ip", {
      args: ["netns", "exec", ns, "curl", "-s", "http://127.0.0.1:9911/metrics"],
      stdout: "piped",
      stderr: "null",
    }).output();
    return new TextDecoder().decode(out.stdout);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.#child.kill("SIGTERM");
    } catch { /* already gone */ }
    const done = await Promise.race([this.#child.status, sleep(8000).then(() => undefined)]);
    if (!done) {
      this.#child.kill("SIGKILL");
      await this.#child.status;
    }
    await this.#reading.catch(() => {});
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}

function speaker(chain: NetnsChain) {
  return { asn: OUR_ASN, routerId: chain.addresses.aDirect, listenPort: 0 };
}

function neighbor(address: string, local: string, extra: Record<string, unknown> = {}) {
  return {
    address,
    asn: PEER_ASN,
    localAddress: local,
    holdTime: "9s",
    connectRetry: "1s",
    ...extra,
  };
}

async function peer(
  kind: "bird" | "frr",
  ns: string,
  address: string,
  n: NeighborOptions,
  extra: { bfd?: boolean } = {},
): Promise<PeerDaemon> {
  const opts = {
    address,
    asn: PEER_ASN,
    netns: ns,
    neighbors: [n],
    ...(extra.bfd ? { bfd: { minRxMs: 100, minTxMs: 100, multiplier: 3 } } : {}),
  };
  return kind === "bird" ? await BirdPeer.start(opts) : await FrrPeer.start(opts);
}

/** Stays not Established for `ms` (a session that must never come up). */
async function staysDown(p: PeerDaemon, neighborAddress: string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    assert.notEqual(await p.sessionState(neighborAddress), "established");
    await sleep(500);
  }
}

async function withLogs<T>(
  daemons: (PeerDaemon | undefined)[],
  product: () => Product | undefined,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    let tails = "";
    for (const d of daemons) {
      if (d) tails += `\n--- ${d.kind} log ---\n${await d.logTail(20).catch(() => "")}`;
    }
    tails += `\n--- anycast log ---\n${product()?.log.split("\n").slice(-30).join("\n") ?? ""}`;
    throw new Error(`${e instanceof Error ? e.message : e}${tails}`, { cause: e });
  }
}

await interopTest({
  name: "netns: GTSM with BIRD across a veth is Established; two hops away only with enough hops",
  daemons: ["bird"],
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using chain = await NetnsChain.create("acst-i11");
    const { aDirect, b, aRouted, c } = chain.addresses;
    await using birdB = await peer("bird", chain.b, b, {
      address: aDirect,
      asn: OUR_ASN,
      ttlSecurity: 1,
    });
    // c expects up to two hops: it would accept us; only our own minimum TTL can refuse it.
    await using birdC = await peer("bird", chain.c, c, {
      address: aRouted,
      asn: OUR_ASN,
      ttlSecurity: 2,
    });
    let product: Product | undefined;
    await withLogs([birdB, birdC], () => product, async () => {
      {
        await using p = await Product.start(chain.a, {
          speaker: speaker(chain),
          neighbors: [
            neighbor(b, aDirect, { ttlSecurity: 1 }),
            neighbor(c, aRouted, { ttlSecurity: 1 }),
          ],
        });
        product = p;
        await birdB.waitEstablished(aDirect, 30_000);
        await staysDown(birdC, aRouted, 8000);
      }
      await using p2 = await Product.start(chain.a, {
        speaker: speaker(chain),
        neighbors: [neighbor(c, aRouted, { ttlSecurity: 2 })],
      });
      product = p2;
      await birdC.waitEstablished(aRouted, 30_000);
    });
  },
});

await interopTest({
  name:
    "netns: GTSM with FRR (ttl-security hops 1) across a veth is Established; plain single-hop eBGP is not",
  daemons: ["frr"],
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using chain = await NetnsChain.create("acst-i11");
    const { aDirect, b } = chain.addresses;
    await using frr = await peer("frr", chain.b, b, {
      address: aDirect,
      asn: OUR_ASN,
      ttlSecurity: 1,
    });
    let product: Product | undefined;
    await withLogs([frr], () => product, async () => {
      {
        // Without GTSM we send TTL 1: FRR's minimum TTL of 255 drops it.
        await using p = await Product.start(chain.a, {
          speaker: speaker(chain),
          neighbors: [neighbor(b, aDirect)],
        });
        product = p;
        await staysDown(frr, aDirect, 6000);
      }
      await using p2 = await Product.start(chain.a, {
        speaker: speaker(chain),
        neighbors: [neighbor(b, aDirect, { ttlSecurity: 1 })],
      });
      product = p2;
      await frr.waitEstablished(aDirect, 30_000);
    });
  },
});

/** The IP TTLs of TCP segments to port 179 from `from`, captured in `ns` for `ms`. */
async function capturedTtls(ns: string, dev: string, from: string, ms: number): Promise<number[]> {
  const child = new Deno.Command("ip", {
    args: [
      "netns",
      "exec",
      ns,
      "tcpdump",
      "-i",
      dev,
      "-nn",
      "-v",
      "-l",
      "-c",
      "5",
      `src host ${from} and tcp dst port 179`,
    ],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  setTimeout(() => {
    try {
      child.kill("SIGINT");
    } catch { /* done */ }
  }, ms);
  const out = new TextDecoder().decode((await child.output()).stdout);
  return [...out.matchAll(/ttl (\d+)/g)].map((m) => Number(m[1]));
}

await interopTest({
  name:
    "netns: eBGP TTL on the wire: 1 single hop, ebgpMultihopTtl when multihop (seen by tcpdump)",
  daemons: ["bird"],
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    assert.ok(await requireBinaries(["tcpdump"], "tcpdump"), "tcpdump is needed");
    await using chain = await NetnsChain.create("acst-i11");
    const { aDirect, b, aRouted, c } = chain.addresses;
    await using birdB = await peer("bird", chain.b, b, { address: aDirect, asn: OUR_ASN });
    await using birdC = await peer("bird", chain.c, c, {
      address: aRouted,
      asn: OUR_ASN,
      multihop: true,
    });
    let product: Product | undefined;
    await withLogs([birdB, birdC], () => product, async () => {
      const ttlB = capturedTtls(chain.b, "ba0", aDirect, 6000);
      const ttlC = capturedTtls(chain.c, "cr0", aRouted, 6000);
      await sleep(500); // tcpdump up
      await using p = await Product.start(chain.a, {
        speaker: speaker(chain),
        neighbors: [
          neighbor(b, aDirect),
          neighbor(c, aRouted, { ebgpMultihopEnabled: true, ebgpMultihopTtl: 7 }),
        ],
      });
      product = p;
      const [seenB, seenC] = await Promise.all([ttlB, ttlC]);
      assert.ok(seenB.length > 0 && seenB.every((t) => t === 1), `TTLs at b: ${seenB}`);
      // Sent with 7, one router on the way.
      assert.ok(seenC.length > 0 && seenC.every((t) => t === 6), `TTLs at c: ${seenC}`);
      await birdB.waitEstablished(aDirect, 30_000);
      await birdC.waitEstablished(aRouted, 30_000);
    });
  },
});

await interopTest({
  name:
    "netns: BFD packets spoofed from two hops away (TTL 254) are dropped and counted; the session stays Up against FRR bfdd",
  daemons: ["frr"],
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    assert.ok(
      await requireBinaries(["python3", "curl"], "python3 curl"),
      "python3 and curl are needed",
    );
    await using chain = await NetnsChain.create("acst-i11");
    const { aDirect, b } = chain.addresses;
    await using frr = await peer("frr", chain.b, b, { address: aDirect, asn: OUR_ASN, bfd: true }, {
      bfd: true,
    }) as FrrPeer;
    let product: Product | undefined;
    await withLogs([frr], () => product, async () => {
      await using p = await Product.start(chain.a, {
        speaker: speaker(chain),
        bfd: {
          enabled: true,
          listenAddress: aDirect,
          minimumReceptionInterval: "100ms",
          minimumTransmissionInterval: "100ms",
        },
        neighbors: [neighbor(b, aDirect)],
      });
      product = p;
      const session = async () => {
        const peers = JSON.parse(await frr.vtysh("show bfd peers json")) as {
          peer: string;
          status: string;
          id: number;
          "remote-id": number;
        }[];
        return peers.find((x) => x.peer === aDirect);
      };
      // FRR re-creates its BFD session once BGP is up (one Down at start): wait until BFD and BGP
      // have both been up for two seconds in a row before spoofing.
      let up: Awaited<ReturnType<typeof session>>;
      let stableSince = 0;
      const end = Date.now() + 40_000;
      for (;;) {
        up = await session();
        const ok = up?.status === "up" && (await frr.sessionState(aDirect)) === "established";
        if (!ok) stableSince = 0;
        else if (stableSince === 0) stableSince = Date.now();
        if (stableSince > 0 && Date.now() - stableSince >= 2000) break;
        assert.ok(Date.now() < end, `BFD and BGP not stably up: ${JSON.stringify(up)}`);
        await sleep(200);
      }
      assert.equal(up?.status, "up");
      // What FRR would send, State Down (RFC 5880 §4.1), from b's address, sent in c with TTL 255.
      const spoof = [
        0x20, // version 1, diag 0
        0x40 | 0x00, // state Down (1 << 6), no flags
        3, // detect mult
        24, // length
        ...u32(up!.id), // My Discriminator: FRR's
        ...u32(up!["remote-id"]), // Your Discriminator: ours
        ...u32(100_000),
        ...u32(100_000),
        ...u32(0),
      ];
      const script = [
        "import socket, sys, time",
        "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
        "s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 255)",
        `s.bind(("${b}", 49999))`,
        `pkt = bytes([${spoof.join(",")}])`,
        "for _ in range(20):",
        `    s.sendto(pkt, ("${aDirect}", 3784)); time.sleep(0.05)`,
      ].join("\n");
      const sent = await new Deno.Command("ip", {
        args: ["netns", "exec", chain.c, "python3", "-c", script],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.ok(sent.success, new TextDecoder().decode(sent.stderr));
      await sleep(1500);
      const metrics = await p.metrics(chain.a);
      const dropped = Number(
        /anycast_bfd_packets_dropped_total\{reason="ttl-not-255"\} (\d+)/.exec(metrics)?.[1] ?? 0,
      );
      assert.equal(dropped, 20, metrics.split("\n").filter((l) => l.includes("bfd")).join("\n"));
      const after = await session();
      assert.equal(after?.status, "up");
      assert.equal(after?.id, up!.id, "FRR's session was not re-created");
      assert.equal(await frr.sessionState(aDirect), "established");

      // Control: the same packets from one hop away (TTL 255 on arrival) are accepted and
      // take the session Down, so the spoof above was a real threat, stopped by the TTL check.
      const downs = (m: string) =>
        Number(
          /anycast_bfd_session_transitions_total\{[^}]*from="Up",to="Down"\} (\d+)/.exec(m)?.[1] ??
            0,
        );
      const before = downs(metrics);
      const near = await new Deno.Command("ip", {
        args: ["netns", "exec", chain.b, "python3", "-c", script.replace("49999", "49998")],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.ok(near.success, new TextDecoder().decode(near.stderr));
      await sleep(500);
      assert.ok(
        downs(await p.metrics(chain.a)) > before,
        "a one-hop packet with State Down is accepted",
      );
    });
  },
});

function u32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}
