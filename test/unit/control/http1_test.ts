/**
 * The control API's HTTP/1.1 loop on a real unix socket, driven by raw
 * bytes: a client that half-closes after a complete body still gets its
 * answer (Deno.serve answered 500 "Cannot read request body" there).
 */
import assert from "node:assert/strict";
import { ControlServer } from "../../../src/control/server.ts";
import { Http1Server } from "../../../src/control/http1.ts";
import { FakeBackend } from "./_fake_backend.ts";

/** Send `raw`, optionally half-close, and return the whole answer. */
async function exchange(path: string, raw: string | Uint8Array, halfClose = true) {
  const conn = await Deno.connect({ transport: "unix", path });
  const bytes = typeof raw === "string" ? new TextEncoder().encode(raw) : raw;
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
  if (halfClose) await conn.closeWrite();
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(65536);
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) break;
    chunks.push(buf.slice(0, n));
  }
  conn.close();
  const text = new TextDecoder().decode(
    chunks.reduce((a, b) => new Uint8Array([...a, ...b]), new Uint8Array()),
  );
  // The final status: a 100 Continue may come first.
  const status = [...text.matchAll(/^HTTP\/1\.1 (\d{3}) /gm)].map((m) => Number(m[1]))
    .find((s) => s !== 100);
  return { status, text };
}

async function withServer(fn: (path: string, backend: FakeBackend) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "anycast-http1-" });
  const path = `${dir}/a.sock`;
  const backend = new FakeBackend();
  const server = await ControlServer.start({ socket: path }, backend);
  try {
    await fn(path, backend);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
}

function post(body: string, extra = ""): string {
  return `POST /v1/announce HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n` +
    `content-length: ${new TextEncoder().encode(body).length}\r\n${extra}\r\n${body}`;
}

/** A complete ~10 KB announce body. */
const BIG = JSON.stringify({
  prefix: "198.51.100.0/24",
  communities: Array.from({ length: 900 }, (_, i) => `65000:${i}`),
});

Deno.test("ControlServer answers a complete 10 KB body followed by a client half-close", async () => {
  assert.ok(BIG.length > 10_000);
  await withServer(async (path, backend) => {
    for (let i = 0; i < 30; i++) {
      const r = await exchange(path, post(BIG));
      assert.equal(r.status, 200, r.text.slice(0, 300));
      assert.match(r.text, /"prefix": "198\.51\.100\.0\/24"/);
    }
    assert.equal(backend.calls.length, 30);
  });
});

Deno.test("ControlServer answers a client that keeps its side open", async () => {
  await withServer(async (path) => {
    const r = await exchange(path, post(BIG), false);
    assert.equal(r.status, 200);
    assert.match(r.text, /connection: close/i);
  });
});

Deno.test("ControlServer reads a chunked body and answers Expect: 100-continue", async () => {
  await withServer(async (path, backend) => {
    const body = JSON.stringify({ prefix: "198.51.100.0/24" });
    const half = Math.floor(body.length / 2);
    const chunked = `POST /v1/announce HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n` +
      `expect: 100-continue\r\n\r\n${half.toString(16)}\r\n${body.slice(0, half)}\r\n` +
      `${(body.length - half).toString(16)};ext=1\r\n${body.slice(half)}\r\n0\r\n\r\n`;
    const r = await exchange(path, chunked);
    assert.match(r.text, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
    assert.equal(backend.calls.length, 1);
  });
});

Deno.test("ControlServer refuses oversized, truncated and malformed requests with 4xx", async () => {
  await withServer(async (path, backend) => {
    const cases: [string, number, RegExp][] = [
      [post("x".repeat(70_000)), 413, /Request body over 65536 bytes/],
      [
        "POST /v1/announce HTTP/1.1\r\ncontent-length: 100\r\n\r\n{}",
        400,
        /Connection closed mid-body/,
      ],
      ["BLAH\r\n\r\n", 400, /Malformed request line/],
      ["GET /v1/status HTTP/1.1\r\nno colon here\r\n\r\n", 400, /Malformed header line/],
      [
        "POST /v1/announce HTTP/1.1\r\ncontent-length: 2\r\ntransfer-encoding: chunked\r\n\r\n{}",
        400,
        /Both content-length and chunked/,
      ],
      ["GET /v1/status HTTP/1.1\r\nx: " + "a".repeat(20_000) + "\r\n\r\n", 431, /too large/],
    ];
    for (const [raw, status, message] of cases) {
      const r = await exchange(path, raw);
      assert.match(r.text, new RegExp(`^HTTP/1\\.1 ${status} `), raw.slice(0, 60));
      assert.match(r.text, message);
    }
    assert.deepEqual(backend.calls, []);
    // Still serving afterwards.
    const ok = await exchange(path, "GET /v1/status HTTP/1.1\r\nhost: x\r\n\r\n");
    assert.match(ok.text, /^HTTP\/1\.1 200 /);
  });
});

Deno.test("Http1Server answers 408 when the request does not arrive in time", async () => {
  const dir = await Deno.makeTempDir({ prefix: "anycast-http1-" });
  const path = `${dir}/t.sock`;
  const server = new Http1Server(
    Deno.listen({ transport: "unix", path }),
    () => Promise.resolve(new Response("never")),
    { requestTimeoutMs: 50 },
  );
  try {
    const r = await exchange(path, "GET /v1/status HTTP/1.1\r\n", false);
    assert.match(r.text, /^HTTP\/1\.1 408 /);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
