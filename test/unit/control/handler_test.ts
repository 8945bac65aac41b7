import assert from "node:assert/strict";
import { controlHandler } from "../../../src/control/server.ts";
import { FakeBackend } from "./_fake_backend.ts";

function call(
  handler: (r: Request) => Promise<Response>,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
) {
  const init: RequestInit = { method, headers };
  if (body !== undefined) init.body = body;
  return handler(new Request(`http://anycast${path}`, init)).then(async (r) => ({
    status: r.status,
    headers: r.headers,
    body: await r.json(),
  }));
}

Deno.test("controlHandler() serves status, peers, routes and prefixes", async () => {
  const backend = new FakeBackend();
  const h = controlHandler(backend);
  assert.equal((await call(h, "GET", "/v1/status")).body.routerId, "10.0.0.1");
  assert.equal((await call(h, "GET", "/v1/peers")).body.length, 2);
  const routes = await call(h, "GET", "/v1/peers/10.0.0.254/routes?direction=sent");
  assert.equal(routes.body[0].prefix, "192.0.2.1/32");
  await call(h, "GET", "/v1/peers/core2/routes?direction=received");
  assert.deepEqual(backend.calls, ["routes 10.0.0.254 sent", "routes core2 received"]);
  assert.equal((await call(h, "GET", "/v1/prefixes")).body[0].state, "up");
});

Deno.test("controlHandler() announces with validated, canonical fields", async () => {
  const backend = new FakeBackend();
  const h = controlHandler(backend);
  const r = await call(
    h,
    "POST",
    "/v1/announce",
    JSON.stringify({
      prefix: "2001:0db8::/32",
      nextHop: "2001:db8::0:1",
      communities: ["no-export", "65000:1"],
      largeCommunities: ["65000:1:2"],
      med: 7,
    }),
  );
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { ok: true, prefix: "2001:db8::/32" });
  assert.deepEqual(JSON.parse(backend.calls[0]!.slice("announce ".length)), {
    prefix: "2001:db8::/32",
    communities: ["65535:65281", "65000:1"],
    largeCommunities: ["65000:1:2"],
    nextHop: "2001:db8::1",
    med: 7,
  });
});

Deno.test("controlHandler() rejects bad requests with 4xx and a clear message", async () => {
  const h = controlHandler(new FakeBackend());
  const cases: [string, string, string | undefined, number, RegExp][] = [
    ["POST", "/v1/announce", "{not json", 400, /Cannot parse JSON body/],
    ["POST", "/v1/announce", "", 400, /Missing JSON request body/],
    ["POST", "/v1/announce", "[]", 400, /must be a JSON object/],
    [
      "POST",
      "/v1/announce",
      '{"prefix":"192.0.2.300/32"}',
      400,
      /Invalid prefix "192\.0\.2\.300\/32"/,
    ],
    [
      "POST",
      "/v1/announce",
      '{"prefix":"192.0.2.1/24"}',
      400,
      /host bits set \(did you mean 192\.0\.2\.0\/24\?\)/,
    ],
    ["POST", "/v1/announce", '{"prefix":"192.0.2.1/32","med":-1}', 400, /Invalid med/],
    [
      "POST",
      "/v1/announce",
      '{"prefix":"192.0.2.1/32","communities":["65536:1"]}',
      400,
      /Invalid communities entry "65536:1"/,
    ],
    [
      "POST",
      "/v1/announce",
      '{"prefix":"192.0.2.1/32","nextHop":"2001:db8::1"}',
      400,
      /not in the family/,
    ],
    [
      "POST",
      "/v1/announce",
      '{"prefix":"192.0.2.1/32","colour":"red"}',
      400,
      /Unknown field "colour"/,
    ],
    [
      "POST",
      "/v1/drain",
      '{"prefix":"198.51.100.1/32"}',
      404,
      /Unknown prefix 198\.51\.100\.1\/32/,
    ],
    ["POST", "/v1/drain", "{}", 400, /Missing prefix \(or all: true\)/],
    ["POST", "/v1/drain", '{"all":false}', 400, /Invalid all/],
    ["POST", "/v1/maintenance", '{"prefix":"192.0.2.1/32","on":"yes"}', 400, /Invalid on/],
    ["GET", "/v1/peers/nobody/routes", undefined, 404, /Unknown peer nobody/],
    ["GET", "/v1/peers/core2/routes?direction=both", undefined, 400, /Invalid direction "both"/],
    ["DELETE", "/v1/peers", undefined, 405, /Method DELETE not allowed on \/v1\/peers \(use GET\)/],
    ["GET", "/v1/announce", undefined, 405, /use POST/],
    ["GET", "/v2/status", undefined, 404, /No such endpoint: \/v2\/status/],
  ];
  for (const [method, path, body, status, message] of cases) {
    const r = await call(h, method, path, body);
    assert.equal(r.status, status, `${method} ${path} ${body}`);
    assert.match(r.body.error, message);
  }
});

