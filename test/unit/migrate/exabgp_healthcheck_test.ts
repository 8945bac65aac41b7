import assert from "node:assert/strict";
import { type AnycastConfig, formatConfigError, parseConfig } from "../../../src/config/mod.ts";
import {
  importExabgpHealthcheck,
  type ImportOptions,
  parsePeer,
} from "../../../src/migrate/mod.ts";
import { runCli } from "../../../src/cli/mod.ts";
import { captureCli } from "../cli/_capture.ts";

const SPEAKER: ImportOptions = {
  asn: 64600,
  routerId: "192.0.2.10",
  peers: [{ address: "192.0.2.254", asn: 64599 }],
};

/** Import, then validate the YAML the way `anycast run` would read it. */
function roundTrip(args: string[], options: ImportOptions = SPEAKER) {
  const result = importExabgpHealthcheck(args, options);
  const parsed = parseConfig(result.yaml, "imported.yaml");
  assert.ok(parsed.ok, parsed.ok ? "" : parsed.errors.map(formatConfigError).join("\n"));
  assert.equal(parsed.dialect, "native");
  return { ...result, model: parsed.config as AnycastConfig };
}

Deno.test("importExabgpHealthcheck() maps rise, fall, intervals and metrics onto the model", () => {
  const { model, yaml } = roundTrip([
    "--name",
    "web",
    "--cmd",
    "curl -sf http://127.0.0.1/healthz",
    "--ip",
    "198.51.100.1",
    "--interval",
    "10",
    "--fast-interval",
    "2",
    "--timeout",
    "3",
    "--rise",
    "2",
    "--fall",
    "4",
    "--up-metric",
    "50",
    "--down-metric",
    "900",
    "--disable",
    "/etc/anycast/web.off",
    "--no-ip-setup",
  ]);
  assert.match(yaml, /^# yaml-language-server: \$schema=\.\.\/docs\/schema\.json$/m);
  const p = model.prefixes[0]!;
  assert.equal(model.prefixes.length, 1);
  assert.equal(p.name, "web");
  assert.equal(p.prefix, "198.51.100.1/32");
  assert.equal(p.attributes.med, 50);
  assert.equal(p.withdrawOnDown, false);
  assert.equal(p.downAttributes?.med, 900);
  // Disabled (maintenance file) announces with the healthcheck's default disabled metric.
  assert.equal(p.disabledAttributes?.med, 500);
  assert.equal(p.maintenanceFile, "/etc/anycast/web.off");
  const probe = p.readinessProbe!;
  assert.equal(probe.periodMs, 10_000);
  assert.equal(probe.fastPeriodMs, 2_000);
  assert.equal(probe.timeoutMs, 3_000);
  assert.equal(probe.successThreshold, 2);
  assert.equal(probe.failureThreshold, 4);
  assert.deepEqual(probe.handler, {
    kind: "exec",
    command: "/bin/sh",
    args: ["-c", "curl -sf http://127.0.0.1/healthz"],
    env: {},
    exitCodes: [0],
  });
  assert.equal(model.speaker.asn, 64600);
  assert.equal(model.neighbors[0]?.address, "192.0.2.254");
});

Deno.test("importExabgpHealthcheck() uses the healthcheck's defaults when options are absent", () => {
  const { model } = roundTrip(["-c", "true", "--ip", "198.51.100.1/32"]);
  const p = model.prefixes[0]!;
  assert.equal(p.attributes.med, 100);
  assert.equal(p.downAttributes?.med, 1000);
  assert.equal(p.disabledAttributes, undefined, "no --disable: maintenance withdraws");
  assert.equal(p.readinessProbe?.periodMs, 5_000);
  assert.equal(p.readinessProbe?.fastPeriodMs, 1_000);
  assert.equal(p.readinessProbe?.timeoutMs, 5_000);
  assert.equal(p.readinessProbe?.successThreshold, 3);
  assert.equal(p.readinessProbe?.failureThreshold, 3);
  assert.equal(model.logging.driver, "syslog");
  assert.equal(model.logging.facility, "daemon");
});

Deno.test("importExabgpHealthcheck() --withdraw-on-down withdraws when down and disabled", () => {
  const { model } = roundTrip([
    "--cmd",
    "true",
    "--ip",
    "2001:db8::1",
    "--withdraw-on-down",
    "--disable",
    "/run/off",
  ]);
  const p = model.prefixes[0]!;
  assert.equal(p.prefix, "2001:db8::1/128");
  assert.equal(p.family, "ipv6-unicast");
  assert.equal(p.withdrawOnDown, true);
  assert.equal(p.downAttributes, undefined);
  assert.equal(p.disabledAttributes, undefined);
  assert.equal(p.maintenanceFile, "/run/off");
});

Deno.test("importExabgpHealthcheck() carries communities, local preference, next hop and AS path", () => {
  const { model } = roundTrip([
    "--cmd=true",
    "--ip",
    "198.51.100.0/24",
    "--next-hop",
    "192.0.2.10",
    "--local-preference",
    "200",
    "--community",
    "65000:1 no-export",
    "--disabled-community",
    "65000:666",
    "--large-community",
    "65000:1:2",
    "--extended-community",
    "target:65000:7",
    "--as-path",
    "64600 64600",
    "--down-as-path",
    "64600 64600 64600 64600",
  ]);
  const p = model.prefixes[0]!;
  assert.equal(p.nextHop, "192.0.2.10");
  assert.equal(p.attributes.localPref, 200);
  assert.deepEqual(p.attributes.communities, ["65000:1", "65535:65281"]);
  assert.deepEqual(p.attributes.largeCommunities, ["65000:1:2"]);
  assert.deepEqual(p.attributes.extendedCommunities, ["rt:65000:7"]);
  assert.equal(p.prependAsn, 64600);
  assert.equal(p.attributes.asPathPrepend, 2);
  // Down: the disabled community replaces the others, the longer path applies, the rest inherits.
  assert.deepEqual(p.downAttributes?.communities, ["65000:666"]);
  assert.equal(p.downAttributes?.asPathPrepend, 4);
  assert.equal(p.downAttributes?.localPref, 200);
});

Deno.test("importExabgpHealthcheck() numbers several IPs and raises the metric by --increase", () => {
  const { model } = roundTrip([
    "--name",
    "dns",
    "--cmd",
    "dig @127.0.0.1 example.org",
    "--ip",
    "198.51.100.1",
    "--ip",
    "198.51.100.2",
    "--ip",
    "198.51.100.3",
    "--increase",
    "10",
    "--start-ip",
    "1",
  ]);
  // --start-ip 1 rotates the list left: .2 gets the base metric.
  assert.deepEqual(model.prefixes.map((p) => [p.name, p.prefix, p.attributes.med]), [
    ["dns-1", "198.51.100.2/32", 100],
    ["dns-2", "198.51.100.3/32", 110],
    ["dns-3", "198.51.100.1/32", 120],
  ]);
  assert.deepEqual(model.prefixes.map((p) => p.downAttributes?.med), [1000, 1010, 1020]);
});

Deno.test("importExabgpHealthcheck() --deaggregate-networks announces every address", () => {
  const { model } = roundTrip(["--ip", "198.51.100.4/30", "--deaggregate-networks"]);
  assert.deepEqual(model.prefixes.map((p) => p.prefix), [
    "198.51.100.4/32",
    "198.51.100.5/32",
    "198.51.100.6/32",
    "198.51.100.7/32",
  ]);
  // No --command: the healthcheck counts every check a success; we announce statically.
  assert.equal(model.prefixes[0]?.readinessProbe, undefined);
});

Deno.test("importExabgpHealthcheck() clamps a timeout longer than the interval, with a warning", () => {
  const { model, warnings } = roundTrip(["--cmd", "true", "--ip", "198.51.100.1", "-i", "2"]);
  assert.equal(model.prefixes[0]?.readinessProbe?.timeoutMs, 2_000);
  assert.ok(warnings.some((w) => w.startsWith("--timeout 5 (the default): longer than")));
});

Deno.test("importExabgpHealthcheck() accepts fractional intervals and argparse spellings", () => {
  const { model } = roundTrip([
    "-i0.5",
    "--fast=0.1",
    "-t",
    "0",
    "--ris",
    "1",
    "-c",
    "true",
    "--ip=198.51.100.1",
  ]);
  const probe = model.prefixes[0]!.readinessProbe!;
  assert.equal(probe.periodMs, 500);
  assert.equal(probe.fastPeriodMs, 100);
  assert.equal(probe.timeoutMs, 500, "--timeout 0 means no timeout: bounded by the period");
  assert.equal(probe.successThreshold, 1);
});

Deno.test("importExabgpHealthcheck() warns about every option it cannot carry over", () => {
  const { warnings, yaml } = roundTrip([
    "--cmd",
    "true",
    "--ip",
    "198.51.100.1",
    "--no-ack",
    "--label",
    "web",
    "--sudo",
    "--user",
    "exabgp",
    "--pid",
    "/run/hc.pid",
    "--path-id",
    "7",
    "--neighbor",
    "192.0.2.254",
    "--execute",
    "logger changed",
    "--dynamic-ip-setup",
    "--extended-community",
    "l2info:19:0:1500:111",
  ]);
  for (
    const option of [
      "--no-ack",
      "--label",
      "--sudo",
      "--user",
      "--pid",
      "--path-id",
      "--neighbor",
      "--execute",
      "--dynamic-ip-setup",
      "--extended-community l2info:19:0:1500:111",
      "ip setup",
    ]
  ) {
    assert.ok(warnings.some((w) => w.startsWith(`${option}:`)), `no warning for ${option}`);
    assert.ok(yaml.includes(`# - ${option}:`), `warning for ${option} not in the header`);
  }
});

Deno.test("importExabgpHealthcheck() fills placeholders for the speaker and says so", () => {
  const { model, warnings } = roundTrip(["--cmd", "true", "--ip", "198.51.100.1"], {});
  assert.equal(model.speaker.asn, 64512);
  assert.equal(model.speaker.routerId, "192.0.2.1");
  assert.deepEqual(model.neighbors, []);
  assert.ok(warnings.some((w) => w.startsWith("local AS:")));
  assert.ok(warnings.some((w) => w.startsWith("router ID:")));
  assert.ok(warnings.some((w) => w.startsWith("neighbors:")));
});

Deno.test("importExabgpHealthcheck() reads --config files and lets the command line win", () => {
  const file =
    "# comment\nname = web\ninterval = 10\ndebug\ncommand = curl -sf http://x/\nip = 198.51.100.9\n";
  const { model } = roundTrip(
    ["python3", "-m", "exabgp", "healthcheck", "--config", "/etc/hc.conf", "--interval", "20"],
    { ...SPEAKER, readFile: (p) => (p === "/etc/hc.conf" ? file : "") },
  );
  assert.equal(model.prefixes[0]?.name, "web");
  assert.equal(model.prefixes[0]?.prefix, "198.51.100.9/32");
  assert.equal(model.prefixes[0]?.readinessProbe?.periodMs, 20_000);
  assert.equal(model.logging.level, "debug");
  assert.equal(model.logging.driver, "stderr");
});

Deno.test("importExabgpHealthcheck() rejects bad input with the option in the message", () => {
  const cases: [string[], RegExp][] = [
    [["--ip", "198.51.100.1", "--bogus"], /--bogus: unknown option/],
    [["--cmd", "true"], /without --ip/],
    [["--ip", "198.51.100.1/24"], /host bits are set \(did you mean 198\.51\.100\.0\/24\?\)/],
    [["--ip", "not-an-ip"], /Cannot parse --ip "not-an-ip"/],
    [["--ip", "198.51.100.1", "--rise", "many"], /--rise "many": expected a whole number/],
    [["--ip", "198.51.100.1", "--interval", "soon"], /--interval "soon"/],
    [["--ip", "198.51.100.1", "--up-metric", "-1"], /--up-metric -1: expected 0-4294967295/],
    [["--ip", "198.51.100.1", "--community", "65000"], /--community "65000"/],
    [["--ip", "198.51.100.1", "--next-hop", "self"], /--next-hop "self"/],
    [["--ip", "198.51.100.1", "--name"], /--name: expected a value/],
    [["--ip", "198.51.100.1", "stray"], /unexpected argument "stray"/],
    [["--ip", "10.0.0.0/8", "--deaggregate-networks"], /16777216 addresses/],
  ];
  for (const [args, message] of cases) {
    assert.throws(() => importExabgpHealthcheck(args, SPEAKER), message, args.join(" "));
  }
});

Deno.test("parsePeer() reads ADDRESS:ASN, [IPv6]:ASN and ADDRESS,ASN", () => {
  assert.deepEqual(parsePeer("192.0.2.254:64599"), { address: "192.0.2.254", asn: 64599 });
  assert.deepEqual(parsePeer("[2001:db8::1]:64599"), { address: "2001:db8::1", asn: 64599 });
  assert.deepEqual(parsePeer("2001:db8::1,65000"), { address: "2001:db8::1", asn: 65000 });
  assert.throws(() => parsePeer("192.0.2.254"), /expected ADDRESS:ASN/);
});

Deno.test("anycast import exabgp-healthcheck prints a config and warnings on stderr", async () => {
  const io = captureCli();
  const code = await runCli([
    "import",
    "exabgp-healthcheck",
    "--asn",
    "64600",
    "--router-id",
    "192.0.2.10",
    "--peer",
    "192.0.2.254:64599",
    "--",
    "--cmd",
    "true",
    "--ip",
    "198.51.100.1",
    "--no-ack",
  ], io.ctx);
  assert.equal(code, 0, io.stderr());
  assert.match(io.stdout(), /^# yaml-language-server/);
  assert.ok(parseConfig(io.stdout(), "out.yaml").ok);
  assert.match(io.stderr(), /^anycast import: warning: --no-ack: not supported/m);
});

Deno.test("anycast import exabgp-healthcheck exits 2 on bad healthcheck arguments", async () => {
  const io = captureCli();
  const code = await runCli(
    ["import", "exabgp-healthcheck", "--", "--ip", "198.51.100.1", "--rise", "x"],
    io.ctx,
  );
  assert.equal(code, 2);
  assert.equal(io.stdout(), "");
  assert.match(io.stderr(), /import exabgp-healthcheck: Cannot parse --rise "x"/);
  assert.match(io.stderr(), /--help/);
});

Deno.test("anycast import exabgp-healthcheck exits 2 on a bad --peer or --asn", async () => {
  for (const flags of [["--peer", "nowhere"], ["--asn", "0"]]) {
    const io = captureCli();
    const code = await runCli(
      ["import", "exabgp-healthcheck", ...flags, "--", "--ip", "198.51.100.1"],
      io.ctx,
    );
    assert.equal(code, 2, flags.join(" "));
    assert.match(io.stderr(), new RegExp(flags[0]!));
  }
});

Deno.test("anycast import exabgp-healthcheck -o writes the file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const io = captureCli();
    const file = `${dir}/out.yaml`;
    const code = await runCli(
      ["import", "exabgp-healthcheck", "-o", file, "--", "--ip", "198.51.100.1", "--cmd", "true"],
      io.ctx,
    );
    assert.equal(code, 0, io.stderr());
    assert.equal(io.stdout(), "");
    assert.ok(parseConfig(await Deno.readTextFile(file), file).ok);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("importExabgpHealthcheck() output is already formatted (deno fmt leaves it alone)", async () => {
  const long = Array.from({ length: 12 }, (_, i) => `65000:${i + 1}`).join(" ");
  for (
    const args of [
      ["--cmd", "true", "--ip", "198.51.100.1", "--community", "65000:1"],
      ["--cmd", `curl -sf http://127.0.0.1/${"x".repeat(90)}`, "--ip", "198.51.100.1"],
      ["--ip", "198.51.100.1", "--community", long, "--large-community", "1:2:3 4:5:6"],
    ]
  ) {
    const { yaml } = importExabgpHealthcheck(args, SPEAKER);
    const child = new Deno.Command(Deno.execPath(), {
      args: ["fmt", "--ext=yaml", "-"],
      cwd: new URL("../../../", import.meta.url),
      stdin: "piped",
      stdout: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(yaml));
    await writer.close();
    const out = await child.output();
    assert.equal(new TextDecoder().decode(out.stdout), yaml, args.join(" "));
  }
});

Deno.test("importExabgpHealthcheck() quotes communities, which YAML 1.1 would read as numbers", () => {
  const { yaml } = importExabgpHealthcheck(
    ["--ip", "198.51.100.1", "--community", "65000:1", "--large-community", "1:2:3"],
    SPEAKER,
  );
  assert.match(yaml, /communities: \["65000:1"\]/);
  assert.match(yaml, /largeCommunities: \["1:2:3"\]/);
});
