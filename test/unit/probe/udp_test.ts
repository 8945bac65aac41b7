import assert from "node:assert/strict";
import dgram from "node:dgram";
import type { DnsLookupHandler, NtpqHandler, TftpRrqHandler } from "../../../src/config/model.ts";
import { runHandler } from "../../../src/probe/mod.ts";
import {
  decodeName,
  decodeResponse,
  encodeQuery,
} from "../../../src/probe/handlers/dns_message.ts";
import { decodeTftp, encodeAck, encodeRrq } from "../../../src/probe/handlers/tftp_rrq.ts";
import { readTimestamp, wallMs, writeTimestamp } from "../../../src/probe/handlers/ntpq.ts";

type Rinfo = { address: string; port: number };

async function udpServer(onMessage: (socket: dgram.Socket, msg: Uint8Array, rinfo: Rinfo) => void) {
  const socket = dgram.createSocket("udp4");
  socket.on(
    "message",
    (msg: Uint8Array, rinfo: Rinfo) => onMessage(socket, new Uint8Array(msg), rinfo),
  );
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
  return { socket, port: socket.address().port };
}

// ---------------------------------------------------------------- DNS

/** Answers A for ok.test (two records), NXDOMAIN for other names, nothing for slow.test. */
function dnsReply(query: Uint8Array): Uint8Array | undefined {
  const [name, end] = decodeName(query, 12);
  if (name === "slow.test") return undefined;
  const question = query.subarray(12, end + 4);
  const known = name === "ok.test";
  const type = (query[end]! << 8) | query[end + 1]!;
  const answers = known && type === 1 ? [[192, 0, 2, 1], [192, 0, 2, 2]] : [];
  const out: number[] = [
    query[0]!,
    query[1]!,
    0x81,
    0x80 | (known ? 0 : 3),
    0,
    1,
    0,
    answers.length,
    0,
    0,
    0,
    0,
  ];
  out.push(...question);
  for (const a of answers) out.push(0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, ...a);
  return new Uint8Array(out);
}

const dns = (
  resolver: string,
  query: string,
  extra: Partial<DnsLookupHandler> = {},
): DnsLookupHandler => ({
  kind: "dns_lookup",
  query,
  resolver,
  recordType: "A",
  tries: 1,
  intervalMs: 10,
  timeoutMs: 1000,
  ...extra,
});

Deno.test("encodeQuery() writes an RD query for class IN and decodeResponse() reads it back", () => {
  const q = encodeQuery(0x1234, "ok.test", 28);
  assert.deepEqual(Array.from(q), [
    0x12,
    0x34,
    0x01,
    0x00,
    0,
    1,
    0,
    0,
    0,
    0,
    0,
    0,
    2,
    0x6f,
    0x6b,
    4,
    0x74,
    0x65,
    0x73,
    0x74,
    0,
    0,
    28,
    0,
    1,
  ]);
  const parsed = decodeResponse(q);
  assert.equal(parsed.id, 0x1234);
  assert.deepEqual(parsed.questions, [{ name: "ok.test", type: 28 }]);
  assert.throws(() => decodeResponse(new Uint8Array(5)), RangeError);
  assert.throws(() => decodeName(new Uint8Array([0xc0, 0]), 0), /compression loop/);
});

Deno.test("dns_lookup passes when the resolver returns answers", async () => {
  const { socket, port } = await udpServer((s, msg, rinfo) => {
    const reply = dnsReply(msg);
    if (reply) s.send(reply, rinfo.port, rinfo.address);
  });
  try {
    const r = await runHandler(dns(`127.0.0.1:${port}`, "ok.test"), AbortSignal.timeout(3000));
    assert.equal(r.ok, true, r.reason);
    assert.match(r.reason, /^A ok\.test at 127\.0\.0\.1:\d+: 192\.0\.2\.1, 192\.0\.2\.2 in/);
    assert.equal(r.figures.answers, 2);
  } finally {
    socket.close();
  }
});

