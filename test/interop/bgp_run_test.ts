/** `anycast run` end to end: a real process, a real GoBGP peer, SIGTERM. */
import assert from "node:assert/strict";
import { GOBGP_ASN, GoBgpPeer, interopTest, SPARE_ADDRESSES } from "./harness/mod.ts";

// Own addresses: speaker .48, GoBGP .49.
const SPEAKER = SPARE_ADDRESSES[38]!;
const PEER = SPARE_ADDRESSES[39]!;

await interopTest({
  name: "anycast run: announces the configured prefixes, and on SIGTERM withdraws and exits 0",
  daemons: ["gobgp"],
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "anycast-run-" });
    const peer = await GoBgpPeer.start({
      address: PEER,
      asn: GOBGP_ASN,
      families: ["ipv4", "ipv6"],
      neighbors: [{ address: SPEAKER, asn: 64600, holdTime: 9, multihop: true }],
    });
    let child: Deno.ChildProcess | undefined;
    try {
      await Deno.writeTextFile(
        `${dir}/config.yaml`,
        [
          "speaker:",
          "  asn: 64600",
          '  routerId: "10.255.0.48"',
          "api:",
          `  socket: "${dir}/anycast.sock"`,
          "neighbors:",
          `  - address: "${PEER}"`,
          `    asn: ${GOBGP_ASN}`,
          `    localAddress: "${SPEAKER}"`,
          "    holdTime: 9s",
          "    families: [ipv4-unicast, ipv6-unicast]",
          "prefixes:",
          '  - ipAddress: "198.51.100.7/32"',
          '    nextHop: "203.0.113.7"',
          '    communities: ["65000:7"]',
          "    med: 7",
          '  - ipAddress: "2001:db8:7::1/128"',
          '    nextHop: "2001:db8::7"',
          "",
        ].join("\n"),
      );
      child = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", new URL("../../main.ts", import.meta.url).pathname, "run"],
        env: { CONFIG_PATH: `${dir}/config.yaml` },
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const r = await peer.waitForRoute("198.51.100.7/32", undefined, 30_000);
      assert.equal(r.med, 7);
      assert.deepEqual(r.communities, ["65000:7"]);
      assert.equal(r.nextHop, "203.0.113.7");
      await peer.waitForRoute("2001:db8:7::1/128", undefined, 10_000);
      child.kill("SIGTERM");
      const status = await child.status;
      const stderr = new TextDecoder().decode(
        (await child.stderr.getReader().read()).value ?? new Uint8Array(),
      );
      assert.equal(status.code, 0, stderr);
      child = undefined;
      await peer.waitForNoRoute("198.51.100.7/32", 10_000);
      let state = await peer.sessionState(SPEAKER);
      for (let i = 0; i < 50 && state === "established"; i++) {
        await new Promise((r) => setTimeout(r, 100));
        state = await peer.sessionState(SPEAKER);
      }
      assert.notEqual(state, "established");
      assert.match(stderr, /stopped/);
    } finally {
      if (child) {
        try {
          child.kill("SIGKILL");
        } catch { /* already gone */ }
        await child.status;
      }
      await peer.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
