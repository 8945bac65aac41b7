import assert from "node:assert/strict";
import { getLogger, type LogRecord } from "@logtape/logtape";
import {
  effectiveLevel,
  encodeJournalEntry,
  formatSyslogMessage,
  journalFieldName,
  parseLevelName,
  setupLogging,
} from "../../../src/log/mod.ts";
import type { LoggingConfig } from "../../../src/config/model.ts";

const decoder = new TextDecoder();

function record(overrides: Partial<LogRecord> = {}): LogRecord {
  return {
    category: ["anycast", "bgp"],
    level: "warning",
    message: ["peer 192.0.2.1 down"],
    rawMessage: "peer 192.0.2.1 down",
    timestamp: Date.UTC(2026, 0, 2, 3, 4, 5, 678),
    properties: {},
    ...overrides,
  };
}

function config(overrides: Partial<LoggingConfig>): LoggingConfig {
  return { driver: "stderr", format: "text", level: "info", ...overrides };
}

/** A unix datagram socket the test owns, standing in for /dev/log or journald. */
function listenUnix(): { path: string; conn: Deno.DatagramConn; cleanup: () => void } {
  const dir = Deno.makeTempDirSync({ prefix: "anycast-log-" });
  const path = `${dir}/sock`;
  const conn = Deno.listenDatagram({ path, transport: "unixpacket" });
  return {
    path,
    conn,
    cleanup: () => {
      conn.close();
      Deno.removeSync(dir, { recursive: true });
    },
  };
}

Deno.test("parseLevelName() accepts anycastd's LOG_LEVEL names and Periphery's warn", () => {
  assert.equal(parseLevelName("TRACE"), "trace");
  assert.equal(parseLevelName("DEBUG"), "debug");
  assert.equal(parseLevelName("INFO"), "info");
  assert.equal(parseLevelName("WARNING"), "warning");
  assert.equal(parseLevelName("warn"), "warning");
  assert.equal(parseLevelName("ERROR"), "error");
  assert.equal(parseLevelName("FATAL"), "fatal");
  assert.equal(parseLevelName("PANIC"), "fatal");
});

Deno.test("parseLevelName() rejects an unknown level with the accepted names", () => {
  assert.throws(
    () => parseLevelName("verbose"),
    /Cannot parse log level "verbose": expected one of TRACE/,
  );
});

Deno.test("effectiveLevel() lets LOG_LEVEL override the configured level", () => {
  assert.equal(effectiveLevel(config({ level: "info" }), () => "DEBUG"), "debug");
  assert.equal(effectiveLevel(config({ level: "error" }), () => undefined), "error");
  assert.equal(effectiveLevel(config({ level: "error" }), () => ""), "error");
});

Deno.test("formatSyslogMessage() writes RFC 5424 with PRI, version, host, app, pid, msgid", () => {
  const text = formatSyslogMessage(record(), "bgp: peer down", {
    hostname: "edge1",
    pid: 4242,
    facility: "daemon",
  });
  // daemon (3) * 8 + warning (4) = 28
  assert.equal(
    text,
    "<28>1 2026-01-02T03:04:05.678Z edge1 anycast 4242 anycast.bgp - bgp: peer down",
  );
});

