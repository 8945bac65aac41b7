/**
 * Issue 13, against real peers: no shared family (item 1, FRR), collisions
 * with equal BGP identifiers (item 2, two of our speakers and BIRD), the
 * Cease a reload sends (item 3, BIRD's log) and RFC 7606 outcomes made
 * visible (item 5, ExaBGP sends a NEXT_HOP that is not a host address).
 *
 * Addresses: 127.0.0.34 (ours), .35 BIRD, .36 FRR, .37 ExaBGP, .38 our second speaker.
 */
import assert from "node:assert/strict";
import { BgpSpeaker } from "../../src/bgp/speaker.ts";
import type { BgpConnection, Transport } from "../../src/bgp/transport.ts";
import { tcpTransport } from "../../src/bgp/transport.ts";
import type { AnycastConfig, NeighborConfig, SpeakerConfig } from "../../src/config/model.ts";
import { Daemon } from "../../src/daemon/mod.ts";
import {
  BirdPeer,
  ExaBgpPeer,
  FrrPeer,
  interopTest,
  NEXT_HOP_V4,
  SPARE_ADDRESSES,
} from "./harness/mod.ts";

const OURS = SPARE_ADDRESSES[24]!;
const BIRD = SPARE_ADDRESSES[25]!;
const FRR = SPARE_ADDRESSES[26]!;
const EXABGP = SPARE_ADDRESSES[27]!;
const OURS_2 = SPARE_ADDRESSES[28]!;
const OUR_ASN = 64600;
const PEER_ASN = 65010;

function neighbor(address: string, over: Partial<NeighborConfig> = {}): NeighborConfig {
  return {
    name: address,
    address,
    asn: PEER_ASN,
    port: 179,
    localAddress: OURS,
    passive: false,
    holdTime: 9,
    keepalive: 3,
    connectRetry: 1,
    ebgpMultihop: true,
    ebgpMultihopTtl: 255,
    families: ["ipv4-unicast"],
    ...over,
  };
}

function speakerConfig(over: Partial<SpeakerConfig> = {}): SpeakerConfig {
  return {
    asn: OUR_ASN,
    routerId: "10.255.13.1",
    gracefulRestartEnabled: false,
    gracefulRestartRestartTime: 60,
    listenPort: 179,
    ...over,
  };
}

function daemonConfig(neighbors: NeighborConfig[], metricsPort: number): AnycastConfig {
  return {
    dialect: "native",
    source: "",
    logging: { driver: "none", format: "text", level: "info" },
    speaker: speakerConfig(),
    api: { socket: "/nonexistent" },
    neighbors,
    prefixes: [],
    services: [],
    bfd: {
      enabled: false,
      listenAddress: OURS,
      listenPort: 3784,
      minRxMs: 50,
      minTxMs: 50,
      multiplier: 3,
      passive: false,
      multihop: false,
      holdBgpUntilUp: true,
    },
    metrics: { enabled: true, address: `127.0.0.1:${metricsPort}`, path: "/metrics" },
  };
}

async function until<T>(
  what: string,
  fn: () => T | undefined | Promise<T | undefined>,
  ms = 15_000,
) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

function logSink(lines: string[]) {
  return (level: string, message: string) => {
    lines.push(message);
    if (Deno.env.get("BGP_DEBUG")) console.error(`[ours ${level}] ${message}`);
  };
}

// ---------------------------------------------------------------- item 1

await interopTest({
  name: "FRR configured v4-only, we offer only v6: OPEN error 2/7, never Established (RFC 5492 §5)",
  daemons: ["frr"],
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using frr = await FrrPeer.start({
      address: FRR,
      asn: PEER_ASN,
      families: ["ipv4"],
      neighbors: [{ address: OURS, asn: OUR_ASN, holdTime: 9, multihop: true }],
    });
    const lines: string[] = [];
    const ours = new BgpSpeaker({
      speaker: speakerConfig(),
      neighbors: [neighbor(FRR, { families: ["ipv6-unicast"] })],
      log: logSink(lines),
    });
    await ours.start();
    try {
      const why = "no common address family: we offer ipv6-unicast, peer offers ipv4-unicast";
      await until("our 2/7", () => lines.some((l) => l.endsWith(why)));
      await new Promise((r) => setTimeout(r, 3000));
      const status = ours.peers()[0]!;
      assert.notEqual(status.state, "Established");
      assert.match(
        status.lastError ?? "",
        /2\/7 .*no common address family|no common address family/,
      );
      assert.notEqual(await frr.sessionState(OURS), "established");
      const frrLog = await frr.logTail(200);
      console.log(`ours: ${status.lastError}`);
      console.log(
        "FRR:",
        frrLog.split("\n").filter((l) => /do not overlap|notification/i.test(l)).slice(-2)
          .join("\n"),
      );
      // FRR finds the same on its side (bgp_open.c) and refuses the session too.
      assert.match(frrLog, /Configured AFI\/SAFIs do not overlap with received MP capabilities/);
    } finally {
      await ours.stop();
    }
  },
});

