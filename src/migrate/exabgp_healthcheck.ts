/**
 * `anycast import exabgp-healthcheck`: read an ExaBGP healthcheck command line
 * (`python -m exabgp healthcheck ...`, exabgp 4.2) and write the equivalent
 * native config. The healthcheck's states map onto ours:
 *
 * | ExaBGP healthcheck           | anycast native config                               |
 * | ---------------------------- | --------------------------------------------------- |
 * | UP: announce, `--up-metric`  | `med` (and the other attributes)                    |
 * | DOWN: announce `--down-metric` (or withdraw with `--withdraw-on-down`) | `withdrawOnDown: false` + `down.med` |
 * | DISABLED (`--disable FILE`): announce `--disabled-metric` | `maintenance: FILE` + `disabled.med` |
 * | `--rise` / `--fall`          | `successThreshold` / `failureThreshold`             |
 * | `--interval` / `--fast-interval` / `--timeout` | `periodSeconds` / `fastPeriodSeconds` / `timeoutSeconds` |
 * | `--command CMD` (run by a shell) | exec probe `/bin/sh -c CMD`                     |
 *
 * Options that have no equivalent are reported as warnings, never dropped
 * silently. Bad input (unknown option, bad address) throws `SyntaxError` or
 * `RangeError` with the offending option in the message.
 *
 * @module
 */
import ipaddr from "ipaddr.js";
import { Document, isMap, isScalar, visit } from "yaml";
import { formatDuration, parseCommunity, parseExtendedCommunity } from "../config/mod.ts";
import { parseLargeCommunity } from "../config/mod.ts";
import { configFileArgs, type OptionSpec, parseArgs, shellQuote } from "./_argparse.ts";

/** Defaults of exabgp 4.2's healthcheck (application/healthcheck.py). */
export const HEALTHCHECK_DEFAULTS = {
  interval: 5,
  fastInterval: 1,
  timeout: 5,
  rise: 3,
  fall: 3,
  upMetric: 100,
  downMetric: 1000,
  disabledMetric: 500,
  increase: 1,
  syslogFacility: "daemon",
} as const;

/** Every option of the exabgp 4.2 healthcheck (`python3 -m exabgp healthcheck --help`). */
export const HEALTHCHECK_OPTIONS: readonly OptionSpec[] = [
  { names: ["--silent", "-s"], dest: "silent", arity: "flag" },
  {
    names: ["--syslog-facility", "-sF"],
    dest: "syslog_facility",
    arity: "optional",
    constant: "daemon",
  },
  { names: ["--no-syslog"], dest: "no_syslog", arity: "flag" },
  { names: ["--no-ack", "-a"], dest: "no_ack", arity: "flag" },
  { names: ["--sudo"], dest: "sudo", arity: "flag" },
  { names: ["--debug", "-d"], dest: "debug", arity: "flag" },
  { names: ["--name", "-n"], dest: "name", arity: "value" },
  { names: ["--config", "-F"], dest: "config", arity: "value" },
  { names: ["--pid", "-p"], dest: "pid", arity: "value" },
  { names: ["--user"], dest: "user", arity: "value" },
  { names: ["--group"], dest: "group", arity: "value" },
  { names: ["--interval", "-i"], dest: "interval", arity: "value" },
  { names: ["--fast-interval", "-f"], dest: "fast", arity: "value" },
  { names: ["--timeout", "-t"], dest: "timeout", arity: "value" },
  { names: ["--rise"], dest: "rise", arity: "value" },
  { names: ["--fall"], dest: "fall", arity: "value" },
  { names: ["--disable"], dest: "disable", arity: "value" },
  { names: ["--command", "--cmd", "-c"], dest: "command", arity: "value" },
  { names: ["--next-hop", "-N"], dest: "next_hop", arity: "value" },
  { names: ["--ip"], dest: "ips", arity: "append" },
  { names: ["--local-preference"], dest: "local_preference", arity: "value" },
  { names: ["--deaggregate-networks"], dest: "deaggregate_networks", arity: "flag" },
  { names: ["--no-ip-setup"], dest: "no_ip_setup", arity: "flag" },
  { names: ["--dynamic-ip-setup"], dest: "ip_dynamic", arity: "flag" },
  { names: ["--label"], dest: "label", arity: "value" },
  { names: ["--start-ip"], dest: "start_ip", arity: "value" },
  { names: ["--up-metric"], dest: "up_metric", arity: "value" },
  { names: ["--down-metric"], dest: "down_metric", arity: "value" },
  { names: ["--disabled-metric"], dest: "disabled_metric", arity: "value" },
  { names: ["--increase"], dest: "increase", arity: "value" },
  { names: ["--community"], dest: "community", arity: "value" },
  { names: ["--extended-community"], dest: "extended_community", arity: "value" },
  { names: ["--large-community"], dest: "large_community", arity: "value" },
  { names: ["--disabled-community"], dest: "disabled_community", arity: "value" },
  { names: ["--as-path"], dest: "as_path", arity: "value" },
  { names: ["--up-as-path"], dest: "up_as_path", arity: "value" },
  { names: ["--down-as-path"], dest: "down_as_path", arity: "value" },
  { names: ["--disabled-as-path"], dest: "disabled_as_path", arity: "value" },
  { names: ["--withdraw-on-down"], dest: "withdraw_on_down", arity: "flag" },
  { names: ["--path-id"], dest: "path_id", arity: "value" },
  { names: ["--neighbor"], dest: "neighbors", arity: "append" },
  { names: ["--execute"], dest: "execute", arity: "append" },
  { names: ["--up-execute"], dest: "up_execute", arity: "append" },
  { names: ["--down-execute"], dest: "down_execute", arity: "append" },
  { names: ["--disabled-execute"], dest: "disabled_execute", arity: "append" },
];

