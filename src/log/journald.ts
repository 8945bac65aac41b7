/**
 * journald sink speaking the native journal protocol
 * (systemd.io/JOURNAL_NATIVE_PROTOCOL): one datagram per entry of
 * `KEY=value\n` fields; a value containing a newline is sent as `KEY\n`,
 * its length as 64-bit little-endian, the bytes, then `\n`.
 *
 * @module
 */
import type { LogRecord, Sink } from "@logtape/logtape";
import { SYSLOG_SEVERITY } from "./level.ts";
import { type DatagramSender, unixDatagramSender } from "./_unix_datagram.ts";

const encoder = new TextEncoder();

/** Field names: A-Z, 0-9 and _, not starting with _ or a digit, at most 64 bytes. */
export function journalFieldName(name: string): string {
  const upper = name.toUpperCase().replace(/[^A-Z0-9_]/g, "_").replace(/^[_0-9]+/, "");
  return (upper === "" ? "FIELD" : upper).slice(0, 64);
}

/** Encode one journal entry. */
export function encodeJournalEntry(fields: ReadonlyArray<readonly [string, string]>): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [name, value] of fields) {
    if (!value.includes("\n")) {
      parts.push(encoder.encode(`${name}=${value}\n`));
      continue;
    }
    const bytes = encoder.encode(value);
    const length = new Uint8Array(8);
    new DataView(length.buffer).setBigUint64(0, BigInt(bytes.length), true);
    parts.push(encoder.encode(`${name}\n`), length, bytes, encoder.encode("\n"));
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export interface JournaldSinkOptions {
  /** Socket path (default "/run/systemd/journal/socket"). */
  socket?: string;
  /** Renders MESSAGE (text or JSON). */
  formatter: (record: LogRecord) => string;
  /** SYSLOG_IDENTIFIER (default "anycast"). */
  identifier?: string;
  /** Transport; default a unix datagram socket to `socket`. */
  sender?: DatagramSender;
}

/** The fields of one record: MESSAGE, PRIORITY, identifier, category and properties. */
export function journalFields(
  record: LogRecord,
  message: string,
  identifier = "anycast",
): [string, string][] {
  const fields: [string, string][] = [
    ["MESSAGE", message],
    ["PRIORITY", String(SYSLOG_SEVERITY[record.level])],
    ["SYSLOG_IDENTIFIER", identifier],
    ["ANYCAST_CATEGORY", record.category.join(".")],
  ];
  for (const [key, value] of Object.entries(record.properties)) {
    const text = typeof value === "string" ? value : JSON.stringify(value) ?? String(value);
    fields.push([`ANYCAST_${journalFieldName(key)}`, text]);
  }
  return fields;
}

/** A LogTape sink writing to journald; dispose to flush. */
export function getJournaldSink(options: JournaldSinkOptions): Sink & AsyncDisposable {
  const sender = options.sender ??
    unixDatagramSender(options.socket ?? "/run/systemd/journal/socket");
  const sink = (record: LogRecord) => {
    const message = options.formatter(record).replace(/\n+$/, "");
    sender.send(encodeJournalEntry(journalFields(record, message, options.identifier)));
  };
  return Object.assign(sink, { [Symbol.asyncDispose]: () => sender.close() });
}
