/**
 * `anycast import exabgp-healthcheck [options] -- ARGS...`: write the native
 * config equivalent to an ExaBGP healthcheck command line. Warnings (options
 * with no equivalent) go to stderr and into the file's header comment.
 * Exit 0 with a config that validates, 2 on bad input.
 *
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import { type CliContext, ExitCode, UsageError } from "../src/cli/context.ts";
import { formatConfigError, parseConfig } from "../src/config/mod.ts";
import type { ImportOptions, PeerSpec } from "../src/migrate/mod.ts";

const HELP_WIDTH = 80;

function exabgpHealthcheckCommand(ctx: CliContext, setExit: (code: number) => void) {
  return new Command("exabgp-healthcheck")
    .description("convert an ExaBGP healthcheck setup")
    .argument("[args...]", "the healthcheck's arguments, after --")
    .option(
      "--exabgp-conf <file>",
      "read neighbors, and healthcheck processes when no ARGS, from exabgp.conf",
    )
    .option("--asn <n>", "local AS (exabgp.conf local-as); default a placeholder")
    .option("--router-id <ip>", "BGP identifier (exabgp.conf router-id); default the next hop")
    .option(
      "--peer <address:asn>",
      "a neighbor (exabgp.conf neighbor), repeatable",
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .option("--schema <ref>", "$schema reference for the first comment line", "../docs/schema.json")
    .option("-o, --output <file>", "write the config to FILE instead of stdout")
    .addHelpText(
      "after",
      `
Examples:
  anycast import exabgp-healthcheck --asn 64600 --peer 192.0.2.254:64599 -- \\
    --cmd "curl -sf http://127.0.0.1/healthz" --ip 198.51.100.1 --rise 2 --fall 3
  anycast import exabgp-healthcheck -- python3 -m exabgp healthcheck --config /etc/hc.conf
  anycast import exabgp-healthcheck --exabgp-conf /etc/exabgp/exabgp.conf

--command CMD becomes an exec probe running /bin/sh -c CMD (our exec probe uses
no shell by itself). See docs/migration/exabgp-healthcheck.md.

Exit codes:
  0  config written (warnings, if any, on stderr and in its header)
  2  usage error: bad healthcheck arguments, unreadable exabgp.conf`,
    )
    .action(async (args, opts) => {
      // Loaded only here, so `anycast run` does not carry the converters in memory.
      const { importExabgpConf, importExabgpHealthcheck, parsePeer } = await import(
        "../src/migrate/mod.ts"
      );
      let asn: number | undefined;
      if (opts.asn !== undefined) {
        asn = Number(opts.asn);
        if (!/^[0-9]+$/.test(opts.asn) || asn < 1 || asn > 4294967295) {
          throw new UsageError(`import: --asn ${opts.asn}: expected an AS number 1-4294967295`);
        }
      }
      if (args.length === 0 && opts.exabgpConf === undefined) {
        throw new UsageError(
          "import exabgp-healthcheck: pass the healthcheck's arguments after --, or --exabgp-conf FILE",
        );
      }
      let confText: string | undefined;
      if (opts.exabgpConf !== undefined) {
        try {
          confText = await Deno.readTextFile(opts.exabgpConf);
        } catch (e) {
          throw new UsageError(
            `import: cannot read ${opts.exabgpConf}: ${
              e instanceof Deno.errors.NotFound ? "no such file" : String(e)
            }`,
          );
        }
      }
      let result;
      try {
        const peers: PeerSpec[] = (opts.peer ?? []).map(parsePeer);
        const options: ImportOptions = {
          ...(asn !== undefined ? { asn } : {}),
          ...(opts.routerId !== undefined ? { routerId: opts.routerId } : {}),
          peers,
          schemaRef: opts.schema,
        };
        result = confText !== undefined
          ? importExabgpConf(confText, options, args)
          : importExabgpHealthcheck(args, options);
      } catch (e) {
        if (e instanceof SyntaxError || e instanceof RangeError) {
          throw new UsageError(`import exabgp-healthcheck: ${e.message}`);
        }
        throw e;
      }
      // Never hand out a config the daemon would refuse.
      const check = parseConfig(result.yaml, opts.output ?? "<generated>");
      if (!check.ok) {
        throw new UsageError(
          `import exabgp-healthcheck: the result does not validate:\n${
            check.errors.map(formatConfigError).join("\n")
          }`,
        );
      }
      for (const w of result.warnings) ctx.err(`anycast import: warning: ${w}\n`);
      if (opts.output !== undefined) {
        try {
          await Deno.writeTextFile(opts.output, result.yaml);
        } catch (e) {
          throw new UsageError(
            `import: cannot write ${opts.output}: ${e instanceof Error ? e.message : String(e)}`,
          );
        }
      } else {
        ctx.out(result.yaml);
      }
      setExit(ExitCode.Ok);
    });
}

export function importCommand(ctx: CliContext, setExit: (code: number) => void) {
  const output = {
    writeOut: ctx.out,
    writeErr: ctx.err,
    getOutHelpWidth: () => HELP_WIDTH,
    getErrHelpWidth: () => HELP_WIDTH,
  };
  const sub = exabgpHealthcheckCommand(ctx, setExit)
    .exitOverride()
    .configureOutput(output)
    .showHelpAfterError("(run with --help for usage)");
  return new Command("import")
    .description("convert another tool's configuration into a native config")
    .addCommand(sub);
}