/** Why each option we cannot carry over is left out (shown as a warning). */
const UNSUPPORTED: Readonly<Record<string, string>> = {
  no_ack: "there is no ExaBGP API to acknowledge; anycast speaks BGP itself",
  sudo: "anycast does not add addresses to lo (see --no-ip-setup)",
  pid: "run anycast under systemd (examples/anycast.service), which tracks the PID",
  user:
    "set User= in the systemd unit; anycast needs only CAP_NET_BIND_SERVICE (docs/operations.md)",
  group: "set Group= in the systemd unit",
  label: "anycast does not manage loopback addresses or their labels",
  ip_dynamic: "anycast does not add or remove loopback addresses on state changes",
  path_id: "ADD-PATH path identifiers are not sent (one path per prefix)",
  neighbors: "every prefix is announced to every configured neighbor",
  execute: "no hooks on state changes; watch `anycast_prefix_state` metrics or the logs",
  up_execute: "no hooks on state changes; watch `anycast_prefix_state` metrics or the logs",
  down_execute: "no hooks on state changes; watch `anycast_prefix_state` metrics or the logs",
  disabled_execute: "no hooks on state changes; watch `anycast_prefix_state` metrics or the logs",
  silent: "console logging is not configurable separately; logs go to the logging driver",
};

/** A neighbor to put in the generated config (ExaBGP keeps them in exabgp.conf). */
export interface PeerSpec {
  address: string;
  asn: number;
  /** The rest comes from exabgp.conf (`anycast import ... --exabgp-conf`). */
  name?: string;
  description?: string;
  localAddress?: string;
  /** Seconds. */
  holdTime?: number;
  passive?: boolean;
  families?: ("ipv4-unicast" | "ipv6-unicast")[];
  ebgpMultihopTtl?: number;
}

/** Options of the importer itself (what the healthcheck command line does not say). */
export interface ImportOptions {
  /** Local AS (exabgp.conf `local-as`); default a placeholder 64512 with a warning. */
  asn?: number;
  /** BGP identifier (exabgp.conf `router-id`); default the IPv4 next hop, else a placeholder. */
  routerId?: string;
  /** Neighbors (exabgp.conf `neighbor` blocks); default none, with a warning. */
  peers?: PeerSpec[];
  /** Advertise graceful restart with this restart time (exabgp.conf `graceful-restart N`). */
  gracefulRestartTime?: number;
  /** The `$schema=` reference written in the first comment line (default `../docs/schema.json`). */
  schemaRef?: string;
  /** Reads `--config FILE` (default Deno.readTextFileSync). */
  readFile?: (path: string) => string;
}

/** The native config as plain data, in the order it is written out. */
export type NativeConfigData = Record<string, unknown>;

