/**
 * syslog sink: RFC 5424 (default) or RFC 3164 messages, one per unix
 * datagram, to /dev/log or a configured socket.
 *
 * @module
 */
import type { LogRecord, Sink } from "@logtape/logtape";
import type { SyslogFacility } from "../config/model.ts";
import { SYSLOG_SEVERITY } from "./level.ts";
import { type DatagramSender, unixDatagramSender } from "./_unix_datagram.ts";

/** RFC 5424 section 6.2.1 facility codes. */
export const SYSLOG_FACILITY: Readonly<Record<SyslogFacility, number>> = {
  kern: 0,
  user: 1,
  daemon: 3,
  auth: 4,
  syslog: 5,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
};

export interface SyslogMessageOptions {
  /** Wire format (default "rfc5424"). */
  format?: "rfc5424" | "rfc3164";
  /** Facility (default "daemon"). */
  facility?: SyslogFacility;
  /** APP-NAME / TAG (default "anycast"). */
  appName?: string;
  /** HOSTNAME field of RFC 5424 (default Deno.hostname(), "-" when unknown). */
  hostname?: string;
  /** PROCID (default Deno.pid). */
  pid?: number;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** RFC 3164 4.1.2 TIMESTAMP "Mmm dd hh:mm:ss" (local time, day space-padded). */
function bsdTimestamp(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, " ")} ${two(d.getHours())}:${
    two(d.getMinutes())
  }:${two(d.getSeconds())}`;
}

/** RFC 5424 6.2.5: printable US-ASCII, at most 32 characters, "-" when empty. */
function header(text: string, max: number): string {
  const clean = text.replace(/[^\x21-\x7e]/g, "_").slice(0, max);
  return clean === "" ? "-" : clean;
}

/**
 * Build one syslog message for `record` whose body is `body` (the formatted
 * log line without its trailing newline).
 */
export function formatSyslogMessage(
  record: LogRecord,
  body: string,
  options: SyslogMessageOptions = {},
): string {
  const facility = SYSLOG_FACILITY[options.facility ?? "daemon"];
  const pri = facility * 8 + SYSLOG_SEVERITY[record.level];
  const app = options.appName ?? "anycast";
  const pid = options.pid ?? Deno.pid;
  if (options.format === "rfc3164") {
    // RFC 3164 4.1: "<PRI>TIMESTAMP TAG[PID]: MSG"; the local syslog daemon
    // adds HOSTNAME itself, as glibc's syslog(3) relies on.
    return `<${pri}>${bsdTimestamp(record.timestamp)} ${app}[${pid}]: ${body}`;
  }
  // RFC 5424 6: "<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG".
  const hostname = header(options.hostname ?? safeHostname(), 255);
  const msgid = header(record.category.join("."), 32);
  const timestamp = new Date(record.timestamp).toISOString();
  return `<${pri}>1 ${timestamp} ${hostname} ${header(app, 48)} ${pid} ${msgid} - ${body}`;
}

function safeHostname(): string {
  try {
    return Deno.hostname();
  } catch {
    return "-";
  }
}

export interface SyslogSinkOptions extends SyslogMessageOptions {
  /** Socket path (default "/dev/log"). */
  socket?: string;
  /** Renders the message body (text or JSON line). */
  formatter: (record: LogRecord) => string;
  /** Transport; default a unix datagram socket to `socket`. */
  sender?: DatagramSender;
}

/** A LogTape sink sending each record as one syslog datagram; dispose to flush. */
export function getSyslogSink(options: SyslogSinkOptions): Sink & AsyncDisposable {
  const sender = options.sender ?? unixDatagramSender(options.socket ?? "/dev/log");
  const encoder = new TextEncoder();
  const sink = (record: LogRecord) => {
    const body = options.formatter(record).replace(/\n+$/, "");
    sender.send(encoder.encode(formatSyslogMessage(record, body, options)));
  };
  return Object.assign(sink, { [Symbol.asyncDispose]: () => sender.close() });
}
