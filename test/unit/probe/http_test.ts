import assert from "node:assert/strict";
import type { Http2xxHandler, HttpHandler } from "../../../src/config/model.ts";
import { runHandler } from "../../../src/probe/mod.ts";
import { freeTcpPort } from "./_helpers.ts";
import { makeCerts } from "./_certs.ts";

function serve(
  handler: (req: Request) => Response | Promise<Response>,
  tls?: { cert: string; key: string },
) {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {}, ...(tls ?? {}) },
    handler,
  );
  return { server, port: server.addr.port };
}

function http(port: number, overrides: Partial<HttpHandler> = {}): HttpHandler {
  return {
    kind: "http",
    scheme: "http",
    host: "127.0.0.1",
    port,
    path: "/health",
    method: "GET",
    headers: [],
    expectedStatus: [[200, 399]],
    insecureSkipVerify: false,
    ...overrides,
  };
}

const signal = () => AbortSignal.timeout(5000);

Deno.test("http probe passes on 200 and says what it saw", async () => {
  const { server, port } = serve(() => new Response("ok"));
  try {
    const r = await runHandler(http(port), signal());
    assert.equal(r.ok, true);
    assert.match(
      r.reason,
      new RegExp(`^HTTP 200 from http://127\\.0\\.0\\.1:${port}/health after [\\d.]+ ms$`),
    );
    assert.equal(r.target, `http://127.0.0.1:${port}/health`);
    assert.equal(r.figures.status, 200);
  } finally {
    await server.shutdown();
  }
});

Deno.test("http probe fails on 503 with an actionable reason", async () => {
  const { server, port } = serve(() => new Response("down", { status: 503 }));
  try {
    const r = await runHandler(http(port), signal());
    assert.equal(r.ok, false);
    assert.match(
      r.reason,
      new RegExp(
        `^HTTP 503 from http://127\\.0\\.0\\.1:${port}/health after [\\d.]+ ms \\(expected 200-399\\)$`,
      ),
    );
  } finally {
    await server.shutdown();
  }
});

Deno.test("http probe honours an expected status list and ranges", async () => {
  const { server, port } = serve(() => new Response(null, { status: 204 }));
  try {
    assert.equal(
      (await runHandler(http(port, { expectedStatus: [[200, 200]] }), signal())).ok,
      false,
    );
    assert.equal(
      (await runHandler(http(port, { expectedStatus: [[200, 200], [204, 204]] }), signal())).ok,
      true,
    );
    assert.equal(
      (await runHandler(http(port, { expectedStatus: [[200, 299]] }), signal())).ok,
      true,
    );
  } finally {
    await server.shutdown();
  }
});

Deno.test("http probe really sends a Host override, method, headers and body", async () => {
  let seen: { host: string | null; method: string; token: string | null; body: string } | undefined;
  const { server, port } = serve(async (req) => {
    seen = {
      host: req.headers.get("host"),
      method: req.method,
      token: req.headers.get("x-token"),
      body: await req.text(),
    };
    return new Response("hello site.example");
  });
  try {
    const r = await runHandler(
      http(port, {
        method: "POST",
        headers: [{ name: "Host", value: "site.example" }, { name: "X-Token", value: "t1" }],
        body: "ping",
        bodyMatch: "hello \\w+\\.example",
      }),
      signal(),
    );
    assert.equal(r.ok, true, r.reason);
    assert.deepEqual(seen, { host: "site.example", method: "POST", token: "t1", body: "ping" });
  } finally {
    await server.shutdown();
  }
});

Deno.test("http probe fails when the body does not match", async () => {
  const { server, port } = serve(() => new Response("status: degraded"));
  try {
    const r = await runHandler(http(port, { bodyMatch: "^status: ok" }), signal());
    assert.equal(r.ok, false);
    assert.match(r.reason, /HTTP 200 .* but the body does not match \/\^status: ok\//);
  } finally {
    await server.shutdown();
  }
});

Deno.test("http probe reports a refused connection", async () => {
  const port = freeTcpPort();
  const r = await runHandler(http(port), signal());
  assert.equal(r.ok, false);
  assert.match(
    r.reason,
    new RegExp(`connection refused by http://127\\.0\\.0\\.1:${port}/health after`),
  );
});

Deno.test("http probe times out on a server that never answers", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) held.push(conn);
  })();
  try {
    const started = performance.now();
    const r = await runHandler(
      http((listener.addr as Deno.NetAddr).port),
      AbortSignal.timeout(200),
    );
    assert.equal(r.ok, false);
    assert.match(r.reason, /timed out after \d+ ms/);
    assert.ok(performance.now() - started < 2000);
  } finally {
    listener.close();
    for (const c of held) c.close();
    await accepting.catch(() => {});
  }
});

