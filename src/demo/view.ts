/**
 * How the demo shows itself: a table redrawn in place on a terminal, plain
 * event lines otherwise, or one JSON object per line (`--json`).
 *
 * @module
 */
import { GRACEFUL_SHUTDOWN } from "./observer.ts";
import type { DemoEvent, ObservedRoute, PeerEvent } from "./types.ts";

/** "2026-11-21 11:39:19.343 +00:00 [INF] anycast.daemon: " (the view has its own clock). */
const DAEMON_LOG_PREFIX =
  /^\d{4}-\d\d-\d\d[ T][\d:.]+(?: ?[+-]\d\d:\d\d|Z)? (?:\[\w+\] )?(?:[\w.]+: )?/;

function communityText(c: string): string {
  return c === GRACEFUL_SHUTDOWN ? `${c} (graceful-shutdown)` : c;
}

/** The peer's table as aligned text. */
export function formatTable(routes: readonly ObservedRoute[]): string {
  if (routes.length === 0) return "  (no routes)\n";
  const rows = [
    ["Prefix", "Next hop", "AS path", "MED", "Communities"],
    ...routes.map((r) => [
      r.prefix,
      r.nextHop ?? "-",
      r.asPath.join(" ") || "-",
      r.med === undefined ? "-" : String(r.med),
      [...r.communities.map(communityText), ...r.largeCommunities].join(" ") || "-",
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => "  " + row.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd())
    .join("\n") + "\n";
}

function describeRoute(r: ObservedRoute): string {
  const parts = [r.prefix, `via ${r.nextHop ?? "-"}`, `path ${r.asPath.join(" ") || "-"}`];
  if (r.med !== undefined) parts.push(`med ${r.med}`);
  const communities = [...r.communities.map(communityText), ...r.largeCommunities];
  if (communities.length > 0) parts.push(`communities ${communities.join(" ")}`);
  return parts.join(" ");
}

function describePeerEvent(e: PeerEvent): string {
  switch (e.type) {
    case "announce":
      return `+ announce ${describeRoute(e.route)}`;
    case "withdraw":
      return `- withdraw ${e.prefix}`;
    case "session":
      return `  session ${e.from} -> ${e.to}${e.lastError ? ` (${e.lastError})` : ""}`;
    case "notification":
      return `! NOTIFICATION code ${e.code} subcode ${e.subcode}` +
        (e.code === 6 ? " (Cease)" : "") +
        (e.communication ? ` "${e.communication}"` : "");
  }
}

/** One event as a plain line (no newline); undefined for events not worth a line. */
export function eventLine(e: DemoEvent): string | undefined {
  const at = `[${(e.t / 1000).toFixed(1).padStart(5)}s]`;
  switch (e.type) {
    case "start":
      return `${at} demo: temp dir ${e.tempDir}, peer ${e.peer}, VIPs ${e.prefixes.join(", ")}`;
    case "narrate":
      return `${at} >> ${e.text}`;
    case "command":
      return `${at}    exit ${e.exitCode}${
        e.output ? `: ${e.output.split("\n").join(" | ")}` : ""
      }`;
    case "daemon":
      return `${at}    anycast run has pid ${e.pid}`;
    case "log":
      return `${at}    daemon| ${e.line.replace(DAEMON_LOG_PREFIX, "")}`;
    case "peer":
      return `${at} ${describePeerEvent(e.event)}`;
    case "table":
      return `${at}    table now:\n${formatTable(e.routes).trimEnd()}`;
    case "step":
      return `${at} ${e.ok ? "OK  " : "FAIL"} ${e.step}: ${e.detail}`;
    case "cleanup":
      return `${at}    cleanup: anycast run ${e.daemonExited ? "exited" : "STILL RUNNING"}, ` +
        `temp dir ${e.tempDirRemoved ? "removed" : "NOT removed"}`;
    case "summary":
      if (e.ok) return `${at} demo finished: every step OK`;
      if (e.failed.includes("interrupted")) return `${at} demo interrupted: everything stopped`;
      return `${at} demo FAILED: ${e.failed.join(", ")}`;
  }
}

function terminalWidth(): number {
  try {
    const columns = Deno.consoleSize().columns;
    return columns >= 40 ? columns : 100; // 0 when the terminal does not say (script, CI)
  } catch {
    return 100;
  }
}

/** Word-wrap `text` to `width` columns. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  if (line !== "") lines.push(line);
  return lines;
}

export type ViewMode = "json" | "plain" | "live";

/**
 * Returns the function that shows each event. `live` keeps the table at the
 * top of the screen (updated from the peer's UPDATEs) and the latest lines below.
 */
export function createView(mode: ViewMode, write: (text: string) => void): (e: DemoEvent) => void {
  if (mode === "json") return (e) => write(JSON.stringify(e) + "\n");
  if (mode === "plain") {
    return (e) => {
      const line = eventLine(e);
      if (line !== undefined) write(line + "\n");
    };
  }
  const routes = new Map<string, ObservedRoute>();
  const recent: string[] = [];
  let peerLabel = "peer";
  let now = "";
  const KEEP_LINES = 14;
  return (e) => {
    if (e.type === "start") peerLabel = e.peer;
    if (e.type === "narrate" && !e.text.startsWith("$ ")) now = e.text;
    // Probe results repeat every period; the state changes they cause are logged anyway.
    if (
      e.type === "log" && e.line.includes("probe up:") ||
      e.type === "log" && e.line.includes("probe down:")
    ) return;
    if (e.type === "table") {
      routes.clear();
      for (const r of e.routes) routes.set(r.prefix, r);
    } else if (e.type === "peer") {
      const p = e.event;
      if (p.type === "announce") routes.set(p.route.prefix, p.route);
      if (p.type === "withdraw") routes.delete(p.prefix);
      if (p.type === "session" && p.from === "Established") routes.clear();
    }
    if (e.type !== "table") {
      const line = eventLine(e);
      if (line !== undefined) recent.push(...line.split("\n"));
      recent.splice(0, Math.max(0, recent.length - KEEP_LINES));
    }
    const sorted = [...routes.values()].sort((a, b) => a.prefix.localeCompare(b.prefix));
    const width = terminalWidth();
    write(
      "\x1b[H\x1b[2J" +
        `\x1b[1manycast demo\x1b[0m: what the ${peerLabel} has received (Ctrl-C stops)\n\n` +
        (now ? `\x1b[1m${wrap(now, width).join("\n")}\x1b[0m\n\n` : "") +
        formatTable(sorted) + "\n" +
        recent.map((l) => (l.length > width ? l.slice(0, width - 1) + "…" : l)).join("\n") +
        "\n",
    );
  };
}
