/**
 * The native socket layer on real loopback sockets: connect, accept, large
 * writes with back-pressure, peer reset, close while writing, no fd leak,
 * and the options it exists for (TTL, GTSM, TCP MD5, TCP-AO).
 */
import assert from "node:assert/strict";
import net from "node:net";
import { nativeTransport } from "../../../src/bgp/native_transport.ts";
import type { BgpConnection, BgpListener } from "../../../src/bgp/transport.ts";
import { getIntOption, IP_MINTTL, IP_TTL, IPPROTO_IP, libc } from "../../../src/net/libc.ts";
import { ConnectError, connectFd, NativeListener } from "../../../src/net/tcp.ts";
import type { TcpSecurity } from "../../../src/net/tcp_security.ts";

const HOST = "127.0.0.1";
const enc = (s: string) => new TextEncoder().encode(s);

function fdCount(): number {
  return [...Deno.readDirSync("/proc/self/fd")].length;
}

async function readBytes(conn: BgpConnection, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let got = 0;
  while (got < n) {
    const chunk = await conn.read();
    if (!chunk) break;
    out.set(chunk.subarray(0, n - got), got);
    got += chunk.length;
  }
  return out.subarray(0, got);
}

/** A listener plus a queue of accepted connections. */
async function serve(peers?: ReadonlyMap<string, TcpSecurity>) {
  const accepted: BgpConnection[] = [];
  const waiters: ((c: BgpConnection) => void)[] = [];
  const listener: BgpListener = await nativeTransport().listen(
    { hostname: HOST, port: 0, ...(peers ? { peers } : {}) },
    (c) => {
      const w = waiters.shift();
      if (w) w(c);
      else accepted.push(c);
    },
  );
  return {
    listener,
    next: () =>
      accepted.length > 0
        ? Promise.resolve(accepted.shift()!)
        : new Promise<BgpConnection>((r) => waiters.push(r)),
  };
}

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("nativeTransport connects and accepts; bytes flow both ways with real addresses", async () => {
  const { listener, next } = await serve();
  const client = await nativeTransport().connect({
    hostname: HOST,
    port: listener.port,
    localAddress: "127.0.0.2",
  });
  const server = await next();
  assert.equal(client.localAddress, "127.0.0.2");
  assert.equal(client.remotePort, listener.port);
  assert.equal(server.remoteAddress, "127.0.0.2");
  assert.equal(server.remotePort, client.localPort);
  await client.write(enc("ping"));
  assert.equal(new TextDecoder().decode(await readBytes(server, 4)), "ping");
  await server.write(enc("pong"));
  assert.equal(new TextDecoder().decode(await readBytes(client, 4)), "pong");
  client.close();
  assert.equal(await server.read(), null);
  server.close();
  listener.close();
  await tick(50);
});

Deno.test("nativeTransport holds a large write until the peer reads (back-pressure), in order", async () => {
  const { listener, next } = await serve();
  const client = await nativeTransport().connect({ hostname: HOST, port: listener.port });
  const server = await next();
  const big = new Uint8Array(32 << 20);
  for (let i = 0; i < big.length; i += 4096) big[i] = (i >> 12) & 0xff;
  let written = false;
  const writing = client.write(big).then(() => (written = true));
  await tick(200);
  assert.equal(written, false, "32 MiB cannot fit socket buffers while nobody reads");
  const got = await readBytes(server, big.length);
  await writing;
  assert.equal(got.length, big.length);
  assert.deepEqual(got.subarray(0, 1 << 20), big.subarray(0, 1 << 20));
  assert.equal(got[big.length - 4096], big[big.length - 4096]);
  client.close();
  server.close();
  listener.close();
  await tick(50);
});

Deno.test("nativeTransport: a peer reset ends reads with null and marks the connection closed", async () => {
  const { listener, next } = await serve();
  // The peer resets (RST, not FIN): node's resetAndDestroy() closes with SO_LINGER 0.
  const raw = net.connect(listener.port, HOST);
  await new Promise((r) => raw.once("connect", r));
  const victim = await next();
  raw.resetAndDestroy();
  assert.equal(await victim.read(), null);
  await tick(20);
  assert.equal(victim.closed, true);
  listener.close();
  await tick(50);
});

