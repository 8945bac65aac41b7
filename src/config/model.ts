/**
 * The one internal configuration model. Both input dialects (native, a strict
 * superset of Periphery's config.yaml, and runityru/anycastd's file) are parsed
 * and translated into this shape; every other subsystem reads only this.
 *
 * Normalisation rules: every duration is in milliseconds (`...Ms`), every
 * prefix and address is in canonical text form (`ipaddr.js` toString, prefix
 * with host bits zero), every optional field that has a default is filled in.
 *
 * @module
 */
import type { Secret } from "./secret.ts";

/** Which input dialect a file was written in. */
export type Dialect = "native" | "anycastd";

/** Address families the speaker can negotiate (RFC 4760 AFI/SAFI). */
export type Family = "ipv4-unicast" | "ipv6-unicast";

export interface AnycastConfig {
  dialect: Dialect;
  /** Path of the file this was loaded from (for messages), "" when built in memory. */
  source: string;
  logging: LoggingConfig;
  speaker: SpeakerConfig;
  api: ApiConfig;
  neighbors: NeighborConfig[];
  prefixes: PrefixConfig[];
  /** anycastd services; empty in the native dialect (probes hang off prefixes there). */
  services: ServiceConfig[];
  bfd: BfdDefaults;
  metrics: MetricsConfig;
  /** The fleet guard on etcd (docs/fleet.md); undefined = this site decides alone. */
  fleet?: FleetConfig;
}

// ---------------------------------------------------------------- logging

export type LogDriver = "stderr" | "file" | "syslog" | "journald" | "none";
export type LogFormat = "text" | "json";
export type LogLevel = "trace" | "debug" | "info" | "warning" | "error" | "fatal";

export interface LoggingConfig {
  driver: LogDriver;
  format: LogFormat;
  level: LogLevel;
  /** File path, required for the `file` driver. */
  file?: string;
  /** Unix datagram socket for `syslog` (default /dev/log) and `journald` (default /run/systemd/journal/socket). */
  socket?: string;
  /** syslog wire format (default rfc5424). */
  syslogFormat?: "rfc5424" | "rfc3164";
  /** syslog facility name (default daemon). */
  facility?: SyslogFacility;
}

export type SyslogFacility =
  | "kern"
  | "user"
  | "daemon"
  | "auth"
  | "syslog"
  | "local0"
  | "local1"
  | "local2"
  | "local3"
  | "local4"
  | "local5"
  | "local6"
  | "local7";

// ---------------------------------------------------------------- BGP

export interface SpeakerConfig {
  asn: number;
  /** Dotted-quad IPv4 router identifier (RFC 4271 BGP Identifier). */
  routerId: string;
  gracefulRestartEnabled: boolean;
  /** RFC 4724 restart time in seconds (0-4095). */
  gracefulRestartRestartTime: number;
  /** TCP port passive neighbors are accepted on (default 179). */
  listenPort: number;
}

export interface NeighborConfig {
  /** Display name (anycastd `name`, else the address). */
  name: string;
  address: string;
  asn: number;
  /** Remote TCP port (default 179). */
  port: number;
  /** Source address to bind for the connection, and the listen address when passive. */
  localAddress?: string;
  /** Accept the peer's connection instead of connecting out. */
  passive: boolean;
  /** Proposed hold time in seconds: 0 or >= 3 (default 90). */
  holdTime: number;
  /** Keepalive interval in seconds (default holdTime / 3). */
  keepalive: number;
  /** Base connect-retry time in seconds (default 5); jittered, backs off to 60 s. */
  connectRetry: number;
  ebgpMultihop: boolean;
  /** TTL used for eBGP multihop (default 255 when multihop, else 1). */
  ebgpMultihopTtl: number;
  /** TCP MD5 key (RFC 2385); prints redacted. */
  password?: Secret;
  /** File holding the TCP MD5 key, read at each connect. */
  passwordFile?: string;
  /** GTSM (RFC 5082): the peer is at most this many hops away; we send TTL 255. */
  ttlSecurity?: number;
  /** TCP-AO (RFC 5925). */
  tcpAo?: TcpAoConfig;
  families: Family[];
  description?: string;
  /** Inbound prefix limit; exceeding it sends Cease subcode 1 (RFC 4486). */
  maxPrefixes?: number;
  /**
   * Seconds the neighbor stays down after that Cease (default 300), or "never":
   * down until an operator resets it (`anycast announce --reset-peer`, the API).
   */
  maxPrefixesRestart?: number | "never";
  /** BFD for this neighbor, merged with the global `bfd` defaults; undefined = off. */
  bfd?: BfdSessionConfig;
}

