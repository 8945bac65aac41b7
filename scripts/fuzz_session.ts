/**
 * Live-session fuzzing: a real `BgpSession` (the device under test) talks to a
 * scripted peer over the in-memory transport (fake clock) or over loopback TCP
 * (real clock, the peer is a raw `Deno.connect` socket). The peer completes the
 * handshake, then feeds random and mutated messages (the generators of
 * `fuzz.ts`), several per chunk and split across arbitrary chunk boundaries,
 * in OpenSent, OpenConfirm and Established.
 *
 * A shadow framer runs our own `messageLength` + `decodeMessage` over exactly
 * the bytes the session receives, so every step has a predicted outcome the
 * session must match:
 * - frames that decode are accepted silently (RFC 7606 treat-as-withdraw and
 *   attribute discard included); after each step a ROUTE-REFRESH "ping"
 *   (answered with BoRR/EoRR, RFC 7313) proves the session is still alive,
 * - the first frame that does not decode earns exactly the NOTIFICATION the
 *   decoder names (or the RFC 4271 §8.2.2 / RFC 6608 FSM error for the state),
 *   after which the session closes the connection; so do an OPEN from the wrong
 *   AS (2/2) or with hold time 1-2 (2/6), and the UPDATE that takes the
 *   Adj-RIB-In (mirrored by the shadow) over the prefix limit (Cease 6/1),
 * - a well-formed OPEN in OpenSent is answered with a KEEPALIVE; half of those
 *   sessions go on to Established with whatever that OPEN negotiated,
 * - a peer that falls silent for a hold time gets 4/0 (fake clock),
 * - every byte the session sends parses with our decoder, every NOTIFICATION
 *   has a valid code/subcode (1-7),
 * - nothing throws, no unhandled rejection, every step is bounded in time, and
 *   a watchdog checks that KEEPALIVEs keep coming while Established.
 * After each close the peer reconnects and the session is re-established.
 *
 * Usage: `deno run -A scripts/fuzz_session.ts [messages=100000] [seed=1] [memory|tcp]`,
 * or through `deno task fuzz` (see fuzz.ts).
 *
 * @module
 */
import {
  afiSafiOf,
  type BgpConnection,
  BgpDecodeError,
  type BgpMessage,
  BgpSession,
  type Capability,
  type CodecContext,
  decodeMessage,
  DEFAULT_OPEN_CONTEXT,
  encodeMessage,
  familyOf,
  memoryPipe,
  messageLength,
  negotiateHoldTime,
  type OpenMessage,
  tcpTransport,
  type Transport,
  type UpdateMessage,
} from "../src/bgp/mod.ts";
import {
  announcedByUpdate,
  familiesOf,
  negotiateContext,
  peerAsOf,
  withdrawnByUpdate,
} from "../src/bgp/message/negotiate.ts";
import type { NeighborConfig } from "../src/config/model.ts";
import { type Clock, FakeClock, systemClock } from "../src/util/clock.ts";
import { hex } from "../src/bgp/_bytes.ts";
import { setImmediate } from "node:timers";
import { mutate, randomMessage, rng, seedCorpus, VALID_SUBCODES } from "./fuzz.ts";

export interface SessionFuzzOptions {
  /** Fuzzed messages to send. Default 100000. */
  messages?: number;
  /** Seed of the random source. Default 1. */
  seed?: number;
  /** "memory" (in-memory transport, fake clock) or "tcp" (loopback, real clock). Default "memory". */
  transport?: "memory" | "tcp";
  /** Longest real-time wait for one step before it counts as a hang, in ms. Default 5000. */
  stepTimeoutMs?: number;
  /**
   * Test hook (memory transport only): rewrites every chunk the session writes, or drops it
   * when it returns undefined, to show that the oracle catches a misbehaving session.
   */
  tamperReplies?: (bytes: Uint8Array) => Uint8Array | undefined;
}

