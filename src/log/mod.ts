/**
 * Logging on LogTape: drivers stderr (default), file, syslog, journald and
 * none; formats text and json; LOG_LEVEL overrides the configured level.
 *
 * @module
 */
export { getLogger } from "@logtape/logtape";
export type { Logger } from "@logtape/logtape";
export { effectiveLevel, setupLogging, type SetupLoggingOptions } from "./setup.ts";
export { parseLevelName, SYSLOG_SEVERITY } from "./level.ts";
export { formatSyslogMessage, getSyslogSink, SYSLOG_FACILITY } from "./syslog.ts";
export {
  encodeJournalEntry,
  getJournaldSink,
  journalFieldName,
  journalFields,
} from "./journald.ts";
export { type DatagramSender, unixDatagramSender } from "./_unix_datagram.ts";