export interface ImportResult {
  /** The config as data (what `yaml` holds, without the comments). */
  config: NativeConfigData;
  /** The config file text, starting with the yaml-language-server comment. */
  yaml: string;
  /** Options left out or changed, one sentence each, starting with the option. */
  warnings: string[];
}

const PLACEHOLDER_ASN = 64512;
const PLACEHOLDER_ROUTER_ID = "192.0.2.1";
/** `--deaggregate-networks` expands to single addresses; more than this is surely a mistake. */
const MAX_DEAGGREGATED = 1024;

/** Drop a leading `python3 -m exabgp healthcheck` / `exabgp healthcheck` / `healthcheck`. */
export function stripProgram(args: readonly string[]): string[] {
  const rest = [...args];
  const words = ["python", "python2", "python3", "-m", "exabgp", "healthcheck"];
  while (
    rest.length > 0 &&
    (words.includes(rest[0]!) ||
      /(^|\/)(python[0-9.]*|exabgp|exabgp-healthcheck|healthcheck)$/.test(rest[0]!))
  ) rest.shift();
  return rest;
}

function integer(option: string, text: string, min: number, max: number): number {
  if (!/^[+-]?[0-9]+$/.test(text.trim())) {
    throw new SyntaxError(`Cannot parse ${option} "${text}": expected a whole number`);
  }
  const n = Number(text);
  if (n < min || n > max) {
    throw new RangeError(`Cannot use ${option} ${text}: expected ${min}-${max}`);
  }
  return n;
}

function seconds(option: string, text: string): number {
  if (!/^[+]?([0-9]+\.?[0-9]*|\.[0-9]+)$/.test(text.trim())) {
    throw new SyntaxError(`Cannot parse ${option} "${text}": expected a number of seconds`);
  }
  return Math.round(Number(text) * 1000);
}

/** A plain IPv4 (dotted quad only) or IPv6 address, as the healthcheck's ip_address() takes. */
function parseIp(text: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (text.includes(":") && !text.includes("%") && ipaddr.IPv6.isValid(text)) {
    return ipaddr.IPv6.parse(text);
  }
  return undefined;
}

interface Network {
  address: ipaddr.IPv4 | ipaddr.IPv6;
  length: number;
}

function parseNetwork(text: string): Network {
  const [addr, len, extra] = text.split("/");
  const address = addr === undefined || extra !== undefined ? undefined : parseIp(addr);
  if (address === undefined) {
    throw new SyntaxError(`Cannot parse --ip "${text}": expected an address or a network in CIDR`);
  }
  const max = address.kind() === "ipv4" ? 32 : 128;
  const length = len === undefined ? max : Number(len);
  if (len !== undefined && (!/^[0-9]{1,3}$/.test(len) || length > max)) {
    throw new SyntaxError(`Cannot parse --ip "${text}": prefix length must be 0-${max}`);
  }
  const network = ipaddr.parse(
    address.kind() === "ipv4"
      ? ipaddr.IPv4.networkAddressFromCIDR(`${address}/${length}`).toString()
      : ipaddr.IPv6.networkAddressFromCIDR(`${address}/${length}`).toString(),
  );
  if (network.toString() !== address.toString()) {
    // The healthcheck's ip_network() is strict too: it refuses host bits.
    throw new SyntaxError(
      `Cannot use --ip ${text}: host bits are set (did you mean ${network.toString()}/${length}?)`,
    );
  }
  return { address, length };
}

/** Every single address of a network (`--deaggregate-networks`). */
function deaggregate(net: Network): Network[] {
  const max = net.address.kind() === "ipv4" ? 32 : 128;
  const count = 2 ** (max - net.length);
  if (count > MAX_DEAGGREGATED) {
    throw new RangeError(
      `Cannot use --deaggregate-networks on ${net.address}/${net.length}: ${count} addresses (at most ${MAX_DEAGGREGATED})`,
    );
  }
  const bytes = net.address.toByteArray();
  const out: Network[] = [];
  for (let i = 0; i < count; i++) {
    const b = [...bytes];
    let carry = i;
    for (let k = b.length - 1; k >= 0 && carry > 0; k--) {
      const sum = b[k]! + (carry & 0xff);
      b[k] = sum & 0xff;
      carry = (carry >>> 8) + (sum >> 8);
    }
    out.push({ address: ipaddr.fromByteArray(b), length: max });
  }
  return out;
}