export interface TcpAoConfig {
  /** SendID (0-255). */
  keyId: number;
  /** RecvID, advertised as RNextKeyID (default keyId). */
  rnextKeyId: number;
  algorithm: "hmac(sha1)" | "cmac(aes128)" | "hmac(sha256)";
  secret?: Secret;
  secretFile?: string;
}

/** Attributes that can differ per prefix state (up / down / disabled / drain). */
export interface RouteAttributes {
  /** "65000:100" or a well-known name normalised to "65535:65281" etc. */
  communities: string[];
  /** "65000:1:2" (RFC 8092). */
  largeCommunities: string[];
  /** RFC 4360 in text form, e.g. "rt:65000:100", "soo:65000:1". */
  extendedCommunities: string[];
  med?: number;
  localPref?: number;
  /** How many extra times the local AS (or `prependAsn`) is prepended. */
  asPathPrepend: number;
  /**
   * Herald's list form: exactly these ASNs follow our own AS (their count is
   * `asPathPrepend`); undefined = `asPathPrepend` copies of `prependAsn`.
   */
  asPathPrependAsns?: number[];
}

export type PrefixStateName = "up" | "down" | "disabled";

export interface PrefixConfig {
  /** Human name (Periphery `name`), default the prefix. */
  name: string;
  /** Canonical CIDR, host bits zero: "192.0.2.1/32", "2001:db8::1/128". */
  prefix: string;
  family: Family;
  /** Next hop; undefined = the session's local address. */
  nextHop?: string;
  /** IPv6 link-local second next hop (RFC 2545). */
  nextHopLinkLocal?: string;
  origin: "igp" | "egp" | "incomplete";
  /** ASN used for AS-path prepend (Periphery per-prefix `asn`); default the speaker ASN. */
  prependAsn?: number;
  /** Attributes while healthy. */
  attributes: RouteAttributes;
  /** Withdraw while down (Periphery `withdrawOnDown`, default true); else announce with `down` attributes. */
  withdrawOnDown: boolean;
  /** Attributes when announced while down (withdrawOnDown false). */
  downAttributes?: RouteAttributes;
  /** Attributes when announced while disabled; undefined = withdraw while disabled. */
  disabledAttributes?: RouteAttributes;
  /** Periphery `maintenance`: while this file exists the prefix is disabled. */
  maintenanceFile?: string;
  /** RFC 8326 drain: time announced with GRACEFUL_SHUTDOWN before the withdraw. */
  drainMs: number;
  service?: ServiceUnit;
  startupProbe?: ProbeConfig;
  livenessProbe?: ProbeConfig;
  readinessProbe?: ProbeConfig;
  /** anycastd dialect: names of services that gate this route. */
  services: string[];
  /** How several gating services combine: "all" up (default) or "any" up. */
  servicesMode: "all" | "any";
}

/**
 * The service behind a prefix. `systemd`: a unit, restarted on liveness
 * failure; its state changes (PropertiesChanged) withdraw at once.
 * `process`: a process watched by pid file or command line; its exit
 * withdraws at once (pidfd).
 */
export interface ServiceUnit {
  /** The unit name; for a process, a label (default the pid file or the match). */
  name: string;
  type: "systemd" | "process";
  /** process: file holding the pid. */
  pidFile?: string;
  /** process: regular expression matched against the command line. */
  match?: string;
}

