/**
 * Decoder fuzzing: feeds random and mutated BGP messages to `messageLength` +
 * `decodeMessage` and checks that
 * - nothing but BgpDecodeError is ever thrown,
 * - every error maps to a valid NOTIFICATION (code 1-6, or 7 for RFC 7313
 *   ROUTE-REFRESH errors, with a subcode defined for that code) that itself
 *   encodes and decodes back unchanged,
 * - every decode is bounded in time,
 * - every successfully decoded message encodes again.
 *
 * Then the live-session fuzzer (`fuzz_session.ts`) feeds mutated messages to a
 * real `BgpSession` in memory (fake clock) and over loopback TCP.
 *
 * Usage: `deno task fuzz [iterations=1000000] [seed=1] [--session=1000000] [--tcp=50000]`:
 * `iterations` decoder inputs, `--session` messages to the in-memory session,
 * `--tcp` messages over loopback TCP (0 skips a part). The default run takes
 * about a minute on two cores. Other code can call `fuzzDecoder(iterations, seed)`.
 *
 * @module
 */
import {
  BgpDecodeError,
  type BgpMessage,
  type CodecContext,
  decodeMessage,
  encodeMessage,
  encodeUpdates,
  endOfRib,
  messageLength,
  NOTIFICATION_NAMES,
  notificationFor,
  type NotificationMessage,
} from "../src/bgp/mod.ts";
import { hex } from "../src/bgp/_bytes.ts";
import { formatSessionReport, fuzzSession } from "./fuzz_session.ts";

/** Valid subcodes per error code: the keys of the one NOTIFICATION table (message/types.ts). */
export const VALID_SUBCODES: Record<number, readonly number[]> = Object.fromEntries(
  Object.entries(NOTIFICATION_NAMES).map((
    [code, e],
  ) => [Number(code), Object.keys(e.subcodes).map(Number)]),
);

export interface FuzzReport {
  iterations: number;
  seed: number;
  /** Inputs that framing said were incomplete (need more bytes). */
  incomplete: number;
  decoded: number;
  treatAsWithdraw: number;
  discards: number;
  /** BgpDecodeError count per "code/subcode". */
  errors: Record<string, number>;
  /** Anything else: bugs. First few kept with their input. */
  failures: { input: string; error: string }[];
  failureCount: number;
  slowestDecodeMs: number;
  /** The input of the slowest decode, to re-time it alone (GC pauses inflate single timings). */
  slowestInput: Uint8Array;
  elapsedMs: number;
}

