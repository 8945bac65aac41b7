import { Command } from "@commander-js/extra-typings";
import type { CliContext } from "../src/cli/context.ts";
import { ExitCode } from "../src/cli/context.ts";
import { VERSION } from "../src/cli/version.ts";
import {
  formatConfigError,
  formatConfigWarning,
  loadConfig,
  resolveConfigPath,
} from "../src/config/mod.ts";
import { Daemon, type DaemonLog } from "../src/daemon/mod.ts";
import { ControlConfigError } from "../src/control/mod.ts";
import { getLogger, setupLogging } from "../src/log/mod.ts";

/** Shutdown must end within this (plus the longest drain time); then we exit anyway. */
const STOP_BUDGET_MS = 10_000;

/** LogTape reads `{name}` as a placeholder: a literal message doubles its braces. */
function literal(message: string): string {
  return message.replaceAll("{", "{{").replaceAll("}", "}}");
}

function daemonLog(): DaemonLog {
  const logger = getLogger(["anycast", "daemon"]);
  return (level, message) => {
    const text = literal(message);
    switch (level) {
      case "debug":
        return logger.debug(text);
      case "info":
        return logger.info(text);
      case "warning":
        return logger.warn(text);
      case "error":
        return logger.error(text);
    }
  };
}

type RunEvent = "stop" | "reload";

/**
 * `anycast run`: the daemon. SIGTERM/SIGINT (or ctx.signal) stop it
 * gracefully (a second one exits at once: main.ts), SIGHUP reloads the config.
 */
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
      let config = loaded.config;
      // The anycastd dialect has no api block: $ANYCAST_SOCKET (as for the client) places the socket.
      const socketFromEnv = ctx.env("ANYCAST_SOCKET");
      if (config.dialect === "anycastd" && socketFromEnv) {
        config = { ...config, api: { ...config.api, socket: socketFromEnv } };
      }
      const env = (name: string) =>
        name === "LOG_LEVEL" && opts.logLevel !== undefined ? opts.logLevel : ctx.env(name);
      let logging: AsyncDisposable;
      try {
        logging = await setupLogging(config.logging, { env, writeStderr: (t) => ctx.err(t) });
      } catch (e) {
        ctx.err(`anycast run: ${e instanceof Error ? e.message : String(e)}\n`);
        setExit(ExitCode.Failed);
        return;
      }
      await using _logging = logging;
      const log = daemonLog();
      for (const w of loaded.warnings) log("warning", `config: ${formatConfigWarning(w)}`);
      const daemon = new Daemon({
        config,
        log,
        restarting: opts.restarting === true,
        version: VERSION,
        controlApi: true,
      });
      // Signals are taken before the (possibly long) start, so a SIGTERM during it is
      // acted on as soon as the start is done, never lost or left to the default action.
      const events = new RunEvents(ctx.signal);
      try {
        await daemon.start();
      } catch (e) {
        events.close();
        const what = e instanceof ControlConfigError ? "config error" : "cannot start";
        ctx.err(`anycast run: ${what}: ${e instanceof Error ? e.message : String(e)}\n`);
        setExit(ExitCode.Failed);
        return;
      }
      try {
        for (;;) {
          const event = await events.next();
          if (event === "stop") break;
          await daemon.reloadFrom(path);
        }
        // A second SIGTERM/SIGINT exits at once (main.ts, code 130).
        const drainMs = Math.max(0, ...daemon.config.prefixes.map((p) => p.drainMs));
        const stopped = daemon.stop(opts.gracefulExit === true ? { keepRoutes: true } : {});
        const inTime = await Promise.race([
          stopped.then(() => true),
          new Promise<false>((r) => setTimeout(() => r(false), STOP_BUDGET_MS + drainMs).unref()),
        ]);
        if (!inTime) {
          log("error", `shutdown took longer than ${STOP_BUDGET_MS + drainMs} ms: exiting`);
          setExit(ExitCode.Failed);
          return;
        }
      } finally {
        events.close();
      }
      setExit(ExitCode.Ok);
    });
}

/**
 * The process signals `anycast run` reacts to. The handlers live only while
 * the daemon runs, so other subcommands keep the default behaviour.
 */
class RunEvents {
  #queue: RunEvent[] = [];
  #wake: (() => void) | undefined;
  #signal: AbortSignal;
  #onStop = () => this.#push("stop");
  #onHup = () => this.#push("reload");

  constructor(signal: AbortSignal) {
    this.#signal = signal;
    for (const s of ["SIGTERM", "SIGINT"] as const) Deno.addSignalListener(s, this.#onStop);
    Deno.addSignalListener("SIGHUP", this.#onHup);
    signal.addEventListener("abort", this.#onStop, { once: true });
    if (signal.aborted) this.#push("stop");
  }

  async next(): Promise<RunEvent> {
    while (this.#queue.length === 0) await new Promise<void>((r) => (this.#wake = r));
    return this.#queue.shift()!;
  }

  #push(event: RunEvent): void {
    this.#queue.push(event);
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  close(): void {
    for (const s of ["SIGTERM", "SIGINT"] as const) Deno.removeSignalListener(s, this.#onStop);
    Deno.removeSignalListener("SIGHUP", this.#onHup);
    this.#signal.removeEventListener("abort", this.#onStop);
  }
}