export interface SessionFuzzReport {
  transport: "memory" | "tcp";
  seed: number;
  /** Fuzzed messages written to the session (pings and handshakes not included). */
  messages: number;
  /** Frames the session decoded (a message after the one that reset the session is never read). */
  framesProcessed: number;
  /** Frames accepted without a NOTIFICATION. */
  accepted: number;
  /** Accepted UPDATEs handled as withdrawals (RFC 7606 §2). */
  treatAsWithdraw: number;
  /** Attributes discarded from accepted UPDATEs (RFC 7606 §2). */
  discards: number;
  /** NOTIFICATIONs the session sent, by "code/subcode". */
  notifications: Record<string, number>;
  /** Sessions ended by a fuzzed NOTIFICATION from the peer (no reply expected). */
  closedByPeerNotification: number;
  /** Times the peer reconnected and reached Established again. */
  reestablishments: number;
  /** Fuzzed OPENs the session accepted in OpenSent, and how many went on to Established. */
  openAccepted: number;
  openContinued: number;
  /** Fuzzed messages sent per FSM state. */
  perState: { OpenSent: number; OpenConfirm: number; Established: number };
  /** Steps that left a partial frame in the session's buffer (no ping possible). */
  partialSteps: number;
  /** ROUTE-REFRESH pings answered. */
  pings: number;
  /** KEEPALIVE watchdog checks passed. */
  watchdogChecks: number;
  /** Times the peer fell silent for a hold time and got 4/0 (fake clock only). */
  holdExpiries: number;
  failures: { step: number; error: string; input: string }[];
  failureCount: number;
  elapsedMs: number;
}

const LOCAL_ASN = 64600;
/** The session's prefix limit: the corpus UPDATE with 300 prefixes trips it (Cease 6/1). */
const MAX_PREFIXES = 299;
const PEER_ASN = 65001;

function neighborConfig(holdTime: number, keepalive: number): NeighborConfig {
  return {
    name: "fuzz-peer",
    address: "127.0.0.2",
    asn: PEER_ASN,
    port: 179,
    passive: true,
    holdTime,
    keepalive,
    connectRetry: 1,
    ebgpMultihop: false,
    ebgpMultihopTtl: 1,
    families: ["ipv4-unicast", "ipv6-unicast"],
    maxPrefixes: MAX_PREFIXES,
    // The fuzzer trips the limit on purpose and reconnects at once: no hold-down.
    maxPrefixesRestart: 0,
  };
}

/** The OPEN the scripted peer sends; enhanced route refresh makes the ping possible. */
function peerOpen(holdTime: number): OpenMessage {
  return {
    type: "open",
    version: 4,
    asn: PEER_ASN,
    holdTime,
    bgpId: "10.0.0.2",
    capabilities: [
      { kind: "multiprotocol", afi: 1, safi: 1 },
      { kind: "multiprotocol", afi: 2, safi: 1 },
      { kind: "route-refresh" },
      { kind: "enhanced-route-refresh" },
      { kind: "four-octet-as", asn: PEER_ASN },
    ],
  };
}

/**
 * A well-formed OPEN with a random capability set, hold time, identifier and
 * (mostly the expected) AS: accepted ones give sessions with unusual negotiated
 * contexts (2-octet AS, one family or none, no RFC 7313, hold time 0 or 3).
 */