// ---------------------------------------------------------------- item 2

/** Reads of a connection start only after `delayMs`. */
function slowReads(conn: BgpConnection, delayMs: number): BgpConnection {
  let first = true;
  return {
    localAddress: conn.localAddress,
    localPort: conn.localPort,
    remoteAddress: conn.remoteAddress,
    remotePort: conn.remotePort,
    get closed() {
      return conn.closed;
    },
    write: (data) => conn.write(data),
    close: () => conn.close(),
    read: async () => {
      if (first) {
        first = false;
        await new Promise((r) => setTimeout(r, delayMs));
      }
      return await conn.read();
    },
  };
}

/**
 * A transport that forces a collision (RFC 4271 §6.8) instead of waiting for
 * two SYNs to cross: the connection the peer opens to us sits unread for
 * `incomingReadDelayMs` (OpenSent), and our own connection to the peer is
 * opened `connectDelayMs` after we are asked, so it arrives meanwhile.
 */
function collidingTransport(
  opts: { connectDelayMs?: number; incomingReadDelayMs?: number; outgoingReadDelayMs?: number },
): Transport {
  return {
    listen: (o, onConnection) =>
      tcpTransport.listen(
        o,
        (conn) => onConnection(slowReads(conn, opts.incomingReadDelayMs ?? 0)),
      ),
    async connect(o) {
      await new Promise((r) => setTimeout(r, opts.connectDelayMs ?? 0));
      return slowReads(await tcpTransport.connect(o), opts.outgoingReadDelayMs ?? 0);
    },
  };
}

await interopTest({
  name: "two of our speakers with equal BGP identifiers keep one connection by AS (RFC 6286 §2.3)",
  daemons: [],
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const port = 17913;
    const placeholder = (local: string) =>
      neighbor("192.0.2.254", { localAddress: local, passive: true, port });
    const make = (me: string, peer: string, asn: number, peerAsn: number) =>
      new BgpSpeaker({
        speaker: speakerConfig({ asn, routerId: "10.255.13.1", listenPort: port }),
        neighbors: [
          neighbor(peer, { asn: peerAsn, localAddress: me, port }),
          placeholder(me),
        ],
        transport: collidingTransport({ outgoingReadDelayMs: 1500 }),
      });
    const a = make(OURS, OURS_2, OUR_ASN, PEER_ASN);
    const b = make(OURS_2, OURS, PEER_ASN, OUR_ASN);
    await Promise.all([a.listen(), b.listen()]);
    await Promise.all([a.start(), b.start()]);
    try {
      await until(
        "both Established",
        () => a.peers()[0]!.state === "Established" && b.peers()[0]!.state === "Established",
      );
      const pa = a.peers()[0]!, pb = b.peers()[0]!;
      console.log(
        `OPENs sent ${pa.messagesSent.open}+${pb.messagesSent.open}, ` +
          `NOTIFICATIONs sent ${pa.messagesSent.notification}+${pb.messagesSent.notification}`,
      );
      assert.equal(pa.messagesSent.open + pb.messagesSent.open, 4, "two connections, no retry");
      assert.ok(pa.messagesSent.notification + pb.messagesSent.notification >= 1, "6/7 sent");
      assert.equal(pa.flaps + pb.flaps, 0);
    } finally {
      await a.stop();
      await b.stop();
    }
  },
});

