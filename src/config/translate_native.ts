/**
 * Native dialect (already validated) to the model: defaults filled in,
 * durations in milliseconds, addresses and prefixes canonical.
 *
 * @module
 */
import { Secret } from "./secret.ts";
import type {
  AnycastConfig,
  BfdAuthSettings,
  BfdDefaults,
  BfdSessionConfig,
  Family,
  HandlerConfig,
  LoggingConfig,
  NeighborConfig,
  PrefixConfig,
  ProbeConfig,
  RouteAttributes,
  ServiceUnit,
  TcpAoConfig,
} from "./model.ts";
import type {
  NativeBfdTimers,
  NativeFile,
  NativeNeighbor,
  NativePrefix,
  NativeProbe,
  NativeStateAttributes,
} from "./native_schema.ts";
import { PROBE_HANDLER_KEYS } from "./native_schema.ts";
import { translateFleet } from "./fleet_schema.ts";
import { parseDuration } from "./duration.ts";
import { parseAddress, parseHostPort, parsePrefix } from "./_net.ts";
import { type CarriedPrefix, defaultFamilies, sessionFamily } from "./_families.ts";
import { parseCommunity, parseExtendedCommunity, parseLargeCommunity } from "./communities.ts";

export const DEFAULTS = {
  logLevel: "info",
  gracefulRestartTime: 120,
  bgpPort: 179,
  holdTime: 90,
  connectRetry: 5,
  multihopTtl: 255,
  apiSocket: "/run/anycast/anycast.sock",
  metricsAddress: "127.0.0.1:9090",
  /** Herald's defaults, used when its listenAddress/listenPort/interval form is written. */
  heraldMetrics: { address: "127.0.0.1", port: 9091 },
  metricsPath: "/metrics",
  probe: { periodMs: 10_000, timeoutMs: 1000, failureThreshold: 3, successThreshold: 1 },
  retry: { tries: 1, intervalMs: 100 },
  bfd: { minRxMs: 300, minTxMs: 300, multiplier: 3, port: 3784, address: "0.0.0.0" },
} as const;

const ms = (d: string | number | undefined, fallback: number) =>
  d === undefined ? fallback : parseDuration(d);
const canonical = (address: string) => parseAddress(address)?.canonical ?? address;
const canonicalPrefix = (text: string) => {
  const parsed = parsePrefix(text);
  return parsed.ok ? parsed.canonical : text;
};

export function translateLogging(l: NativeFile["logging"]): LoggingConfig {
  const named = l?.level?.toLowerCase();
  // zap (Herald) has dpanic and panic above error: both mean "only the worst".
  const level = named === "warn"
    ? "warning"
    : named === "dpanic" || named === "panic"
    ? "fatal"
    : (named as LoggingConfig["level"] | undefined) ?? DEFAULTS.logLevel;
  const driver = l?.driver === "windows" || l?.driver === undefined ? "stderr" : l.driver;
  return {
    driver,
    format: l?.format ?? "text",
    level,
    ...(l?.file !== undefined ? { file: l.file } : {}),
    ...(l?.socket !== undefined ? { socket: l.socket } : {}),
    ...(l?.syslogFormat !== undefined ? { syslogFormat: l.syslogFormat } : {}),
    ...(l?.facility !== undefined ? { facility: l.facility } : {}),
  };
}

function bfdSession(base: BfdSessionConfig, o: NativeBfdTimers | undefined): BfdSessionConfig {
  return {
    multihop: o?.multihop ?? base.multihop,
    minRxMs: ms(o?.minimumReceptionInterval, base.minRxMs),
    minTxMs: ms(o?.minimumTransmissionInterval, base.minTxMs),
    multiplier: o?.detectionMultiplier ?? base.multiplier,
    passive: o?.passive ?? base.passive,
    holdBgpUntilUp: o?.holdBgpUntilUp ?? base.holdBgpUntilUp,
    ...(o?.minimumTtl !== undefined
      ? { minimumTtl: o.minimumTtl }
      : base.minimumTtl !== undefined
      ? { minimumTtl: base.minimumTtl }
      : {}),
    ...(o?.auth !== undefined ? { auth: bfdAuth(o.auth) } : base.auth ? { auth: base.auth } : {}),
  };
}