// ---------------------------------------------------------------- probes

export interface ProbeConfig {
  initialDelayMs: number;
  periodMs: number;
  timeoutMs: number;
  failureThreshold: number;
  successThreshold: number;
  /** Period used while rising/falling between states (ExaBGP fast-interval); undefined = periodMs. */
  fastPeriodMs?: number;
  /** Random 0..jitterMs added to each scheduled start. */
  jitterMs: number;
  /**
   * Liveness restarts of the prefix's service: stop, wait up to this long for
   * the unit to end, kill it, start it (Kubernetes terminationGracePeriodSeconds).
   * Undefined or 0 = one RestartUnit job (systemd's own TimeoutStopSec).
   */
  terminationGracePeriodMs?: number;
  handler: HandlerConfig;
}

/** anycastd's retry rules: up to `tries` attempts, `intervalMs` apart, each bounded by `timeoutMs`. */
export interface RetryConfig {
  tries: number;
  intervalMs: number;
  timeoutMs: number;
}

export type HandlerConfig =
  | HttpHandler
  | TcpHandler
  | GrpcHandler
  | ExecHandler
  | DnsLookupHandler
  | Http2xxHandler
  | TlsCertificateHandler
  | AssignedAddressHandler
  | IcmpPingHandler
  | TftpRrqHandler
  | NtpqHandler;

export type HandlerKind = HandlerConfig["kind"];

export interface HttpHandler {
  kind: "http";
  scheme: "http" | "https";
  host: string;
  port: number;
  path: string;
  method: string;
  headers: { name: string; value: string }[];
  body?: string;
  /** Inclusive status ranges; default [[200, 399]] as in Kubernetes. */
  expectedStatus: [number, number][];
  insecureSkipVerify: boolean;
  /** Regular expression the body must match. */
  bodyMatch?: string;
  /**
   * Keep an idle connection open to host:port; when the server closes it, probe at
   * once (default false). A server's idle timeout costs one extra probe per close.
   */
  watch?: boolean;
}

export interface TcpHandler {
  kind: "tcp";
  host: string;
  port: number;
  send?: string;
  /** Substring the first reply must contain. */
  expect?: string;
  /** Keep an idle connection open; when it closes, probe at once (default false). */
  watch?: boolean;
}

export interface GrpcHandler {
  kind: "grpc";
  host: string;
  port: number;
  /** grpc.health.v1 service name; "" = the server as a whole. */
  service: string;
  tls: boolean;
  insecureSkipVerify: boolean;
}

export interface ExecHandler {
  kind: "exec";
  /** Run as this user (through runuser); undefined = the daemon's user. */
  user?: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  workingDir?: string;
  exitCodes: number[];
}

export interface DnsLookupHandler extends RetryConfig {
  kind: "dns_lookup";
  query: string;
  /** "host:port" */
  resolver: string;
  recordType: "A" | "AAAA" | "CNAME" | "MX" | "NS" | "PTR" | "SOA" | "SRV" | "TXT";
}

export interface Http2xxHandler extends RetryConfig {
  kind: "http_2xx";
  url: string;
  method: string;
  headers: Record<string, string>;
  payload?: string;
}

export interface TlsCertificateHandler extends RetryConfig {
  kind: "tls_certificate";
  local?: { path: string };
  /** `insecure` skips chain verification (anycastd `remote.insecure`, default false). */
  remote?: { host: string; port: number; serverName?: string; insecure?: boolean };
  commonName?: string;
  dnsNames: string[];
  ipAddresses: string[];
  issuer?: string;
  /** Fail when the certificate expires within this many ms (0 = only when expired). */
  expiryWarningMs: number;
}

export interface AssignedAddressHandler {
  kind: "assigned_address";
  interface?: string;
  ipv4?: string;
  ipv6?: string;
}

export interface IcmpPingHandler extends RetryConfig {
  kind: "icmp_ping";
  host: string;
  /** Echo requests per try (default 3). */
  count: number;
  /** Highest acceptable loss in percent (default 0: any reply lost fails... unless one answered). */
  maxLossPercent: number;
}

