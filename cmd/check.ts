/**
 * `anycast check`: run probes once (or keep watching them) and report.
 * From a config: `anycast check --config FILE [--prefix P] [--probe KIND]`.
 * Ad hoc: `anycast check http URL`, `tcp HOST:PORT`, `grpc HOST:PORT`,
 * `exec -- CMD ARGS...`, `dns NAME`, `tls HOST:PORT|--file PEM`, `address`,
 * `ping HOST`, `tftp URL`, `ntp SERVER`. Exit 0 when every probe passed,
 * 1 when one failed, 2 on usage errors. The logic lives in src/probe/check.ts.
 *
 * @module
 */
import { Command, Option } from "@commander-js/extra-typings";
import { type CliContext, ExitCode, UsageError } from "../src/cli/context.ts";
import {
  type AnycastConfig,
  formatConfigError,
  loadConfig,
  parseDurationString,
} from "../src/config/mod.ts";
import type { HandlerConfig, RetryConfig } from "../src/config/model.ts";
import {
  formatTable,
  httpFromUrl,
  rowToJson,
  runChecks,
  runOnce,
  selectChecks,
  serviceVerdicts,
  watch,
} from "../src/probe/check.ts";
import { handlerTarget } from "../src/probe/describe.ts";
import { splitHostPort } from "../src/probe/handlers/_net.ts";
import type { ProbeResult } from "../src/probe/result.ts";

/** "5s", "250ms", or bare seconds "5". */
function duration(flag: string, text: string): number {
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  try {
    return parseDurationString(text);
  } catch {
    throw new UsageError(`${flag}: cannot parse duration "${text}" (use 5s, 250ms or 1m)`);
  }
}

function integer(flag: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) {
    throw new UsageError(`${flag}: expected a whole number ${min}-${max}, got "${text}"`);
  }
  return n;
}

function usage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
}

interface CommonOptions {
  timeout: string;
  json?: boolean;
  watch?: boolean;
  period: string;
  fastPeriod?: string;
  successThreshold: string;
  failureThreshold: string;
}

interface RetryOptions {
  tries: string;
  interval: string;
}

