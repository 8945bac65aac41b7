import assert from "node:assert/strict";
import {
  ControlClient,
  ControlRequestError,
  DaemonUnreachableError,
} from "../../../src/control/client.ts";
import { ControlServer, resolveApiToken } from "../../../src/control/server.ts";
import { FakeBackend } from "./_fake_backend.ts";

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "anycast-control-" });
}

Deno.test("ControlServer listens on a 0600 unix socket that the client can use", async () => {
  const dir = await tempDir();
  const socket = `${dir}/run/anycast.sock`;
  const backend = new FakeBackend();
  const server = await ControlServer.start({ socket }, backend);
  try {
    assert.equal((await Deno.stat(socket)).mode! & 0o777, 0o600);
    using client = new ControlClient({ socket });
    assert.equal((await client.status()).asn, 65000);
    assert.equal((await client.peers())[1]?.name, "core2");
    assert.equal((await client.routes("10.0.0.254"))[0]?.med, 10);
    assert.deepEqual(await client.drain({ all: true }), {
      ok: true,
      prefixes: ["192.0.2.1/32", "192.0.2.2/32"],
    });
    await client.maintenance("192.0.2.1/32", true);
    await assert.rejects(
      client.drain({ prefix: "198.51.100.7/32" }),
      (e) => e instanceof ControlRequestError && e.status === 404,
    );
    assert.deepEqual(backend.calls.slice(-2), [
      "maintenance 192.0.2.1/32 true",
      'drain {"prefix":"198.51.100.7/32"}',
    ]);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
  await assert.rejects(Deno.stat(socket), Deno.errors.NotFound);
});

Deno.test("ControlServer on TCP needs the bearer token", async () => {
  const dir = await tempDir();
  const server = await ControlServer.start(
    { socket: `${dir}/a.sock`, listenAddress: "127.0.0.1", listenPort: 0, token: "t0ken" },
    new FakeBackend(),
  );
  try {
    const url = `http://127.0.0.1:${server.tcpAddress!.port}`;
    using good = new ControlClient({ url, token: "t0ken" });
    assert.equal((await good.status()).pid, 1234);
    using bad = new ControlClient({ url, token: "wrong" });
    await assert.rejects(
      bad.status(),
      (e) =>
        e instanceof ControlRequestError && e.status === 401 && /Invalid bearer/.test(e.message),
    );
    using none = new ControlClient({ url });
    await assert.rejects(none.peers(), (e) => e instanceof ControlRequestError && e.status === 401);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("resolveApiToken() reads token and tokenFile; no token is undefined", async () => {
  assert.equal(
    await resolveApiToken({ socket: "/x", listenAddress: "127.0.0.1", listenPort: 50051 }),
    undefined,
  );
  assert.equal(await resolveApiToken({ socket: "/x", token: "t" }), "t");
  assert.equal(await resolveApiToken({ socket: "/x" }), undefined);
  const token = await resolveApiToken(
    { socket: "/x", listenPort: 1, tokenFile: "/etc/anycast/token" },
    (path) => Promise.resolve(path === "/etc/anycast/token" ? "abc\n" : ""),
  );
  assert.equal(token, "abc");
  await assert.rejects(
    resolveApiToken(
      { socket: "/x", tokenFile: "/nope" },
      () => Promise.reject(new Error("ENOENT")),
    ),
    /Cannot read api\.tokenFile \/nope: ENOENT/,
  );
});

Deno.test("ControlServer keeps TCP closed without a token and says so (Periphery's api block)", async () => {
  const dir = await tempDir();
  const warnings: string[] = [];
  const server = await ControlServer.start(
    { socket: `${dir}/a.sock`, listenAddress: "127.0.0.1", listenPort: 0 },
    new FakeBackend(),
    { onWarning: (m) => warnings.push(m) },
  );
  try {
    assert.equal(server.tcpAddress, undefined);
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0]!,
      /never opened without a bearer token: set api\.token or api\.tokenFile/,
    );
    using client = new ControlClient({ socket: `${dir}/a.sock` });
    assert.ok(Array.isArray(await client.peers()));
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ControlServer replaces a stale socket and refuses a live one", async () => {
  const dir = await tempDir();
  const socket = `${dir}/a.sock`;
  // A socket file nobody listens on, as left by a daemon that was killed.
  const stale = Deno.listen({ transport: "unix", path: socket });
  stale.close();
  await Deno.writeFile(`${dir}/plain`, new Uint8Array());
  const server = await ControlServer.start({ socket }, new FakeBackend());
  try {
    await assert.rejects(
      ControlServer.start({ socket }, new FakeBackend()),
      /another anycast daemon is running/,
    );
    await assert.rejects(
      ControlServer.start({ socket: `${dir}/plain` }, new FakeBackend()),
      /exists and is not a socket/,
    );
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ControlClient says clearly when the daemon is not running", async () => {
  const dir = await tempDir();
  try {
    using client = new ControlClient({ socket: `${dir}/missing.sock` });
    await assert.rejects(
      client.status(),
      (e) =>
        e instanceof DaemonUnreachableError &&
        e.message ===
          `cannot reach anycast daemon at ${dir}/missing.sock: no such socket (is \`anycast run\` running?)`,
    );
    const stale = Deno.listen({ transport: "unix", path: `${dir}/dead.sock` });
    stale.close();
    using dead = new ControlClient({ socket: `${dir}/dead.sock` });
    await assert.rejects(
      dead.peers(),
      (e) =>
        e instanceof DaemonUnreachableError &&
        /cannot reach anycast daemon at .*dead\.sock: /.test(e.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
