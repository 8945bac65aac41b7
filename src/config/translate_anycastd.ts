/**
 * anycastd dialect (already validated) to the model. Every route becomes a
 * prefix gated by all services (`routes_mode: any`, our extension, gates it
 * by any one service instead). Peers share the announcer's local address.
 *
 * @module
 */
import type { AnycastConfig, HandlerConfig, NeighborConfig, ServiceConfig } from "./model.ts";
import type { AnycastdCheck, AnycastdFile } from "./anycastd_schema.ts";
import type { ANYCASTD_CHECK_SPECS } from "./anycastd_schema.ts";
import type { z } from "zod";
import { parseDurationString } from "./duration.ts";
import { parseAddress, parsePrefix } from "./_net.ts";
import { defaultFamilies, sessionFamily } from "./_families.ts";
import { DEFAULTS } from "./translate_native.ts";
import { translateFleet } from "./fleet_schema.ts";

const ms = (d: string | undefined, fallback: number) =>
  d === undefined ? fallback : parseDurationString(d);
const canonical = (address: string) => parseAddress(address)?.canonical ?? address;

/** anycastd check defaults when a spec leaves retries out. */
const RETRY_DEFAULTS = { tries: 1, intervalMs: 100, timeoutMs: 5000 };

function retry(
  s: { tries?: number | undefined; interval?: string | undefined; timeout?: string | undefined },
) {
  return {
    tries: s.tries ?? RETRY_DEFAULTS.tries,
    intervalMs: ms(s.interval, RETRY_DEFAULTS.intervalMs),
    timeoutMs: ms(s.timeout, RETRY_DEFAULTS.timeoutMs),
  };
}

type Spec<K extends keyof typeof ANYCASTD_CHECK_SPECS> = z.infer<typeof ANYCASTD_CHECK_SPECS[K]>;

function checkHandler(check: AnycastdCheck): HandlerConfig {
  switch (check.kind) {
    case "dns_lookup": {
      const s = check.spec as Spec<"dns_lookup">;
      return {
        kind: "dns_lookup",
        query: s.query,
        resolver: s.resolver,
        recordType: "A",
        ...retry(s),
      };
    }
    case "http_2xx": {
      const s = check.spec as Spec<"http_2xx">;
      return {
        kind: "http_2xx",
        url: s.url,
        method: s.method ?? "GET",
        headers: s.headers ?? {},
        ...(s.payload !== undefined ? { payload: s.payload } : {}),
        ...retry(s),
      };
    }
    case "tls_certificate": {
      const s = check.spec as Spec<"tls_certificate">;
      return {
        kind: "tls_certificate",
        ...(s.local ? { local: { path: s.local.path } } : {}),
        ...(s.remote
          ? {
            remote: {
              host: s.remote.host,
              port: s.remote.port,
              ...(s.remote.server_name !== undefined ? { serverName: s.remote.server_name } : {}),
              ...(s.remote.insecure !== undefined ? { insecure: s.remote.insecure } : {}),
            },
          }
          : {}),
        ...(s.common_name !== undefined ? { commonName: s.common_name } : {}),
        dnsNames: s.dns_names ?? [],
        ipAddresses: (s.ip_addresses ?? []).map(canonical),
        ...(s.issuer !== undefined ? { issuer: s.issuer } : {}),
        expiryWarningMs: 0,
        ...retry(s),
      };
    }
    case "assigned_address": {
      const s = check.spec as Spec<"assigned_address">;
      return {
        kind: "assigned_address",
        ...(s.interface !== undefined ? { interface: s.interface } : {}),
        ...(s.ipv4 !== undefined ? { ipv4: canonical(s.ipv4) } : {}),
        ...(s.ipv6 !== undefined ? { ipv6: canonical(s.ipv6) } : {}),
      };
    }
    case "icmp_ping": {
      const s = check.spec as Spec<"icmp_ping">;
      // anycastd sends `tries` echo requests in one pro-bing run and passes
      // unless the run cannot start; we send the same echoes as one try and
      // pass while at least one reply comes back (all lost = host gone).
      const { tries, ...rest } = retry(s);
      return {
        kind: "icmp_ping",
        host: s.static.host,
        count: tries,
        maxLossPercent: 100,
        ...rest,
        tries: 1,
      };
    }
    case "tftp_rrq": {
      const s = check.spec as Spec<"tftp_rrq">;
      return { kind: "tftp_rrq", url: s.url, ...retry(s) };
    }
    case "ntpq": {
      const s = check.spec as Spec<"ntpq">;
      return {
        kind: "ntpq",
        server: s.server,
        ...(s.src_addr !== undefined ? { srcAddr: canonical(s.src_addr) } : {}),
        offsetThresholdMs: parseDurationString(s.offset_threshold),
        ...retry(s),
      };
    }
  }
}

