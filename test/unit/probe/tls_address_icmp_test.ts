import assert from "node:assert/strict";
import type {
  AssignedAddressHandler,
  IcmpPingHandler,
  TlsCertificateHandler,
} from "../../../src/config/model.ts";
import { runHandler } from "../../../src/probe/mod.ts";
import { pingStats } from "../../../src/probe/handlers/icmp_ping.ts";
import { internetChecksum } from "../../../src/probe/handlers/icmp_socket.ts";
import { makeCerts } from "./_certs.ts";
import { freeTcpPort } from "./_helpers.ts";

const DAY = 86_400_000;

const tlsCheck = (extra: Partial<TlsCertificateHandler>): TlsCertificateHandler => ({
  kind: "tls_certificate",
  dnsNames: [],
  ipAddresses: [],
  expiryWarningMs: 0,
  tries: 1,
  intervalMs: 10,
  timeoutMs: 3000,
  ...extra,
});

Deno.test("tls_certificate checks the leaf of a PEM bundle, not the CA before it", async () => {
  const certs = await makeCerts(30);
  try {
    const r = await runHandler(
      tlsCheck({
        local: { path: certs.bundlePath },
        commonName: "leaf.test",
        dnsNames: ["leaf.test", "localhost"],
        ipAddresses: ["127.0.0.1"],
        issuer: "Test CA",
      }),
      AbortSignal.timeout(5000),
    );
    assert.equal(r.ok, true, r.reason);
    assert.match(
      r.reason,
      /^certificate "leaf\.test" from .*bundle\.pem valid, expires in (29|30) days$/,
    );
    const left = r.figures.certificateExpiresInSeconds!;
    assert.ok(left > 29 * 86400 && left <= 30 * 86400, `${left}`);
  } finally {
    await Deno.remove(certs.dir, { recursive: true });
  }
});

Deno.test("tls_certificate fails on a wrong name, IP, common name or issuer", async () => {
  const certs = await makeCerts(30);
  const local = { path: certs.leafPath };
  const signal = () => AbortSignal.timeout(5000);
  try {
    const san = await runHandler(tlsCheck({ local, dnsNames: ["www.example.org"] }), signal());
    assert.equal(san.ok, false);
    assert.match(san.reason, /lacks DNS name www\.example\.org \(has leaf\.test, localhost\)/);
    const ip = await runHandler(tlsCheck({ local, ipAddresses: ["127.0.0.2"] }), signal());
    assert.match(ip.reason, /lacks IP address 127\.0\.0\.2 \(has 127\.0\.0\.1\)/);
    const cn = await runHandler(tlsCheck({ local, commonName: "other" }), signal());
    assert.match(cn.reason, /has common name "leaf\.test", expected "other"/);
    const issuer = await runHandler(tlsCheck({ local, issuer: "Other CA" }), signal());
    assert.match(issuer.reason, /was issued by "Test CA", expected "Other CA"/);
    assert.equal([san, ip, cn, issuer].some((r) => r.ok), false);
  } finally {
    await Deno.remove(certs.dir, { recursive: true });
  }
});

Deno.test("tls_certificate fails when expired, not yet valid, or inside the warning window", async () => {
  const certs = await makeCerts(10);
  const local = { path: certs.leafPath };
  const signal = () => AbortSignal.timeout(5000);
  try {
    const expired = await runHandler(tlsCheck({ local }), signal(), {
      wallClock: () => Date.now() + 11 * DAY,
    });
    assert.equal(expired.ok, false);
    assert.match(expired.reason, /expired \d{4}-\d\d-\d\dT.* \(1(\.\d)? days ago\)/);
    assert.ok(expired.figures.certificateExpiresInSeconds! < 0);
    const early = await runHandler(tlsCheck({ local }), signal(), {
      wallClock: () => Date.now() - DAY,
    });
    assert.equal(early.ok, false);
    assert.match(early.reason, /is not valid before/);
    const warn = await runHandler(tlsCheck({ local, expiryWarningMs: 30 * DAY }), signal());
    assert.equal(warn.ok, false);
    assert.match(warn.reason, /within the 30-day warning window/);
  } finally {
    await Deno.remove(certs.dir, { recursive: true });
  }
});

