/**
 * Warnings: configs that are valid but probably not what was meant. They
 * never fail `validate` (exit 0) and are logged by `run` at start and on
 * reload.
 *
 * - A probe timeout longer than its period (Kubernetes and Herald accept it):
 *   runs never overlap, so a run that takes its whole timeout stretches the
 *   period to the timeout.
 * - A prefix that no neighbor can carry: no neighbor negotiates its family, or
 *   none has a next hop of its family (an IPv6 prefix over IPv4 sessions needs
 *   `nextHop`). Each neighbor is named with what to change.
 * - A TCP control API (Periphery's and Herald's `api.listenAddress`/
 *   `listenPort`) without a bearer token: it stays closed, only the unix
 *   socket serves (control/server.ts).
 *
 * @module
 */
import type { AnycastConfig, NeighborConfig, PrefixConfig } from "./model.ts";
import type { NativeFile, NativeProbe } from "./native_schema.ts";
import type { AnycastdFile } from "./anycastd_schema.ts";
import { PROBE_HANDLER_KEYS } from "./native_schema.ts";
import { canCarry, hasNextHop, sessionFamily } from "./_families.ts";
import { formatDuration, parseDuration } from "./duration.ts";

/** A warning at a document path (positions are added by the loader). */
export interface PathWarning {
  path: PropertyKey[];
  message: string;
}

const PROBES = ["startupProbe", "livenessProbe", "readinessProbe"] as const;
const FAMILY_NAME = { "ipv4-unicast": "IPv4", "ipv6-unicast": "IPv6" } as const;

/** The timeout that bounds a run (the handler's own wins) and where it is written. */
function probeTimeout(p: NativeProbe): { path: string[]; value: string | number } | undefined {
  for (const key of ["http", "tcp", "grpc", "exec"] as const) {
    const h = p[key] as { timeout?: string | number; requestTimeout?: string | number } | undefined;
    if (h?.timeout !== undefined) return { path: [key, "timeout"], value: h.timeout };
    if (h?.requestTimeout !== undefined) {
      return { path: [key, "requestTimeout"], value: h.requestTimeout };
    }
  }
  return p.timeoutSeconds === undefined
    ? undefined
    : { path: ["timeoutSeconds"], value: p.timeoutSeconds };
}

function timeoutWarnings(file: NativeFile): PathWarning[] {
  const out: PathWarning[] = [];
  (file.prefixes ?? []).forEach((prefix, index) => {
    for (const kind of PROBES) {
      const p = prefix[kind];
      if (p === undefined || !PROBE_HANDLER_KEYS.some((k) => p[k] !== undefined)) continue;
      const timeout = probeTimeout(p);
      if (timeout === undefined) continue;
      const timeoutMs = parseDuration(timeout.value);
      const periodMs = p.periodSeconds === undefined ? 10_000 : parseDuration(p.periodSeconds);
      if (timeoutMs <= periodMs) continue;
      out.push({
        path: ["prefixes", index, kind, ...timeout.path],
        message: `timeout ${formatDuration(timeoutMs)} is longer than the period ${
          formatDuration(periodMs)
        }: runs never overlap, so while runs time out the probe runs every ${
          formatDuration(timeoutMs)
        }, not every ${formatDuration(periodMs)}`,
      });
    }
  });
  return out;
}

/** How one neighbor falls short of carrying `p`, as advice naming that neighbor. */
export type NeighborName = (n: NeighborConfig, index: number) => string;

function carryWarnings(
  config: AnycastConfig,
  prefixPath: (index: number) => PropertyKey[],
  neighborName: NeighborName,
  nextHopAdvice: (p: PrefixConfig) => string,
  explicitFamilies: (index: number) => boolean,
): PathWarning[] {
  if (config.neighbors.length === 0) return [];
  const out: PathWarning[] = [];
  config.prefixes.forEach((p, index) => {
    const sessions = config.neighbors.map((n) => sessionFamily(n.address, n.localAddress));
    if (config.neighbors.some((n, j) => canCarry(p, n.families, sessions[j]!))) return;
    const fixes = config.neighbors.map((n, j) => {
      const name = neighborName(n, j);
      const missing = !n.families.includes(p.family);
      if (!hasNextHop(p, sessions[j]!)) {
        return `${name} has an ${FAMILY_NAME[sessions[j]!]} session, so the route needs an ${
          FAMILY_NAME[p.family]
        } next hop: ${nextHopAdvice(p)}${
          missing && explicitFamilies(j) ? `, and add ${p.family} to its families` : ""
        }`;
      }
      return `add ${p.family} to the families of ${name} (it has ${n.families.join(", ")})`;
    });
    out.push({
      path: prefixPath(index),
      message: `${p.prefix} is announced to no neighbor: ${fixes.join("; ")}`,
    });
  });
  return out;
}

function apiWarnings(file: NativeFile, config: AnycastConfig): PathWarning[] {
  const api = file.api;
  if (api === undefined || (api.listenAddress === undefined && api.listenPort === undefined)) {
    return [];
  }
  if (api.token !== undefined || api.tokenFile !== undefined) return [];
  return [{
    path: ["api", api.listenAddress !== undefined ? "listenAddress" : "listenPort"],
    message:
      `the control API is never opened on TCP without a bearer token: set api.token or api.tokenFile; until then only the unix socket ${config.api.socket} serves it`,
  }];
}

export function nativeWarnings(file: NativeFile, config: AnycastConfig): PathWarning[] {
  return [
    ...apiWarnings(file, config),
    ...timeoutWarnings(file),
    ...carryWarnings(
      config,
      (i) => ["prefixes", i, "ipAddress"],
      (n, j) => `neighbor ${n.address} (neighbors[${j}])`,
      (p) => `set prefixes[${config.prefixes.indexOf(p)}].nextHop`,
      (j) => file.neighbors?.[j]?.families !== undefined,
    ),
  ];
}

export function anycastdWarnings(file: AnycastdFile, config: AnycastConfig): PathWarning[] {
  return carryWarnings(
    config,
    (i) => ["announcer", "routes", i],
    (n, j) => `peer ${n.name} (announcer.peers[${j}])`,
    () =>
      `anycastd's next hop is local_address (${file.announcer.local_address}); write this route in the native dialect with nextHop`,
    () => false,
  );
}
