/**
 * Text output of `anycast peers`: tables in the manner of `gobgp neighbor`
 * and `birdc show protocols`.
 *
 * @module
 */
import type { PeerInfo, PrefixInfo, RouteInfo } from "./types.ts";

/** Seconds as "hh:mm:ss", or "Nd hh:mm:ss" past a day (as `gobgp neighbor`). */
export function formatAge(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return "never";
  const s = Math.floor(seconds);
  const pad = (n: number) => String(n).padStart(2, "0");
  const hms = `${pad(Math.floor(s / 3600) % 24)}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}`;
  const days = Math.floor(s / 86400);
  return days > 0 ? `${days}d ${hms}` : hms;
}

/** Left-aligned columns separated by two spaces; trailing spaces trimmed. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ").trimEnd() + "\n";
  return line(header) + rows.map(line).join("");
}

/** The state, with when the next attempt is due or why there is none. */
export function peerState(p: PeerInfo): string {
  if (p.maxPrefixesHold) {
    const left = p.maxPrefixesHold.remainingSeconds;
    return left === undefined
      ? `${p.state} (max-prefix hold until reset)`
      : `${p.state} (max-prefix hold, restart in ${formatAge(left)})`;
  }
  if (p.nextAttemptSeconds !== undefined && p.state !== "Established") {
    const damped = p.recentFlaps && p.recentFlaps > 0 ? `, ${p.recentFlaps} recent flaps` : "";
    return `${p.state} (next attempt in ${p.nextAttemptSeconds}s${damped})`;
  }
  return p.state;
}

export function formatPeers(peers: PeerInfo[]): string {
  return formatTable(
    ["Peer", "AS", "State", "Up/Down", "Sent", "Rcvd", "BFD", "Last error"],
    peers.map((p) => [
      p.name === p.address ? p.address : `${p.name} (${p.address})`,
      String(p.asn),
      peerState(p),
      formatAge(p.uptimeSeconds),
      String(p.prefixesSent),
      String(p.prefixesReceived),
      p.bfd ?? "-",
      p.lastError ?? "-",
    ]),
  );
}

/**
 * The configured prefixes not announced now, and why: the reason names the
 * mechanism that withdrew each ("unhealthy: process exit: process 12 exited").
 * Empty when every prefix is announced.
 */
export function formatWithdrawn(prefixes: PrefixInfo[]): string {
  const withdrawn = prefixes.filter((p) => !p.announced);
  if (withdrawn.length === 0) return "";
  return "\nNot announced:\n" + formatTable(
    ["Prefix", "State", "Since", "Reason"],
    withdrawn.map((p) => [p.prefix, p.state, formatAge(p.sinceSeconds), p.reason]),
  );
}

export function formatRoutes(routes: RouteInfo[]): string {
  if (routes.length === 0) return "no routes\n";
  return formatTable(
    ["Network", "Next hop", "AS path", "Age", "Attrs"],
    routes.map((r) => {
      const attrs = [
        r.origin !== undefined ? `origin ${r.origin}` : "",
        r.med !== undefined ? `med ${r.med}` : "",
        r.localPref !== undefined ? `localpref ${r.localPref}` : "",
        r.communities.length > 0 ? `community ${r.communities.join(" ")}` : "",
        r.largeCommunities.length > 0 ? `large ${r.largeCommunities.join(" ")}` : "",
        (r.extendedCommunities ?? []).length > 0 ? `ext ${r.extendedCommunities!.join(" ")}` : "",
      ].filter((a) => a !== "");
      return [
        r.prefix,
        r.nextHop ?? "-",
        r.asPath.length > 0 ? r.asPath.join(" ") : "-",
        formatAge(r.ageSeconds),
        attrs.join(", "),
      ];
    }),
  );
}