function bfdAuth(a: NonNullable<NativeBfdTimers["auth"]>): BfdAuthSettings {
  return {
    type: a.type,
    keyId: a.keyId,
    ...(a.secret !== undefined ? { secret: new Secret(a.secret) } : {}),
    ...(a.secretFile !== undefined ? { secretFile: a.secretFile } : {}),
  };
}

function tcpAo(a: NonNullable<NativeNeighbor["tcpAo"]>): TcpAoConfig {
  return {
    keyId: a.keyId,
    rnextKeyId: a.rnextKeyId ?? a.keyId,
    algorithm: a.algorithm ?? "hmac(sha1)",
    ...(a.secret !== undefined ? { secret: new Secret(a.secret) } : {}),
    ...(a.secretFile !== undefined ? { secretFile: a.secretFile } : {}),
  };
}

function translateBfd(b: NativeFile["bfd"]): BfdDefaults {
  const base: BfdSessionConfig = {
    multihop: false,
    minRxMs: DEFAULTS.bfd.minRxMs,
    minTxMs: DEFAULTS.bfd.minTxMs,
    multiplier: DEFAULTS.bfd.multiplier,
    passive: false,
    holdBgpUntilUp: true,
  };
  const session = bfdSession(base, b);
  return {
    ...session,
    enabled: b?.enabled ?? false,
    listenAddress: b?.listenAddress !== undefined
      ? canonical(b.listenAddress)
      : DEFAULTS.bfd.address,
    listenPort: b?.listenPort ?? (session.multihop ? 4784 : DEFAULTS.bfd.port),
  };
}

function translateNeighbor(
  n: NativeNeighbor,
  bfd: BfdDefaults,
  prefixes: readonly CarriedPrefix[],
): NeighborConfig {
  const address = canonical(n.address);
  const holdTime = ms(n.holdTime, DEFAULTS.holdTime * 1000) / 1000;
  const multihop = n.ebgpMultihopEnabled ?? false;
  const family: Family = sessionFamily(address, n.localAddress);
  const neighborBfd = n.bfd === false
    ? undefined
    : n.bfd === true
    ? bfdSession(bfd, undefined)
    : n.bfd !== undefined
    ? bfdSession(bfd, n.bfd)
    : bfd.enabled
    ? bfdSession(bfd, undefined)
    : undefined;
  return {
    name: n.name ?? address,
    address,
    asn: n.asn,
    port: n.port ?? DEFAULTS.bgpPort,
    ...(n.localAddress !== undefined ? { localAddress: canonical(n.localAddress) } : {}),
    passive: n.passive ?? false,
    holdTime,
    keepalive: n.keepalive !== undefined
      ? parseDuration(n.keepalive) / 1000
      : Math.floor(holdTime / 3),
    connectRetry: ms(n.connectRetry, DEFAULTS.connectRetry * 1000) / 1000,
    ebgpMultihop: multihop,
    ebgpMultihopTtl: n.ebgpMultihopTtl ?? (multihop ? DEFAULTS.multihopTtl : 1),
    ...(n.password !== undefined ? { password: new Secret(n.password) } : {}),
    ...(n.passwordFile !== undefined ? { passwordFile: n.passwordFile } : {}),
    ...(n.ttlSecurity !== undefined ? { ttlSecurity: n.ttlSecurity } : {}),
    ...(n.tcpAo !== undefined ? { tcpAo: tcpAo(n.tcpAo) } : {}),
    families: n.families ?? defaultFamilies(family, prefixes),
    ...(n.description !== undefined ? { description: n.description } : {}),
    ...(n.maxPrefixes !== undefined ? { maxPrefixes: n.maxPrefixes } : {}),
    ...(n.maxPrefixesRestart !== undefined
      ? {
        maxPrefixesRestart: n.maxPrefixesRestart === "never"
          ? "never" as const
          : Math.ceil(parseDuration(n.maxPrefixesRestart) / 1000),
      }
      : {}),
    ...(neighborBfd ? { bfd: neighborBfd } : {}),
  };
}