Deno.test("https probe verifies the certificate unless insecureSkipVerify", async () => {
  const certs = await makeCerts();
  const { server, port } = serve(() => new Response("ok"), {
    cert: certs.leafPem + certs.caPem,
    key: certs.leafKey,
  });
  try {
    const strict = await runHandler(http(port, { scheme: "https" }), signal());
    assert.equal(strict.ok, false);
    assert.match(strict.reason, /TLS verification of https:\/\/127\.0\.0\.1:\d+\/health failed/);
    const relaxed = await runHandler(
      http(port, { scheme: "https", insecureSkipVerify: true }),
      signal(),
    );
    assert.equal(relaxed.ok, true, relaxed.reason);
    assert.match(relaxed.reason, /^HTTP 200 from https:/);
  } finally {
    await server.shutdown();
    await Deno.remove(certs.dir, { recursive: true });
  }
});

function http2xx(url: string, overrides: Partial<Http2xxHandler> = {}): Http2xxHandler {
  return {
    kind: "http_2xx",
    url,
    method: "GET",
    headers: {},
    tries: 1,
    intervalMs: 10,
    timeoutMs: 2000,
    ...overrides,
  };
}

Deno.test("http_2xx passes only on 2xx, as anycastd", async () => {
  let status = 204;
  let host: string | null = null;
  const { server, port } = serve((req) => {
    host = req.headers.get("host");
    return new Response(null, { status });
  });
  try {
    const url = `http://127.0.0.1:${port}/test-path`;
    const ok = await runHandler(http2xx(url, { headers: { Host: "example.com" } }), signal());
    assert.equal(ok.ok, true, ok.reason);
    assert.equal(host, "example.com");
    status = 301;
    const redirect = await runHandler(http2xx(url), signal());
    assert.equal(redirect.ok, false);
    assert.match(redirect.reason, /HTTP 301 from .* \(expected 2xx\)/);
  } finally {
    await server.shutdown();
  }
});

Deno.test("http_2xx retries up to tries times, intervalMs apart", async () => {
  let calls = 0;
  const { server, port } = serve(() => new Response(null, { status: ++calls < 3 ? 500 : 200 }));
  try {
    const r = await runHandler(
      http2xx(`http://127.0.0.1:${port}/`, { tries: 3, intervalMs: 20 }),
      signal(),
    );
    assert.equal(r.ok, true);
    assert.equal(calls, 3);
    assert.match(r.reason, /\(try 3 of 3\)$/);
    const fail = await runHandler(
      http2xx(`http://127.0.0.1:${freeTcpPort()}/`, { tries: 2, intervalMs: 20 }),
      signal(),
    );
    assert.equal(fail.ok, false);
    assert.match(fail.reason, /connection refused .* \(2 of 2 tries failed, 20 ms apart\)$/);
    assert.equal(fail.figures.tries, 2);
  } finally {
    await server.shutdown();
  }
});

Deno.test("dechunk() decodes chunked bodies, and a chunked body can be matched", async () => {
  const { dechunk } = await import("../../../src/probe/handlers/http_raw.ts");
  const encoded = new TextEncoder().encode("5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n");
  assert.equal(new TextDecoder().decode(dechunk(encoded)), "hello world");
  const { server, port } = serve(() =>
    new Response(
      new ReadableStream({
        start(c) {
          c.enqueue(new TextEncoder().encode("status: "));
          c.enqueue(new TextEncoder().encode("ok"));
          c.close();
        },
      }),
    )
  );
  try {
    const r = await runHandler(http(port, { bodyMatch: "^status: ok$" }), signal());
    assert.equal(r.ok, true, r.reason);
  } finally {
    await server.shutdown();
  }
});
