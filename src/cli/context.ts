/**
 * What a subcommand may touch of the outside world. Injected so commands run
 * in tests without exiting the process or writing to the real terminal.
 *
 * @module
 */

export interface CliContext {
  /** Write to standard output (no newline added). */
  out(text: string): void;
  /** Write to standard error (no newline added). */
  err(text: string): void;
  /** Environment lookup (CONFIG_PATH, LOG_LEVEL, ...). */
  env(name: string): string | undefined;
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM); commands that run long use it. */
  signal: AbortSignal;
}

/** Exit codes, documented in every `--help` and in README.md. */
export const ExitCode = {
  /** Success: config valid, every probe passed, daemon stopped cleanly. */
  Ok: 0,
  /** The thing checked is bad: invalid config, failed probe, daemon error. */
  Failed: 1,
  /** Usage error: unknown flag, missing argument, unreadable file name. */
  Usage: 2,
} as const;
export type ExitCode = typeof ExitCode[keyof typeof ExitCode];

/** A user error: bad flags or arguments. Exit 2 with a pointer to `--help`. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** The thing checked is bad (already reported to the user). Exit 1. */
export class CheckFailed extends Error {
  override name = "CheckFailed";
}