function attributes(
  src: NativeStateAttributes & { multiExitDescriminator?: number | undefined },
  base?: RouteAttributes,
): RouteAttributes {
  const med = src.med ?? src.multiExitDescriminator ?? base?.med;
  const localPref = src.localPref ?? base?.localPref;
  // Herald's list form: exactly these ASNs; the count form: N copies (route.ts).
  const list = Array.isArray(src.asPathPrepend)
    ? [...src.asPathPrepend]
    : src.asPathPrepend === undefined
    ? base?.asPathPrependAsns
    : undefined;
  return {
    communities: src.communities?.map(parseCommunity) ?? base?.communities ?? [],
    largeCommunities: src.largeCommunities?.map(parseLargeCommunity) ?? base?.largeCommunities ??
      [],
    extendedCommunities: src.extendedCommunities?.map(parseExtendedCommunity) ??
      base?.extendedCommunities ?? [],
    ...(med !== undefined ? { med } : {}),
    ...(localPref !== undefined ? { localPref } : {}),
    asPathPrepend: list !== undefined
      ? list.length
      : (src.asPathPrepend as number | undefined) ?? base?.asPathPrepend ?? 0,
    ...(list !== undefined ? { asPathPrependAsns: list } : {}),
  };
}

function statusRanges(list: (number | string)[] | undefined): [number, number][] {
  if (list === undefined) return [[200, 399]];
  return list.map((s) => {
    if (typeof s === "number") return [s, s];
    const [lo, hi] = s.split("-").map(Number);
    return [lo ?? 200, hi ?? 399];
  });
}

function handler(p: NativeProbe, timeoutMs: number): HandlerConfig {
  const retry = (
    r: {
      tries?: number | undefined;
      interval?: string | number | undefined;
      timeout?: string | number | undefined;
    },
  ) => ({
    tries: r.tries ?? DEFAULTS.retry.tries,
    intervalMs: ms(r.interval, DEFAULTS.retry.intervalMs),
    timeoutMs: ms(r.timeout, timeoutMs),
  });
  if (p.http) {
    const h = p.http;
    return {
      kind: "http",
      scheme: h.scheme ?? "http",
      host: h.host ?? "127.0.0.1",
      port: h.port,
      path: h.path ?? "/",
      method: h.method ?? "GET",
      headers: h.httpHeaders ?? [],
      ...(h.body !== undefined ? { body: h.body } : {}),
      expectedStatus: statusRanges(h.expectedStatus),
      insecureSkipVerify: h.insecureSkipVerify ?? false,
      ...(h.bodyMatch !== undefined ? { bodyMatch: h.bodyMatch } : {}),
      ...(h.watch === true ? { watch: true } : {}),
    };
  }
  if (p.tcp) {
    return {
      kind: "tcp",
      host: p.tcp.host ?? "127.0.0.1",
      port: p.tcp.port,
      ...(p.tcp.send !== undefined ? { send: p.tcp.send } : {}),
      ...(p.tcp.expect !== undefined ? { expect: p.tcp.expect } : {}),
      ...(p.tcp.watch === true ? { watch: true } : {}),
    };
  }
  if (p.grpc) {
    return {
      kind: "grpc",
      host: p.grpc.host ?? "127.0.0.1",
      port: p.grpc.port,
      service: p.grpc.service ?? "",
      tls: p.grpc.tls ?? false,
      insecureSkipVerify: p.grpc.insecureSkipVerify ?? false,
    };
  }
  if (p.exec) {
    return {
      kind: "exec",
      ...(p.exec.user !== undefined ? { user: p.exec.user } : {}),
      command: p.exec.command,
      args: p.exec.args ?? [],
      env: p.exec.env ?? {},
      ...(p.exec.workingDir !== undefined ? { workingDir: p.exec.workingDir } : {}),
      exitCodes: p.exec.exitCodes ?? [0],
    };
  }
  if (p.dnsLookup) {
    return {
      kind: "dns_lookup",
      query: p.dnsLookup.query,
      resolver: p.dnsLookup.resolver,
      recordType: p.dnsLookup.recordType ?? "A",
      ...retry(p.dnsLookup),
    };
  }
  if (p.http2xx) {
    return {
      kind: "http_2xx",
      url: p.http2xx.url,
      method: p.http2xx.method ?? "GET",
      headers: p.http2xx.headers ?? {},
      ...(p.http2xx.payload !== undefined ? { payload: p.http2xx.payload } : {}),
      ...retry(p.http2xx),
    };
  }
  if (p.tlsCertificate) {
    const t = p.tlsCertificate;
    return {
      kind: "tls_certificate",
      ...(t.local ? { local: { path: t.local.path } } : {}),
      ...(t.remote
        ? {
          remote: {
            host: t.remote.host,
            port: t.remote.port,
            ...(t.remote.serverName !== undefined ? { serverName: t.remote.serverName } : {}),
            ...(t.remote.insecure !== undefined ? { insecure: t.remote.insecure } : {}),
          },
        }
        : {}),
      ...(t.commonName !== undefined ? { commonName: t.commonName } : {}),
      dnsNames: t.dnsNames ?? [],
      ipAddresses: (t.ipAddresses ?? []).map(canonical),
      ...(t.issuer !== undefined ? { issuer: t.issuer } : {}),
      expiryWarningMs: ms(t.expiryWarning, 0),
      ...retry(t),
    };
  }
  if (p.assignedAddress) {
    const a = p.assignedAddress;
    return {
      kind: "assigned_address",
      ...(a.interface !== undefined ? { interface: a.interface } : {}),
      ...(a.ipv4 !== undefined ? { ipv4: canonical(a.ipv4) } : {}),
      ...(a.ipv6 !== undefined ? { ipv6: canonical(a.ipv6) } : {}),
    };
  }
  if (p.icmpPing) {
    return {
      kind: "icmp_ping",
      host: p.icmpPing.host,
      count: p.icmpPing.count ?? 3,
      maxLossPercent: p.icmpPing.maxLossPercent ?? 0,
      ...retry(p.icmpPing),
    };
  }
  if (p.tftpRrq) {
    return {
      kind: "tftp_rrq",
      url: p.tftpRrq.url,
      ...(p.tftpRrq.sha256 !== undefined ? { sha256: p.tftpRrq.sha256.toLowerCase() } : {}),
      ...retry(p.tftpRrq),
    };
  }
  if (p.ntpq) {
    return {
      kind: "ntpq",
      server: p.ntpq.server,
      ...(p.ntpq.srcAddr !== undefined ? { srcAddr: canonical(p.ntpq.srcAddr) } : {}),
      offsetThresholdMs: parseDuration(p.ntpq.offsetThreshold),
      ...retry(p.ntpq),
    };
  }
  // The schema guarantees exactly one handler.
  throw new TypeError(`Probe has none of ${PROBE_HANDLER_KEYS.join(", ")}`);
}

