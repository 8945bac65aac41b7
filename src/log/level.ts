/**
 * Log level names: ours (LogTape's), Periphery's `warn`, and anycastd's
 * LOG_LEVEL values TRACE DEBUG INFO WARNING ERROR FATAL PANIC.
 *
 * @module
 */
import type { LogLevel } from "../config/model.ts";

const ALIASES: Readonly<Record<string, LogLevel>> = {
  trace: "trace",
  debug: "debug",
  info: "info",
  warn: "warning",
  warning: "warning",
  error: "error",
  fatal: "fatal",
  // anycastd (logrus) has PANIC above FATAL; both mean "only the worst".
  panic: "fatal",
};

/** Parse a level name in any accepted spelling, case-insensitively. Throws `TypeError`. */
export function parseLevelName(name: string): LogLevel {
  const level = ALIASES[name.trim().toLowerCase()];
  if (!level) {
    throw new TypeError(
      `Cannot parse log level "${name}": expected one of TRACE, DEBUG, INFO, WARNING, ERROR, FATAL, PANIC`,
    );
  }
  return level;
}

/** RFC 5424 section 6.2.1 severities for our levels (trace has none below debug). */
export const SYSLOG_SEVERITY: Readonly<Record<LogLevel, number>> = {
  fatal: 2,
  error: 3,
  warning: 4,
  info: 6,
  debug: 7,
  trace: 7,
};