function words(text: string | undefined): string[] {
  if (text === undefined) return [];
  // ExaBGP writes the value inside "[ ... ]": brackets the user added are harmless.
  return text.replace(/^\s*\[/, "").replace(/\]\s*$/, "").trim().split(/\s+/).filter(Boolean);
}

/** An ExaBGP as-path as ours: one AS repeated N times (prepended after our own AS towards eBGP). */
function asPathOf(
  option: string,
  text: string | undefined,
  warnings: string[],
): { asn: number; count: number } | undefined {
  if (text === undefined) return undefined;
  const asns = words(text).map((w) => integer(option, w, 1, 4294967295));
  if (asns.length === 0) return undefined;
  if (asns.some((a) => a !== asns[0]) || asns.length > 32) {
    warnings.push(
      `${option} "${text}": only one AS repeated up to 32 times can be carried over (asn + asPathPrepend); left out`,
    );
    return undefined;
  }
  return { asn: asns[0]!, count: asns.length };
}

function extendedCommunities(text: string | undefined, warnings: string[]): string[] {
  const out: string[] = [];
  for (const w of words(text)) {
    try {
      out.push(parseExtendedCommunity(w));
    } catch {
      warnings.push(
        `--extended-community ${w}: only route target and route origin ("target:ASN:N", "origin:ASN:N") are supported; left out`,
      );
    }
  }
  return out;
}

function checked(option: string, list: string[], parse: (s: string) => string): string[] {
  for (const w of list) {
    try {
      parse(w);
    } catch (e) {
      throw new SyntaxError(`Cannot parse ${option} "${w}": ${(e as Error).message}`);
    }
  }
  return list;
}

/**
 * Turn healthcheck arguments (without the program name; a leading
 * `python3 -m exabgp healthcheck` is dropped) into a native config.
 */
