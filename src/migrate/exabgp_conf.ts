/**
 * Read the parts of an ExaBGP 4 `exabgp.conf` that a healthcheck setup uses:
 * `neighbor` blocks (the BGP sessions) and `process` blocks whose `run` line
 * starts the healthcheck. Together with the healthcheck importer this turns a
 * whole ExaBGP anycast setup into one native config.
 *
 * ```
 * neighbor 192.0.2.254 {            # -> neighbors[], speaker.asn/routerId
 *     router-id 192.0.2.10;
 *     local-address 192.0.2.10;
 *     local-as 64600;
 *     peer-as 64599;
 * }
 * process watch-web {               # -> prefixes[] via the healthcheck importer
 *     run python3 -m exabgp healthcheck --cmd "curl -sf http://127.0.0.1/" --ip 192.0.2.1;
 * }
 * ```
 *
 * Anything else is reported as a warning, never dropped silently.
 *
 * @module
 */
import ipaddr from "ipaddr.js";
import {
  importExabgpHealthcheck,
  type ImportOptions,
  type ImportResult,
  type PeerSpec,
  renderConfig,
  stripProgram,
} from "./exabgp_healthcheck.ts";

/** One statement: its words, and the statements inside when it opens a block. */
export interface ConfStatement {
  words: string[];
  block?: ConfStatement[];
  line: number;
}

type Token = { text: string; quoted: boolean; line: number };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "\n") {
      line++;
      i++;
    } else if (/\s/.test(c)) i++;
    else if (c === "#") {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (c === '"' || c === "'") {
      const end = text.indexOf(c, i + 1);
      if (end === -1) {
        throw new SyntaxError(`Cannot parse exabgp.conf line ${line}: unclosed quote`);
      }
      const value = text.slice(i + 1, end);
      tokens.push({ text: value, quoted: true, line });
      line += value.split("\n").length - 1;
      i = end + 1;
    } else if ("{};[]".includes(c)) {
      tokens.push({ text: c, quoted: false, line });
      i++;
    } else {
      let j = i;
      while (j < text.length && !/[\s{};[\]#"']/.test(text[j]!)) j++;
      tokens.push({ text: text.slice(i, j), quoted: false, line });
      i = j;
    }
  }
  return tokens;
}

/** Parse exabgp.conf into nested statements. Throws `SyntaxError` on unbalanced braces. */
export function parseExabgpConf(text: string): ConfStatement[] {
  const tokens = tokenize(text);
  let pos = 0;
  const statements = (depth: number): ConfStatement[] => {
    const out: ConfStatement[] = [];
    let words: string[] = [];
    let line = 0;
    while (pos < tokens.length) {
      const t = tokens[pos++]!;
      if (!t.quoted && t.text === "}") {
        if (depth === 0) {
          throw new SyntaxError(`Cannot parse exabgp.conf line ${t.line}: extra "}"`);
        }
        if (words.length > 0) out.push({ words, line });
        return out;
      }
      if (words.length === 0) line = t.line;
      if (!t.quoted && t.text === ";") {
        if (words.length > 0) out.push({ words, line });
        words = [];
      } else if (!t.quoted && t.text === "{") {
        out.push({ words, block: statements(depth + 1), line });
        words = [];
      } else if (!t.quoted && (t.text === "[" || t.text === "]")) {
        // Lists ("processes [ a b ]") read as plain words.
      } else {
        words.push(t.text);
      }
    }
    if (depth > 0) throw new SyntaxError('Cannot parse exabgp.conf: missing "}" at the end');
    if (words.length > 0) out.push({ words, line });
    return out;
  };
  return statements(0);
}

/** What an exabgp.conf says about the speaker and its sessions, plus healthcheck processes. */
export interface ExabgpSetup {
  asn?: number;
  routerId?: string;
  gracefulRestartTime?: number;
  peers: PeerSpec[];
  /** Healthcheck processes: name and arguments (program name dropped). */
  healthchecks: { name: string; args: string[] }[];
  warnings: string[];
}

function ip(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text).toString();
  if (text.includes(":") && ipaddr.IPv6.isValid(text)) return ipaddr.IPv6.parse(text).toString();
  return undefined;
}

