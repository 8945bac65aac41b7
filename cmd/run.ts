import { Command } from "@commander-js/extra-typings";
import type { CliContext } from "../src/cli/context.ts";
import { ExitCode } from "../src/cli/context.ts";
import { formatConfigError, loadConfig, resolveConfigPath } from "../src/config/mod.ts";
import { Daemon, stderrLogger } from "../src/daemon/mod.ts";

/** `anycast run`: the daemon. Runs until ctx.signal (SIGTERM/SIGINT), then withdraws and exits 0. */
export function runCommand(ctx: CliContext, setExit: (code: number) => void) {
  return new Command("run")
    .description("run the daemon: bring up BGP sessions and announce the configured prefixes")
    .option("-c, --config <file>", "config file (default $CONFIG_PATH, else /config.yaml)")
    .option(
      "--restarting",
      "this start follows a restart: set the graceful-restart R bit (RFC 4724)",
    )
    .option(
      "--graceful-exit",
      "on SIGTERM/SIGINT close sessions without withdrawing, so graceful-restart peers keep " +
        "the routes until the next start (start that one with --restarting)",
    )
    .option("--log-level <level>", "override logging.level (debug, info, warning, error)")
    .action(async (opts) => {
      const path = resolveConfigPath(opts.config, ctx.env);
      const loaded = await loadConfig(path);
      if (!loaded.ok) {
        for (const e of loaded.errors) ctx.err(formatConfigError(e) + "\n");
        setExit(ExitCode.Failed);
        return;
      }
      const config = loaded.config;
      const level = opts.logLevel ?? ctx.env("LOG_LEVEL") ?? config.logging.level;
      const known = ["trace", "debug", "info", "warning", "error", "fatal"] as const;
      const log = stderrLogger(
        known.find((k) => k === level) ?? "info",
        (text) => ctx.err(text),
      );
      const daemon = new Daemon({ config, log, restarting: opts.restarting === true });
      try {
        await daemon.start();
      } catch (e) {
        ctx.err(`anycast run: ${e instanceof Error ? e.message : String(e)}\n`);
        setExit(ExitCode.Failed);
        return;
      }
      await untilStopped(ctx.signal);
      await daemon.stop(opts.gracefulExit === true ? { keepRoutes: true } : {});
      setExit(ExitCode.Ok);
    });
}

/**
 * Waits for ctx.signal or SIGTERM/SIGINT. The signal handlers live only while
 * the daemon runs, so other subcommands keep the default (terminate) behaviour.
 */
async function untilStopped(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  const signals: Deno.Signal[] = ["SIGTERM", "SIGINT"];
  let done!: () => void;
  const stopped = new Promise<void>((resolve) => (done = resolve));
  for (const s of signals) Deno.addSignalListener(s, done);
  signal.addEventListener("abort", done, { once: true });
  try {
    await stopped;
  } finally {
    for (const s of signals) Deno.removeSignalListener(s, done);
    signal.removeEventListener("abort", done);
  }
}