/** mulberry32: small, fast, seedable. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CONTEXTS: CodecContext[] = [
  {
    fourOctetAs: true,
    extendedMessage: false,
    ibgp: false,
    families: ["ipv4-unicast", "ipv6-unicast"],
  },
  { fourOctetAs: false, extendedMessage: false, ibgp: true, families: ["ipv4-unicast"] },
  {
    fourOctetAs: true,
    extendedMessage: true,
    ibgp: true,
    families: ["ipv4-unicast", "ipv6-unicast"],
  },
];

/** Golden messages the mutator starts from. */
export function seedCorpus(): Uint8Array[] {
  const ctx4 = CONTEXTS[0]!, ctx2 = CONTEXTS[1]!;
  const messages: [BgpMessage, CodecContext][] = [
    [{
      type: "open",
      version: 4,
      asn: 4200000001,
      holdTime: 90,
      bgpId: "10.20.30.40",
      capabilities: [
        { kind: "multiprotocol", afi: 1, safi: 1 },
        { kind: "multiprotocol", afi: 2, safi: 1 },
        { kind: "route-refresh" },
        { kind: "extended-message" },
        {
          kind: "graceful-restart",
          restarting: true,
          notification: true,
          restartTime: 120,
          families: [{ afi: 1, safi: 1, forwardingPreserved: true }],
        },
        { kind: "four-octet-as", asn: 4200000001 },
        { kind: "enhanced-route-refresh" },
        { kind: "unknown", code: 73, value: new Uint8Array([1, 2, 3]) },
      ],
    }, ctx4],
    [{
      type: "update",
      withdrawn: ["10.0.0.0/8", "172.16.0.0/12"],
      attributes: {
        origin: "igp",
        asPath: [{ type: "sequence", asns: [65001, 4200000001] }, { type: "set", asns: [1, 2] }],
        nextHop: "192.0.2.1",
        med: 10,
        localPref: 100,
        atomicAggregate: true,
        aggregator: { asn: 4200000001, address: "192.0.2.9" },
        communities: ["65001:100", "65535:65281"],
        extendedCommunities: ["rt:65001:100", "soo:192.0.2.7:9"],
        largeCommunities: ["1:2:3"],
        unknown: [{ code: 99, flags: 0xc0, value: new Uint8Array([9, 9]) }],
      },
      nlri: ["192.0.2.0/24", "198.51.100.128/25", "203.0.113.1/32"],
    }, ctx4],
    [{
      type: "update",
      withdrawn: [],
      attributes: {
        origin: "egp",
        asPath: [{ type: "sequence", asns: [65001, 4200000001, 7] }],
        aggregator: { asn: 4200000002, address: "192.0.2.9" },
        nextHop: "192.0.2.1",
      },
      nlri: ["192.0.2.0/24"],
    }, ctx2],
    [{
      type: "update",
      withdrawn: [],
      attributes: {
        origin: "igp",
        asPath: [],
        mpReach: {
          family: "ipv6-unicast",
          nextHop: "2001:db8::1",
          nextHopLinkLocal: "fe80::1",
          nlri: ["2001:db8:1::/48", "2001:db8::1/128"],
        },
        mpUnreach: { family: "ipv6-unicast", withdrawn: ["2001:db8:2::/64"] },
      },
      nlri: [],
    }, ctx4],
    [endOfRib("ipv4-unicast"), ctx4],
    [endOfRib("ipv6-unicast"), ctx4],
    [{
      type: "notification",
      code: 6,
      subcode: 2,
      data: new Uint8Array(),
      communication: "maintenance ✓",
    }, ctx4],
    [{ type: "notification", code: 3, subcode: 5, data: new Uint8Array([0x40, 1, 1, 1]) }, ctx4],
    [{ type: "keepalive" }, ctx4],
    [{ type: "route-refresh", afi: 2, safi: 1, subtype: "borr" }, ctx4],
  ];
  const out = messages.map(([m, c]) => encodeMessage(m, c));
  out.push(
    encodeUpdates({
      family: "ipv4-unicast",
      prefixes: Array.from({ length: 300 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`),
      attributes: { origin: "igp", asPath: [{ type: "sequence", asns: [65001] }] },
      nextHop: "192.0.2.1",
    }, ctx4)[0]!,
  );
  return out;
}

/** Offsets of path attributes inside an UPDATE (best effort, for shuffles and length edits). */
function attributeOffsets(m: Uint8Array): { list: [number, number]; attrs: number[] } | undefined {
  if (m[18] !== 2 || m.length < 23) return undefined;
  const wl = (m[19]! << 8) | m[20]!;
  const at = 21 + wl;
  if (at + 2 > m.length) return undefined;
  const al = (m[at]! << 8) | m[at + 1]!;
  const start = at + 2, end = Math.min(start + al, m.length);
  const attrs: number[] = [];
  for (let p = start; p + 3 <= end;) {
    attrs.push(p);
    const ext = m[p]! & 0x10;
    const len = ext ? ((m[p + 2]! << 8) | (m[p + 3] ?? 0)) : m[p + 2]!;
    p += (ext ? 4 : 3) + len;
  }
  return { list: [start, end], attrs };
}

function setLength(m: Uint8Array): Uint8Array {
  m[16] = (m.length >> 8) & 0xff;
  m[17] = m.length & 0xff;
  return m;
}

/** One to three random mutations of `src` (also used by the live-session fuzzer). */
export function mutate(src: Uint8Array, r: () => number): Uint8Array {
  const int = (n: number) => Math.floor(r() * n);
  let m: Uint8Array = src.slice();
  const rounds = 1 + int(3);
  for (let k = 0; k < rounds; k++) {
    switch (int(9)) {
      case 0: { // bit flips in the body
        const flips = 1 + int(4);
        for (let i = 0; i < flips && m.length > 19; i++) m[19 + int(m.length - 19)]! ^= 1 << int(8);
        break;
      }
      case 1: // random byte
        if (m.length > 19) m[19 + int(m.length - 19)] = int(256);
        break;
      case 2: // truncate, length fixed up
        m = setLength(m.slice(0, 19 + int(Math.max(1, m.length - 18))));
        break;
      case 3: // truncate, length left alone
        m = m.slice(0, int(m.length + 1));
        break;
      case 4: { // header length edit
        const v = r() < 0.5 ? m.length + int(9) - 4 : int(65536);
        m[16] = (v >> 8) & 0xff;
        m[17] = v & 0xff;
        break;
      }
      case 5: { // inner length edit: withdrawn / attribute list / one attribute / OPEN params
        const off = attributeOffsets(m);
        if (off && off.attrs.length > 0 && r() < 0.6) {
          const a = off.attrs[int(off.attrs.length)]!;
          if (m[a]! & 0x10) m[a + 3] = int(256);
          else m[a + 2] = int(256);
        } else if (m.length > 22) {
          const at = [19, 20, 21, 22, 28][int(5)]!;
          if (at < m.length) m[at] = r() < 0.5 ? m[at]! + int(5) - 2 : int(256);
        }
        break;
      }
      case 6: { // attribute shuffle / duplicate / drop
        const off = attributeOffsets(m);
        if (!off || off.attrs.length < 1) break;
        const [start, end] = off.list;
        const bounds = [...off.attrs, end];
        const parts = off.attrs.map((a, i) => m.slice(a, bounds[i + 1]));
        const op = int(3);
        if (op === 0) {
          // Fisher-Yates: a random comparator in sort() is engine-defined and not reproducible.
          for (let i = parts.length - 1; i > 0; i--) {
            const j = int(i + 1);
            [parts[i], parts[j]] = [parts[j]!, parts[i]!];
          }
        } else if (op === 1) parts.push(parts[int(parts.length)]!);
        else parts.splice(int(parts.length), 1);
        const body = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
        let p = 0;
        for (const part of parts) {
          body.set(part, p);
          p += part.length;
        }
        const out = new Uint8Array(start + body.length + (m.length - end));
        out.set(m.subarray(0, start));
        out.set(body, start);
        out.set(m.subarray(end), start + body.length);
        out[start - 2] = (body.length >> 8) & 0xff;
        out[start - 1] = body.length & 0xff;
        m = setLength(out);
        break;
      }
      case 7: { // insert random bytes
        if (m.length < 19) break;
        const n = 1 + int(8);
        const at = 19 + int(Math.max(1, m.length - 18));
        const ins = new Uint8Array(n).map(() => int(256));
        const out = new Uint8Array(m.length + n);
        out.set(m.subarray(0, at));
        out.set(ins, at);
        out.set(m.subarray(at), at + n);
        m = setLength(out);
        break;
      }
      case 8: // change the type
        if (m.length > 18) m[18] = r() < 0.8 ? 1 + int(5) : int(256);
        break;
    }
  }
  if (r() < 0.01 && m.length > 0) m[int(Math.min(16, m.length))] = int(256); // marker damage
  return m;
}

/** A valid header (marker, length, type 1-5) around a random body. */
export function randomMessage(r: () => number): Uint8Array {
  const int = (n: number) => Math.floor(r() * n);
  const body = new Uint8Array(int(r() < 0.9 ? 64 : 600)).map(() => int(256));
  const m = new Uint8Array(19 + body.length);
  m.fill(0xff, 0, 16);
  m[18] = 1 + int(5);
  m.set(body, 19);
  return setLength(m);
}

function checkNotification(err: BgpDecodeError): string | undefined {
  const valid = VALID_SUBCODES[err.code];
  if (valid === undefined || !valid.includes(err.subcode)) {
    return `invalid NOTIFICATION ${err.code}/${err.subcode}`;
  }
  const n = notificationFor(err);
  const bytes = encodeMessage(n, CONTEXTS[0]!);
  if (messageLength(bytes, 4096) !== bytes.length) return "NOTIFICATION does not frame";
  const back = decodeMessage(bytes, CONTEXTS[0]!).message as NotificationMessage;
  if (back.code !== n.code || back.subcode !== n.subcode || hex(back.data) !== hex(n.data)) {
    return "NOTIFICATION does not round-trip";
  }
  return undefined;
}

/** Runs `iterations` fuzz cases from `seed`; see the module doc for what is checked. */
export function fuzzDecoder(iterations: number, seed: number): FuzzReport {
  const r = rng(seed);
  const corpus = seedCorpus();
  const report: FuzzReport = {
    iterations,
    seed,
    incomplete: 0,
    decoded: 0,
    treatAsWithdraw: 0,
    discards: 0,
    errors: {},
    failures: [],
    failureCount: 0,
    slowestDecodeMs: 0,
    slowestInput: new Uint8Array(),
    elapsedMs: 0,
  };
  const fail = (input: Uint8Array, error: string) => {
    report.failureCount++;
    if (report.failures.length < 10) report.failures.push({ input: hex(input), error });
  };
  const started = performance.now();
  for (let i = 0; i < iterations; i++) {
    const input = r() < 0.1
      ? randomMessage(r)
      : mutate(corpus[Math.floor(r() * corpus.length)]!, r);
    const ctx = CONTEXTS[Math.floor(r() * CONTEXTS.length)]!;
    const t0 = performance.now();
    try {
      const length = messageLength(input, ctx.extendedMessage ? 65535 : 4096);
      if (length === undefined || length > input.length) {
        report.incomplete++;
        continue;
      }
      const result = decodeMessage(input.subarray(0, length), ctx);
      report.decoded++;
      if (result.treatAsWithdraw) report.treatAsWithdraw++;
      report.discards += result.discarded.length;
      const m = result.message;
      if (!(m.type === "route-refresh" && m.subtype === "unknown")) {
        try {
          encodeMessage(m, { ...ctx, extendedMessage: true });
        } catch (e) {
          fail(input, `re-encode failed: ${e}`);
        }
      }
    } catch (e) {
      if (e instanceof BgpDecodeError) {
        const key = `${e.code}/${e.subcode}`;
        report.errors[key] = (report.errors[key] ?? 0) + 1;
        const bad = checkNotification(e);
        if (bad !== undefined) fail(input, bad);
      } else {
        fail(input, e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e));
      }
    } finally {
      const dt = performance.now() - t0;
      if (dt > report.slowestDecodeMs) {
        report.slowestDecodeMs = dt;
        report.slowestInput = input;
      }
    }
  }
  report.elapsedMs = performance.now() - started;
  return report;
}

/** `--name=N` from the command line, or `fallback`. */
function countFlag(args: string[], name: string, fallback: number): number {
  const arg = args.find((a) => a.startsWith(`--${name}=`));
  if (arg === undefined) return fallback;
  const value = Number(arg.slice(name.length + 3));
  if (!Number.isInteger(value) || value < 0) {
    console.error(`Cannot parse --${name}: expected a count, got "${arg}"`);
    Deno.exit(2);
  }
  return value;
}

if (import.meta.main) {
  const positional = Deno.args.filter((a) => !a.startsWith("--"));
  const iterations = Number(positional[0] ?? 1_000_000);
  const seed = Number(positional[1] ?? 1);
  const sessionMessages = countFlag(Deno.args, "session", 1_000_000);
  const tcpMessages = countFlag(Deno.args, "tcp", 50_000);
  const report = fuzzDecoder(iterations, seed);
  const rate = Math.round(iterations / (report.elapsedMs / 1000));
  console.log(
    `fuzz: ${iterations} inputs, seed ${seed}, ${
      (report.elapsedMs / 1000).toFixed(1)
    } s, ${rate}/s`,
  );
  console.log(
    `  decoded ${report.decoded} (treat-as-withdraw ${report.treatAsWithdraw}, attributes discarded ${report.discards}), incomplete ${report.incomplete}`,
  );
  const errors = Object.entries(report.errors).sort((a, b) => b[1] - a[1]);
  console.log(`  BgpDecodeError by code/subcode: ${errors.map(([k, v]) => `${k}=${v}`).join(" ")}`);
  // Re-time the slowest input alone: a one-off spike is a GC pause, not the input.
  let alone = Infinity;
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    try {
      const n = messageLength(report.slowestInput, 65535);
      if (n !== undefined && n <= report.slowestInput.length) {
        decodeMessage(report.slowestInput.subarray(0, n), CONTEXTS[2]!);
      }
    } catch { /* errors are expected here */ }
    alone = Math.min(alone, performance.now() - t0);
  }
  console.log(
    `  slowest single decode ${
      report.slowestDecodeMs.toFixed(2)
    } ms (${report.slowestInput.length} bytes; ${alone.toFixed(3)} ms when re-timed alone)`,
  );
  console.log(`  failures ${report.failureCount}`);
  for (const f of report.failures) console.log(`  FAIL ${f.error}\n    input ${f.input}`);
  let failures = report.failureCount;
  let total = iterations;
  for (
    const [transport, messages] of [["memory", sessionMessages], ["tcp", tcpMessages]] as const
  ) {
    if (messages === 0) continue;
    const session = await fuzzSession({ messages, seed, transport });
    console.log(formatSessionReport(session));
    failures += session.failureCount;
    total += session.messages;
  }
  console.log(
    `fuzz total: ${total} messages to the decoder and live sessions, failures ${failures}`,
  );
  if (failures > 0) Deno.exit(1);
}