function randomOpen(r: () => number): Uint8Array {
  const int = (n: number) => Math.floor(r() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const asn = r() < 0.9 ? PEER_ASN : pick([65002, 4200000001, 23456]);
  const fourOctet = r() < 0.7;
  const offered: Capability[] = [
    { kind: "multiprotocol", afi: 1, safi: 1 },
    { kind: "multiprotocol", afi: 2, safi: 1 },
    { kind: "multiprotocol", afi: 1, safi: 2 },
    { kind: "route-refresh" },
    { kind: "enhanced-route-refresh" },
    { kind: "extended-message" },
    {
      kind: "graceful-restart",
      restarting: r() < 0.5,
      notification: r() < 0.5,
      restartTime: int(4096),
      families: [{ afi: 1, safi: 1, forwardingPreserved: true }],
    },
    { kind: "unknown", code: 64 + int(100), value: new Uint8Array(int(8)) },
  ];
  const capabilities = offered.filter(() => r() < 0.5);
  if (fourOctet) {
    capabilities.splice(int(capabilities.length + 1), 0, { kind: "four-octet-as", asn });
  }
  return encodeMessage({
    type: "open",
    version: 4,
    // RFC 6793 §4.1: AS_TRANS in My AS when the AS needs four octets.
    asn: asn > 65535 ? 23456 : asn,
    holdTime: pick([0, 1, 2, 3, 4, 9, 90, 65535]),
    bgpId: pick(["10.0.0.2", "10.0.0.1", "192.0.2.7"]),
    capabilities,
  }, DEFAULT_OPEN_CONTEXT);
}

/** The byte stream the peer side reads and writes. */
interface RawConn {
  read(): Promise<Uint8Array | null>;
  write(data: Uint8Array): Promise<void>;
  close(): void;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** The scripted peer's end: decodes everything the session sends and remembers it. */
class PeerEnd {
  readonly conn: RawConn;
  readonly received: BgpMessage[] = [];
  ctx: CodecContext = DEFAULT_OPEN_CONTEXT;
  closed = false;
  /** Set when the session sent bytes our decoder rejects. */
  invalid: string | undefined;
  keepalives = 0;
  eorr = 0;
  endOfRibs = 0;
  lastKeepaliveAt = performance.now();
  #buffer: Uint8Array = new Uint8Array(0);

  constructor(conn: RawConn) {
    this.conn = conn;
    void this.#read();
  }

  async #read(): Promise<void> {
    for (;;) {
      const chunk = await this.conn.read();
      if (chunk === null) break;
      if (this.invalid !== undefined) continue;
      this.#buffer = concat(this.#buffer, chunk);
      try {
        for (;;) {
          const length = messageLength(this.#buffer, 4096);
          if (length === undefined || this.#buffer.length < length) break;
          const msg = decodeMessage(this.#buffer.subarray(0, length), this.ctx).message;
          this.#buffer = this.#buffer.slice(length);
          this.received.push(msg);
          if (msg.type === "keepalive") {
            this.keepalives++;
            this.lastKeepaliveAt = performance.now();
          } else if (msg.type === "route-refresh" && msg.subtype === "eorr") {
            this.eorr++;
          } else if (msg.type === "update" && msg.nlri.length === 0 && msg.withdrawn.length === 0) {
            this.endOfRibs++;
          }
        }
      } catch (err) {
        this.invalid = `session sent bytes our decoder rejects: ${String(err)} (${
          hex(this.#buffer.subarray(0, 64))
        })`;
      }
    }
    this.closed = true;
  }

  send(msg: BgpMessage): Promise<void> {
    return this.conn.write(encodeMessage(msg, this.ctx));
  }

  last(): BgpMessage | undefined {
    return this.received.at(-1);
  }
}

type ShadowState = "OpenSent" | "OpenConfirm" | "Established";

/** What the session must do with the bytes fed so far. */
type Outcome =
  | { kind: "ok" }
  | { kind: "notification"; code: number; subcode: number }
  | { kind: "closed" }
  | { kind: "open" };

/** Frames and decodes exactly what the session receives, and predicts its answer. */
class Shadow {
  state: ShadowState;
  ctx: CodecContext;
  /** The peer offered enhanced route refresh: the session frames refreshes with BoRR/EoRR. */
  enhanced: boolean;
  /** The OPEN accepted in OpenSent. */
  open: OpenMessage | undefined;
  #buffer: Uint8Array = new Uint8Array(0);
  frames = 0;
  accepted = 0;
  treatAsWithdraw = 0;
  discards = 0;
  /** ROUTE-REFRESH requests the session answers with BoRR/EoRR. */
  refreshReplies = 0;
  /** Set once the stream reached an end (reset, close, or an OPEN in OpenSent). */
  end: Outcome | undefined;
  #counting = true;
  #prefixes = new Set<string>();

  constructor(state: ShadowState, ctx: CodecContext, enhanced: boolean) {
    this.state = state;
    this.ctx = ctx;
    this.enhanced = enhanced;
  }

  /** After the session accepted `open` in OpenSent: OpenConfirm with what it negotiated. */
  continueWith(ctx: CodecContext, open: OpenMessage): void {
    this.state = "OpenConfirm";
    this.ctx = ctx;
    this.enhanced = open.capabilities.some((c) => c.kind === "enhanced-route-refresh");
    this.end = undefined;
  }

  /** True when no partial frame waits in the session's buffer. */
  get aligned(): boolean {
    return this.#buffer.length === 0;
  }

  /** Feeds a message of the harness itself (ping, handshake): not counted. */
  feedControl(bytes: Uint8Array): Outcome {
    this.#counting = false;
    try {
      return this.feed(bytes);
    } finally {
      this.#counting = true;
    }
  }

  feed(bytes: Uint8Array): Outcome {
    if (this.end) return this.end;
    this.#buffer = concat(this.#buffer, bytes);
    for (;;) {
      let length: number | undefined;
      try {
        length = messageLength(this.#buffer, 4096);
        if (length === undefined || this.#buffer.length < length) return { kind: "ok" };
        const frame = this.#buffer.subarray(0, length);
        this.#buffer = this.#buffer.slice(length);
        if (this.#counting) this.frames++;
        const result = decodeMessage(
          frame,
          this.state === "OpenSent" ? DEFAULT_OPEN_CONTEXT : this.ctx,
        );
        const msg = result.message;
        const outcome = this.#handle(msg, result.treatAsWithdraw, result.endOfRib !== undefined);
        if (outcome) return (this.end = outcome);
        if (!this.#counting) continue;
        this.accepted++;
        if (result.treatAsWithdraw) this.treatAsWithdraw++;
        this.discards += result.discarded.length;
      } catch (err) {
        if (!(err instanceof BgpDecodeError)) throw err;
        if (length === undefined) this.frames++;
        const outcome: Outcome = err.code === 3 && this.state !== "Established"
          ? this.#fsmError()
          : { kind: "notification", code: err.code, subcode: err.subcode };
        return (this.end = outcome);
      }
    }
  }

  /** Mirrors the session's Adj-RIB-In size: over `maxPrefixes` is Cease 6/1 (RFC 4486 §4). */
  #adjRibIn(update: UpdateMessage, treatAsWithdraw: boolean, eor: boolean): Outcome | undefined {
    if (eor) return undefined;
    for (const w of withdrawnByUpdate(update, treatAsWithdraw)) {
      for (const p of w.prefixes) this.#prefixes.delete(p);
    }
    for (const a of announcedByUpdate(update, treatAsWithdraw)) {
      for (const p of a.prefixes) {
        this.#prefixes.add(p);
        if (this.#prefixes.size > MAX_PREFIXES) {
          return { kind: "notification", code: 6, subcode: 1 };
        }
      }
    }
    return undefined;
  }

  #handle(msg: BgpMessage, treatAsWithdraw: boolean, eor: boolean): Outcome | undefined {
    switch (msg.type) {
      case "notification":
        // RFC 4271 §8.2.2 OpenSent: a NOTIFICATION other than a version error (Event 25)
        // is "any other event" there, answered with an FSM error; elsewhere it just closes.
        if (this.state === "OpenSent" && !(msg.code === 2 && msg.subcode === 1)) {
          return this.#fsmError();
        }
        return { kind: "closed" };
      case "open": {
        if (this.state !== "OpenSent") return this.#fsmError();
        // RFC 4271 §6.2: Bad Peer AS (2/2), Unacceptable Hold Time 1-2 (2/6).
        if (peerAsOf(msg) !== PEER_ASN) return { kind: "notification", code: 2, subcode: 2 };
        if (msg.holdTime === 1 || msg.holdTime === 2) {
          return { kind: "notification", code: 2, subcode: 6 };
        }
        // RFC 5492 §5: no family in common with ours is Unsupported Capability (2/7).
        if (!familiesOf(msg).some((f) => f === "ipv4-unicast" || f === "ipv6-unicast")) {
          return { kind: "notification", code: 2, subcode: 7 };
        }
        this.open = msg;
        return { kind: "open" };
      }
      case "keepalive":
        if (this.state === "OpenSent") return this.#fsmError();
        this.state = "Established";
        return undefined;
      case "update":
        return this.state === "Established"
          ? this.#adjRibIn(msg, treatAsWithdraw, eor)
          : this.#fsmError();
      case "route-refresh": {
        // Only answered in Established, for a negotiated family (RFC 2918 §4, RFC 7313).
        const family = familyOf(msg.afi, msg.safi);
        if (
          this.state === "Established" && this.enhanced && msg.subtype === "normal" &&
          family !== undefined && this.ctx.families.includes(family)
        ) {
          this.refreshReplies++;
        }
        return undefined;
      }
    }
  }

  /** RFC 4271 §8.2.2 "any other event": Finite State Machine Error, RFC 6608 subcode per state. */
  #fsmError(): Outcome {
    return {
      kind: "notification",
      code: 5,
      subcode: this.state === "OpenSent" ? 1 : this.state === "OpenConfirm" ? 2 : 3,
    };
  }
}

/** Waits until `cond` holds: first a few microtask turns (cheap), then event-loop turns. */
async function settle(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  for (let i = 0; i < 24; i++) {
    if (cond()) return true;
    await Promise.resolve();
  }
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    if (cond()) return true;
    // setImmediate: chained setTimeout(0)s are clamped to 4 ms, which dominated the TCP run.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return cond();
}

/** Splits `bytes` at 0-3 random points (sometimes into single bytes). */
function split(bytes: Uint8Array, int: (n: number) => number): Uint8Array[] {
  if (bytes.length > 1 && bytes.length <= 40 && int(20) === 0) {
    return Array.from(bytes, (b) => new Uint8Array([b]));
  }
  const cuts = [...new Set(Array.from({ length: int(4) }, () => 1 + int(bytes.length)))]
    .filter((c) => c < bytes.length).sort((a, b) => a - b);
  const parts: Uint8Array[] = [];
  let at = 0;
  for (const c of cuts) {
    parts.push(bytes.slice(at, c));
    at = c;
  }
  parts.push(bytes.slice(at));
  return parts;
}

function denoConn(conn: Deno.TcpConn): RawConn {
  const buffer = new Uint8Array(65536);
  let chain: Promise<void> = Promise.resolve();
  let open = true;
  return {
    async read() {
      try {
        const n = await conn.read(buffer);
        return n === null ? null : buffer.slice(0, n);
      } catch {
        return null;
      }
    },
    write(data) {
      chain = chain.then(async () => {
        try {
          for (let at = 0; at < data.length && open;) at += await conn.write(data.subarray(at));
        } catch { /* the session closed: its NOTIFICATION is what we check */ }
      });
      return chain;
    },
    close() {
      if (!open) return;
      open = false;
      try {
        conn.close();
      } catch { /* already closed */ }
    },
  };
}

/** The session under test plus a way to open a new peer connection to it. */
interface Rig {
  session: BgpSession;
  clock: Clock;
  fake: FakeClock | undefined;
  connect(): Promise<PeerEnd>;
  close(): void;
}

const refusingTransport: Transport = {
  connect: () => Promise.reject(new Error("Cannot connect: the fuzz session is passive")),
  listen: () => Promise.reject(new Error("Cannot listen: not used")),
};

/** `conn` with every write passed through `tamper`. */
function tampered(
  conn: BgpConnection,
  tamper: (bytes: Uint8Array) => Uint8Array | undefined,
): BgpConnection {
  return {
    localAddress: conn.localAddress,
    localPort: conn.localPort,
    remoteAddress: conn.remoteAddress,
    remotePort: conn.remotePort,
    read: () => conn.read(),
    write: (data) => {
      const out = tamper(data.slice());
      return out ? conn.write(out) : Promise.resolve();
    },
    close: () => conn.close(),
    get closed() {
      return conn.closed;
    },
  };
}

async function makeRig(
  kind: "memory" | "tcp",
  log: (level: string, m: string) => void,
  tamper: SessionFuzzOptions["tamperReplies"],
) {
  const fake = kind === "memory" ? new FakeClock(1_000_000) : undefined;
  const clock = fake ?? systemClock;
  // Real time: hold 3 s / keepalive 1 s so the watchdog sees several KEEPALIVEs per session.
  const [hold, keepalive] = kind === "memory" ? [9, 3] : [3, 1];
  const session = new BgpSession({
    localAsn: LOCAL_ASN,
    routerId: "10.0.0.1",
    neighbor: neighborConfig(hold, keepalive),
    transport: refusingTransport,
    clock,
    random: () => 0.5,
    log,
  });
  session.start();
  if (kind === "memory") {
    let port = 40000;
    const rig: Rig = {
      session,
      clock,
      fake,
      connect() {
        const [mine, theirs] = memoryPipe(["127.0.0.1", 179], ["127.0.0.2", port++]);
        session.acceptIncoming(tamper ? tampered(mine, tamper) : mine);
        return Promise.resolve(new PeerEnd(theirs));
      },
      close: () => session.stop(),
    };
    return { rig, hold, keepalive };
  }
  const listener = await tcpTransport.listen(
    { hostname: "127.0.0.1", port: 0 },
    (conn) => session.acceptIncoming(conn),
  );
  const rig: Rig = {
    session,
    clock,
    fake,
    async connect() {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.port });
      conn.setNoDelay(true);
      return new PeerEnd(denoConn(conn));
    },
    close() {
      session.stop();
      listener.close();
    },
  };
  return { rig, hold, keepalive };
}

/** Runs the live-session fuzz; see the module doc for what is checked. */
export async function fuzzSession(options: SessionFuzzOptions = {}): Promise<SessionFuzzReport> {
  const target = options.messages ?? 100_000;
  const seed = options.seed ?? 1;
  const kind = options.transport ?? "memory";
  const stepTimeout = options.stepTimeoutMs ?? 5000;
  const r = rng(seed);
  const int = (n: number) => Math.floor(r() * n);
  const corpus = seedCorpus();
  // Valid messages to interleave: the UPDATEs, KEEPALIVE and ROUTE-REFRESH of the corpus.
  const valid = corpus.filter((m) => m[18] === 2 || m[18] === 4 || m[18] === 5);
  const report: SessionFuzzReport = {
    transport: kind,
    seed,
    messages: 0,
    framesProcessed: 0,
    accepted: 0,
    treatAsWithdraw: 0,
    discards: 0,
    notifications: {},
    closedByPeerNotification: 0,
    reestablishments: 0,
    openAccepted: 0,
    openContinued: 0,
    perState: { OpenSent: 0, OpenConfirm: 0, Established: 0 },
    partialSteps: 0,
    pings: 0,
    watchdogChecks: 0,
    holdExpiries: 0,
    failures: [],
    failureCount: 0,
    elapsedMs: 0,
  };
  let step = 0;
  const fail = (error: string, input: Uint8Array = new Uint8Array()) => {
    report.failureCount++;
    if (report.failures.length < 10) report.failures.push({ step, error, input: hex(input) });
  };
  const onRejection = (e: PromiseRejectionEvent) => {
    e.preventDefault();
    fail(`unhandled rejection: ${String(e.reason)}`);
  };
  globalThis.addEventListener("unhandledrejection", onRejection);
  const { rig, hold, keepalive } = await makeRig(kind, (level, message) => {
    if (level === "error") fail(`session logged an error: ${message}`);
  }, options.tamperReplies);
  const session = rig.session;
  const peerOpenBytes = encodeMessage(peerOpen(hold), DEFAULT_OPEN_CONTEXT);
  let shadow: Shadow | undefined;
  const fold = () => {
    if (!shadow) return;
    report.framesProcessed += shadow.frames;
    report.accepted += shadow.accepted;
    report.treatAsWithdraw += shadow.treatAsWithdraw;
    report.discards += shadow.discards;
    shadow = undefined;
  };

  /** Checks the session's last words: a valid NOTIFICATION (when one is due), then a close. */
  const checkClose = async (peer: PeerEnd, expected: Outcome, input: Uint8Array) => {
    if (!await settle(() => peer.closed, stepTimeout)) {
      fail(`hang: session did not close after ${JSON.stringify(expected)}`, input);
      peer.conn.close();
      return;
    }
    const last = peer.last();
    if (expected.kind === "closed") {
      report.closedByPeerNotification++;
      if (last?.type === "notification") {
        fail(`session answered a NOTIFICATION with ${last.code}/${last.subcode}`, input);
      }
      return;
    }
    if (last?.type !== "notification") {
      fail(`session closed without a NOTIFICATION (expected ${JSON.stringify(expected)})`, input);
      return;
    }
    const key = `${last.code}/${last.subcode}`;
    report.notifications[key] = (report.notifications[key] ?? 0) + 1;
    if (!VALID_SUBCODES[last.code]?.includes(last.subcode)) {
      fail(`invalid NOTIFICATION ${key}`, input);
    }
    if (expected.kind === "notification") {
      if (last.code !== expected.code || last.subcode !== expected.subcode) {
        fail(`NOTIFICATION ${key}, expected ${expected.code}/${expected.subcode}`, input);
      }
    } else if (expected.kind === "open" && last.code !== 2) {
      fail(`OPEN in OpenSent answered with ${key}, expected 2/x or a KEEPALIVE`, input);
    }
  };

  /** Writes `bytes` split at random points, tracking the shadow; returns the predicted outcome. */
  const feed = async (peer: PeerEnd, shadow: Shadow, bytes: Uint8Array): Promise<Outcome> => {
    for (const part of split(bytes, int)) await peer.conn.write(part);
    return shadow.feed(bytes);
  };

  /** Waits for the session to leave the old connection behind (Idle or Active). */
  const quiet = async () => {
    const ok = await settle(
      () => session.state === "Idle" || session.state === "Active",
      stepTimeout,
    );
    if (!ok) fail(`hang: session stuck in ${session.state} after the connection closed`);
  };

  const nextMessage = (): Uint8Array => {
    const x = r();
    // Enough valid messages that sessions often survive a chunk and reach the ping.
    if (x < 0.05) return randomMessage(r);
    if (x < 0.4) return valid[int(valid.length)]!;
    return mutate(corpus[int(corpus.length)]!, r);
  };

  let alignedSteps = 0;

  /** The peer's last word, for failure messages. */
  const lastWord = (peer: PeerEnd) => {
    const last = peer.last();
    return last?.type === "notification" ? `NOTIFICATION ${last.code}/${last.subcode}` : "nothing";
  };

  /** Sends the peer's KEEPALIVE (OpenConfirm → Established) and waits for Established. */
  const confirm = async (peer: PeerEnd, sh: Shadow): Promise<boolean> => {
    if (sh.state !== "Established") {
      await peer.send({ type: "keepalive" });
      sh.feedControl(encodeMessage({ type: "keepalive" }, sh.ctx));
    }
    // Established sends the table (empty), then one End-of-RIB per family (RFC 4724 §2).
    const families = sh.ctx.families.length;
    const up = () => session.state === "Established" && peer.endOfRibs >= families;
    if (!await settle(() => up() || peer.closed, stepTimeout)) {
      fail(`hang: no End-of-RIB after the handshake (state ${session.state})`);
      return false;
    }
    if (peer.closed || session.state !== "Established") {
      fail(`session not Established after the handshake (${session.state}, ${lastWord(peer)})`);
      return false;
    }
    report.reestablishments++;
    return true;
  };

  /**
   * Established: chunks of fuzzed messages. After each chunk that leaves no partial frame,
   * a ROUTE-REFRESH ping (when the peer offered RFC 7313) must come back as BoRR/EoRR.
   */
  const established = async (peer: PeerEnd, sh: Shadow, remote: OpenMessage) => {
    const timers = negotiateHoldTime(hold, remote.holdTime, keepalive);
    const family = sh.ctx.families[0];
    const ping: BgpMessage | undefined = sh.enhanced && family
      ? { type: "route-refresh", ...afiSafiOf(family), subtype: "normal" }
      : undefined;
    for (;;) {
      if (report.messages >= target) return;
      if (peer.closed) {
        fail(`session closed on messages our decoder accepts (it sent ${lastWord(peer)})`);
        return;
      }
      const messages = Array.from({ length: 1 + int(4) }, nextMessage);
      const input = messages.reduce(concat, new Uint8Array(0));
      report.messages += messages.length;
      report.perState.Established += messages.length;
      const outcome = await feed(peer, sh, input);
      if (outcome.kind !== "ok") {
        await checkClose(peer, outcome, input);
        return;
      }
      if (!sh.aligned) {
        report.partialSteps++;
        continue;
      }
      if (ping) {
        await peer.send(ping);
        sh.feedControl(encodeMessage(ping, sh.ctx));
        const replies = sh.refreshReplies;
        if (!await settle(() => peer.eorr >= replies || peer.closed, stepTimeout)) {
          fail(`hang: no answer to a ROUTE-REFRESH (state ${session.state})`, input);
          return;
        }
        if (peer.closed) {
          fail(`session closed on messages our decoder accepts (it sent ${lastWord(peer)})`, input);
          return;
        }
        report.pings++;
      } else {
        await settle(() => peer.closed, 0);
      }
      if (peer.invalid) return;
      if (timers.holdTime === 0) continue;
      // Watchdog: KEEPALIVEs must keep coming while Established (RFC 4271 §4.4).
      if (rig.fake && ++alignedSteps % 16 === 0) {
        if (!ping) await settle(() => false, 1); // let the session catch up first
        if (peer.closed) continue;
        const before = peer.keepalives;
        rig.fake.tick(timers.keepaliveTime * 1000);
        if (!await settle(() => peer.keepalives > before || peer.closed, stepTimeout)) {
          fail("watchdog: no KEEPALIVE within the keepalive time while Established");
          return;
        }
        report.watchdogChecks++;
        if (int(8) === 0) {
          // Now the peer falls silent for a whole hold time: Hold Timer Expired (RFC 4271 §6.5).
          rig.fake.tick(timers.holdTime * 1000);
          await checkClose(peer, { kind: "notification", code: 4, subcode: 0 }, new Uint8Array());
          report.holdExpiries++;
          return;
        }
      } else if (!rig.fake && session.state === "Established") {
        const silent = performance.now() - peer.lastKeepaliveAt;
        if (silent > timers.holdTime * 1000) {
          fail(`watchdog: no KEEPALIVE for ${Math.round(silent)} ms while Established`);
          return;
        }
        report.watchdogChecks++;
      }
    }
  };

  const started = performance.now();
  while (report.messages < target && report.failureCount < 50) {
    step++;
    let peer: PeerEnd;
    try {
      peer = await rig.connect();
    } catch (err) {
      fail(`cannot hand a connection to the session: ${String(err)}`);
      break;
    }
    try {
      if (!await settle(() => peer.received.length > 0 || peer.closed, stepTimeout)) {
        fail("hang: no OPEN from the session");
        continue;
      }
      const ours = peer.last();
      if (ours?.type !== "open") {
        fail(`session opened with ${ours?.type ?? "a close"} instead of an OPEN`);
        continue;
      }
      const phase = r();
      if (phase < 0.1) {
        // OpenSent: a mutated OPEN (or anything else) instead of the peer's OPEN.
        const sh = shadow = new Shadow("OpenSent", DEFAULT_OPEN_CONTEXT, false);
        const x = r();
        const input = x < 0.4
          ? mutate(peerOpenBytes, r)
          : x < 0.6
          ? mutate(randomOpen(r), r)
          : x < 0.9
          ? randomOpen(r)
          : nextMessage();
        report.messages++;
        report.perState.OpenSent++;
        const outcome = await feed(peer, sh, input);
        if (outcome.kind === "open") {
          // Our checks accept this OPEN: the session must answer with a KEEPALIVE.
          const answered = await settle(
            () => peer.closed || peer.keepalives > 0 || peer.last()?.type === "notification",
            stepTimeout,
          );
          if (!answered) {
            fail("hang: no answer to an OPEN in OpenSent", input);
          } else if (peer.keepalives === 0) {
            fail(`session refused an OPEN our checks accept (${lastWord(peer)})`, input);
          } else {
            report.openAccepted++;
            const open = sh.open;
            if (sh.aligned && open && r() < 0.5) {
              // Go on with whatever this OPEN negotiated (2-octet AS, other families, hold time).
              sh.continueWith(negotiateContext(ours, open, false), open);
              peer.ctx = sh.ctx;
              report.openContinued++;
              if (await confirm(peer, sh)) await established(peer, sh, open);
            }
          }
        } else if (outcome.kind !== "ok") {
          await checkClose(peer, outcome, input);
        } else {
          // A partial frame (or an ignored ROUTE-REFRESH): let it sit, then hang up.
          await settle(() => false, 0);
          if (peer.last()?.type === "notification") fail("unexpected NOTIFICATION", input);
        }
        continue;
      }
      const remote = peerOpen(hold);
      const ctx = negotiateContext(ours, remote, false);
      peer.ctx = ctx;
      await peer.conn.write(peerOpenBytes);
      if (!await settle(() => peer.keepalives > 0 || peer.closed, stepTimeout)) {
        fail("hang: no KEEPALIVE after our OPEN");
        continue;
      }
      if (peer.closed) {
        fail(`session closed after a valid OPEN (${lastWord(peer)})`);
        continue;
      }
      const sh = shadow = new Shadow("OpenConfirm", ctx, true);
      if (phase < 0.2) {
        // OpenConfirm: one fuzzed message before our KEEPALIVE.
        const input = nextMessage();
        report.messages++;
        report.perState.OpenConfirm++;
        const outcome = await feed(peer, sh, input);
        if (outcome.kind !== "ok") {
          await checkClose(peer, outcome, input);
          continue;
        }
        if (!sh.aligned) {
          report.partialSteps++;
          continue; // hang up with the partial frame in the session's buffer
        }
      }
      if (await confirm(peer, sh)) await established(peer, sh, remote);
    } catch (err) {
      // The harness drives the session synchronously in places: a throw there is a crash.
      fail(`session threw: ${err instanceof Error ? err.stack : String(err)}`);
    } finally {
      if (peer.invalid) fail(peer.invalid);
      fold();
      peer.conn.close();
      await settle(() => peer.closed, stepTimeout);
      await quiet();
    }
  }
  report.elapsedMs = performance.now() - started;
  rig.close();
  await session.flushed();
  globalThis.removeEventListener("unhandledrejection", onRejection);
  return report;
}

/** One-paragraph summary of a report, for `deno task fuzz`. */
export function formatSessionReport(report: SessionFuzzReport): string {
  const seconds = report.elapsedMs / 1000;
  const notifications = Object.entries(report.notifications).sort((a, b) => b[1] - a[1]);
  const lines = [
    `session fuzz (${report.transport}): ${report.messages} messages, seed ${report.seed}, ${
      seconds.toFixed(1)
    } s, ${Math.round(report.messages / seconds)}/s`,
    `  frames decoded by the session ${report.framesProcessed}: accepted ${report.accepted} (treat-as-withdraw ${report.treatAsWithdraw}, attributes discarded ${report.discards})`,
    `  per state: OpenSent ${report.perState.OpenSent}, OpenConfirm ${report.perState.OpenConfirm}, Established ${report.perState.Established}; partial-frame steps ${report.partialSteps}`,
    `  NOTIFICATIONs sent by the session: ${notifications.map(([k, v]) => `${k}=${v}`).join(" ")}`,
    `  fuzzed OPENs accepted in OpenSent ${report.openAccepted} (${report.openContinued} carried on to Established with what they negotiated)`,
    `  closed by a fuzzed NOTIFICATION ${report.closedByPeerNotification}, re-established ${report.reestablishments}, pings answered ${report.pings}, watchdog checks ${report.watchdogChecks}, hold timer expiries ${report.holdExpiries}`,
    `  failures ${report.failureCount}`,
  ];
  for (const f of report.failures) {
    lines.push(`  FAIL step ${f.step}: ${f.error}\n    input ${f.input}`);
  }
  return lines.join("\n");
}

if (import.meta.main) {
  const messages = Number(Deno.args[0] ?? 100_000);
  const seed = Number(Deno.args[1] ?? 1);
  const transport = Deno.args[2] === "tcp" ? "tcp" : "memory";
  const report = await fuzzSession({ messages, seed, transport });
  console.log(formatSessionReport(report));
  if (report.failureCount > 0) Deno.exit(1);
}