Deno.test("controlHandler() answers 413 to an oversized body", async () => {
  const h = controlHandler(new FakeBackend());
  const r = await call(h, "POST", "/v1/withdraw", JSON.stringify({ prefix: "x".repeat(70_000) }));
  assert.equal(r.status, 413);
});

Deno.test("controlHandler() with a token refuses requests without the right bearer token", async () => {
  const h = controlHandler(new FakeBackend(), { token: "s3cret" });
  const missing = await call(h, "GET", "/v1/status");
  assert.equal(missing.status, 401);
  assert.match(missing.body.error, /Missing bearer token/);
  assert.equal(missing.headers.get("www-authenticate"), 'Bearer realm="anycast"');
  const wrong = await call(h, "GET", "/v1/status", undefined, { authorization: "Bearer s3cre" });
  assert.equal(wrong.status, 401);
  assert.match(wrong.body.error, /Invalid bearer token/);
  const ok = await call(h, "GET", "/v1/status", undefined, { authorization: "Bearer s3cret" });
  assert.equal(ok.status, 200);
});

Deno.test("controlHandler() reports a backend failure as 500 and tells onError", async () => {
  const backend = new FakeBackend();
  backend.fail = new Error("speaker gone");
  const errors: unknown[] = [];
  const h = controlHandler(backend, { onError: (_, e) => void errors.push(e) });
  const r = await call(h, "GET", "/v1/status");
  assert.equal(r.status, 500);
  assert.match(r.body.error, /speaker gone/);
  assert.equal(errors.length, 1);
});

Deno.test("controlHandler() rejects non-decimal IPv4 forms instead of announcing another prefix", async () => {
  for (const prefix of ["010.0.0.1/32", "10.1/32", "0x0a.0.0.1", "167772161/32"]) {
    const backend = new FakeBackend();
    const h = controlHandler(backend);
    const r = await call(h, "POST", "/v1/announce", JSON.stringify({ prefix }));
    assert.equal(r.status, 400, `${prefix}: ${JSON.stringify(r.body)}`);
    assert.deepEqual(backend.calls, []);
  }
  const backend = new FakeBackend();
  const h = controlHandler(backend);
  const r = await call(
    h,
    "POST",
    "/v1/announce",
    JSON.stringify({ prefix: "192.0.2.1/32", nextHop: "010.0.0.1" }),
  );
  assert.equal(r.status, 400);
  assert.deepEqual(backend.calls, []);
});

Deno.test("controlHandler() answers 400, not 500, to a malformed peer name escape", async () => {
  const errors: unknown[] = [];
  const h = controlHandler(new FakeBackend(), { onError: (_r, e) => errors.push(e) });
  const r = await call(h, "GET", "/v1/peers/%E0%A4%A/routes");
  assert.equal(r.status, 400);
  assert.deepEqual(errors, []);
});

Deno.test("controlHandler() answers 413 to an oversized chunked body without a length", async () => {
  const backend = new FakeBackend();
  const h = controlHandler(backend);
  let pulled = 0;
  const chunk = new Uint8Array(16 * 1024).fill(0x20);
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      // Bounded: a reader that stops at the limit pulls far fewer than this.
      if (++pulled > 1000) controller.close();
      else controller.enqueue(chunk);
    },
  });
  const response = await h(
    new Request("http://anycast/v1/announce", { method: "POST", body }),
  );
  assert.equal(response.status, 413);
  assert.ok(pulled < 100, `read ${pulled} chunks of a body over the limit`);
  assert.deepEqual(backend.calls, []);
});
