import assert from "node:assert/strict";
import { formatConfigError, parseConfig } from "../../../src/config/mod.ts";
import { exabgpSetup, importExabgpConf, parseExabgpConf } from "../../../src/migrate/mod.ts";
import { runCli } from "../../../src/cli/mod.ts";
import { captureCli } from "../cli/_capture.ts";

const CONF = `
# two routers, two services
process watch-web {
    run /usr/bin/python3 -m exabgp healthcheck --name web --cmd "curl -sf http://127.0.0.1/" --ip 198.51.100.80 --no-ip-setup;
    encoder text;
}
process watch-dns {
    run exabgp healthcheck -n dns -c 'dig +short @127.0.0.1 example.org' --ip 198.51.100.53 --no-ip-setup --withdraw-on-down;
}
process logger {
    run /usr/local/bin/log-updates;
}
neighbor 192.0.2.254 {
    description "tor1; left";
    router-id 192.0.2.10;
    local-address 192.0.2.10;
    local-as 64600;
    peer-as 64599;
    hold-time 9;
    family { ipv4 unicast; ipv4 flow; }
    capability { graceful-restart 90; route-refresh; add-path send; }
    api { processes [ watch-web watch-dns ]; }
    md5-password "secret";
}
neighbor 2001:db8::fe {
    router-id 192.0.2.10;
    local-as 64600;
    peer-as 64598;
    passive;
    outgoing-ttl 3;
    static { route 203.0.113.1/32 next-hop self; }
}
`;

Deno.test("parseExabgpConf() reads statements, blocks, quotes and comments", () => {
  const statements = parseExabgpConf(CONF);
  const web = statements.find((s) => s.words.join(" ") === "process watch-web")!;
  assert.deepEqual(web.block?.[0]?.words.slice(0, 8), [
    "run",
    "/usr/bin/python3",
    "-m",
    "exabgp",
    "healthcheck",
    "--name",
    "web",
    "--cmd",
  ]);
  assert.equal(web.block?.[0]?.words[8], "curl -sf http://127.0.0.1/");
  const tor = statements.find((s) => s.words[1] === "192.0.2.254")!;
  assert.equal(tor.block?.find((s) => s.words[0] === "description")?.words[1], "tor1; left");
  assert.deepEqual(tor.block?.find((s) => s.words[0] === "api")?.block?.[0]?.words, [
    "processes",
    "watch-web",
    "watch-dns",
  ]);
});

Deno.test("parseExabgpConf() rejects unbalanced braces and unclosed quotes", () => {
  assert.throws(() => parseExabgpConf("neighbor 192.0.2.1 { peer-as 1;"), /missing "}"/);
  assert.throws(() => parseExabgpConf("}"), /line 1: extra "}"/);
  assert.throws(() => parseExabgpConf('process a { run "x; }'), /unclosed quote/);
});

Deno.test("exabgpSetup() maps neighbors, speaker and capabilities, and warns about the rest", () => {
  const setup = exabgpSetup(parseExabgpConf(CONF));
  assert.equal(setup.asn, 64600);
  assert.equal(setup.routerId, "192.0.2.10");
  assert.equal(setup.gracefulRestartTime, 90);
  assert.deepEqual(setup.peers, [
    {
      address: "192.0.2.254",
      description: "tor1; left",
      localAddress: "192.0.2.10",
      asn: 64599,
      holdTime: 9,
      families: ["ipv4-unicast"],
    },
    { address: "2001:db8::fe", asn: 64598, passive: true, ebgpMultihopTtl: 3 },
  ]);
  assert.deepEqual(setup.healthchecks.map((h) => h.name), ["watch-web", "watch-dns"]);
  assert.equal(setup.healthchecks[0]?.args[0], "--name");
  for (
    const what of [
      "process logger",
      "family ipv4 flow",
      "capability add-path send",
      "md5-password",
      "neighbor 2001:db8::fe static {...}",
    ]
  ) {
    assert.ok(setup.warnings.some((w) => w.includes(`: ${what}: `)), `no warning for ${what}`);
  }
});

