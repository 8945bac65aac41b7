import assert from "node:assert/strict";
import { parseConfig } from "../../../src/config/load.ts";
import type { AnycastConfig, NeighborConfig } from "../../../src/config/model.ts";
import { Secret } from "../../../src/config/secret.ts";
import { tcpSecurityFor } from "../../../src/bgp/tcp_security.ts";
import { BgpSpeaker } from "../../../src/bgp/speaker.ts";
import { runCli } from "../../../src/cli/mod.ts";
import { captureCli } from "../cli/_capture.ts";

const SPEAKER = "speaker:\n  asn: 64600\n  routerId: 192.0.2.10\n";

function load(text: string): AnycastConfig {
  const r = parseConfig(text, "config.yaml");
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.config;
}

const enc = (s: string) => new TextEncoder().encode(s);

Deno.test("tcpSecurityFor() sends TTL 1 to a single-hop eBGP peer and the multihop TTL otherwise", () => {
  const c = load(
    SPEAKER + "neighbors:\n  - { address: 192.0.2.1, asn: 65001 }\n" +
      "  - { address: 192.0.2.2, asn: 65002, ebgpMultihopEnabled: true, ebgpMultihopTtl: 4 }\n" +
      "  - { address: 192.0.2.3, asn: 64600 }\n",
  );
  const [single, multi, ibgp] = c.neighbors as [NeighborConfig, NeighborConfig, NeighborConfig];
  assert.deepEqual(tcpSecurityFor(single, 64600), { ttl: 1 });
  assert.deepEqual(tcpSecurityFor(multi, 64600), { ttl: 4 });
  assert.deepEqual(tcpSecurityFor(ibgp, 64600), {});
});

Deno.test("tcpSecurityFor() with ttlSecurity sends 255 and requires 256 - hops (RFC 5082 3)", () => {
  const c = load(
    SPEAKER + "neighbors:\n  - { address: 192.0.2.1, asn: 65001, ttlSecurity: 1 }\n" +
      "  - { address: 192.0.2.2, asn: 64600, ttlSecurity: 3 }\n",
  );
  assert.deepEqual(tcpSecurityFor(c.neighbors[0]!, 64600), { ttl: 255, minTtl: 255 });
  assert.deepEqual(tcpSecurityFor(c.neighbors[1]!, 64600), { ttl: 255, minTtl: 253 });
});

Deno.test("tcpSecurityFor() gives the MD5 key from password, or passwordFile read at each call", () => {
  const c = load(
    SPEAKER + "neighbors:\n  - { address: 192.0.2.1, asn: 65001, password: inline-pw }\n" +
      "  - { address: 192.0.2.2, asn: 65001, passwordFile: /etc/anycast/pw }\n",
  );
  assert.deepEqual(tcpSecurityFor(c.neighbors[0]!, 64600).md5Key, enc("inline-pw"));
  let content = "first\n";
  const read = (path: string) => {
    assert.equal(path, "/etc/anycast/pw");
    return content;
  };
  assert.deepEqual(tcpSecurityFor(c.neighbors[1]!, 64600, read).md5Key, enc("first"));
  content = "rotated\n";
  assert.deepEqual(tcpSecurityFor(c.neighbors[1]!, 64600, read).md5Key, enc("rotated"));
  assert.throws(
    () =>
      tcpSecurityFor(c.neighbors[1]!, 64600, () => {
        throw new Deno.errors.NotFound("No such file");
      }),
    /Cannot read passwordFile file \/etc\/anycast\/pw: No such file/,
  );
  assert.throws(() => tcpSecurityFor(c.neighbors[1]!, 64600, () => "\n"), /is empty/);
});

Deno.test("tcpSecurityFor() gives the TCP-AO key with its ids and algorithm", () => {
  const c = load(
    SPEAKER +
      "neighbors:\n  - address: 192.0.2.1\n    asn: 65001\n    tcpAo: { keyId: 3, rnextKeyId: 4, algorithm: cmac(aes128), secret: ao-key }\n",
  );
  assert.deepEqual(tcpSecurityFor(c.neighbors[0]!, 64600).tcpAo, {
    sendId: 3,
    recvId: 4,
    algorithm: "cmac(aes128)",
    key: enc("ao-key"),
  });
});

Deno.test("secrets never print: JSON, inspect, validate --print", async () => {
  const text = SPEAKER +
    "bfd:\n  enabled: true\n  auth: { type: keyed-sha1, keyId: 1, secret: bfd-s3cret }\n" +
    "neighbors:\n  - address: 192.0.2.1\n    asn: 65001\n    password: md5-s3cret\n" +
    "  - address: 192.0.2.2\n    asn: 65001\n    tcpAo: { keyId: 1, secret: ao-s3cret }\n";
  const c = load(text);
  for (
    const out of [
      JSON.stringify(c),
      Deno.inspect(c, { depth: 10 }),
      String(c.neighbors[0]!.password),
    ]
  ) {
    assert.doesNotMatch(out, /s3cret/);
    assert.match(out, /<redacted#\d+>/);
  }
  const path = await Deno.makeTempFile({ suffix: ".yaml" });
  try {
    await Deno.writeTextFile(path, text);
    const io = captureCli();
    assert.equal(await runCli(["validate", "--print", path], io.ctx), 0);
    assert.doesNotMatch(io.stdout(), /s3cret/);
    assert.match(io.stdout(), /"password": "<redacted#\d+>"/);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("Secret prints the same tag for the same value, another for a changed one (reload diff)", () => {
  assert.equal(JSON.stringify(new Secret("a1")), JSON.stringify(new Secret("a1")));
  assert.notEqual(JSON.stringify(new Secret("a1")), JSON.stringify(new Secret("a2")));
  assert.equal(new Secret("a1").reveal(), "a1");
});

function speakerPair(
  address: string,
  peer: string,
  port: number,
  password: string,
  passive: boolean,
) {
  return new BgpSpeaker({
    speaker: {
      asn: passive ? 64601 : 64602,
      routerId: passive ? "10.255.11.1" : "10.255.11.2",
      gracefulRestartEnabled: false,
      gracefulRestartRestartTime: 60,
      listenPort: passive ? port : 0,
    },
    neighbors: [{
      name: peer,
      address: peer,
      asn: passive ? 64602 : 64601,
      port,
      localAddress: address,
      passive,
      holdTime: 9,
      keepalive: 3,
      connectRetry: 1,
      ebgpMultihop: false,
      ebgpMultihopTtl: 1,
      families: ["ipv4-unicast"],
      password: new Secret(password),
    }],
  });
}

for (const [pw, up] of [["same-key", true], ["other-key", false]] as const) {
  Deno.test({
    name: `BgpSpeaker puts a passive neighbor's MD5 key on its listener: ${
      up ? "same key Established" : "other key never"
    }`,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      const port = 20000 + Math.floor(Math.random() * 20000);
      const a = speakerPair("127.0.11.21", "127.0.11.22", port, "same-key", true);
      const b = speakerPair("127.0.11.22", "127.0.11.21", port, pw, false);
      await a.start();
      await b.start();
      try {
        const end = Date.now() + (up ? 5000 : 2500);
        while (Date.now() < end && b.peers()[0]!.state !== "Established") {
          await new Promise((r) => setTimeout(r, 50));
        }
        assert.equal(b.peers()[0]!.state === "Established", up);
        assert.equal(a.peers()[0]!.state === "Established", up);
      } finally {
        await b.stop();
        await a.stop();
      }
    },
  });
}
