/**
 * The `anycast` command line: one Commander program, one file per subcommand
 * under cmd/. `runCli` returns the exit code instead of exiting, so tests can
 * run any command in-process.
 *
 * @module
 */
import { Command, CommanderError } from "@commander-js/extra-typings";
import { type CliContext, ExitCode, UsageError } from "./context.ts";
import { versionString } from "./version.ts";
import { runCommand } from "../../cmd/run.ts";
import { checkCommand } from "../../cmd/check.ts";
import { validateCommand } from "../../cmd/validate.ts";
import { peersCommand } from "../../cmd/peers.ts";
import { announceCommand } from "../../cmd/announce.ts";
import { schemaCommand } from "../../cmd/schema.ts";
import { importCommand } from "../../cmd/import.ts";
import { completionsCommand } from "../../cmd/completions.ts";
import { demoCommand } from "../../cmd/demo.ts";
import { fleetCommand } from "../../cmd/fleet.ts";

export * from "./context.ts";

const EXIT_HELP = `
Exit codes:
  0  success
  1  the thing checked is bad (invalid config, failed probe, daemon error)
  2  usage error (unknown option, missing argument)`;

/** Help is wrapped at a fixed width so it reads the same everywhere (and snapshots hold). */
const HELP_WIDTH = 80;

export function buildCli(ctx: CliContext, setExit: (code: number) => void): Command {
  const output = {
    writeOut: ctx.out,
    writeErr: ctx.err,
    getOutHelpWidth: () => HELP_WIDTH,
    getErrHelpWidth: () => HELP_WIDTH,
  };
  const program = new Command("anycast")
    .description("BGP anycast health-check daemon: announce prefixes while services are healthy")
    .version(versionString(), "-V, --version", "print the version (and git revision)")
    .addHelpText("after", EXIT_HELP)
    .exitOverride()
    .configureOutput(output)
    .showHelpAfterError("(run with --help for usage)");
  for (
    const sub of [
      runCommand(ctx, setExit),
      checkCommand(ctx, setExit),
      validateCommand(ctx, setExit),
      peersCommand(ctx, setExit),
      announceCommand(ctx, setExit),
      fleetCommand(ctx, setExit),
      schemaCommand(ctx, setExit),
      importCommand(ctx, setExit),
      completionsCommand(ctx, setExit),
      demoCommand(ctx, setExit),
    ]
  ) {
    // deno-lint-ignore no-explicit-any
    const command = sub as any;
    // addCommand() does not copy settings to subcommands: give each the same output and hints.
    program.addCommand(
      command.addHelpText("after", EXIT_HELP).exitOverride().configureOutput(output)
        .showHelpAfterError("(run with --help for usage)"),
    );
  }
  return program;
}

/** Run the CLI on `args` (without the program name) and return the exit code. */
export async function runCli(args: string[], ctx: CliContext): Promise<number> {
  let code: number = ExitCode.Ok;
  const program = buildCli(ctx, (c) => (code = c));
  try {
    await program.parseAsync(args, { from: "user" });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed" || e.code === "commander.version") return 0;
      if (e.code === "commander.help") return 0;
      return ExitCode.Usage;
    }
    if (e instanceof UsageError) {
      ctx.err(`anycast: ${e.message}\n(run with --help for usage)\n`);
      return ExitCode.Usage;
    }
    ctx.err(
      `anycast: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    );
    return ExitCode.Failed;
  }
}
