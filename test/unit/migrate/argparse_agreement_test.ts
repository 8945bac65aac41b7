/**
 * The importer reads healthcheck command lines the way exabgp's own argparse
 * parser does: for each command line, ask exabgp 4.2's `parse()` (installed
 * with the exabgp package) for its options, derive the config the guide's
 * mapping table promises from them, and compare with what the importer made.
 * Skipped where exabgp's Python package is not installed, except under CI.
 */
import assert from "node:assert/strict";
import { type AnycastConfig, parseCommunity, parseConfig } from "../../../src/config/mod.ts";
import { importExabgpHealthcheck } from "../../../src/migrate/mod.ts";

const PYTHON = "/usr/bin/python3";

function exabgpInstalled(): boolean {
  try {
    return new Deno.Command(PYTHON, {
      args: ["-c", "import exabgp.application.healthcheck"],
      stdout: "null",
      stderr: "null",
    }).outputSync().success;
  } catch {
    return false;
  }
}

const available = exabgpInstalled();
if (!available && Deno.env.get("CI") === "true") {
  Deno.test("exabgp's Python package is installed (needed under CI)", () => {
    assert.fail("python3 -m exabgp is missing: install the exabgp package");
  });
}

const DUMP = `
import sys, json
from exabgp.application.healthcheck import parse
sys.argv = ["healthcheck"] + json.loads(sys.stdin.read())
o = vars(parse())
def plain(v):
    if isinstance(v, list): return [plain(x) for x in v]
    if isinstance(v, (bool, int, float, str)) or v is None: return v
    return str(v)
print(json.dumps({k: plain(v) for k, v in o.items()}))
`;

type PyOptions = Record<string, unknown> & {
  interval: number;
  fast: number;
  timeout: number;
  rise: number;
  fall: number;
  ips: string[];
  start_ip: number;
  up_metric: number;
  down_metric: number;
  increase: number;
  local_preference: number;
  withdraw_on_down: boolean;
  command: string | null;
  disable: string | null;
  name: string | null;
  community: string | null;
  debug: boolean;
  no_syslog: boolean;
  syslog_facility: string;
};

async function exabgpParse(args: string[]): Promise<PyOptions> {
  const child = new Deno.Command(PYTHON, {
    args: ["-c", DUMP],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(args)));
  await writer.close();
  const out = await child.output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/** What the mapping in docs/migration/exabgp-healthcheck.md says the model must hold. */
function expected(o: PyOptions) {
  const period = o.interval === 0 ? 5000 : Math.round(o.interval * 1000);
  const fast = o.fast === 0 ? undefined : Math.round(o.fast * 1000);
  const timeout = Math.min(o.timeout === 0 ? period : o.timeout * 1000, period);
  const shift = ((o.start_ip % o.ips.length) + o.ips.length) % o.ips.length;
  const ips = [...o.ips.slice(shift), ...o.ips.slice(0, shift)];
  return {
    prefixes: ips.map((ip, i) => ({
      prefix: ip,
      name: o.name === null ? ip : ips.length === 1 ? o.name : `${o.name}-${i + 1}`,
      med: o.up_metric + i * o.increase,
      downMed: o.withdraw_on_down ? undefined : o.down_metric + i * o.increase,
      localPref: o.local_preference >= 0 ? o.local_preference : undefined,
      communities: (o.community ?? "").split(/\s+/).filter(Boolean).map(parseCommunity),
      withdrawOnDown: o.withdraw_on_down,
      maintenanceFile: o.disable ?? undefined,
      probe: o.command === null ? undefined : {
        periodMs: period,
        fastPeriodMs: fast === period ? undefined : fast,
        timeoutMs: timeout,
        successThreshold: Math.max(1, o.rise),
        failureThreshold: Math.max(1, o.fall),
        args: ["-c", o.command],
      },
    })),
    logging: o.debug
      ? { driver: "stderr", level: "debug" }
      : o.no_syslog
      ? { driver: "stderr", level: "info" }
      : { driver: "syslog", level: "info", facility: o.syslog_facility },
  };
}

function actual(config: AnycastConfig) {
  return {
    prefixes: config.prefixes.map((p) => ({
      prefix: p.prefix,
      name: p.name,
      med: p.attributes.med,
      downMed: p.downAttributes?.med,
      localPref: p.attributes.localPref,
      communities: p.attributes.communities,
      withdrawOnDown: p.withdrawOnDown,
      maintenanceFile: p.maintenanceFile,
      probe: p.readinessProbe && {
        periodMs: p.readinessProbe.periodMs,
        fastPeriodMs: p.readinessProbe.fastPeriodMs,
        timeoutMs: p.readinessProbe.timeoutMs,
        successThreshold: p.readinessProbe.successThreshold,
        failureThreshold: p.readinessProbe.failureThreshold,
        args: p.readinessProbe.handler.kind === "exec" ? p.readinessProbe.handler.args : [],
      },
    })),
    logging: {
      driver: config.logging.driver,
      level: config.logging.level,
      ...(config.logging.driver === "syslog" ? { facility: config.logging.facility } : {}),
    },
  };
}

const CASES: string[][] = [
  ["--ip", "198.51.100.1", "--cmd", "true"],
  ["--ip=198.51.100.1/32", "-c", "curl -sf http://127.0.0.1/", "-i", "10", "-f", "2", "-t", "3"],
  ["--ip", "198.51.100.1", "--fast", "0.5", "--ris", "2", "--fal", "4", "-c", "true", "-sF"],
  ["-c", "true", "--ip", "198.51.100.1", "-i0.25", "--timeout", "0", "--rise", "0"],
  ["--name", "web", "--ip", "198.51.100.1", "--ip", "198.51.100.2", "--ip", "2001:db8::1"],
  [
    "-n",
    "dns",
    "--ip",
    "198.51.100.1",
    "--ip",
    "198.51.100.2",
    "--start-ip",
    "1",
    "--increase",
    "5",
  ],
  ["--ip", "198.51.100.1", "--up-metric", "10", "--down-metric", "20", "--withdraw-on-down"],
  ["--ip", "198.51.100.1", "--local-preference", "300", "--community", "65000:1 65000:2"],
  ["--ip", "198.51.100.1", "--disable", "/etc/off", "--syslog-facility", "local3", "-c", "x"],
  ["--ip", "198.51.100.1", "-d", "--no-ip-setup", "--cmd", "exit 1"],
  ["--ip", "198.51.100.1", "--no-syslog", "--interval", "2"],
  ["--ip", "198.51.100.1", "-sd", "-c", "true"],
  ["--ip", "198.51.100.1", "-ds", "--cmd", "true", "--withdraw"],
];

for (const args of CASES) {
  Deno.test({
    name: `importer agrees with exabgp's parser: ${args.join(" ")}`,
    ignore: !available,
    async fn() {
      const options = await exabgpParse(args);
      const result = importExabgpHealthcheck(args, { asn: 64600, routerId: "192.0.2.10" });
      const parsed = parseConfig(result.yaml, "imported.yaml");
      assert.ok(parsed.ok);
      assert.deepEqual(actual(parsed.config), expected(options));
    },
  });
}