Deno.test("importExabgpConf() merges every healthcheck process into one valid config", () => {
  const result = importExabgpConf(CONF);
  const parsed = parseConfig(result.yaml, "imported.yaml");
  assert.ok(parsed.ok, parsed.ok ? "" : parsed.errors.map(formatConfigError).join("\n"));
  const config = parsed.config;
  assert.deepEqual(config.prefixes.map((p) => [p.name, p.prefix, p.withdrawOnDown]), [
    ["web", "198.51.100.80/32", false],
    ["dns", "198.51.100.53/32", true],
  ]);
  assert.deepEqual(config.prefixes[1]?.readinessProbe?.handler, {
    kind: "exec",
    command: "/bin/sh",
    args: ["-c", "dig +short @127.0.0.1 example.org"],
    env: {},
    exitCodes: [0],
  });
  assert.equal(config.speaker.gracefulRestartEnabled, true);
  assert.equal(config.speaker.gracefulRestartRestartTime, 90);
  assert.deepEqual(config.neighbors.map((n) => [n.address, n.holdTime, n.passive]), [
    ["192.0.2.254", 9, false],
    ["2001:db8::fe", 90, true],
  ]);
  assert.equal(config.neighbors[1]?.ebgpMultihopTtl, 3);
  // No placeholders: the file said everything about the speaker.
  assert.ok(!result.warnings.some((w) => /placeholder/.test(w)));
  assert.match(result.yaml, /^# {3}healthcheck --name web /m);
  assert.match(result.yaml, /^# {3}healthcheck -n dns /m);
});

Deno.test("importExabgpConf() lets explicit options and arguments win over the file", () => {
  const result = importExabgpConf(CONF, {
    asn: 65001,
    peers: [{ address: "192.0.2.1", asn: 65000 }],
  }, [
    "--ip",
    "198.51.100.99",
    "--cmd",
    "true",
  ]);
  const parsed = parseConfig(result.yaml, "x.yaml");
  assert.ok(parsed.ok);
  assert.equal(parsed.config.speaker.asn, 65001);
  assert.deepEqual(parsed.config.neighbors.map((n) => n.address), ["192.0.2.1"]);
  assert.deepEqual(parsed.config.prefixes.map((p) => p.prefix), ["198.51.100.99/32"]);
});

Deno.test("importExabgpConf() refuses a file without healthcheck or without peer-as", () => {
  assert.throws(
    () => importExabgpConf("process a { run /bin/true; }"),
    /no process runs the healthcheck/,
  );
  assert.throws(
    () => importExabgpConf("neighbor 192.0.2.1 { local-as 1; }"),
    /neighbor 192\.0\.2\.1 has no peer-as/,
  );
  assert.throws(() => importExabgpConf("neighbor bogus { }"), /neighbor "bogus"/);
});

Deno.test("anycast import exabgp-healthcheck --exabgp-conf reads the file; a missing one exits 2", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/exabgp.conf`;
    await Deno.writeTextFile(file, CONF);
    const io = captureCli();
    assert.equal(await runCli(["import", "exabgp-healthcheck", "--exabgp-conf", file], io.ctx), 0);
    assert.ok(parseConfig(io.stdout(), "out.yaml").ok);
    assert.match(io.stderr(), /warning: exabgp\.conf line \d+: md5-password/);

    const missing = captureCli();
    const code = await runCli(
      ["import", "exabgp-healthcheck", "--exabgp-conf", `${dir}/nope.conf`],
      missing.ctx,
    );
    assert.equal(code, 2);
    assert.match(missing.stderr(), /cannot read .*nope\.conf: no such file/);

    const none = captureCli();
    assert.equal(await runCli(["import", "exabgp-healthcheck"], none.ctx), 2);
    assert.match(none.stderr(), /after --, or --exabgp-conf FILE/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
