/**
 * Configure LogTape from the config's `logging` block. One root logger
 * feeds one sink chosen by the driver; LOG_LEVEL overrides the level.
 *
 * @module
 */
import {
  configure,
  dispose,
  getJsonLinesFormatter,
  getTextFormatter,
  type LogRecord,
  type Sink,
} from "@logtape/logtape";
import { getFileSink } from "@logtape/file";
import type { LoggingConfig, LogLevel } from "../config/model.ts";
import { parseLevelName } from "./level.ts";
import { getSyslogSink } from "./syslog.ts";
import { getJournaldSink } from "./journald.ts";
import type { DatagramSender } from "./_unix_datagram.ts";

export interface SetupLoggingOptions {
  /** Environment lookup for LOG_LEVEL (default: none consulted). */
  env?: (name: string) => string | undefined;
  /** Where the stderr driver writes (default Deno.stderr). */
  writeStderr?: (text: string) => void;
  /** Transport for syslog/journald (default a unix datagram socket to the configured path). */
  sender?: DatagramSender;
  /** syslog APP-NAME and journald SYSLOG_IDENTIFIER (default "anycast"). */
  appName?: string;
  /** syslog HOSTNAME (default Deno.hostname()). */
  hostname?: string;
}

/** The level in effect: LOG_LEVEL (anycastd's names accepted) wins over the config. */
export function effectiveLevel(cfg: LoggingConfig, env?: (name: string) => string | undefined) {
  const fromEnv = env?.("LOG_LEVEL");
  return fromEnv !== undefined && fromEnv !== "" ? parseLevelName(fromEnv) : cfg.level;
}

function formatterFor(cfg: LoggingConfig, forDaemon: boolean): (record: LogRecord) => string {
  if (cfg.format === "json") return getJsonLinesFormatter({ categorySeparator: "." });
  // syslog and journald stamp time and severity themselves.
  return forDaemon
    ? getTextFormatter({
      timestamp: "none",
      value: "bare",
      level: () => "",
      category: ".",
      format: ({ category, message }) => `${category}: ${message}`,
    })
    : getTextFormatter({ timestamp: "date-time-timezone", category: ".", value: "bare" });
}

function stderrSink(cfg: LoggingConfig, write: (text: string) => void): Sink {
  const format = formatterFor(cfg, false);
  return (record) => write(format(record));
}

const encoder = new TextEncoder();
function writeStderr(text: string): void {
  try {
    let bytes = encoder.encode(text);
    while (bytes.length > 0) bytes = bytes.subarray(Deno.stderr.writeSync(bytes));
  } catch {
    // Nowhere left to report a failure to log.
  }
}

/**
 * Configure logging (replacing any earlier configuration). Dispose the
 * result to flush and close sinks.
 */
export async function setupLogging(
  cfg: LoggingConfig,
  options: SetupLoggingOptions = {},
): Promise<AsyncDisposable> {
  const level: LogLevel = effectiveLevel(cfg, options.env);
  const app = options.appName ?? "anycast";
  let sink: Sink | undefined;
  switch (cfg.driver) {
    case "none":
      break;
    case "stderr":
      sink = stderrSink(cfg, options.writeStderr ?? writeStderr);
      break;
    case "file":
      if (cfg.file === undefined) {
        throw new TypeError("Cannot log to a file: logging.file is not set");
      }
      sink = getFileSink(cfg.file, { formatter: formatterFor(cfg, false), lazy: true });
      break;
    case "syslog":
      sink = getSyslogSink({
        formatter: formatterFor(cfg, true),
        appName: app,
        ...(cfg.socket !== undefined ? { socket: cfg.socket } : {}),
        ...(cfg.syslogFormat !== undefined ? { format: cfg.syslogFormat } : {}),
        ...(cfg.facility !== undefined ? { facility: cfg.facility } : {}),
        ...(options.hostname !== undefined ? { hostname: options.hostname } : {}),
        ...(options.sender !== undefined ? { sender: options.sender } : {}),
      });
      break;
    case "journald":
      sink = getJournaldSink({
        formatter: formatterFor(cfg, true),
        identifier: app,
        ...(cfg.socket !== undefined ? { socket: cfg.socket } : {}),
        ...(options.sender !== undefined ? { sender: options.sender } : {}),
      });
      break;
  }
  const sinks: Record<string, Sink> = sink ? { main: sink } : {};
  await configure<string, string>({
    reset: true,
    sinks,
    loggers: [
      { category: [], sinks: sink ? ["main"] : [], lowestLevel: level },
      // LogTape's own notices ("LogTape loggers are configured...") stay quiet.
      { category: ["logtape", "meta"], sinks: sink ? ["main"] : [], lowestLevel: "warning" },
    ],
  });
  return { [Symbol.asyncDispose]: () => dispose() };
}