Deno.test("tls_certificate reports a missing file", async () => {
  const r = await runHandler(
    tlsCheck({ local: { path: "/nonexistent/cert.pem" } }),
    AbortSignal.timeout(5000),
  );
  assert.equal(r.ok, false);
  assert.equal(r.reason, "/nonexistent/cert.pem: no such file");
});

Deno.test("tls_certificate reads a remote server's leaf with SNI and verifies its chain unless insecure", async () => {
  const certs = await makeCerts(30);
  const server = Deno.serve(
    {
      hostname: "127.0.0.1",
      port: 0,
      cert: certs.leafPem + certs.caPem,
      key: certs.leafKey,
      onListen() {},
    },
    () => new Response("ok"),
  );
  const remote = { host: "127.0.0.1", port: server.addr.port, serverName: "leaf.test" };
  try {
    const insecure = await runHandler(
      tlsCheck({
        remote: { ...remote, insecure: true },
        commonName: "leaf.test",
        dnsNames: ["leaf.test"],
      }),
      AbortSignal.timeout(5000),
    );
    assert.equal(insecure.ok, true, insecure.reason);
    assert.match(insecure.reason, /from 127\.0\.0\.1:\d+ valid/);
    const verified = await runHandler(tlsCheck({ remote }), AbortSignal.timeout(5000));
    assert.equal(verified.ok, false, "the test CA is not trusted");
    assert.match(verified.reason, /cannot get certificate from 127\.0\.0\.1:\d+/);
    const refused = await runHandler(
      tlsCheck({ remote: { host: "127.0.0.1", port: freeTcpPort(), insecure: true } }),
      AbortSignal.timeout(5000),
    );
    assert.match(refused.reason, /connection refused by 127\.0\.0\.1:\d+/);
  } finally {
    await server.shutdown();
    await Deno.remove(certs.dir, { recursive: true });
  }
});

const address = (extra: Partial<AssignedAddressHandler>): AssignedAddressHandler => ({
  kind: "assigned_address",
  ...extra,
});

Deno.test("assigned_address finds loopback addresses on lo", async () => {
  const v4 = await runHandler(
    address({ ipv4: "127.0.0.1", interface: "lo" }),
    AbortSignal.timeout(1000),
  );
  assert.equal(v4.ok, true, v4.reason);
  assert.equal(v4.reason, "127.0.0.1 assigned on lo");
  const v6 = await runHandler(address({ ipv6: "0:0::1" }), AbortSignal.timeout(1000));
  assert.equal(v6.ok, true, v6.reason);
});

Deno.test("assigned_address fails for a missing address or the wrong interface", async () => {
  const missing = await runHandler(address({ ipv4: "192.0.2.201" }), AbortSignal.timeout(1000));
  assert.equal(missing.ok, false);
  assert.equal(missing.reason, "192.0.2.201 is not assigned to any interface");
  const wrongIf = await runHandler(
    address({ ipv4: "127.0.0.1", interface: "dummy0" }),
    AbortSignal.timeout(1000),
  );
  assert.equal(wrongIf.ok, false);
  assert.equal(wrongIf.reason, "127.0.0.1 is assigned to lo, not to dummy0");
  const fake = await runHandler(
    address({ ipv4: "33.22.11.0", ipv6: "2001:db8::1", interface: "dummy0" }),
    AbortSignal.timeout(1000),
    {
      interfaces: () => [{ name: "dummy0", address: "33.22.11.0" }, {
        name: "dummy0",
        address: "2001:db8:0::1",
      }],
    },
  );
  assert.equal(fake.ok, true, fake.reason);
});