export function translateProbe(p: NativeProbe): ProbeConfig {
  const handlerTimeout = p.http?.timeout ?? p.http?.requestTimeout ?? p.tcp?.timeout ??
    p.grpc?.timeout ?? p.exec?.timeout;
  const timeoutMs = ms(handlerTimeout ?? p.timeoutSeconds, DEFAULTS.probe.timeoutMs);
  return {
    initialDelayMs: ms(p.initialDelaySeconds, 0),
    periodMs: ms(p.periodSeconds, DEFAULTS.probe.periodMs),
    timeoutMs,
    failureThreshold: p.failureThreshold ?? DEFAULTS.probe.failureThreshold,
    successThreshold: p.successThreshold ?? DEFAULTS.probe.successThreshold,
    ...(p.fastPeriodSeconds !== undefined
      ? { fastPeriodMs: parseDuration(p.fastPeriodSeconds) }
      : {}),
    jitterMs: ms(p.jitterSeconds, 0),
    ...(p.terminationGracePeriodSeconds !== undefined
      ? { terminationGracePeriodMs: parseDuration(p.terminationGracePeriodSeconds) }
      : {}),
    handler: handler(p, timeoutMs),
  };
}

function serviceOf(s: NonNullable<NativePrefix["service"]>): ServiceUnit {
  // The schema guarantees a name for systemd and exactly one of pidFile/match for a process.
  const name = s.name ?? s.pidFile ?? `/${s.match ?? ""}/`;
  return {
    name,
    type: s.type,
    ...(s.pidFile !== undefined ? { pidFile: s.pidFile } : {}),
    ...(s.match !== undefined ? { match: s.match } : {}),
  };
}