Deno.test("nativeTransport: close() while a large write is pending does not hang", async () => {
  const { listener, next } = await serve();
  const client = await nativeTransport().connect({ hostname: HOST, port: listener.port });
  const server = await next();
  const before = Date.now();
  const writing = client.write(new Uint8Array(16 << 20));
  client.close();
  server.close();
  await writing;
  assert.ok(Date.now() - before < 3000);
  listener.close();
  await tick(50);
});

Deno.test("nativeTransport: 1,000 connect/close cycles leave the fd count where it was", async () => {
  const { listener, next } = await serve();
  const transport = nativeTransport();
  // One warm-up cycle opens what the runtime keeps for good (thread pools, epoll).
  const warm = await transport.connect({ hostname: HOST, port: listener.port });
  (await next()).close();
  warm.close();
  await tick(100);
  const before = fdCount();
  for (let i = 0; i < 1000; i++) {
    const c = await transport.connect({ hostname: HOST, port: listener.port });
    const s = await next();
    await c.write(enc("x"));
    c.close();
    s.close();
  }
  await tick(2500); // the 2 s destroy fallback of close()
  const after = fdCount();
  assert.ok(after <= before + 2, `fds before ${before}, after ${after}`);
  listener.close();
  await tick(50);
});

Deno.test("connectFd() reports a refused connection as answered, an abort as unanswered", async () => {
  const l = NativeListener.open({ hostname: HOST, port: 0, onConnection: () => {} });
  const port = l.port;
  await l.close();
  await assert.rejects(
    () => connectFd({ hostname: HOST, port }),
    (e: unknown) => e instanceof ConnectError && !e.noAnswer && /refused/i.test(e.message),
  );
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(() => connectFd({ hostname: HOST, port, signal: ac.signal }), ConnectError);
});

Deno.test("connectFd() sets IP_TTL and IP_MINTTL before the SYN", async () => {
  // The listener answers with TTL 255, or the client's minimum TTL would drop the SYN-ACK.
  const l = NativeListener.open({
    hostname: HOST,
    port: 0,
    peers: new Map([[HOST, { ttl: 255 }]]),
    onConnection: (c) => libc().close(c.fd),
  });
  const c = await connectFd({ hostname: HOST, port: l.port, security: { ttl: 1, minTtl: 254 } });
  assert.equal(getIntOption(c.fd, IPPROTO_IP, IP_TTL), 1);
  assert.equal(getIntOption(c.fd, IPPROTO_IP, IP_MINTTL), 254);
  libc().close(c.fd);
  await l.close();
});

Deno.test("GTSM: the accepted socket drops segments that arrive below its minimum TTL", async () => {
  const peers = new Map([[HOST, { ttl: 255, minTtl: 255 }]]);
  for (const [ttl, delivered] of [[64, false], [255, true]] as const) {
    const { listener, next } = await serve(peers);
    const client = await nativeTransport().connect({
      hostname: HOST,
      port: listener.port,
      security: { ttl },
    });
    const server = await next();
    await client.write(enc("hello"));
    const got = await Promise.race([readBytes(server, 5), tick(600).then(() => null)]);
    assert.equal(got !== null, delivered, `TTL ${ttl}`);
    client.close();
    server.close();
    listener.close();
    await tick(50);
  }
});