function uint(where: string, text: string | undefined, max: number): number {
  if (text === undefined || !/^[0-9]+$/.test(text) || Number(text) > max) {
    throw new SyntaxError(`Cannot parse exabgp.conf ${where}: expected a number 0-${max}`);
  }
  return Number(text);
}

const IGNORED_NEIGHBOR = new Set([
  "api", // which processes talk to this neighbor: the healthchecks are imported as prefixes
  "group-updates",
  "auto-flush",
  "adj-rib-out",
  "adj-rib-in",
  "manual-eor",
]);

/** Pull neighbors and healthcheck processes out of parsed exabgp.conf statements. */
export function exabgpSetup(statements: ConfStatement[]): ExabgpSetup {
  const setup: ExabgpSetup = { peers: [], healthchecks: [], warnings: [] };
  const warn = (s: ConfStatement, what: string, why: string) =>
    setup.warnings.push(`exabgp.conf line ${s.line}: ${what}: ${why}`);
  const sameAsn = (s: ConfStatement, asn: number) => {
    if (setup.asn === undefined) setup.asn = asn;
    else if (setup.asn !== asn) {
      warn(s, `local-as ${asn}`, `one speaker, one AS; keeping ${setup.asn}`);
    }
  };
  const sameRouterId = (s: ConfStatement, id: string) => {
    if (setup.routerId === undefined) setup.routerId = id;
    else if (setup.routerId !== id) {
      warn(s, `router-id ${id}`, `one speaker, one router ID; keeping ${setup.routerId}`);
    }
  };
  for (const top of statements) {
    const [kind, name] = top.words;
    if (kind === "neighbor" && top.block) {
      const address = ip(name);
      if (address === undefined) {
        throw new SyntaxError(`Cannot parse exabgp.conf line ${top.line}: neighbor "${name}"`);
      }
      const peer: Partial<PeerSpec> & { address: string } = { address };
      for (const s of top.block) {
        const [key, value] = s.words;
        const where = `line ${s.line} ${key}`;
        switch (key) {
          case "router-id": {
            const id = ip(value);
            if (id === undefined || id.includes(":")) {
              throw new SyntaxError(`Cannot parse exabgp.conf ${where}: expected IPv4`);
            }
            sameRouterId(s, id);
            break;
          }
          case "local-as":
            sameAsn(s, uint(where, value, 4294967295));
            break;
          case "peer-as":
            peer.asn = uint(where, value, 4294967295);
            break;
          case "local-address": {
            const local = ip(value);
            if (local !== undefined) peer.localAddress = local;
            else warn(s, `local-address ${value}`, "not an address; the kernel picks the source");
            break;
          }
          case "hold-time":
            peer.holdTime = uint(where, value, 65535);
            break;
          case "description":
            if (value !== undefined) peer.description = value;
            break;
          case "passive":
            peer.passive = value === undefined || value === "true" || value === "enable";
            break;
          case "outgoing-ttl":
            peer.ebgpMultihopTtl = uint(where, value, 255);
            break;
          case "md5-password":
            warn(s, "md5-password", "TCP MD5 cannot be set through Deno's sockets; left out");
            break;
          case "family": {
            const families: ("ipv4-unicast" | "ipv6-unicast")[] = [];
            for (const f of s.block ?? []) {
              const fam = f.words.join(" ");
              if (fam === "ipv4 unicast") families.push("ipv4-unicast");
              else if (fam === "ipv6 unicast") families.push("ipv6-unicast");
              else warn(f, `family ${fam}`, "only ipv4 unicast and ipv6 unicast; left out");
            }
            if (families.length > 0) peer.families = families;
            break;
          }
          case "capability":
            for (const c of s.block ?? []) {
              const [cap, arg] = c.words;
              if (cap === "graceful-restart" && arg !== "disable") {
                setup.gracefulRestartTime = arg === undefined || arg === "enable"
                  ? 120
                  : uint(`line ${c.line} graceful-restart`, arg, 4095);
              } else if (cap === "route-refresh" || cap === "asn4") {
                // Always on here.
              } else {
                warn(c, `capability ${c.words.join(" ")}`, "not supported; left out");
              }
            }
            break;
          default:
            if (key !== undefined && IGNORED_NEIGHBOR.has(key)) break;
            warn(
              s,
              `neighbor ${address} ${s.words.join(" ")}${s.block ? " {...}" : ""}`,
              key === "static" || key === "announce"
                ? "static routes are not imported; add them under prefixes: (announced unconditionally when they have no probe)"
                : "not imported",
            );
        }
      }
      if (peer.asn === undefined) {
        throw new SyntaxError(
          `Cannot import exabgp.conf line ${top.line}: neighbor ${address} has no peer-as`,
        );
      }
      setup.peers.push(peer as PeerSpec);
    } else if (kind === "process" && top.block) {
      const run = top.block.find((s) => s.words[0] === "run");
      const args = run ? stripProgram(run.words.slice(1)) : [];
      const isHealthcheck = run !== undefined &&
        run.words.slice(1, run.words.length - args.length).some((w) => /healthcheck$/.test(w));
      if (isHealthcheck) setup.healthchecks.push({ name: name ?? "", args });
      else warn(top, `process ${name}`, "not an ExaBGP healthcheck; not imported");
    } else {
      warn(top, top.words.join(" ") + (top.block ? " {...}" : ""), "not imported");
    }
  }
  return setup;
}