function retry(o: CommonOptions & RetryOptions): RetryConfig {
  return {
    tries: integer("--tries", o.tries, 1, 100),
    intervalMs: duration("--interval", o.interval),
    timeoutMs: duration("--timeout", o.timeout),
  };
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** A subcommand with the options every ad hoc check has. */
function adHocCommand(name: string) {
  return new Command(name)
    .option("--timeout <duration>", "time limit per run (per try for anycastd kinds)", "5s")
    .option("--json", "print results as JSON (one object per line with --watch)")
    .option("-w, --watch", "repeat every --period and show state changes until Ctrl-C")
    .option("--period <duration>", "period for --watch", "2s")
    .option("--fast-period <duration>", "re-check period while the state is changing (--watch)")
    .option("--success-threshold <n>", "consecutive successes to go up (--watch)", "1")
    .option("--failure-threshold <n>", "consecutive failures to go down (--watch)", "1");
}

/** An ad hoc subcommand for an anycastd kind, with its tries/interval rule. */
function retryCommand(name: string) {
  return adHocCommand(name)
    .option("--tries <n>", "attempts per run, as anycastd's tries", "1")
    .option("--interval <duration>", "pause between tries", "100ms");
}

/** `check` also has --json and takes it when it follows the kind; honour it either way. */
function withParent<T extends CommonOptions>(
  o: T,
  cmd: { parent: { opts(): { json?: boolean } } | null },
): T {
  return cmd.parent?.opts().json ? { ...o, json: true } : o;
}

function printResult(
  ctx: CliContext,
  handler: HandlerConfig,
  result: ProbeResult,
  json: boolean,
): void {
  if (json) {
    ctx.out(
      JSON.stringify({
        handler: handler.kind,
        target: handlerTarget(handler),
        ...jsonResult(result),
      }) + "\n",
    );
    return;
  }
  ctx.out(`${result.ok ? "ok  " : "FAIL"}  ${result.reason}\n`);
  const figures = Object.entries(result.figures);
  if (figures.length > 0) {
    ctx.out(
      `      ${
        figures.map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toFixed(3)}`).join(" ")
      }\n`,
    );
  }
}

function jsonResult(r: ProbeResult) {
  return {
    ok: r.ok,
    durationMs: Math.round(r.durationMs * 1000) / 1000,
    reason: r.reason,
    figures: r.figures,
  };
}

function stamp(): string {
  return new Date().toISOString().slice(11, 23);
}

async function runAdHoc(
  ctx: CliContext,
  setExit: (code: number) => void,
  build: () => HandlerConfig,
  o: CommonOptions,
): Promise<void> {
  const handler = usage(build);
  const timeoutMs = duration("--timeout", o.timeout);
  const hardTimeoutMs = "tries" in handler
    ? Math.max(1, handler.tries) * (handler.timeoutMs + handler.intervalMs) + 1000
    : timeoutMs;
  if (!o.watch) {
    const result = await runOnce(handler, hardTimeoutMs, ctx.signal);
    printResult(ctx, handler, result, o.json ?? false);
    setExit(result.ok ? ExitCode.Ok : ExitCode.Failed);
    return;
  }
  const periodMs = duration("--period", o.period);
  if (periodMs <= 0) throw new UsageError("--period must be more than 0");
  const fastPeriodMs = o.fastPeriod !== undefined
    ? duration("--fast-period", o.fastPeriod)
    : undefined;
  const state = await watch(handler, ctx.signal, {
    periodMs,
    ...(fastPeriodMs !== undefined ? { fastPeriodMs } : {}),
    timeoutMs: hardTimeoutMs,
    successThreshold: integer("--success-threshold", o.successThreshold, 1, 100),
    failureThreshold: integer("--failure-threshold", o.failureThreshold, 1, 100),
    onResult: (result, st, transition) => {
      if (o.json) {
        ctx.out(
          JSON.stringify({
            time: new Date().toISOString(),
            ...jsonResult(result),
            state: st.status,
            ...(transition ? { transition } : {}),
          }) + "\n",
        );
        return;
      }
      ctx.out(`${stamp()}  ${result.ok ? "ok  " : "FAIL"}  ${result.reason}\n`);
      if (transition) ctx.out(`${stamp()}  state ${transition}\n`);
    },
  });
  setExit(state.status === "up" ? ExitCode.Ok : ExitCode.Failed);
}

async function runFromConfig(
  ctx: CliContext,
  setExit: (code: number) => void,
  opts: {
    config?: string;
    prefix?: string;
    probe?: "startup" | "liveness" | "readiness";
    json?: boolean;
  },
): Promise<void> {
  const path = opts.config ?? ctx.env("CONFIG_PATH");
  if (path === undefined || path === "") {
    throw new UsageError(
      "check: give --config FILE (or set CONFIG_PATH), or an ad hoc kind such as `check http URL`",
    );
  }
  let loaded: Awaited<ReturnType<typeof loadConfig>>;
  try {
    loaded = await loadConfig(path);
  } catch (e) {
    throw new UsageError(
      `check: cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  if (!loaded.ok) {
    for (const e of loaded.errors) ctx.err(`${formatConfigError(e)}\n`);
    setExit(ExitCode.Failed);
    return;
  }
  const config: AnycastConfig = loaded.config;
  const selection = {
    ...(opts.prefix !== undefined ? { prefix: opts.prefix } : {}),
    ...(opts.probe !== undefined ? { probe: opts.probe } : {}),
  };
  const items = usage(() => selectChecks(config, selection));
  const rows = await runChecks(items, ctx.signal);
  const verdicts = serviceVerdicts(config, rows);
  if (opts.json) {
    ctx.out(JSON.stringify({ probes: rows.map(rowToJson), services: verdicts }, null, 2) + "\n");
  } else {
    ctx.out(formatTable(rows));
    for (const v of verdicts) ctx.out(`service ${v.service}: ${v.reason}\n`);
  }
  setExit(rows.every((r) => r.result.ok) ? ExitCode.Ok : ExitCode.Failed);
}

export function checkCommand(ctx: CliContext, setExit: (code: number) => void) {
  const check = new Command("check")
    .description("run health probes once (from a config or ad hoc) and report; --watch keeps going")
    .option("-c, --config <path>", "config file (else $CONFIG_PATH)")
    .option("--prefix <prefix>", "only this prefix (CIDR or name) or anycastd service")
    .addOption(
      new Option("--probe <kind>", "only this probe").choices(
        ["startup", "liveness", "readiness"] as const,
      ),
    )
    .option("--json", "print the results as JSON")
    .addHelpText(
      "after",
      `
Each selected probe runs once, now, with no initial delay and its real
timeout. Output: one table row per probe (prefix/service, probe, handler,
target, result, duration, reason); anycastd services also get their
strategy verdict. Run \`anycast check <kind> --help\` for ad hoc checks.`,
    )
    .action((opts) => runFromConfig(ctx, setExit, opts));

  check.addCommand(
    adHocCommand("http")
      .description("HTTP(S) GET a URL; passes on 200-399 unless --expect")
      .argument("<url>", "http:// or https:// URL")
      .option("--expect <statuses>", "accepted statuses: 200,204 or 200-299")
      .option("--header <name:value>", "request header (repeatable); Host is really sent", collect)
      .option("--method <method>", "request method", "GET")
      .option("--body <text>", "request body")
      .option("--match <regex>", "the body must match this regular expression")
      .option("-k, --insecure", "skip TLS certificate verification")
      .action((url, o, cmd) =>
        runAdHoc(ctx, setExit, () =>
          httpFromUrl(url, {
            ...(o.expect !== undefined ? { expect: o.expect } : {}),
            ...(o.header !== undefined ? { header: o.header } : {}),
            method: o.method,
            ...(o.body !== undefined ? { body: o.body } : {}),
            ...(o.match !== undefined ? { match: o.match } : {}),
            insecure: o.insecure ?? false,
          }), withParent(o, cmd))
      ),
  );

  check.addCommand(
    adHocCommand("tcp")
      .description("connect to HOST:PORT; optionally send text and expect a reply")
      .argument("<address>", "HOST:PORT or [V6]:PORT")
      .option("--send <text>", "text to send after connecting")
      .option("--expect <text>", "substring the reply must contain")
      .action((address, o, cmd) =>
        runAdHoc(ctx, setExit, () => {
          const { host, port } = splitHostPort(address);
          return {
            kind: "tcp",
            host,
            port,
            ...(o.send !== undefined ? { send: o.send } : {}),
            ...(o.expect !== undefined ? { expect: o.expect } : {}),
          };
        }, withParent(o, cmd))
      ),
  );

  check.addCommand(
    adHocCommand("grpc")
      .description("grpc.health.v1 Check on HOST:PORT; only SERVING passes")
      .argument("<address>", "HOST:PORT")
      .option("--service <name>", "service name to ask about", "")
      .option("--tls", "use TLS")
      .option("-k, --insecure", "skip TLS certificate verification")
      .action((address, o, cmd) =>
        runAdHoc(ctx, setExit, () => {
          const { host, port } = splitHostPort(address);
          return {
            kind: "grpc",
            host,
            port,
            service: o.service,
            tls: o.tls ?? false,
            insecureSkipVerify: o.insecure ?? false,
          };
        }, withParent(o, cmd))
      ),
  );

  check.addCommand(
    adHocCommand("exec")
      .description("run a command (no shell); passes on exit code 0 unless --exit-codes")
      .argument("<command...>", "command and arguments (put them after --)")
      .option("--exit-codes <codes>", "accepted exit codes, comma separated", "0")
      .option("--cwd <dir>", "working directory")
      .option("--env <name=value>", "environment variable (repeatable)", collect)
      .action((words, o, cmd) =>
        runAdHoc(ctx, setExit, () => {
          const [command, ...args] = words;
          if (command === undefined) throw new UsageError("exec: give the command after --");
          const env: Record<string, string> = {};
          for (const pair of o.env ?? []) {
            const at = pair.indexOf("=");
            if (at <= 0) throw new UsageError(`--env: expected NAME=value, got "${pair}"`);
            env[pair.slice(0, at)] = pair.slice(at + 1);
          }
          return {
            kind: "exec",
            command,
            args,
            env,
            exitCodes: o.exitCodes.split(",").map((c) => integer("--exit-codes", c.trim(), 0, 255)),
            ...(o.cwd !== undefined ? { workingDir: o.cwd } : {}),
          };
        }, withParent(o, cmd))
      ),
  );

  check.addCommand(
    retryCommand("dns")
      .description(
        "anycastd dns_lookup: ask a resolver; passes when an answer of the type comes back",
      )
      .argument("<name>", "name to look up")
      .requiredOption("--resolver <host:port>", "resolver to ask, e.g. 127.0.0.1:53")
      .addOption(
        new Option("--type <type>", "record type").choices(
          ["A", "AAAA", "CNAME", "MX", "NS", "PTR", "SOA", "SRV", "TXT"] as const,
        )
          .default("A" as const),
      )
      .action((name, o, cmd) =>
        runAdHoc(ctx, setExit, () => {
          splitHostPort(o.resolver, 53);
          return {
            kind: "dns_lookup",
            query: name,
            resolver: o.resolver,
            recordType: o.type,
            ...retry(o),
          };
        }, withParent(o, cmd))
      ),
  );

  check.addCommand(
    retryCommand("tls")
      .description("anycastd tls_certificate: check the leaf certificate of a server or a PEM file")
      .argument("[address]", "HOST:PORT of a TLS server (or use --file)")
      .option("--file <path>", "PEM file instead of a server")
      .option("--sni <name>", "server name to send (default the host when it is a name)")
      .option("--cn <name>", "expected subject common name")
      .option("--dns-name <name>", "DNS name the certificate must carry (repeatable)", collect)
      .option("--ip <address>", "IP address the certificate must carry (repeatable)", collect)
      .option("--issuer <name>", "expected issuer common name")
      .option("--warn <duration>", "fail when it expires within this time, e.g. 720h", "0")
      .option(
        "-k, --insecure",
        "do not verify the chain (names, dates and issuer are still checked)",
      )
      .action((address, o, cmd) =>
        runAdHoc(ctx, setExit, () => {
          if ((address === undefined) === (o.file === undefined)) {
            throw new UsageError("tls: give either HOST:PORT or --file");
          }
          const source = o.file !== undefined ? { local: { path: o.file } } : (() => {
            const { host, port } = splitHostPort(address!, 443);
            return {
              remote: {
                host,
                port,
                ...(o.sni !== undefined ? { serverName: o.sni } : {}),
                insecure: o.insecure ?? false,
              },
            };
          })();
          return {
            kind: "tls_certificate",
            ...source,
            ...(o.cn !== undefined ? { commonName: o.cn } : {}),
            dnsNames: o.dnsName ?? [],
            ipAddresses: o.ip ?? [],
            ...(o.issuer !== undefined ? { issuer: o.issuer } : {}),
            expiryWarningMs: duration("--warn", o.warn),
            ...retry(o),
          };
        }, withParent(o, cmd))
      ),
  );

  check.addCommand(
    adHocCommand("address")
      .description("anycastd assigned_address: the address is configured on this host")
      .option("--ipv4 <address>", "IPv4 address that must be assigned")
      .option("--ipv6 <address>", "IPv6 address that must be assigned")
      .option("--interface <name>", "interface that must hold it")
      .action((o, cmd) =>
        runAdHoc(ctx, setExit, () => {
          if (o.ipv4 === undefined && o.ipv6 === undefined) {
            throw new UsageError("address: give --ipv4 and/or --ipv6");
          }
          return {
            kind: "assigned_address",
            ...(o.ipv4 !== undefined ? { ipv4: o.ipv4 } : {}),
            ...(o.ipv6 !== undefined ? { ipv6: o.ipv6 } : {}),
            ...(o.interface !== undefined ? { interface: o.interface } : {}),
          };
        }, withParent(o, cmd))
      ),
  );

  check.addCommand(
    retryCommand("ping")
      .description("anycastd icmp_ping: ICMP echo; reports loss and rtt min/avg/max/stddev")
      .argument("<host>", "host or address")
      .option("--count <n>", "echo requests per try", "3")
      .option("--echo-interval <duration>", "gap between echo requests", "100ms")
      .option("--max-loss <percent>", "highest acceptable loss", "0")
      .action((host, o, cmd) =>
        runAdHoc(ctx, setExit, () => ({
          kind: "icmp_ping",
          host,
          count: integer("--count", o.count, 1, 100),
          maxLossPercent: integer("--max-loss", o.maxLoss, 0, 100),
          ...retry(o),
          intervalMs: duration("--echo-interval", o.echoInterval),
        }), withParent(o, cmd))
      ),
  );

  check.addCommand(
    retryCommand("tftp")
      .description("anycastd tftp_rrq: download a file over TFTP (RFC 1350)")
      .argument("<url>", "tftp://HOST[:PORT]/FILE")
      .option("--sha256 <hex>", "expected SHA-256 of the file")
      .action((url, o, cmd) =>
        runAdHoc(ctx, setExit, () => {
          if (!url.startsWith("tftp://")) {
            throw new UsageError(`tftp: expected a tftp:// URL, got "${url}"`);
          }
          if (o.sha256 !== undefined && !/^[0-9a-f]{64}$/i.test(o.sha256)) {
            throw new UsageError("--sha256: expected 64 hex digits");
          }
          return {
            kind: "tftp_rrq",
            url,
            ...(o.sha256 !== undefined ? { sha256: o.sha256 } : {}),
            ...retry(o),
          };
        }, withParent(o, cmd))
      ),
  );

  check.addCommand(
    retryCommand("ntp")
      .description("anycastd ntpq: SNTP query; fails when |offset| is beyond --max-offset")
      .argument("<server>", "HOST[:PORT]")
      .option("--src <address>", "source address to send from")
      .option("--max-offset <duration>", "offset threshold", "125ms")
      .action((server, o, cmd) =>
        runAdHoc(ctx, setExit, () => {
          splitHostPort(server, 123);
          return {
            kind: "ntpq",
            server,
            ...(o.src !== undefined ? { srcAddr: o.src } : {}),
            offsetThresholdMs: duration("--max-offset", o.maxOffset),
            ...retry(o),
          };
        }, withParent(o, cmd))
      ),
  );

  return check;
}
