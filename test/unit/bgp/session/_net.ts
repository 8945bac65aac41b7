/**
 * Test plumbing shared by the session suites: the same tests run on the
 * in-memory transport with a FakeClock and on real loopback sockets.
 */
import type { NeighborConfig, SpeakerConfig } from "../../../../src/config/model.ts";
import { type Clock, FakeClock, systemClock } from "../../../../src/util/clock.ts";
import {
  type BgpConnection,
  MemoryNetwork,
  tcpTransport,
  type Transport,
} from "../../../../src/bgp/transport.ts";
import { BgpSpeaker } from "../../../../src/bgp/speaker.ts";
import type { RouteSpec } from "../../../../src/bgp/route.ts";
import { decodeMessage, encodeMessage } from "../../../../src/bgp/message/codec.ts";
import { messageLength } from "../../../../src/bgp/message/header.ts";
import {
  type BgpMessage,
  type CodecContext,
  DEFAULT_OPEN_CONTEXT,
} from "../../../../src/bgp/message/types.ts";

export interface TestNet {
  kind: "memory" | "tcp";
  clock: Clock;
  transport(address: string): Transport;
  /** Lets time pass: ticks the fake clock, or really waits on sockets. */
  advance(ms: number): Promise<void>;
  /** Waits until `cond` holds; fails after `timeoutMs` of (fake or real) time. */
  waitFor(cond: () => boolean, what: string, timeoutMs?: number): Promise<void>;
  /** A fresh pair of loopback addresses for one test. */
  addresses(): [string, string];
  /** Port passive speakers listen on (each test has its own addresses, so a fixed port is fine). */
  listenPort: number;
  memory?: MemoryNetwork;
}

/** Let pending promise callbacks and socket events run. */
export async function flush(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setTimeout(r, 0));
}

let block = 10 + Math.floor(Math.random() * 200);
let pair = 0;

export function memoryNet(): TestNet {
  const clock = new FakeClock(1_000_000);
  const memory = new MemoryNetwork();
  return {
    kind: "memory",
    clock,
    memory,
    transport: (a) => memory.transport(a),
    async advance(ms) {
      const step = 500;
      for (let t = 0; t < ms; t += step) {
        clock.tick(Math.min(step, ms - t));
        await flush(2);
      }
      await flush();
    },
    async waitFor(cond, what, timeoutMs = 30_000) {
      for (let t = 0; t <= timeoutMs; t += 50) {
        await flush(3);
        if (cond()) return;
        clock.tick(50);
      }
      throw new Error(`timed out waiting for ${what}`);
    },
    addresses: () => ["127.0.0.1", "127.0.0.2"],
    listenPort: 179,
  };
}

export function tcpNet(): TestNet {
  return {
    kind: "tcp",
    clock: systemClock,
    transport: () => tcpTransport,
    advance: (ms) => new Promise((r) => setTimeout(r, ms)),
    async waitFor(cond, what, timeoutMs = 10_000) {
      const end = performance.now() + timeoutMs;
      while (performance.now() < end) {
        if (cond()) return;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`timed out waiting for ${what}`);
    },
    addresses: () => {
      pair++;
      if (pair > 120) {
        pair = 1;
        block++;
      }
      return [`127.${block}.${pair}.1`, `127.${block}.${pair}.2`];
    },
    listenPort: 1179,
  };
}

export function neighbor(over: Partial<NeighborConfig> & { address: string }): NeighborConfig {
  return {
    name: over.address,
    asn: 65001,
    port: 179,
    passive: false,
    holdTime: 9,
    keepalive: 3,
    connectRetry: 1,
    ebgpMultihop: false,
    ebgpMultihopTtl: 1,
    families: ["ipv4-unicast", "ipv6-unicast"],
    ...over,
  };
}

export function speakerConfig(over: Partial<SpeakerConfig> = {}): SpeakerConfig {
  return {
    asn: 64600,
    routerId: "10.0.0.1",
    gracefulRestartEnabled: false,
    gracefulRestartRestartTime: 120,
    listenPort: 179,
    ...over,
  };
}

export function route(prefix: string, over: Partial<RouteSpec> = {}): RouteSpec {
  return {
    prefix,
    family: prefix.includes(":") ? "ipv6-unicast" : "ipv4-unicast",
    origin: "igp",
    nextHop: prefix.includes(":") ? "2001:db8::ff" : "203.0.113.1",
    attributes: {
      communities: ["65000:100"],
      largeCommunities: ["65000:1:2"],
      extendedCommunities: [],
      med: 10,
      asPathPrepend: 1,
    },
    ...over,
  };
}