Deno.test("formatSyslogMessage() writes RFC 3164 with TAG[PID] and no hostname", () => {
  const text = formatSyslogMessage(record({ level: "error" }), "boom", {
    format: "rfc3164",
    facility: "local3",
    pid: 7,
  });
  // local3 (19) * 8 + error (3) = 155
  assert.match(text, /^<155>[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d anycast\[7\]: boom$/);
});

Deno.test("encodeJournalEntry() uses KEY=value lines and the binary form for multi-line values", () => {
  const bytes = encodeJournalEntry([["MESSAGE", "a\nb"], ["PRIORITY", "4"]]);
  const expected = new Uint8Array([
    ...new TextEncoder().encode("MESSAGE\n"),
    3,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    ...new TextEncoder().encode("a\nb\nPRIORITY=4\n"),
  ]);
  assert.deepEqual(bytes, expected);
});

Deno.test("journalFieldName() makes a valid journal field name", () => {
  assert.equal(journalFieldName("peer-address"), "PEER_ADDRESS");
  assert.equal(journalFieldName("_private"), "PRIVATE");
  assert.equal(journalFieldName("9lives"), "LIVES");
});

Deno.test("setupLogging() with the syslog driver sends RFC 5424 datagrams to the socket", async () => {
  const server = listenUnix();
  try {
    const logging = await setupLogging(config({ driver: "syslog", socket: server.path }), {
      hostname: "edge1",
    });
    getLogger(["anycast", "probe"]).warn("check {name} failed", { name: "web" });
    await logging[Symbol.asyncDispose]();
    const [data] = await server.conn.receive();
    const text = decoder.decode(data);
    assert.match(
      text,
      new RegExp(
        `^<28>1 \\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z edge1 anycast ${Deno.pid} anycast\\.probe - `,
      ),
    );
    assert.ok(text.endsWith(" - anycast.probe: check web failed"), text);
  } finally {
    server.cleanup();
  }
});

Deno.test("setupLogging() with the journald driver sends native protocol fields", async () => {
  const server = listenUnix();
  try {
    const logging = await setupLogging(config({ driver: "journald", socket: server.path }));
    getLogger(["anycast", "bgp"]).error("session reset\nby peer", { peer: "192.0.2.1" });
    await logging[Symbol.asyncDispose]();
    const [data] = await server.conn.receive();
    const text = decoder.decode(data);
    // The message has a newline, so MESSAGE uses the binary length form.
    assert.ok(text.startsWith("MESSAGE\n"), JSON.stringify(text));
    const length = new DataView(data.buffer, data.byteOffset + 8, 8).getBigUint64(0, true);
    const message = decoder.decode(data.subarray(16, 16 + Number(length)));
    assert.equal(message, "anycast.bgp: session reset\nby peer");
    const rest = decoder.decode(data.subarray(16 + Number(length) + 1));
    assert.equal(
      rest,
      "PRIORITY=3\nSYSLOG_IDENTIFIER=anycast\nANYCAST_CATEGORY=anycast.bgp\nANYCAST_PEER=192.0.2.1\n",
    );
  } finally {
    server.cleanup();
  }
});

Deno.test("setupLogging() with the stderr driver filters below the configured level", async () => {
  const lines: string[] = [];
  const logging = await setupLogging(config({ level: "warning" }), {
    writeStderr: (t) => void lines.push(t),
  });
  getLogger(["anycast"]).info("hidden");
  getLogger(["anycast"]).warn("shown");
  await logging[Symbol.asyncDispose]();
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /\[WRN\] anycast: shown\n$/);
});

Deno.test("setupLogging() honours LOG_LEVEL over the configured level", async () => {
  const lines: string[] = [];
  const logging = await setupLogging(config({ level: "error" }), {
    env: (n) => (n === "LOG_LEVEL" ? "DEBUG" : undefined),
    writeStderr: (t) => void lines.push(t),
  });
  getLogger(["anycast"]).debug("detail");
  await logging[Symbol.asyncDispose]();
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /detail/);
});

Deno.test("setupLogging() with format json writes one JSON object per line", async () => {
  const lines: string[] = [];
  const logging = await setupLogging(config({ format: "json" }), {
    writeStderr: (t) => void lines.push(t),
  });
  getLogger(["anycast", "cli"]).info("started {version}", { version: "0.1.0" });
  await logging[Symbol.asyncDispose]();
  const parsed = JSON.parse(lines[0]!);
  assert.equal(parsed.level, "INFO");
  assert.equal(parsed.logger, "anycast.cli");
  assert.equal(parsed.properties.version, "0.1.0");
});

Deno.test("setupLogging() with the file driver appends to the file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "anycast-log-" });
  try {
    const file = `${dir}/anycast.log`;
    const logging = await setupLogging(config({ driver: "file", file }));
    getLogger(["anycast"]).info("to file");
    await logging[Symbol.asyncDispose]();
    assert.match(await Deno.readTextFile(file), /\[INF\] anycast: to file\n$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("setupLogging() with the none driver writes nothing", async () => {
  const lines: string[] = [];
  const logging = await setupLogging(config({ driver: "none" }), {
    writeStderr: (t) => void lines.push(t),
  });
  getLogger(["anycast"]).fatal("nobody hears this");
  await logging[Symbol.asyncDispose]();
  assert.equal(lines.length, 0);
});