Deno.test("dns_lookup fails on NXDOMAIN, NODATA and silence with distinct reasons", async () => {
  const { socket, port } = await udpServer((s, msg, rinfo) => {
    const reply = dnsReply(msg);
    if (reply) s.send(reply, rinfo.port, rinfo.address);
  });
  try {
    const resolver = `127.0.0.1:${port}`;
    const nx = await runHandler(dns(resolver, "missing.test"), AbortSignal.timeout(3000));
    assert.equal(nx.ok, false);
    assert.match(nx.reason, /^NXDOMAIN for A missing\.test at 127\.0\.0\.1:\d+/);
    const nodata = await runHandler(
      dns(resolver, "ok.test", { recordType: "AAAA" }),
      AbortSignal.timeout(3000),
    );
    assert.equal(nodata.ok, false);
    assert.match(nodata.reason, /no answer records \(NODATA\)/);
    const slow = await runHandler(
      dns(resolver, "slow.test", { timeoutMs: 150, tries: 2 }),
      AbortSignal.timeout(3000),
    );
    assert.equal(slow.ok, false);
    assert.match(
      slow.reason,
      /no response for A slow\.test .* \(2 of 2 tries failed, 10 ms apart\)/,
    );
  } finally {
    socket.close();
  }
});

// ---------------------------------------------------------------- TFTP

/** RFC 1350 server: each transfer from a fresh port, waits for each ACK; ERROR 1 for unknown files. */
async function tftpServer(files: Record<string, Uint8Array>) {
  const transfers: dgram.Socket[] = [];
  const main = await udpServer((s, msg, client) => {
    const op = (msg[0]! << 8) | msg[1]!;
    if (op !== 1) return;
    const name = new TextDecoder().decode(msg.subarray(2, msg.indexOf(0, 2)));
    const file = files[name];
    const t = dgram.createSocket("udp4");
    transfers.push(t);
    t.bind(0, "127.0.0.1", () => {
      if (!file) {
        const text = new TextEncoder().encode("File not found");
        t.send(new Uint8Array([0, 5, 0, 1, ...text, 0]), client.port, client.address);
        return;
      }
      const sendBlock = (block: number) => {
        const data = file.subarray((block - 1) * 512, block * 512);
        t.send(
          new Uint8Array([0, 3, block >> 8, block & 0xff, ...data]),
          client.port,
          client.address,
        );
      };
      t.on("message", (ack: Uint8Array) => {
        const block = (ack[2]! << 8) | ack[3]!;
        if (block * 512 <= file.length) sendBlock(block + 1);
      });
      sendBlock(1);
    });
    void s;
  });
  return {
    port: main.port,
    close() {
      main.socket.close();
      for (const t of transfers) t.close();
    },
  };
}

const tftp = (url: string, extra: Partial<TftpRrqHandler> = {}): TftpRrqHandler => ({
  kind: "tftp_rrq",
  url,
  tries: 1,
  intervalMs: 10,
  timeoutMs: 2000,
  ...extra,
});

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>),
  );
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("encodeRrq(), encodeAck() and decodeTftp() follow RFC 1350", () => {
  assert.deepEqual(Array.from(encodeRrq("a.0")), [
    0,
    1,
    0x61,
    0x2e,
    0x30,
    0,
    0x6f,
    0x63,
    0x74,
    0x65,
    0x74,
    0,
  ]);
  assert.deepEqual(Array.from(encodeAck(258)), [0, 4, 1, 2]);
  assert.deepEqual(decodeTftp(new Uint8Array([0, 5, 0, 1, 0x6e, 0x6f, 0])), {
    op: "error",
    code: 1,
    message: "no",
  });
  assert.throws(() => decodeTftp(new Uint8Array([0, 3])), RangeError);
});

Deno.test("tftp_rrq downloads multi-block files and checks the sha256", async () => {
  const big = crypto.getRandomValues(new Uint8Array(1300));
  const exact = new Uint8Array(1024).fill(7); // a multiple of 512 ends with an empty block
  const server = await tftpServer({ "/lpxelinux.0": big, "/exact.bin": exact });
  try {
    const base = `tftp://127.0.0.1:${server.port}`;
    const r = await runHandler(
      tftp(`${base}/lpxelinux.0`, { sha256: await sha256Hex(big) }),
      AbortSignal.timeout(5000),
    );
    assert.equal(r.ok, true, r.reason);
    assert.equal(r.figures.bytes, 1300);
    const e = await runHandler(tftp(`${base}/exact.bin`), AbortSignal.timeout(5000));
    assert.equal(e.ok, true, e.reason);
    assert.equal(e.figures.bytes, 1024);
    const bad = await runHandler(
      tftp(`${base}/lpxelinux.0`, { sha256: "0".repeat(64) }),
      AbortSignal.timeout(5000),
    );
    assert.equal(bad.ok, false);
    assert.match(bad.reason, /SHA-256 [0-9a-f]{64} differs from expected 0{64}/);
  } finally {
    server.close();
  }
});