export interface Pair {
  a: BgpSpeaker;
  b: BgpSpeaker;
  stop(): Promise<void>;
}

/**
 * Speaker A (AS 64600, active) and speaker B (AS 65001 or `bAsn`, passive,
 * listening on its own address). Started; not yet Established.
 */
export async function startPair(
  net: TestNet,
  opts: {
    aNeighbor?: Partial<NeighborConfig>;
    bNeighbor?: Partial<NeighborConfig>;
    aSpeaker?: Partial<SpeakerConfig>;
    bSpeaker?: Partial<SpeakerConfig>;
    aRestarting?: boolean;
    /**
     * Both speakers connect out and both listen (a passive placeholder neighbor
     * opens each listener), and both sessions start at once: a collision.
     */
    bothActive?: boolean;
  } = {},
): Promise<Pair> {
  const [aAddr, bAddr] = net.addresses();
  const both = opts.bothActive === true;
  // Never contacted: it only makes the speaker listen on its own address.
  const placeholder = (local: string) =>
    neighbor({ address: "192.0.2.254", localAddress: local, passive: true });
  const bAsn = opts.bSpeaker?.asn ?? 65001;
  const b = new BgpSpeaker({
    speaker: speakerConfig({
      asn: bAsn,
      routerId: "10.0.0.2",
      listenPort: net.listenPort,
      ...opts.bSpeaker,
    }),
    neighbors: [
      neighbor({
        address: aAddr,
        asn: opts.aSpeaker?.asn ?? 64600,
        localAddress: bAddr,
        passive: !both,
        port: net.listenPort,
        ...opts.bNeighbor,
      }),
      ...(both ? [placeholder(bAddr)] : []),
    ],
    transport: net.transport(bAddr),
    clock: net.clock,
    random: () => 0.5,
  });
  if (!both) await b.start();
  const a = new BgpSpeaker({
    speaker: speakerConfig({ listenPort: net.listenPort, ...opts.aSpeaker }),
    neighbors: [
      neighbor({
        address: bAddr,
        asn: bAsn,
        localAddress: aAddr,
        port: net.listenPort,
        ...opts.aNeighbor,
      }),
      ...(both ? [placeholder(aAddr)] : []),
    ],
    transport: net.transport(aAddr),
    clock: net.clock,
    random: () => 0.5,
    ...(opts.aRestarting ? { restarting: true } : {}),
  });
  if (both) {
    await Promise.all([a.listen(), b.listen()]);
    await Promise.all([a.start(), b.start()]);
  } else {
    await a.start();
  }
  return {
    a,
    b,
    async stop() {
      await a.stop();
      await b.stop();
      await flush();
    },
  };
}

export function state(s: BgpSpeaker): string {
  return s.peers()[0]!.state;
}

/** A hand-driven peer on one raw connection: sends what a test says, records what arrives. */
export class ScriptedPeer {
  readonly conn: BgpConnection;
  readonly received: BgpMessage[] = [];
  ctx: CodecContext = DEFAULT_OPEN_CONTEXT;
  closed = false;
  #buffer = new Uint8Array(0);

  constructor(conn: BgpConnection) {
    this.conn = conn;
    void this.#read();
  }

  async #read(): Promise<void> {
    for (;;) {
      const chunk = await this.conn.read();
      if (chunk === null) {
        this.closed = true;
        return;
      }
      const joined = new Uint8Array(this.#buffer.length + chunk.length);
      joined.set(this.#buffer);
      joined.set(chunk, this.#buffer.length);
      this.#buffer = joined;
      for (;;) {
        const length = messageLength(this.#buffer, 65535);
        if (length === undefined || this.#buffer.length < length) break;
        this.received.push(decodeMessage(this.#buffer.subarray(0, length), this.ctx).message);
        this.#buffer = this.#buffer.slice(length);
      }
    }
  }

  send(msg: BgpMessage): void {
    void this.conn.write(encodeMessage(msg, this.ctx));
  }

  sendRaw(bytes: Uint8Array): void {
    void this.conn.write(bytes);
  }

  ofType<T extends BgpMessage["type"]>(type: T): Extract<BgpMessage, { type: T }>[] {
    return this.received.filter((m) => m.type === type) as Extract<BgpMessage, { type: T }>[];
  }
}
