import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { HealthImplementation } from "grpc-health-check";
import type { GrpcHandler, TcpHandler } from "../../../src/config/model.ts";
import { runHandler } from "../../../src/probe/mod.ts";
import { freeTcpPort } from "./_helpers.ts";

const tcp = (port: number, extra: Partial<TcpHandler> = {}): TcpHandler => ({
  kind: "tcp",
  host: "127.0.0.1",
  port,
  ...extra,
});

/** A listener that answers each connection with `reply(firstChunk)` (or nothing). */
function tcpServer(reply?: (input: string) => string) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  const loop = (async () => {
    for await (const conn of listener) {
      conns.push(conn);
      if (!reply) continue;
      (async () => {
        const buf = new Uint8Array(1024);
        const n = await conn.read(buf).catch(() => null);
        if (n === null) return;
        await conn.write(
          new TextEncoder().encode(reply(new TextDecoder().decode(buf.subarray(0, n)))),
        ).catch(() => {});
      })();
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    async close() {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
      await loop.catch(() => {});
    },
  };
}

Deno.test("tcp probe passes when the port accepts", async () => {
  const server = tcpServer();
  try {
    const r = await runHandler(tcp(server.port), AbortSignal.timeout(2000));
    assert.equal(r.ok, true);
    assert.match(r.reason, new RegExp(`^connected to 127\\.0\\.0\\.1:${server.port} in`));
    assert.ok(r.figures.connectMs! >= 0);
  } finally {
    await server.close();
  }
});

Deno.test("tcp probe reports a refused port", async () => {
  const port = freeTcpPort();
  const r = await runHandler(tcp(port), AbortSignal.timeout(2000));
  assert.equal(r.ok, false);
  assert.match(r.reason, new RegExp(`^connection refused by 127\\.0\\.0\\.1:${port} after`));
});

Deno.test("tcp probe sends and expects a reply", async () => {
  const server = tcpServer((input) => (input === "PING\r\n" ? "+PONG\r\n" : "-ERR\r\n"));
  try {
    const ok = await runHandler(
      tcp(server.port, { send: "PING\r\n", expect: "+PONG" }),
      AbortSignal.timeout(2000),
    );
    assert.equal(ok.ok, true, ok.reason);
    const wrong = await runHandler(
      tcp(server.port, { send: "HELLO\r\n", expect: "+PONG" }),
      AbortSignal.timeout(300),
    );
    assert.equal(wrong.ok, false);
    assert.match(wrong.reason, /no reply containing "\+PONG"|timed out/);
  } finally {
    await server.close();
  }
});

Deno.test("tcp probe times out when the reply never comes", async () => {
  const server = tcpServer();
  try {
    const r = await runHandler(tcp(server.port, { expect: "220 " }), AbortSignal.timeout(200));
    assert.equal(r.ok, false);
    assert.match(r.reason, /timed out after \d+ ms/);
  } finally {
    await server.close();
  }
});

async function grpcServer(statuses: Record<string, "SERVING" | "NOT_SERVING">) {
  const server = new grpc.Server();
  const health = new HealthImplementation(statuses);
  health.addToServer(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      "127.0.0.1:0",
      grpc.ServerCredentials.createInsecure(),
      (e, p) => (e ? reject(e) : resolve(p)),
    )
  );
  return { server, health, port };
}

const grpcProbe = (port: number, service = ""): GrpcHandler => ({
  kind: "grpc",
  host: "127.0.0.1",
  port,
  service,
  tls: false,
  insecureSkipVerify: false,
});

Deno.test("grpc probe passes only while the service is SERVING", async () => {
  const { server, health, port } = await grpcServer({ "": "SERVING", "app.v1": "NOT_SERVING" });
  try {
    const whole = await runHandler(grpcProbe(port), AbortSignal.timeout(5000));
    assert.equal(whole.ok, true, whole.reason);
    const app = await runHandler(grpcProbe(port, "app.v1"), AbortSignal.timeout(5000));
    assert.equal(app.ok, false);
    assert.match(app.reason, /service "app.v1": NOT_SERVING .*only SERVING passes/);
    health.setStatus("app.v1", "SERVING");
    assert.equal((await runHandler(grpcProbe(port, "app.v1"), AbortSignal.timeout(5000))).ok, true);
    health.setStatus("app.v1", "NOT_SERVING");
    assert.equal(
      (await runHandler(grpcProbe(port, "app.v1"), AbortSignal.timeout(5000))).ok,
      false,
    );
    const unknown = await runHandler(grpcProbe(port, "nope"), AbortSignal.timeout(5000));
    assert.equal(unknown.ok, false);
    assert.match(unknown.reason, /NOT_FOUND/);
  } finally {
    server.forceShutdown();
  }
});

Deno.test("grpc probe reports a refused port", async () => {
  const port = freeTcpPort();
  const r = await runHandler(grpcProbe(port), AbortSignal.timeout(5000));
  assert.equal(r.ok, false);
  assert.match(r.reason, new RegExp(`connection refused by 127\\.0\\.0\\.1:${port}`));
});

/** TLS terminator (h2 via ALPN) in front of a plain-text port: grpc-js's own TLS server does not run on Deno. */
function tlsFront(cert: string, key: string, backendPort: number) {
  const listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert,
    key,
    alpnProtocols: ["h2"],
  });
  const open: Deno.Conn[] = [];
  const loop = (async () => {
    for await (const front of listener) {
      const back = await Deno.connect({ hostname: "127.0.0.1", port: backendPort });
      open.push(front, back);
      front.readable.pipeTo(back.writable).catch(() => {});
      back.readable.pipeTo(front.writable).catch(() => {});
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    async close() {
      listener.close();
      for (const c of open) {
        try {
          c.close();
        } catch { /* closed by the pipe */ }
      }
      await loop.catch(() => {});
    },
  };
}

Deno.test("grpc probe over TLS verifies the server unless insecureSkipVerify", async () => {
  const { makeCerts } = await import("./_certs.ts");
  const certs = await makeCerts();
  const { server, port: plainPort } = await grpcServer({ "": "SERVING" });
  const front = tlsFront(certs.leafPem + certs.caPem, certs.leafKey, plainPort);
  try {
    const insecure = await runHandler(
      { ...grpcProbe(front.port), tls: true, insecureSkipVerify: true },
      AbortSignal.timeout(5000),
    );
    assert.equal(insecure.ok, true, insecure.reason);
    const strict = await runHandler(
      { ...grpcProbe(front.port), tls: true },
      AbortSignal.timeout(5000),
    );
    assert.equal(strict.ok, false, "the test CA is not trusted");
  } finally {
    server.forceShutdown();
    await front.close();
    await Deno.remove(certs.dir, { recursive: true });
  }
});
