import assert from "node:assert/strict";
import { runCli } from "../../../src/cli/mod.ts";
import { captureCli } from "./_capture.ts";

const root = new URL("../../../", import.meta.url);
const example = (name: string) => new URL(`examples/${name}`, root).pathname;
const fixture = (name: string) => new URL(`test/fixtures/${name}`, root).pathname;

async function tempConfig(text: string): Promise<string> {
  const path = await Deno.makeTempFile({ prefix: "anycast-validate-", suffix: ".yaml" });
  await Deno.writeTextFile(path, text);
  return path;
}

Deno.test("anycast validate prints one ok line per valid file and exits 0", async () => {
  const io = captureCli();
  const code = await runCli(
    ["validate", example("minimal.yaml"), example("anycastd.yaml")],
    io.ctx,
  );
  assert.equal(code, 0);
  assert.equal(
    io.stdout(),
    `${example("minimal.yaml")}: ok (native dialect, 1 prefix, 1 neighbor, 1 probe)\n` +
      `${example("anycastd.yaml")}: ok (anycastd dialect, 1 prefix, 2 neighbors, 4 probes)\n`,
  );
  assert.equal(io.stderr(), "");
});

Deno.test("anycast validate prints every error as file:line:col: path: message and exits 1", async () => {
  const path = await tempConfig("speaker:\n  asn: 0\n  routerId: x\n");
  try {
    const io = captureCli();
    const code = await runCli(["validate", path, example("minimal.yaml")], io.ctx);
    assert.equal(code, 1);
    assert.equal(
      io.stderr(),
      `${path}:2:8: speaker.asn: expected AS number 1-4294967295, got 0\n` +
        `${path}:3:13: speaker.routerId: expected an IPv4 address, got "x"\n`,
    );
    assert.match(io.stdout(), /minimal\.yaml: ok/);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("anycast validate shows the did-you-mean hint for anycastd's multihope_ttl", async () => {
  const io = captureCli();
  const code = await runCli(["validate", fixture("anycastd.yaml")], io.ctx);
  assert.equal(code, 1);
  assert.equal(
    io.stderr(),
    `${
      fixture("anycastd.yaml")
    }:16:7: announcer.peers[1].multihope_ttl: unknown key; did you mean "multihop_ttl"?\n`,
  );
});

Deno.test("anycast validate exits 2 when no file is given and CONFIG_PATH is unset", async () => {
  const io = captureCli();
  const code = await runCli(["validate"], io.ctx);
  assert.equal(code, 2);
  assert.match(io.stderr(), /no config file given/);
  assert.match(io.stderr(), /--help/);
});

Deno.test("anycast validate exits 2 for a file that cannot be read", async () => {
  const io = captureCli();
  const code = await runCli(["validate", "/nonexistent/anycast.yaml"], io.ctx);
  assert.equal(code, 2);
  assert.equal(
    io.stderr(),
    "anycast validate: /nonexistent/anycast.yaml: cannot read file: no such file\n",
  );
});

Deno.test("anycast validate falls back to CONFIG_PATH, and --config wins over it", async () => {
  const viaEnv = captureCli({ CONFIG_PATH: example("dual-stack.yaml") });
  assert.equal(await runCli(["validate"], viaEnv.ctx), 0);
  assert.match(viaEnv.stdout(), /dual-stack\.yaml: ok \(native dialect, 2 prefixes, 2 neighbors/);
  const viaFlag = captureCli({ CONFIG_PATH: "/nonexistent.yaml" });
  assert.equal(await runCli(["validate", "--config", example("minimal.yaml")], viaFlag.ctx), 0);
  assert.match(viaFlag.stdout(), /minimal\.yaml: ok/);
});

Deno.test("anycast validate --json reports every file for machines", async () => {
  const io = captureCli();
  const code = await runCli([
    "validate",
    "--json",
    example("minimal.yaml"),
    fixture("anycastd.yaml"),
  ], io.ctx);
  assert.equal(code, 1);
  const report = JSON.parse(io.stdout());
  assert.equal(report.length, 2);
  assert.deepEqual(
    { ...report[0], file: "m" },
    {
      file: "m",
      ok: true,
      dialect: "native",
      prefixes: 1,
      neighbors: 1,
      probes: 1,
      errors: [],
      warnings: [],
    },
  );
  assert.equal(report[1].ok, false);
  assert.deepEqual(report[1].errors[0], {
    file: fixture("anycastd.yaml"),
    line: 16,
    column: 7,
    path: "announcer.peers[1].multihope_ttl",
    message: 'unknown key; did you mean "multihop_ttl"?',
  });
  assert.equal(io.stderr(), "");
});

Deno.test("anycast validate --print prints the normalised config", async () => {
  const io = captureCli();
  const code = await runCli(["validate", "--print", example("periphery.yaml")], io.ctx);
  assert.equal(code, 0);
  const config = JSON.parse(io.stdout());
  assert.equal(config.dialect, "native");
  assert.equal(config.prefixes[0].prefix, "192.0.2.1/32");
  assert.equal(config.prefixes[0].readinessProbe.timeoutMs, 5000);
});

Deno.test("anycast schema prints JSON Schema with the native top-level keys", async () => {
  const io = captureCli();
  assert.equal(await runCli(["schema"], io.ctx), 0);
  const schema = JSON.parse(io.stdout());
  assert.equal(schema.type, "object");
  assert.ok(schema.properties.speaker && schema.properties.prefixes && schema.properties.neighbors);
});

Deno.test("anycast --version prints the version and exits 0", async () => {
  const io = captureCli();
  assert.equal(await runCli(["--version"], io.ctx), 0);
  assert.match(io.stdout(), /^\d+\.\d+\.\d+( \(git [0-9a-f]{7,12}\))?\n$/);
});

Deno.test("anycast validate with an unknown option exits 2 and points to --help", async () => {
  const io = captureCli();
  assert.equal(await runCli(["validate", "--bogus"], io.ctx), 2);
  assert.match(io.stderr(), /unknown option '--bogus'\n\(run with --help for usage\)/);
});

Deno.test("anycast validate prints warnings on stderr, counts them and still exits 0", async () => {
  const path = await tempConfig(
    [
      "speaker: {asn: 64600, routerId: 192.0.2.10}",
      "neighbors:",
      "  - {address: 192.0.2.254, asn: 64599}",
      "prefixes:",
      "  - ipAddress: 2001:db8:2::/48",
      "    readinessProbe:",
      "      periodSeconds: 5s",
      "      timeoutSeconds: 60s",
      "      tcp: {port: 80}",
      "",
    ].join("\n"),
  );
  try {
    const io = captureCli();
    const code = await runCli(["validate", path], io.ctx);
    assert.equal(code, 0);
    assert.equal(
      io.stdout(),
      `${path}: ok (native dialect, 1 prefix, 1 neighbor, 1 probe, 2 warnings)\n`,
    );
    assert.equal(
      io.stderr(),
      `${path}:5:16: warning: prefixes[0].ipAddress: 2001:db8:2::/48 is announced to no neighbor: neighbor 192.0.2.254 (neighbors[0]) has an IPv4 session, so the route needs an IPv6 next hop: set prefixes[0].nextHop\n` +
        `${path}:8:23: warning: prefixes[0].readinessProbe.timeoutSeconds: timeout 1m is longer than the period 5s: runs never overlap, so while runs time out the probe runs every 1m, not every 5s\n`,
    );
    const json = await captureJson(path);
    assert.equal(json[0].ok, true);
    assert.deepEqual(
      json[0].warnings.map((w: { line: number; path: string }) => [w.line, w.path]),
      [[5, "prefixes[0].ipAddress"], [8, "prefixes[0].readinessProbe.timeoutSeconds"]],
    );
  } finally {
    await Deno.remove(path);
  }
});

async function captureJson(path: string) {
  const io = captureCli();
  await runCli(["validate", "--json", path], io.ctx);
  return JSON.parse(io.stdout());
}