Deno.test("TCP MD5: the right key connects, a wrong key gets no answer and the hint is logged", async () => {
  const key = enc("right-password");
  const { listener, next } = await serve(new Map([[HOST, { md5Key: key }]]));
  const ok = await nativeTransport().connect({
    hostname: HOST,
    port: listener.port,
    security: { md5Key: key },
  });
  const server = await next();
  await ok.write(enc("signed"));
  assert.equal(new TextDecoder().decode(await readBytes(server, 6)), "signed");
  ok.close();
  server.close();

  const logs: string[] = [];
  const transport = nativeTransport({ log: (_l, m) => logs.push(m), noAnswerHintAfter: 2 });
  for (let i = 0; i < 2; i++) {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 400);
    await assert.rejects(
      () =>
        transport.connect({
          hostname: HOST,
          port: listener.port,
          security: { md5Key: enc("wrong") },
          signal: ac.signal,
        }),
      (e: unknown) => e instanceof ConnectError && e.noAnswer,
    );
  }
  assert.equal(logs.length, 1);
  assert.match(
    logs[0]!,
    /no answer from 127\.0\.0\.1:\d+ after 2 attempts; check the TCP MD5 password/,
  );
  listener.close();
  await tick(50);
});

/** Whether this kernel was built with TCP-AO, from /proc/config.gz (undefined: cannot tell). */
async function kernelHasTcpAo(): Promise<boolean | undefined> {
  try {
    const gz = await Deno.readFile("/proc/config.gz");
    const text = await new Response(
      new Blob([gz]).stream().pipeThrough(new DecompressionStream("gzip")),
    ).text();
    return /^CONFIG_TCP_AO=y/m.test(text);
  } catch {
    return undefined;
  }
}

Deno.test("TCP-AO: matching keys connect and a mismatched key gets no answer; without kernel support, a clear error", async () => {
  const ao = { sendId: 1, recvId: 1, algorithm: "hmac(sha1)" as const, key: enc("ao-secret") };
  const supported = await kernelHasTcpAo();
  if (supported === false) {
    await assert.rejects(
      () => serve(new Map([[HOST, { tcpAo: ao }]])),
      /TCP-AO is not supported by this kernel \(Linux [^)]+\): it needs Linux 6\.7 or later built with CONFIG_TCP_AO/,
    );
    await assert.rejects(
      () => connectFd({ hostname: HOST, port: 9, security: { tcpAo: ao } }),
      /TCP-AO is not supported by this kernel/,
    );
    return;
  }
  const { listener, next } = await serve(new Map([[HOST, { tcpAo: ao }]]));
  const ok = await nativeTransport().connect({
    hostname: HOST,
    port: listener.port,
    security: { tcpAo: ao },
  });
  const server = await next();
  await ok.write(enc("ao"));
  assert.equal(new TextDecoder().decode(await readBytes(server, 2)), "ao");
  ok.close();
  server.close();
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 400);
  await assert.rejects(
    () =>
      nativeTransport().connect({
        hostname: HOST,
        port: listener.port,
        security: { tcpAo: { ...ao, key: enc("other") } },
        signal: ac.signal,
      }),
    (e: unknown) => e instanceof ConnectError && e.noAnswer,
  );
  listener.close();
  await tick(50);
});

Deno.test("connectFd() refuses MD5 and TCP-AO on one socket", async () => {
  await assert.rejects(
    () =>
      connectFd({
        hostname: HOST,
        port: 9,
        security: {
          md5Key: enc("a"),
          tcpAo: { sendId: 1, recvId: 1, algorithm: "hmac(sha1)", key: enc("b") },
        },
      }),
    /MD5 and TCP-AO together/,
  );
});

Deno.test("TCP MD5 over IPv6 (::1): the right key connects", async () => {
  const key = enc("v6-password");
  const accepted: BgpConnection[] = [];
  const listener = await nativeTransport().listen(
    { hostname: "::1", port: 0, peers: new Map([["::1", { md5Key: key }]]) },
    (c) => accepted.push(c),
  );
  const c = await nativeTransport().connect({
    hostname: "::1",
    port: listener.port,
    security: { md5Key: key },
  });
  assert.equal(c.remoteAddress, "::1");
  await c.write(enc("six"));
  while (accepted.length === 0) await tick(10);
  assert.equal(new TextDecoder().decode(await readBytes(accepted[0]!, 3)), "six");
  c.close();
  accepted[0]!.close();
  listener.close();
  await tick(50);
});
