/**
 * TCP-AO (RFC 5925) between two of our own speakers on loopback (no packaged
 * peer speaks it): matching keys reach Established and tshark sees option
 * kind 29 on the segments and never MD5 (kind 19); a mismatched key never
 * comes up. On a kernel without TCP-AO (Linux < 6.7 or no CONFIG_TCP_AO)
 * the product refuses to start with a clear error instead, and that is what
 * this test checks there: it says which branch ran in its output.
 */
import assert from "node:assert/strict";
import { BgpSpeaker } from "../../src/bgp/speaker.ts";
import type { NeighborConfig } from "../../src/config/model.ts";
import { Secret } from "../../src/config/secret.ts";
import { tcpAoSupported } from "../../src/net/tcp_security.ts";
import { requireBinaries } from "./harness/mod.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
// Addresses of their own (issue 11's block), so nothing else on loopback meets them.
const A = "127.0.11.1";
const B = "127.0.11.2";
const PORT = 11179;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function neighbor(
  address: string,
  local: string,
  secret: string,
  passive: boolean,
): NeighborConfig {
  return {
    name: address,
    address,
    asn: address === A ? 64601 : 64602,
    port: PORT,
    localAddress: local,
    passive,
    holdTime: 9,
    keepalive: 3,
    connectRetry: 1,
    ebgpMultihop: true,
    ebgpMultihopTtl: 255,
    families: ["ipv4-unicast"],
    tcpAo: { keyId: 7, rnextKeyId: 7, algorithm: "hmac(sha1)", secret: new Secret(secret) },
  };
}

function pair(secretA: string, secretB: string): [BgpSpeaker, BgpSpeaker] {
  const a = new BgpSpeaker({
    speaker: {
      asn: 64601,
      routerId: "10.255.11.1",
      gracefulRestartEnabled: false,
      gracefulRestartRestartTime: 60,
      listenPort: PORT,
    },
    neighbors: [neighbor(B, A, secretA, true)],
  });
  const b = new BgpSpeaker({
    speaker: {
      asn: 64602,
      routerId: "10.255.11.2",
      gracefulRestartEnabled: false,
      gracefulRestartRestartTime: 60,
      listenPort: 0,
    },
    neighbors: [neighbor(A, B, secretB, false)],
  });
  return [a, b];
}

Deno.test({
  name:
    "TCP-AO between two of our speakers: Established with option kind 29 and no MD5 on the wire; " +
    "without kernel support the product refuses to start with a clear error",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    if (!tcpAoSupported()) {
      console.log("this kernel has no TCP-AO: checking the clear error of `anycast run`");
      const dir = await Deno.makeTempDir({ prefix: "acst-i11-ao-" });
      try {
        await Deno.writeTextFile(
          `${dir}/config.yaml`,
          JSON.stringify({
            speaker: { asn: 64601, routerId: "10.255.11.1", listenPort: 0 },
            api: { socket: `${dir}/api.sock` },
            neighbors: [{
              address: B,
              asn: 64602,
              localAddress: A,
              tcpAo: { keyId: 7, secret: "s3cret" },
            }],
          }),
        );
        const out = await new Deno.Command(Deno.execPath(), {
          args: ["run", "-A", MAIN, "run", "--config", `${dir}/config.yaml`],
          stdout: "piped",
          stderr: "piped",
        }).output();
        const stderr = new TextDecoder().decode(out.stderr);
        assert.equal(out.code, 1, stderr);
        assert.match(
          stderr,
          /Cannot start neighbor 127\.0\.11\.2 with tcpAo: TCP-AO is not supported by this kernel \(Linux [^)]+\): it needs Linux 6\.7 or later built with CONFIG_TCP_AO/,
        );
        assert.doesNotMatch(stderr, /s3cret/);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
      return;
    }
    console.log("this kernel has TCP-AO: checking two speakers and the wire");
    assert.ok(await requireBinaries(["tshark"], "tshark"), "tshark is needed");
    const capture = new Deno.Command("tshark", {
      args: [
        "-i",
        "lo",
        "-f",
        `tcp port ${PORT}`,
        "-a",
        "duration:8",
        "-T",
        "fields",
        "-e",
        "tcp.option_kind",
      ],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    await sleep(1500);
    const [a, b] = pair("ao-secret", "ao-secret");
    await a.start();
    await b.start();
    try {
      const end = Date.now() + 6000;
      while (Date.now() < end && b.peers()[0]!.state !== "Established") await sleep(100);
      assert.equal(b.peers()[0]!.state, "Established");
      assert.equal(a.peers()[0]!.state, "Established");
    } finally {
      await b.stop();
      await a.stop();
    }
    const kinds = new TextDecoder().decode((await capture.output()).stdout)
      .split(/[\s,]+/).filter(Boolean).map(Number);
    assert.ok(kinds.includes(29), `option kinds seen: ${[...new Set(kinds)]}`);
    assert.ok(!kinds.includes(19), "no TCP MD5 option");

    const [a2, b2] = pair("ao-secret", "other-secret");
    await a2.start();
    await b2.start();
    try {
      await sleep(5000);
      assert.notEqual(b2.peers()[0]!.state, "Established");
    } finally {
      await b2.stop();
      await a2.stop();
    }
  },
});