await interopTest({
  name:
    "BIRD with our BGP identifier: a forced collision keeps the larger AS's connection (RFC 6286 §2.3)",
  daemons: ["bird"],
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const port = 17914;
    const routerId = "10.255.13.1";
    // Our AS is the larger one, so the survivor is the connection we opened.
    const ourAsn = 65200, birdAsn = 65002;
    await using bird = await BirdPeer.start({
      address: BIRD,
      asn: birdAsn,
      routerId,
      neighbors: [{ address: OURS, asn: ourAsn, holdTime: 9, port }],
    });
    const lines: string[] = [];
    const ours = new BgpSpeaker({
      speaker: speakerConfig({ asn: ourAsn, routerId, listenPort: port }),
      neighbors: [
        neighbor(BIRD, { asn: birdAsn }),
        neighbor("192.0.2.254", { localAddress: OURS, passive: true, port }),
      ],
      transport: collidingTransport({ connectDelayMs: 2500, incomingReadDelayMs: 5000 }),
      log: logSink(lines),
    });
    await ours.listen();
    await ours.start();
    try {
      await until("Established with BIRD", () => ours.peers()[0]!.state === "Established", 20_000);
      await bird.waitEstablished(OURS);
      await new Promise((r) => setTimeout(r, 3000));
      const p = ours.peers()[0]!;
      const collisions = lines.filter((l) => l.includes("connection collision"));
      console.log(
        `OPENs sent ${p.messagesSent.open}, NOTIFICATIONs sent ${p.messagesSent.notification}, ` +
          `received ${p.messagesReceived.notification}; ${collisions.length} collision lines`,
      );
      assert.equal(p.state, "Established");
      assert.equal(p.flaps, 0);
      assert.equal(p.messagesSent.open, 2, "an OPEN on each of the two connections: a collision");
      assert.ok(collisions.length >= 1, "we resolved a collision");
      assert.equal(p.peerRouterId, routerId);
      assert.equal(await bird.sessionState(OURS), "established");
    } finally {
      await ours.stop();
    }
  },
});

// ---------------------------------------------------------------- item 3

await interopTest({
  name:
    "reload that changes the neighbor: BIRD logs Cease 6/6 Other configuration change (RFC 4486 §4)",
  daemons: ["bird"],
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using bird = await BirdPeer.start({
      address: BIRD,
      asn: PEER_ASN,
      neighbors: [{ address: OURS, asn: OUR_ASN, holdTime: 9 }],
    });
    const n = neighbor(BIRD);
    const daemon = new Daemon({
      config: daemonConfig([n], freePort()),
      metricsServer: false,
    });
    await daemon.start();
    try {
      await bird.waitEstablished(OURS);
      await daemon.reload(daemonConfig([{ ...n, description: "core router" }], 0));
      const log = await until("BIRD's Cease line", async () => {
        const tail = await bird.logTail(100);
        return /Received: Other configuration change/i.test(tail) ? tail : undefined;
      });
      console.log(log.split("\n").filter((l) => /Received:/.test(l)).join("\n"));
      assert.doesNotMatch(log, /Received: Peer de-configured/i);
      await bird.waitEstablished(OURS);
    } finally {
      await daemon.stop();
    }
  },
});

// ---------------------------------------------------------------- item 5

await interopTest({
  name: "ExaBGP sends NEXT_HOP 0.0.0.1: treat-as-withdraw logged and counted in metrics (RFC 7606)",
  daemons: ["exabgp"],
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using exa = await ExaBgpPeer.start({
      address: EXABGP,
      asn: PEER_ASN,
      neighbors: [{ address: OURS, asn: OUR_ASN, holdTime: 9 }],
    });
    const lines: string[] = [];
    const metricsPort = freePort();
    const daemon = new Daemon({
      config: daemonConfig([neighbor(EXABGP)], metricsPort),
      log: logSink(lines),
    });
    await daemon.start();
    try {
      await exa.waitEstablished(OURS);
      await until("Established", () => daemon.speaker.peers()[0]!.state === "Established");
      await exa.announce("198.51.100.13/32", NEXT_HOP_V4);
      await exa.command("announce route 198.51.100.14/32 next-hop 0.0.0.1 origin igp");
      const session = daemon.speaker.sessions[0]!;
      await until("the good route", () => session.adjRibIn.size === 1 ? true : undefined);
      const line = await until(
        "our RFC 7606 log line",
        () => lines.find((l) => l.includes("treat-as-withdraw (RFC 7606)")),
      );
      console.log(line);
      assert.match(line, /NEXT_HOP: NEXT_HOP 0\.0\.0\.1 is not a host address, 1 prefix withdrawn/);
      assert.deepEqual([...session.adjRibIn.routes()].map((r) => r.prefix), ["198.51.100.13/32"]);
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      const metric = text.split("\n").find((l) =>
        l.startsWith("anycast_bgp_update_errors_total") && l.includes('action="treat-as-withdraw"')
      );
      console.log(metric);
      assert.match(metric ?? "", new RegExp(`peer="${EXABGP}".* 1$`));
    } finally {
      await daemon.stop();
    }
  },
});