export function translateAnycastd(file: AnycastdFile, source: string): AnycastConfig {
  const a = file.announcer;
  const localAddress = canonical(a.local_address);
  const services: ServiceConfig[] = (file.services ?? []).map((s) => ({
    name: s.name,
    checkIntervalMs: ms(s.check_interval, 10_000),
    strategy: s.strategy ?? "at_least_one", // anycastd's own default
    ...(s.strategy_options !== undefined ? { strategyN: s.strategy_options.n } : {}),
    checks: s.checks.map((c) => ({
      handler: checkHandler(c),
      ...(c.group !== undefined ? { group: c.group } : {}),
    })),
  }));
  // anycastd announces every route with local_address as its next hop; that
  // holds for the routes of local_address's family (of any peer), and the
  // others take the session's own address (route.ts).
  const localFamily = sessionFamily(localAddress);
  const prefixes = a.routes.map((route) => {
    const p = parsePrefix(route);
    if (!p.ok) throw new TypeError(`Route ${route} passed validation but does not parse`);
    return {
      name: p.canonical,
      prefix: p.canonical,
      family: p.family,
      ...(p.family === localFamily ? { nextHop: localAddress } : {}),
      origin: "igp" as const,
      attributes: {
        communities: [],
        largeCommunities: [],
        extendedCommunities: [],
        asPathPrepend: 0,
      },
      withdrawOnDown: true,
      drainMs: 0,
      services: services.map((s) => s.name),
      servicesMode: a.routes_mode ?? "all",
    };
  });
  const neighbors: NeighborConfig[] = a.peers.map((p) => {
    const address = canonical(p.remote_address);
    const multihop = p.enable_multihop ?? false;
    const sameFamily = parseAddress(p.remote_address)?.kind === parseAddress(a.local_address)?.kind;
    return {
      name: p.name,
      address,
      asn: p.remote_asn,
      port: DEFAULTS.bgpPort,
      ...(sameFamily ? { localAddress } : {}),
      passive: false,
      holdTime: DEFAULTS.holdTime,
      keepalive: DEFAULTS.holdTime / 3,
      connectRetry: DEFAULTS.connectRetry,
      ebgpMultihop: multihop,
      ebgpMultihopTtl: p.multihop_ttl ?? (multihop ? DEFAULTS.multihopTtl : 1),
      families: defaultFamilies(
        sessionFamily(address, sameFamily ? localAddress : undefined),
        prefixes,
      ),
    };
  });
  return {
    dialect: "anycastd",
    source,
    // anycastd logs to stderr; its default LOG_LEVEL is WARN.
    logging: { driver: "stderr", format: "text", level: "warning" },
    speaker: {
      asn: a.local_asn,
      routerId: a.router_id,
      gracefulRestartEnabled: false,
      gracefulRestartRestartTime: DEFAULTS.gracefulRestartTime,
      listenPort: DEFAULTS.bgpPort,
    },
    api: { socket: DEFAULTS.apiSocket },
    neighbors,
    prefixes,
    services,
    bfd: {
      enabled: false,
      listenAddress: DEFAULTS.bfd.address,
      listenPort: DEFAULTS.bfd.port,
      multihop: false,
      minRxMs: DEFAULTS.bfd.minRxMs,
      minTxMs: DEFAULTS.bfd.minTxMs,
      multiplier: DEFAULTS.bfd.multiplier,
      passive: false,
      holdBgpUntilUp: true,
    },
    metrics: {
      enabled: file.metrics?.enabled ?? false,
      address: file.metrics?.address ?? DEFAULTS.metricsAddress,
      path: DEFAULTS.metricsPath,
    },
    ...(file.fleet
      ? { fleet: translateFleet(file.fleet as Record<string, unknown>, "anycastd")! }
      : {}),
  };
}