/**
 * Import every healthcheck process of an exabgp.conf, with its neighbors, into
 * one native config. Explicit `options` (asn, routerId, peers) win over the file.
 * `args`, when given, replace the healthcheck processes of the file.
 */
export function importExabgpConf(
  text: string,
  options: ImportOptions = {},
  args: readonly string[] = [],
): ImportResult {
  const setup = exabgpSetup(parseExabgpConf(text));
  const runs = args.length > 0 ? [{ name: "", args: [...args] }] : setup.healthchecks;
  if (runs.length === 0) {
    throw new SyntaxError(
      "Cannot import exabgp.conf: no process runs the healthcheck (pass its arguments after --)",
    );
  }
  const merged: ImportOptions = {
    ...options,
    ...(options.asn === undefined && setup.asn !== undefined ? { asn: setup.asn } : {}),
    ...(options.routerId === undefined && setup.routerId !== undefined
      ? { routerId: setup.routerId }
      : {}),
    ...(options.gracefulRestartTime === undefined && setup.gracefulRestartTime !== undefined
      ? { gracefulRestartTime: setup.gracefulRestartTime }
      : {}),
    peers: options.peers !== undefined && options.peers.length > 0 ? options.peers : setup.peers,
  };
  const results = runs.map((r) => ({ name: r.name, ...importExabgpHealthcheck(r.args, merged) }));
  const first = results[0]!;
  const config = { ...first.config, prefixes: results.flatMap((r) => r.config.prefixes as []) };
  const warnings = [...setup.warnings];
  for (const r of results) {
    for (const w of r.warnings) {
      const text = runs.length > 1 && r.name !== "" ? `process ${r.name}: ${w}` : w;
      // Speaker and neighbor notes are the same for every process: say them once.
      const shared = /^(local AS|router ID|neighbors):/.test(w);
      if (!warnings.includes(shared ? w : text)) warnings.push(shared ? w : text);
    }
  }
  const lines = runs.map((r) => r.args);
  return { config, yaml: renderConfig(config, lines, warnings, options.schemaRef), warnings };
}