export interface TftpRrqHandler extends RetryConfig {
  kind: "tftp_rrq";
  url: string;
  sha256?: string;
}

export interface NtpqHandler extends RetryConfig {
  kind: "ntpq";
  server: string;
  srcAddr?: string;
  offsetThresholdMs: number;
}

// ---------------------------------------------------------------- anycastd services

export type Strategy = "at_least_one" | "all" | "all_in_group" | "at_least_n_percentage";

export interface ServiceCheck {
  handler: HandlerConfig;
  group?: string;
}

export interface ServiceConfig {
  name: string;
  checkIntervalMs: number;
  strategy: Strategy;
  /** `strategy_options.n` for at_least_n_percentage. */
  strategyN?: number;
  checks: ServiceCheck[];
}

// ---------------------------------------------------------------- BFD, API, metrics

export interface BfdSessionConfig {
  multihop: boolean;
  minRxMs: number;
  minTxMs: number;
  multiplier: number;
  passive: boolean;
  /** Keep BGP down until BFD is Up (default true). */
  holdBgpUntilUp: boolean;
  /** Multihop: lowest received TTL accepted (default 254); single hop always needs 255. */
  minimumTtl?: number;
  /** RFC 5880 §6.7 authentication; undefined = none. */
  auth?: BfdAuthSettings;
}

export interface BfdAuthSettings {
  type:
    | "simple-password"
    | "keyed-md5"
    | "meticulous-keyed-md5"
    | "keyed-sha1"
    | "meticulous-keyed-sha1";
  keyId: number;
  secret?: Secret;
  secretFile?: string;
}

export interface BfdDefaults extends BfdSessionConfig {
  enabled: boolean;
  listenAddress: string;
  listenPort: number;
}

export interface ApiConfig {
  /** Unix socket path for the control API (default /run/anycast/anycast.sock). */
  socket: string;
  /** Optional TCP listener (Periphery `api.listenAddress`/`listenPort`); requires a token. */
  listenAddress?: string;
  listenPort?: number;
  /** Bearer token for the TCP listener (or `tokenFile`). */
  token?: string;
  tokenFile?: string;
  /**
   * CIDR ranges (canonical) inside which `POST /v1/announce` may add operator
   * prefixes. Absent: the API acts only on configured prefixes.
   */
  allowedPrefixes?: string[];
}

export interface MetricsConfig {
  enabled: boolean;
  /** "host:port" to serve Prometheus text on. */
  address: string;
  path: string;
}

// ---------------------------------------------------------------- fleet guard

export interface EtcdConfig {
  /** Client URLs, "http://10.0.0.1:2379" ("https://" when `ca` is set). */
  endpoints: string[];
  /** Key prefix of every fleet key (default "/anycast/"); ends in "/". */
  prefix: string;
  /** PEM files for TLS: the CA, and a client certificate and key. */
  ca?: string;
  cert?: string;
  key?: string;
  username?: string;
  password?: string;
  /** File holding the password (read at start). */
  passwordFile?: string;
  /** Deadline of each etcd call in ms (default 2000). */
  timeoutMs: number;
}

export interface FleetGuardConfig {
  /** A health-driven withdraw may not leave fewer sites announcing (default 1). */
  minSites: number;
  /** ... nor fewer than this percentage of the live sites, rounded up (default 0 = off). */
  minPercent: number;
  /** Prefixes the guard never holds (canonical CIDR). */
  exclude: string[];
}

export interface FleetConfig {
  /** This site's name (default the hostname). */
  site: string;
  etcd: EtcdConfig;
  /** TTL of the site's etcd lease in seconds (default 5): a dead site drops out after it. */
  leaseTtlSeconds: number;
  guard: FleetGuardConfig;
  /** Without etcd: decide as without a fleet (local, default) or keep the announcements (hold). */
  onEtcdLoss: "local" | "hold";
}