export function importExabgpHealthcheck(
  args: readonly string[],
  options: ImportOptions = {},
): ImportResult {
  const argv = stripProgram(args);
  const warnings: string[] = [];
  let { options: o } = parseArgs(argv, HEALTHCHECK_OPTIONS);
  if (typeof o.config === "string") {
    // The healthcheck reads the file first and lets the command line override it.
    const read = options.readFile ?? ((p: string) => Deno.readTextFileSync(p));
    let text: string;
    try {
      text = read(o.config);
    } catch (e) {
      throw new SyntaxError(
        `Cannot read --config ${o.config}: ${
          e instanceof Deno.errors.NotFound ? "no such file" : (e as Error).message
        }`,
      );
    }
    const fromFile = configFileArgs(text);
    if (fromFile.some((a) => a === "--config" || a.startsWith("--config="))) {
      throw new SyntaxError(`Cannot use --config ${o.config}: the file sets config again`);
    }
    o = parseArgs([...fromFile, ...argv], HEALTHCHECK_OPTIONS).options;
  }
  const str = (k: string) => (typeof o[k] === "string" ? o[k] as string : undefined);
  const list = (k: string) => (Array.isArray(o[k]) ? o[k] as string[] : []);
  const given = (k: string) => o[k] !== undefined;

  for (const [dest, reason] of Object.entries(UNSUPPORTED)) {
    if (!given(dest)) continue;
    const spec = HEALTHCHECK_OPTIONS.find((s) => s.dest === dest)!;
    warnings.push(`${spec.names[0]}: not supported, left out: ${reason}`);
  }
  if (!given("no_ip_setup")) {
    warnings.push(
      "ip setup: the healthcheck adds the --ip addresses to lo unless --no-ip-setup; anycast does not: configure them on lo yourself (e.g. systemd-networkd)",
    );
  }

  // ---- timers
  const d = HEALTHCHECK_DEFAULTS;
  let periodMs = str("interval") === undefined
    ? d.interval * 1000
    : seconds("--interval", str("interval")!);
  if (periodMs === 0) {
    warnings.push(
      "--interval 0: announcing once and exiting has no equivalent; using the default 5s period",
    );
    periodMs = d.interval * 1000;
  }
  let fastMs: number | undefined = str("fast") === undefined
    ? d.fastInterval * 1000
    : seconds("--fast-interval", str("fast")!);
  if (fastMs === 0) {
    warnings.push("--fast-interval 0: a zero period would spin; using the normal period");
    fastMs = undefined;
  }
  const timeoutS = str("timeout") === undefined
    ? d.timeout
    : integer("--timeout", str("timeout")!, 0, 86400);
  let timeoutMs = timeoutS * 1000;
  if (timeoutMs === 0) timeoutMs = periodMs; // The healthcheck treats 0 as "no timeout".
  if (timeoutMs > periodMs) {
    warnings.push(
      `--timeout ${timeoutS}${given("timeout") ? "" : " (the default)"}: longer than the ${
        formatDuration(periodMs)
      } interval; a probe may not outlast its period here, so the timeout is ${
        formatDuration(periodMs)
      }`,
    );
    timeoutMs = periodMs;
  }
  const rise = str("rise") === undefined ? d.rise : integer("--rise", str("rise")!, -1e6, 1e6);
  const fall = str("fall") === undefined ? d.fall : integer("--fall", str("fall")!, -1e6, 1e6);

  // ---- addresses
  const ipTexts = list("ips");
  if (ipTexts.length === 0) {
    throw new SyntaxError(
      "Cannot import without --ip: the healthcheck would read the addresses of lo at run time; pass each address with --ip",
    );
  }
  let networks = ipTexts.map(parseNetwork);
  if (given("deaggregate_networks")) networks = networks.flatMap(deaggregate);
  const startIp = str("start_ip") === undefined
    ? 0
    : integer("--start-ip", str("start_ip")!, -1e6, 1e6);
  // The healthcheck rotates its address list left by --start-ip (deque.rotate(-n)).
  const shift = ((startIp % networks.length) + networks.length) % networks.length;
  networks = [...networks.slice(shift), ...networks.slice(0, shift)];

  const nextHopText = str("next_hop");
  let nextHop: ipaddr.IPv4 | ipaddr.IPv6 | undefined;
  if (nextHopText !== undefined) {
    nextHop = parseIp(nextHopText);
    if (nextHop === undefined) {
      throw new SyntaxError(`Cannot parse --next-hop "${nextHopText}": expected an IP address`);
    }
  }

  // ---- attributes
  const MED_MAX = 4294967295;
  const metric = (k: string, option: string, fallback: number) =>
    str(k) === undefined ? fallback : integer(option, str(k)!, 0, MED_MAX);
  const upMetric = metric("up_metric", "--up-metric", d.upMetric);
  const downMetric = metric("down_metric", "--down-metric", d.downMetric);
  const disabledMetric = metric("disabled_metric", "--disabled-metric", d.disabledMetric);
  const increase = str("increase") === undefined
    ? d.increase
    : integer("--increase", str("increase")!, -MED_MAX, MED_MAX);
  const localPref = str("local_preference") === undefined
    ? -1
    : integer("--local-preference", str("local_preference")!, -1, MED_MAX);
  const communities = checked("--community", words(str("community")), parseCommunity);
  const disabledCommunities = checked(
    "--disabled-community",
    words(str("disabled_community")),
    parseCommunity,
  );
  const largeCommunities = checked(
    "--large-community",
    words(str("large_community")),
    parseLargeCommunity,
  );
  const extended = extendedCommunities(str("extended_community"), warnings);
  const asPath = asPathOf("--as-path", str("as_path"), warnings);
  const upPath = asPathOf("--up-as-path", str("up_as_path"), warnings) ?? asPath;
  const downPath = asPathOf("--down-as-path", str("down_as_path"), warnings) ?? asPath;
  const disabledPath = asPathOf("--disabled-as-path", str("disabled_as_path"), warnings) ??
    asPath;
  const withdrawOnDown = given("withdraw_on_down");
  const disableFile = str("disable");
  // DISABLED only happens through --disable FILE; without it, keep anycast's default for
  // maintenance through the API (withdraw) unless a disabled-* option asks otherwise.
  const announceDisabled = !withdrawOnDown &&
    (disableFile !== undefined || given("disabled_metric") || given("disabled_community") ||
      given("disabled_as_path"));
  const paths = [
    upPath,
    withdrawOnDown ? undefined : downPath,
    announceDisabled ? disabledPath : undefined,
  ]
    .filter((p) => p !== undefined);
  const prependAsn = paths[0]?.asn;
  if (paths.some((p) => p.asn !== prependAsn)) {
    warnings.push(
      "--up-as-path/--down-as-path/--disabled-as-path: one prefix prepends one AS in every state; using AS " +
        `${prependAsn} throughout`,
    );
  }

  // ---- prefixes
  const name = str("name");
  const probe: Record<string, unknown> | undefined = str("command") === undefined ? undefined : {
    periodSeconds: formatDuration(periodMs),
    ...(fastMs !== undefined && fastMs !== periodMs
      ? { fastPeriodSeconds: formatDuration(fastMs) }
      : {}),
    timeoutSeconds: formatDuration(timeoutMs),
    successThreshold: Math.max(1, rise),
    failureThreshold: Math.max(1, fall),
    // The healthcheck runs CMD with shell=True; our exec probe runs no shell, so ask for one.
    exec: { command: "/bin/sh", args: ["-c", str("command")!] },
  };
  if (probe === undefined) {
    warnings.push(
      "--command not given: the healthcheck then counts every check as a success, so the prefixes are announced unconditionally (no probe)",
    );
  }
  let nextHopSkipped = false;
  const prefixes = networks.map((net, index) => {
    const cidr = `${net.address.toString()}/${net.length}`;
    const offset = index * increase;
    const med = (m: number) => {
      const v = m + offset;
      if (v < 0 || v > MED_MAX) {
        throw new RangeError(
          `Cannot use --increase ${increase}: MED ${v} for ${cidr} is out of range`,
        );
      }
      return v;
    };
    const entry: Record<string, unknown> = {};
    if (name !== undefined) entry.name = networks.length === 1 ? name : `${name}-${index + 1}`;
    entry.ipAddress = cidr;
    if (nextHop !== undefined) {
      if (nextHop.kind() === net.address.kind()) entry.nextHop = nextHop.toString();
      else nextHopSkipped = true;
    }
    entry.med = med(upMetric);
    if (localPref >= 0) entry.localPref = localPref;
    if (communities.length > 0) entry.communities = communities;
    if (largeCommunities.length > 0) entry.largeCommunities = largeCommunities;
    if (extended.length > 0) entry.extendedCommunities = extended;
    if (prependAsn !== undefined) {
      entry.asn = prependAsn;
      entry.asPathPrepend = upPath?.count ?? 0;
    }
    // State attributes inherit the up attributes; write only what differs.
    const stateAttrs = (m: number, path: typeof asPath) => {
      const attrs: Record<string, unknown> = { med: med(m) };
      if (disabledCommunities.length > 0) attrs.communities = disabledCommunities;
      if ((path?.count ?? 0) !== (upPath?.count ?? 0)) attrs.asPathPrepend = path?.count ?? 0;
      return attrs;
    };
    if (!withdrawOnDown) {
      entry.withdrawOnDown = false;
      entry.down = stateAttrs(downMetric, downPath);
    }
    if (announceDisabled) entry.disabled = stateAttrs(disabledMetric, disabledPath);
    if (disableFile !== undefined) entry.maintenance = disableFile;
    if (probe !== undefined) entry.readinessProbe = probe;
    return entry;
  });
  if (nextHopSkipped) {
    warnings.push(
      `--next-hop ${nextHopText}: set only on prefixes of its address family; the others use the session's local address`,
    );
  }
  if (withdrawOnDown && (given("down_metric") || given("disabled_metric"))) {
    warnings.push(
      "--down-metric/--disabled-metric: unused with --withdraw-on-down (the route is withdrawn instead)",
    );
  }

  // ---- speaker, neighbors, logging
  let routerId = options.routerId;
  if (routerId === undefined) {
    if (nextHop?.kind() === "ipv4") routerId = nextHop.toString();
    else {
      routerId = PLACEHOLDER_ROUTER_ID;
      warnings.push(
        `router ID: the healthcheck line does not say; ${PLACEHOLDER_ROUTER_ID} is a placeholder: pass --router-id (exabgp.conf router-id)`,
      );
    }
  }
  if (options.asn === undefined) {
    warnings.push(
      `local AS: the healthcheck line does not say; ${PLACEHOLDER_ASN} is a placeholder: pass --asn (exabgp.conf local-as)`,
    );
  }
  const config: NativeConfigData = {};
  const debug = given("debug");
  if (debug || !given("no_syslog")) {
    // The healthcheck logs to syslog (facility daemon) unless --no-syslog, or --debug to the console.
    config.logging = debug ? { driver: "stderr", level: "debug" } : {
      driver: "syslog",
      facility: str("syslog_facility") ?? d.syslogFacility,
    };
  }
  config.speaker = {
    asn: options.asn ?? PLACEHOLDER_ASN,
    routerId,
    ...(options.gracefulRestartTime !== undefined
      ? { gracefulRestartEnabled: true, gracefulRestartRestartTime: options.gracefulRestartTime }
      : {}),
  };
  const peers = options.peers ?? [];
  if (peers.length === 0) {
    warnings.push(
      "neighbors: the healthcheck line does not list them (exabgp.conf does); add them under neighbors: or pass --peer ADDRESS:ASN",
    );
  }
  config.neighbors = peers.map(neighborOf);
  config.prefixes = prefixes;

  return { config, yaml: renderConfig(config, [argv], warnings, options.schemaRef), warnings };
}