Deno.test("internetChecksum() follows RFC 1071", () => {
  // Echo request, id 0x1234, seq 1, no payload: checksum makes the sum 0xffff.
  const packet = new Uint8Array([8, 0, 0, 0, 0x12, 0x34, 0, 1]);
  const sum = internetChecksum(packet);
  packet[2] = sum >> 8;
  packet[3] = sum & 0xff;
  assert.equal(internetChecksum(packet), 0);
});

Deno.test("pingStats() computes loss and rtt min/avg/max/stddev", () => {
  const s = pingStats(4, [1, 2, 3], 1);
  assert.equal(s.lossPercent, 25);
  assert.equal(s.rttMinMs, 1);
  assert.equal(s.rttAvgMs, 2);
  assert.equal(s.rttMaxMs, 3);
  assert.ok(Math.abs(s.rttStddevMs - Math.sqrt(2 / 3)) < 1e-9);
  assert.equal(s.duplicates, 1);
  assert.deepEqual(pingStats(3, [], 0).lossPercent, 100);
});

const ping = (host: string): IcmpPingHandler => ({
  kind: "icmp_ping",
  host,
  count: 3,
  maxLossPercent: 0,
  tries: 1,
  intervalMs: 20,
  timeoutMs: 2000,
});

Deno.test("icmp_ping gets echo replies from 127.0.0.1 and ::1 with RTT figures", async () => {
  for (const host of ["127.0.0.1", "::1"]) {
    const r = await runHandler(ping(host), AbortSignal.timeout(5000));
    assert.equal(r.ok, true, r.reason);
    assert.equal(r.figures.sent, 3);
    assert.equal(r.figures.received, 3);
    assert.equal(r.figures.lossPercent, 0);
    assert.ok(
      r.figures.rttMinMs! <= r.figures.rttAvgMs! && r.figures.rttAvgMs! <= r.figures.rttMaxMs!,
    );
    assert.match(
      r.reason,
      /^3\/3 echo replies from .*, 0% loss, rtt min\/avg\/max\/stddev [\d.]+\/[\d.]+\/[\d.]+\/[\d.]+ ms$/,
    );
  }
});

Deno.test("icmp_ping rejects an address it cannot parse", async () => {
  for (const host of ["[zz::1]", "256.1.1.1"]) {
    const r = await runHandler(ping(host), AbortSignal.timeout(2000));
    assert.equal(r.ok, false);
    assert.match(r.reason, /is not a valid IP address/);
  }
});

Deno.test("icmp_ping reports lost echoes (namespace whose loopback ignores pings)", async () => {
  const ns = `anycast-ping-${Deno.pid}`;
  const ip = (...args: string[]) =>
    new Deno.Command("ip", { args, stdout: "null", stderr: "piped" }).output();
  const created = await ip("netns", "add", ns);
  if (!created.success) {
    throw new Error(`ip netns add failed: ${new TextDecoder().decode(created.stderr)}`);
  }
  try {
    await ip("-n", ns, "link", "set", "lo", "up");
    const sysctl = await ip(
      "netns",
      "exec",
      ns,
      "sysctl",
      "-q",
      "-w",
      "net.ipv4.icmp_echo_ignore_all=1",
    );
    assert.ok(sysctl.success, new TextDecoder().decode(sysctl.stderr));
    const script = `
      import { runHandler } from ${
      JSON.stringify(new URL("../../../src/probe/mod.ts", import.meta.url).href)
    };
      const r = await runHandler({ kind: "icmp_ping", host: "127.0.0.1", count: 2, maxLossPercent: 0,
        tries: 1, intervalMs: 20, timeoutMs: 300 }, AbortSignal.timeout(3000));
      console.log(JSON.stringify(r));`;
    const out = await new Deno.Command("ip", {
      args: ["netns", "exec", ns, Deno.execPath(), "eval", script],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const r = JSON.parse(new TextDecoder().decode(out.stdout));
    assert.equal(r.ok, false);
    assert.equal(r.reason, "no echo reply from 127.0.0.1 (2 sent)");
    assert.equal(r.figures.lossPercent, 100);
  } finally {
    await ip("netns", "del", ns);
  }
});
