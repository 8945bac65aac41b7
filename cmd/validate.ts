/**
 * `anycast validate FILE...`: check config files (either dialect) for CI.
 * Exit 0 when all are valid, 1 when any is invalid, 2 on usage errors
 * (no file given, a file that cannot be read).
 *
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import { type CliContext, ExitCode, UsageError } from "../src/cli/context.ts";
import {
  type AnycastConfig,
  type ConfigError,
  formatConfigError,
  formatConfigWarning,
  parseConfig,
} from "../src/config/mod.ts";

interface FileReport {
  file: string;
  ok: boolean;
  dialect?: string;
  prefixes?: number;
  neighbors?: number;
  probes?: number;
  errors: ConfigError[];
  /** Valid but probably not meant; never change the exit code. */
  warnings: ConfigError[];
}

/** Probes the daemon will run: native per-prefix probes, or anycastd service checks. */
export function countProbes(config: AnycastConfig): number {
  const perPrefix = config.prefixes.reduce(
    (n, p) => n + [p.startupProbe, p.livenessProbe, p.readinessProbe].filter(Boolean).length,
    0,
  );
  return perPrefix + config.services.reduce((n, s) => n + s.checks.length, 0);
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export function validateCommand(ctx: CliContext, setExit: (code: number) => void) {
  return new Command("validate")
    .description("check config files (native or anycastd dialect) and report every error")
    .argument("[files...]", "config files (YAML or JSON); default --config or $CONFIG_PATH")
    .option("-c, --config <path>", "config file when no FILE is given (else $CONFIG_PATH)")
    .option("--json", "print one JSON report for all files on stdout")
    .option("--print", "print the normalised config as JSON")
    .addHelpText(
      "after",
      `
Output: "FILE: ok (native dialect, 2 prefixes, 1 neighbor, 2 probes)" or one
"FILE:LINE:COL: PATH: MESSAGE" line per error.`,
    )
    .action(async (files, opts) => {
      const paths = files.length > 0 ? files : [opts.config ?? ctx.env("CONFIG_PATH") ?? ""];
      if (paths[0] === "") {
        throw new UsageError(
          "validate: no config file given (pass FILE, --config or set CONFIG_PATH)",
        );
      }
      const reports: FileReport[] = [];
      const configs: AnycastConfig[] = [];
      let unreadable = false;
      for (const file of paths) {
        let text: string;
        try {
          text = await Deno.readTextFile(file);
        } catch (e) {
          unreadable = true;
          const reason = e instanceof Deno.errors.NotFound
            ? "no such file"
            : e instanceof Error
            ? e.message
            : String(e);
          const error = {
            file,
            line: 1,
            column: 1,
            path: "",
            message: `Cannot read file: ${reason}`,
          };
          reports.push({ file, ok: false, errors: [error], warnings: [] });
          if (!opts.json) ctx.err(`anycast validate: ${file}: cannot read file: ${reason}\n`);
          continue;
        }
        const result = parseConfig(text, file);
        if (result.ok) {
          const report = {
            file,
            ok: true,
            dialect: result.dialect,
            prefixes: result.config.prefixes.length,
            neighbors: result.config.neighbors.length,
            probes: countProbes(result.config),
            errors: [],
            warnings: result.warnings,
          };
          reports.push(report);
          configs.push(result.config);
          if (!opts.json) {
            for (const w of result.warnings) ctx.err(`${formatConfigWarning(w)}\n`);
          }
          if (!opts.json && !opts.print) {
            ctx.out(
              `${file}: ok (${result.dialect} dialect, ${
                plural(report.prefixes, "prefix", "prefixes")
              }, ${plural(report.neighbors, "neighbor", "neighbors")}, ${
                plural(report.probes, "probe", "probes")
              }${
                report.warnings.length > 0
                  ? `, ${plural(report.warnings.length, "warning", "warnings")}`
                  : ""
              })\n`,
            );
          }
        } else {
          reports.push({ file, ok: false, errors: result.errors, warnings: [] });
          if (!opts.json) { for (const e of result.errors) ctx.err(`${formatConfigError(e)}\n`); }
        }
      }
      if (opts.json) {
        ctx.out(`${JSON.stringify(reports, null, 2)}\n`);
      } else if (opts.print) {
        const printed = configs.length === 1 ? configs[0] : configs;
        if (configs.length > 0) ctx.out(`${JSON.stringify(printed, null, 2)}\n`);
      }
      setExit(
        unreadable ? ExitCode.Usage : reports.every((r) => r.ok) ? ExitCode.Ok : ExitCode.Failed,
      );
    });
}