function neighborOf(p: PeerSpec): Record<string, unknown> {
  return {
    ...(p.name !== undefined ? { name: p.name } : {}),
    ...(p.description !== undefined ? { description: p.description } : {}),
    address: p.address,
    asn: p.asn,
    ...(p.localAddress !== undefined ? { localAddress: p.localAddress } : {}),
    ...(p.holdTime !== undefined ? { holdTime: p.holdTime } : {}),
    ...(p.passive ? { passive: true } : {}),
    ...(p.ebgpMultihopTtl !== undefined
      ? { ebgpMultihopEnabled: true, ebgpMultihopTtl: p.ebgpMultihopTtl }
      : {}),
    ...(p.families !== undefined ? { families: p.families } : {}),
  };
}

/**
 * The config file text: the yaml-language-server comment, the command lines
 * it came from and the warnings as a header, then the config.
 */
export function renderConfig(
  config: NativeConfigData,
  commandLines: readonly (readonly string[])[],
  warnings: readonly string[],
  schemaRef = "../docs/schema.json",
): string {
  const doc = new Document(config, { aliasDuplicateObjects: false });
  // Short lists of scalars read best on one line: `args: ["-c", "curl ..."]`.
  visit(doc, {
    // "65000:100" is a string in YAML 1.2 but a base-60 number to YAML 1.1 readers: quote it.
    Scalar(_, scalar) {
      if (typeof scalar.value === "string" && /^[0-9]+(:[0-9]+)+$/.test(scalar.value)) {
        scalar.type = "QUOTE_DOUBLE";
      }
    },
    Seq(_, seq) {
      // Only when short: `deno fmt` would break a long flow list over lines.
      const texts = seq.items.map((item) => (isScalar(item) ? String(item.value) : undefined));
      const short = texts.every((t) => t !== undefined) && texts.join(", ").length <= 60;
      if (short) seq.flow = true;
    },
  });
  // A blank line between the top-level sections, as in examples/.
  if (isMap(doc.contents)) {
    doc.contents.items.forEach((pair, i) => {
      if (i > 0 && isScalar(pair.key)) pair.key.spaceBefore = true;
    });
  }
  const header = [
    ` yaml-language-server: $schema=${schemaRef}`,
    " Generated by `anycast import exabgp-healthcheck` from:",
    ...commandLines.map((argv) => `   healthcheck ${argv.map(shellQuote).join(" ")}`),
    ...(warnings.length > 0 ? [" Review:", ...warnings.map((w) => ` - ${w}`)] : []),
  ];
  doc.commentBefore = header.join("\n");
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

/** Parse an importer `--peer` value: "ADDRESS:ASN", "[IPv6]:ASN" or "ADDRESS,ASN". */
export function parsePeer(text: string): PeerSpec {
  const m = /^\[([^\]]+)\]:([0-9]+)$/.exec(text) ?? /^(.+)[:,]([0-9]+)$/.exec(text);
  const address = m?.[1] === undefined ? undefined : parseIp(m[1]);
  if (!m || address === undefined) {
    throw new SyntaxError(
      `Cannot parse --peer "${text}": expected ADDRESS:ASN, [IPv6]:ASN or ADDRESS,ASN`,
    );
  }
  return { address: address.toString(), asn: integer("--peer", m[2]!, 1, 4294967295) };
}