function translatePrefix(p: NativePrefix): PrefixConfig {
  const parsed = parsePrefix(p.ipAddress);
  if (!parsed.ok) throw new TypeError(`Prefix ${p.ipAddress} passed validation but does not parse`);
  const attrs = attributes(p);
  const withdrawOnDown = p.withdrawOnDown ?? true;
  return {
    name: p.name ?? parsed.canonical,
    prefix: parsed.canonical,
    family: parsed.family,
    ...(p.nextHop !== undefined ? { nextHop: canonical(p.nextHop) } : {}),
    ...(p.nextHopLinkLocal !== undefined
      ? { nextHopLinkLocal: canonical(p.nextHopLinkLocal) }
      : {}),
    origin: p.origin ?? "igp",
    ...(p.asn !== undefined ? { prependAsn: p.asn } : {}),
    attributes: attrs,
    withdrawOnDown,
    ...(!withdrawOnDown ? { downAttributes: attributes(p.down ?? {}, attrs) } : {}),
    ...(p.disabled !== undefined ? { disabledAttributes: attributes(p.disabled, attrs) } : {}),
    ...(p.maintenance !== undefined ? { maintenanceFile: p.maintenance } : {}),
    drainMs: ms(p.drainTime, 0),
    ...(p.service !== undefined ? { service: serviceOf(p.service) } : {}),
    ...(p.startupProbe ? { startupProbe: translateProbe(p.startupProbe) } : {}),
    ...(p.livenessProbe ? { livenessProbe: translateProbe(p.livenessProbe) } : {}),
    ...(p.readinessProbe ? { readinessProbe: translateProbe(p.readinessProbe) } : {}),
    services: [],
    servicesMode: "all",
  };
}

/**
 * `address`, or Herald's `listenAddress`/`listenPort` (defaults 127.0.0.1 and
 * 9091 once any Herald key is written), else ours (127.0.0.1:9090).
 */
function metricsAddressOf(m: NativeFile["metrics"]): string {
  if (m?.address !== undefined) return m.address;
  const herald = m?.listenAddress !== undefined || m?.listenPort !== undefined ||
    m?.interval !== undefined;
  if (!herald) return DEFAULTS.metricsAddress;
  const host = m?.listenAddress !== undefined
    ? canonical(m.listenAddress)
    : DEFAULTS.heraldMetrics.address;
  const port = m?.listenPort ?? DEFAULTS.heraldMetrics.port;
  const text = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
  parseHostPort(text);
  return text;
}

export function translateNative(file: NativeFile, source: string): AnycastConfig {
  const bfd = translateBfd(file.bfd);
  const metricsAddress = metricsAddressOf(file.metrics);
  const prefixes = (file.prefixes ?? []).map(translatePrefix);
  return {
    dialect: "native",
    source,
    logging: translateLogging(file.logging),
    speaker: {
      asn: file.speaker.asn,
      routerId: file.speaker.routerId,
      gracefulRestartEnabled: file.speaker.gracefulRestartEnabled ?? false,
      gracefulRestartRestartTime: file.speaker.gracefulRestartRestartTime ??
        DEFAULTS.gracefulRestartTime,
      listenPort: file.speaker.listenPort ?? DEFAULTS.bgpPort,
    },
    api: {
      socket: file.api?.socket ?? DEFAULTS.apiSocket,
      ...(file.api?.listenAddress !== undefined
        ? { listenAddress: canonical(file.api.listenAddress) }
        : {}),
      ...(file.api?.listenPort !== undefined ? { listenPort: file.api.listenPort } : {}),
      ...(file.api?.token !== undefined ? { token: file.api.token } : {}),
      ...(file.api?.tokenFile !== undefined ? { tokenFile: file.api.tokenFile } : {}),
      ...(file.api?.allowedPrefixes !== undefined
        ? { allowedPrefixes: file.api.allowedPrefixes.map(canonicalPrefix) }
        : {}),
    },
    neighbors: (file.neighbors ?? []).map((n) => translateNeighbor(n, bfd, prefixes)),
    prefixes,
    services: [],
    bfd,
    metrics: {
      enabled: file.metrics?.enabled ?? false,
      address: metricsAddress,
      path: file.metrics?.path ?? DEFAULTS.metricsPath,
    },
    ...fleetOf(file.fleet as Record<string, unknown> | undefined, "native"),
  };
}

function fleetOf(raw: Record<string, unknown> | undefined, dialect: "native" | "anycastd") {
  const fleet = translateFleet(raw, dialect);
  return fleet ? { fleet } : {};
}