Deno.test("tftp_rrq reports the server's error for a missing file, and silence as a timeout", async () => {
  const server = await tftpServer({});
  const silent = await udpServer(() => {});
  try {
    const missing = await runHandler(
      tftp(`tftp://127.0.0.1:${server.port}/nope`),
      AbortSignal.timeout(5000),
    );
    assert.equal(missing.ok, false);
    assert.match(missing.reason, /server error 1: File not found/);
    const quiet = await runHandler(
      tftp(`tftp://127.0.0.1:${silent.port}/x`, { timeoutMs: 200 }),
      AbortSignal.timeout(5000),
    );
    assert.equal(quiet.ok, false);
    assert.match(quiet.reason, /no complete transfer \(0 bytes so far\)/);
  } finally {
    server.close();
    silent.socket.close();
  }
});

// ---------------------------------------------------------------- NTP

/** SNTP responder whose clock runs `offsetMs` ahead of ours; stratum 0 sends a kiss-o'-death. */
function sntpResponder(offsetMs: number, stratum = 2) {
  return udpServer((s, msg, rinfo) => {
    const received = wallMs() + offsetMs;
    const reply = new Uint8Array(48);
    const view = new DataView(reply.buffer);
    reply[0] = (0 << 6) | (4 << 3) | 4;
    reply[1] = stratum;
    if (stratum === 0) reply.set(new TextEncoder().encode("RATE"), 12);
    reply.set(msg.subarray(40, 48), 24); // originate = client's transmit
    writeTimestamp(view, 32, received);
    writeTimestamp(view, 40, wallMs() + offsetMs);
    s.send(reply, rinfo.port, rinfo.address);
  });
}

const ntp = (server: string, extra: Partial<NtpqHandler> = {}): NtpqHandler => ({
  kind: "ntpq",
  server,
  srcAddr: "127.0.0.1",
  offsetThresholdMs: 125,
  tries: 1,
  intervalMs: 10,
  timeoutMs: 1000,
  ...extra,
});

Deno.test("writeTimestamp() and readTimestamp() round-trip NTP time", () => {
  const view = new DataView(new ArrayBuffer(8));
  const t = Date.UTC(2026, 0, 1, 12, 0, 0, 250);
  writeTimestamp(view, 0, t);
  assert.ok(Math.abs(readTimestamp(view, 0) - t) < 0.001);
  assert.equal(view.getUint32(0), Math.floor(t / 1000) + 2_208_988_800);
});

Deno.test("ntpq measures the offset and passes within the threshold", async () => {
  const { socket, port } = await sntpResponder(40);
  try {
    const r = await runHandler(ntp(`127.0.0.1:${port}`), AbortSignal.timeout(3000));
    assert.equal(r.ok, true, r.reason);
    assert.ok(Math.abs(r.figures.offsetMs! - 40) < 20, `offset ${r.figures.offsetMs}`);
    assert.ok(r.figures.rttMs! >= 0);
    assert.match(
      r.reason,
      /^NTP 127\.0\.0\.1:\d+ from 127\.0\.0\.1: offset [\d.]+ ms, rtt [\d.]+ ms, stratum 2$/,
    );
  } finally {
    socket.close();
  }
});

Deno.test("ntpq fails beyond the offset threshold, on kiss-o'-death and on silence", async () => {
  const far = await sntpResponder(-900);
  const kod = await sntpResponder(0, 0);
  const silent = await udpServer(() => {});
  try {
    const r = await runHandler(ntp(`127.0.0.1:${far.port}`), AbortSignal.timeout(3000));
    assert.equal(r.ok, false);
    assert.ok(Math.abs(r.figures.offsetMs! + 900) < 20, `offset ${r.figures.offsetMs}`);
    assert.match(r.reason, /offset -[89]\d\d\.\d{3} ms.*\(offset beyond 125 ms\)$/);
    const k = await runHandler(ntp(`127.0.0.1:${kod.port}`), AbortSignal.timeout(3000));
    assert.equal(k.ok, false);
    assert.match(k.reason, /kiss-o'-death "RATE"/);
    const s = await runHandler(
      ntp(`127.0.0.1:${silent.port}`, { timeoutMs: 150 }),
      AbortSignal.timeout(3000),
    );
    assert.equal(s.ok, false);
    assert.match(s.reason, /no response within/);
  } finally {
    far.socket.close();
    kod.socket.close();
    silent.socket.close();
  }
});
