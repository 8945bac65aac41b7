/**
 * The native dialect: a strict superset of Periphery's config.yaml, in the
 * same camelCase style. This one zod schema both validates files and
 * generates the JSON Schema (`anycast schema`, docs/schema.json).
 *
 * Field-level rules live on the fields; rules that relate fields to each
 * other (timeout <= period, next-hop family) are object-level refinements.
 *
 * @module
 */
import { z } from "zod";
import {
  asn,
  bool,
  community,
  count,
  duration,
  extendedCommunity,
  guard,
  hostPort,
  intRange,
  ipAddress,
  ipv4,
  largeCommunity,
  list,
  mapping,
  nonEmpty,
  oneOf,
  port,
  prefix,
  record,
  str,
  threshold,
} from "./_fields.ts";
import { DURATION_PATTERN, parseDuration } from "./duration.ts";
import { isIPv6LinkLocal, parseAddress, parsePrefix } from "./_net.ts";
import { assignedAddress } from "./_assigned_address.ts";
import { nativeFleet } from "./fleet_schema.ts";

/** RFC 5880 6.7 authentication types, as `bfd.auth.type`. */
export const BFD_AUTH_TYPES = [
  "simple-password",
  "keyed-md5",
  "meticulous-keyed-md5",
  "keyed-sha1",
  "meticulous-keyed-sha1",
] as const;

/** TCP-AO MAC algorithms by their Linux crypto names. */
export const TCP_AO_ALGORITHMS = ["hmac(sha1)", "cmac(aes128)", "hmac(sha256)"] as const;

/** Names of the probe handler keys, in the order they are documented. */
export const PROBE_HANDLER_KEYS = [
  "http",
  "tcp",
  "grpc",
  "exec",
  "dnsLookup",
  "http2xx",
  "tlsCertificate",
  "assignedAddress",
  "icmpPing",
  "tftpRrq",
  "ntpq",
] as const;

/** Our levels, and zap's (Herald's) spellings: zap accepts lower and upper case. */
const LOG_LEVELS = [
  "trace",
  "debug",
  "info",
  "warn",
  "warning",
  "error",
  "dpanic",
  "panic",
  "fatal",
  "DEBUG",
  "INFO",
  "WARN",
  "ERROR",
  "DPANIC",
  "PANIC",
  "FATAL",
] as const;

const logging = mapping({
  driver: oneOf(["stderr", "file", "syslog", "journald", "none", "windows"]).optional()
    .describe("Where logs go (default stderr); windows is Periphery's and not supported here"),
  format: oneOf(["text", "json"]).optional().describe("Log line format (default text)"),
  level: oneOf(LOG_LEVELS).optional()
    .describe(
      "Lowest level logged (default info); LOG_LEVEL overrides. Herald's zap names (upper case, dpanic, panic) are accepted; dpanic and panic mean fatal",
    ),
  file: nonEmpty().optional().describe("Log file path, required for the file driver"),
  socket: nonEmpty().optional().describe(
    "Unix datagram socket for syslog (/dev/log) or journald (/run/systemd/journal/socket)",
  ),
  syslogFormat: oneOf(["rfc5424", "rfc3164"]).optional().describe(
    "syslog message format (default rfc5424)",
  ),
  facility: oneOf([
    "kern",
    "user",
    "daemon",
    "auth",
    "syslog",
    "local0",
    "local1",
    "local2",
    "local3",
    "local4",
    "local5",
    "local6",
    "local7",
  ]).optional().describe("syslog facility (default daemon)"),
}).superRefine(guard((v, ctx) => {
  if (v.driver === "windows") {
    ctx.addIssue({
      code: "custom",
      path: ["driver"],
      input: v.driver,
      message:
        "the windows driver (Windows Event Log) is not supported on this platform; use stderr, file, syslog, journald or none",
    });
  }
  if (v.driver === "file" && v.file === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["driver"],
      input: v.driver,
      message: 'the file driver needs "file: <path>"',
    });
  }
}));

const speaker = mapping({
  asn: asn().describe("Local AS number"),
  routerId: ipv4().describe("BGP Identifier, dotted-quad IPv4"),
  gracefulRestartEnabled: bool().optional().describe("Advertise RFC 4724 graceful restart"),
  gracefulRestartRestartTime: intRange(0, 4095).optional().describe(
    "RFC 4724 restart time in seconds (default 120)",
  ),
  listenPort: intRange(0, 65535).optional().describe(
    "TCP port for connections from neighbors, passive or not (default 179, 0 = do not listen)",
  ),
});

const api = mapping({
  socket: nonEmpty().optional().describe(
    "Control API unix socket (default /run/anycast/anycast.sock)",
  ),
  listenAddress: ipAddress().optional().describe("Optional TCP listener address (Periphery)"),
  listenPort: port().optional().describe("Optional TCP listener port (Periphery)"),
  token: nonEmpty().optional().describe("Bearer token for the TCP listener"),
  tokenFile: nonEmpty().optional().describe("File holding the bearer token"),
  allowedPrefixes: list(prefix()).optional().describe(
    "CIDR ranges inside which the API may announce operator prefixes (the range or " +
      "more specifics); default none: the API only drains/maintains configured prefixes",
  ),
});

const bfdTimers = {
  minimumReceptionInterval: duration().optional().describe(
    "Required Min RX Interval (default 300ms)",
  ),
  minimumTransmissionInterval: duration().optional().describe(
    "Desired Min TX Interval (default 300ms)",
  ),
  detectionMultiplier: intRange(1, 255).optional().describe("Detect Mult (default 3)"),
  passive: bool().optional().describe("Wait for the peer to send first (RFC 5880 6.1)"),
  multihop: bool().optional().describe("RFC 5883 multihop session (port 4784)"),
  holdBgpUntilUp: bool().optional().describe("Keep BGP down until BFD is Up (default true)"),
  minimumTtl: intRange(1, 255).optional().describe(
    "Multihop only: drop packets received with a lower TTL (default 254; single hop always requires 255, RFC 5881 5)",
  ),
  auth: mapping({
    type: oneOf(BFD_AUTH_TYPES).describe("RFC 5880 6.7 authentication type"),
    keyId: intRange(0, 255).describe("Auth Key ID sent and required"),
    secret: nonEmpty().optional().describe(
      "Shared secret: 1-16 bytes (password, MD5) or 1-20 (SHA1); redacted in output",
    ),
    secretFile: nonEmpty().optional().describe("File holding the secret (first line)"),
  }).superRefine(guard((v, ctx) => {
    if ((v.secret === undefined) === (v.secretFile === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: [],
        message: "expected exactly one of secret, secretFile",
      });
    }
    const max = v.type.endsWith("sha1") ? 20 : 16;
    if (v.secret !== undefined && new TextEncoder().encode(v.secret).length > max) {
      ctx.addIssue({
        code: "custom",
        path: ["secret"],
        message: `expected at most ${max} bytes for ${v.type} (RFC 5880 4.2-4.4)`,
      });
    }
  })).optional().describe("BFD authentication (RFC 5880 6.7)"),
};

const bfd = mapping({
  enabled: bool().optional().describe("Run BFD with every neighbor that does not say bfd: false"),
  listenAddress: ipAddress().optional().describe("Address BFD listens on (default 0.0.0.0)"),
  listenPort: port().optional().describe("UDP port (default 3784)"),
  ...bfdTimers,
});

const neighborBfd = z.union([bool(), mapping(bfdTimers)], {
  error: "expected true, false or a mapping of BFD settings",
});

const families = list(oneOf(["ipv4-unicast", "ipv6-unicast"])).min(
  1,
  "expected at least one family",
);

/** "never" or a native duration (maxPrefixesRestart). */
function neverOrDuration() {
  const message = 'expected "never" or a duration such as "5m" or "300s", or integer seconds';
  return z.union([
    z.literal("never", { error: message }),
    z.int({ error: message }).min(0, message),
    z.string({ error: message }).regex(new RegExp(DURATION_PATTERN), message),
  ], { error: message });
}

const neighbor = mapping({
  address: ipAddress().describe("Peer address"),
  asn: asn().describe("Peer AS number"),
  name: nonEmpty().optional().describe("Display name (default the address)"),
  description: str().optional(),
  port: port().optional().describe("Peer TCP port (default 179)"),
  localAddress: ipAddress().optional().describe("Source address for the session"),
  passive: bool().optional().describe("Wait for the peer to connect"),
  holdTime: duration().optional().describe("Hold time: 0 or >= 3 seconds (default 90)"),
  keepalive: duration().optional().describe("Keepalive interval (default holdTime / 3)"),
  connectRetry: duration().optional().describe("Connect retry time (default 5s)"),
  ebgpMultihopEnabled: bool().optional().describe("Allow eBGP over more than one hop"),
  ebgpMultihopTtl: intRange(1, 255).optional().describe("TTL when multihop (default 255)"),
  password: nonEmpty().optional().describe(
    "TCP MD5 signature key (RFC 2385), 1-80 bytes; redacted in output and logs",
  ),
  passwordFile: nonEmpty().optional().describe("File holding the TCP MD5 key (first line)"),
  ttlSecurity: intRange(1, 254).optional().describe(
    "GTSM (RFC 5082): the peer is at most this many hops away; send TTL 255, accept >= 256 - hops",
  ),
  tcpAo: mapping({
    keyId: intRange(0, 255).describe("SendID: the KeyID of our segments (RFC 5925 3.1)"),
    rnextKeyId: intRange(0, 255).optional().describe(
      "RecvID: the KeyID the peer must use, sent as RNextKeyID (default keyId)",
    ),
    algorithm: oneOf(TCP_AO_ALGORITHMS).optional().describe(
      "MAC algorithm (default hmac(sha1), RFC 5926 HMAC-SHA-1-96)",
    ),
    secret: nonEmpty().optional().describe("Master key, 1-80 bytes; redacted in output"),
    secretFile: nonEmpty().optional().describe("File holding the master key (first line)"),
  }).superRefine(guard((v, ctx) => {
    if ((v.secret === undefined) === (v.secretFile === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: [],
        message: "expected exactly one of secret, secretFile",
      });
    }
    if (v.secret !== undefined && new TextEncoder().encode(v.secret).length > 80) {
      ctx.addIssue({ code: "custom", path: ["secret"], message: "expected at most 80 bytes" });
    }
  })).optional().describe("TCP-AO (RFC 5925; Linux 6.7 or later with CONFIG_TCP_AO)"),
  families: families.optional().describe("AFI/SAFIs (default the family of address)"),
  maxPrefixes: intRange(1, Number.MAX_SAFE_INTEGER).optional().describe(
    "Inbound prefix limit (RFC 4486 Cease)",
  ),
  maxPrefixesRestart: neverOrDuration().optional().describe(
    'How long the neighbor stays down after the prefix limit Cease (default 5m); "never": ' +
      "until an operator resets it (anycast announce --reset-peer)",
  ),
  bfd: neighborBfd.optional().describe("BFD for this neighbor: true, false or overrides"),
}).superRefine(guard((v, ctx) => {
  const fail = (path: string, message: string) =>
    ctx.addIssue({
      code: "custom",
      path: [path],
      input: (v as Record<string, unknown>)[path],
      message,
    });
  if (v.password !== undefined && v.passwordFile !== undefined) {
    fail("passwordFile", "expected one of password, passwordFile, not both");
  }
  if (v.password !== undefined && new TextEncoder().encode(v.password).length > 80) {
    fail("password", "expected at most 80 bytes (TCP_MD5SIG_MAXKEYLEN)");
  }
  if ((v.password !== undefined || v.passwordFile !== undefined) && v.tcpAo !== undefined) {
    fail("tcpAo", "TCP-AO and a TCP MD5 password exclude each other (RFC 5925 7.7)");
  }
  if (
    v.ttlSecurity !== undefined &&
    (v.ebgpMultihopEnabled === true || v.ebgpMultihopTtl !== undefined)
  ) {
    fail(
      "ttlSecurity",
      "ttlSecurity (GTSM) and ebgpMultihop exclude each other: GTSM always sends TTL 255 and sets the hop count with ttlSecurity (RFC 5082 3)",
    );
  }
  const whole = (d: string | number) => parseDuration(d) % 1000 === 0;
  if (v.holdTime !== undefined) {
    const ms = parseDuration(v.holdTime);
    if (!whole(v.holdTime) || (ms !== 0 && ms < 3000) || ms > 65535000) {
      ctx.addIssue({
        code: "custom",
        path: ["holdTime"],
        input: v.holdTime,
        message: "expected a hold time of 0 or 3-65535 whole seconds (RFC 4271 4.2)",
      });
    }
  }
  if (v.keepalive !== undefined) {
    const ms = parseDuration(v.keepalive);
    const hold = v.holdTime === undefined ? 90_000 : parseDuration(v.holdTime);
    if (!whole(v.keepalive) || (hold > 0 && ms >= hold) || (hold > 0 && ms === 0)) {
      ctx.addIssue({
        code: "custom",
        path: ["keepalive"],
        input: v.keepalive,
        message: "expected whole seconds, more than 0 and less than the hold time",
      });
    }
  }
  if (v.localAddress !== undefined) {
    const local = parseAddress(v.localAddress);
    const remote = parseAddress(v.address);
    if (local && remote && local.kind !== remote.kind) {
      ctx.addIssue({
        code: "custom",
        path: ["localAddress"],
        input: v.localAddress,
        message: `expected an ${
          remote.kind === "ipv4" ? "IPv4" : "IPv6"
        } address like the neighbor address`,
      });
    }
  }
}));

const PREPEND_MESSAGE = "expected a count 0-32 or a list of up to 32 AS numbers";
const asPathPrepend = z.union([
  intRange(0, 32),
  list(asn()).max(32, PREPEND_MESSAGE),
], { error: PREPEND_MESSAGE });

const attributeFields = {
  communities: list(community()).optional().describe(
    'RFC 1997 communities "asn:value" or well-known names',
  ),
  largeCommunities: list(largeCommunity()).optional().describe('RFC 8092 "global:local1:local2"'),
  extendedCommunities: list(extendedCommunity()).optional().describe(
    'RFC 4360 "rt:asn:value" / "soo:asn:value"',
  ),
  med: intRange(0, 4294967295).optional().describe("MULTI_EXIT_DISC"),
  localPref: intRange(0, 4294967295).optional().describe("LOCAL_PREF (iBGP only)"),
  asPathPrepend: asPathPrepend.optional().describe(
    "A count N (0-32): our AS (or the prefix's asn) prepended N more times; or Herald's list of AS numbers, prepended exactly as written after our own AS",
  ),
};

const stateAttributes = mapping(attributeFields);

const headerList = list(mapping({ name: nonEmpty(), value: str() }));

const STATUS_MESSAGE = 'expected a status code 100-599 or a range "200-299"';
const statusEntry = z.union([
  z.int({ error: STATUS_MESSAGE }).min(100, STATUS_MESSAGE).max(599, STATUS_MESSAGE),
  z.string({ error: STATUS_MESSAGE }).regex(/^[1-5][0-9]{2}-[1-5][0-9]{2}$/, STATUS_MESSAGE),
], { error: STATUS_MESSAGE });

const http = mapping({
  host: nonEmpty().optional().describe("Default 127.0.0.1"),
  port: port(),
  path: str().optional().describe("Default /"),
  scheme: oneOf(["http", "https"]).optional(),
  method: nonEmpty().optional().describe("Default GET"),
  httpHeaders: headerList.optional(),
  body: str().optional(),
  expectedStatus: list(statusEntry).min(1, "expected at least one status").optional().describe(
    "Accepted status codes or ranges (default 200-399)",
  ),
  insecureSkipVerify: bool().optional(),
  bodyMatch: str().optional().describe("Regular expression the body must match"),
  watch: bool().optional().describe(
    "Keep an idle connection open; when the server closes it, probe at once (default false)",
  ),
  timeout: duration().optional().describe("Overrides the probe timeout"),
  requestTimeout: duration().optional().describe("Herald's spelling of timeout"),
}).superRefine(guard((v, ctx) => {
  if (v.timeout !== undefined && v.requestTimeout !== undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["requestTimeout"],
      input: v.requestTimeout,
      message: "timeout and requestTimeout are the same setting: set only one",
    });
  }
}));

const tcp = mapping({
  host: nonEmpty().optional(),
  port: port(),
  send: str().optional(),
  expect: str().optional(),
  timeout: duration().optional().describe("Overrides the probe timeout"),
  watch: bool().optional().describe(
    "Keep an idle connection open; when the service closes it, probe at once (default false)",
  ),
});

const grpc = mapping({
  host: nonEmpty().optional(),
  port: port(),
  service: str().optional().describe("grpc.health.v1 service name (default whole server)"),
  tls: bool().optional(),
  insecureSkipVerify: bool().optional(),
  timeout: duration().optional().describe("Overrides the probe timeout"),
});

const exec = mapping({
  command: nonEmpty(),
  args: list(str()).optional(),
  env: record(str()).optional(),
  workingDir: nonEmpty().optional(),
  exitCodes: list(intRange(0, 255)).min(1, "expected at least one exit code").optional(),
  user: nonEmpty().optional().describe("Run the command as this user (via runuser; needs root)"),
  timeout: duration().optional().describe("Overrides the probe timeout"),
});

const retry = {
  tries: count().optional().describe("Attempts per run (default 1)"),
  interval: duration().optional().describe("Pause between attempts (default 100ms)"),
  timeout: duration().optional().describe("Bound per attempt (default the probe timeout)"),
};

const dnsLookup = mapping({
  query: nonEmpty(),
  resolver: hostPort(),
  recordType: oneOf(["A", "AAAA", "CNAME", "MX", "NS", "PTR", "SOA", "SRV", "TXT"]).optional(),
  ...retry,
});

const http2xx = mapping({
  url: z.url({ error: "expected an http or https URL", protocol: /^https?$/ }),
  method: nonEmpty().optional(),
  headers: record(str()).optional(),
  payload: str().optional(),
  ...retry,
});

const tlsCertificate = mapping({
  local: mapping({ path: nonEmpty() }).optional(),
  remote: mapping({
    host: nonEmpty(),
    port: port(),
    serverName: nonEmpty().optional(),
    insecure: bool().optional().describe("Skip chain verification (default false)"),
  }).optional(),
  commonName: str().optional(),
  dnsNames: list(str()).optional(),
  ipAddresses: list(ipAddress()).optional(),
  issuer: str().optional(),
  expiryWarning: duration().optional().describe("Fail this long before expiry (default 0)"),
  ...retry,
}).superRefine(guard((v, ctx) => {
  if ((v.local === undefined) === (v.remote === undefined)) {
    ctx.addIssue({
      code: "custom",
      path: [],
      input: v,
      message: "expected exactly one of local or remote",
    });
  }
}));

const icmpPing = mapping({
  host: nonEmpty(),
  count: intRange(1, 100).optional().describe("Echo requests per try (default 3)"),
  maxLossPercent: intRange(0, 100).optional(),
  ...retry,
});

const tftpRrq = mapping({
  url: z.string({ error: 'expected a URL "tftp://host[:port]/file"' }).regex(
    /^tftp:\/\/[^/]+\/.+$/,
    'expected a URL "tftp://host[:port]/file"',
  ),
  sha256: z.string({ error: "expected 64 hex digits" })
    .regex(/^[0-9a-fA-F]{64}$/, "expected 64 hex digits").optional(),
  ...retry,
});

const ntpq = mapping({
  server: nonEmpty(),
  srcAddr: ipAddress().optional(),
  offsetThreshold: duration().describe("Largest acceptable clock offset"),
  ...retry,
});

const probe = mapping({
  initialDelaySeconds: duration().optional().describe("Default 0"),
  periodSeconds: duration().optional().describe("Default 10s"),
  timeoutSeconds: duration().optional().describe("Default 1s"),
  failureThreshold: threshold().optional().describe("Default 3"),
  successThreshold: threshold().optional().describe("Default 1"),
  fastPeriodSeconds: duration().optional().describe("Period while rising or falling"),
  jitterSeconds: duration().optional().describe("Random delay added to each start (default 0)"),
  terminationGracePeriodSeconds: duration().optional().describe(
    "On a livenessProbe: how long the service gets to stop after SIGTERM before it is killed and started again (default 0: systemd's own TimeoutStopSec); no effect on startup and readiness probes, which restart nothing",
  ),
  http: http.optional(),
  tcp: tcp.optional(),
  grpc: grpc.optional(),
  exec: exec.optional(),
  dnsLookup: dnsLookup.optional(),
  http2xx: http2xx.optional(),
  tlsCertificate: tlsCertificate.optional(),
  assignedAddress: assignedAddress.optional(),
  icmpPing: icmpPing.optional(),
  tftpRrq: tftpRrq.optional(),
  ntpq: ntpq.optional(),
}).superRefine(guard((v, ctx) => {
  const present = PROBE_HANDLER_KEYS.filter((k) => v[k] !== undefined);
  if (present.length !== 1) {
    ctx.addIssue({
      code: "custom",
      path: present.length > 1 ? [present[1]!] : [],
      input: v,
      message: present.length === 0
        ? `expected exactly one handler (${PROBE_HANDLER_KEYS.join(", ")}), found none`
        : `expected exactly one handler, found ${present.join(" and ")}`,
    });
  }
  // A timeout longer than the period is accepted, as in Kubernetes and
  // Herald: runs never overlap, so the period stretches (warnings.ts says so).
  const period = v.periodSeconds === undefined ? 10_000 : parseDuration(v.periodSeconds);
  if (period === 0) {
    ctx.addIssue({
      code: "custom",
      path: ["periodSeconds"],
      input: v.periodSeconds,
      message: "expected a period longer than 0",
    });
  }
}));

const service = mapping({
  name: nonEmpty().optional().describe(
    "systemd unit, e.g. nginx.service (required for systemd); a label for a process",
  ),
  type: oneOf(["systemd", "process"]),
  pidFile: nonEmpty().optional().describe("process: file holding the pid"),
  match: nonEmpty().optional().describe(
    "process: regular expression matched against the command line",
  ),
}).superRefine(guard((v, ctx) => {
  const issue = (path: string, message: string) =>
    ctx.addIssue({ code: "custom", path: [path], input: v, message });
  if (v.type === "systemd") {
    if (v.name === undefined) issue("name", "expected the unit name for a systemd service");
    if (v.pidFile !== undefined) issue("pidFile", "expected pidFile only with type process");
    if (v.match !== undefined) issue("match", "expected match only with type process");
    return;
  }
  if ((v.pidFile === undefined) === (v.match === undefined)) {
    issue("pidFile", "expected exactly one of pidFile and match for a process service");
  }
  if (v.match !== undefined) {
    try {
      new RegExp(v.match);
    } catch (e) {
      issue("match", `expected a regular expression: ${e instanceof Error ? e.message : e}`);
    }
  }
}));

const prefixEntry = mapping({
  ipAddress: prefix().describe('Prefix to announce, "192.0.2.1/32"'),
  name: nonEmpty().optional().describe("Human name (default the prefix)"),
  asn: asn().optional().describe("AS used for asPathPrepend (default the speaker AS)"),
  nextHop: ipAddress().optional().describe("Next hop (default the session local address)"),
  nextHopLinkLocal: ipAddress().optional().describe("IPv6 link-local second next hop (RFC 2545)"),
  ...attributeFields,
  multiExitDescriminator: intRange(0, 4294967295).optional().describe(
    "Periphery's spelling of med",
  ),
  origin: oneOf(["igp", "egp", "incomplete"]).optional().describe("ORIGIN (default igp)"),
  withdrawOnDown: bool().optional().describe(
    "Withdraw while unhealthy (default true); false announces with `down` attributes",
  ),
  maintenance: nonEmpty().optional().describe("While this file exists the prefix is disabled"),
  drainTime: duration().optional().describe(
    "Announce with GRACEFUL_SHUTDOWN this long before withdrawing (RFC 8326, default 0)",
  ),
  down: stateAttributes.optional().describe(
    "Attribute overrides while down (withdrawOnDown false)",
  ),
  disabled: stateAttributes.optional().describe(
    "Attribute overrides while disabled; absent = withdraw",
  ),
  service: service.optional(),
  startupProbe: probe.optional(),
  livenessProbe: probe.optional(),
  readinessProbe: probe.optional(),
}).superRefine(guard((v, ctx) => {
  const p = parsePrefix(v.ipAddress);
  if (!p.ok) return;
  const want = p.family === "ipv4-unicast" ? "ipv4" : "ipv6";
  const nh = v.nextHop === undefined ? undefined : parseAddress(v.nextHop);
  if (nh && nh.kind !== want) {
    ctx.addIssue({
      code: "custom",
      path: ["nextHop"],
      input: v.nextHop,
      message: `expected an ${want === "ipv4" ? "IPv4" : "IPv6"} next hop for ${p.canonical}`,
    });
  }
  if (v.nextHopLinkLocal !== undefined) {
    if (want !== "ipv6" || !isIPv6LinkLocal(v.nextHopLinkLocal)) {
      ctx.addIssue({
        code: "custom",
        path: ["nextHopLinkLocal"],
        input: v.nextHopLinkLocal,
        message: "expected an IPv6 link-local address (fe80::/10) on an IPv6 prefix",
      });
    }
  }
  if (v.med !== undefined && v.multiExitDescriminator !== undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["multiExitDescriminator"],
      input: v.multiExitDescriminator,
      message: "med and multiExitDescriminator are the same attribute: set only one",
    });
  }
  if (v.down !== undefined && v.withdrawOnDown !== false) {
    ctx.addIssue({
      code: "custom",
      path: ["down"],
      input: v.down,
      message: "down attributes are only used with withdrawOnDown: false",
    });
  }
}));

const metrics = mapping({
  enabled: bool().optional().describe("Serve Prometheus metrics (default false)"),
  address: hostPort().optional().describe(
    '"host:port" (default 127.0.0.1:9090); or Herald\'s listenAddress and listenPort',
  ),
  listenAddress: ipAddress().optional().describe(
    "Herald's form of address: the address (default 127.0.0.1 when this form is used)",
  ),
  listenPort: port().optional().describe(
    "Herald's form of address: the port (default 9091 when this form is used)",
  ),
  interval: duration().optional().describe(
    "Herald's BGP figure collection interval; accepted and unused: every figure here is current at each scrape",
  ),
  path: z.string({ error: 'expected a path starting with "/"' })
    .regex(/^\//, 'expected a path starting with "/"').optional(),
}).superRefine(guard((v, ctx) => {
  if (v.address === undefined) return;
  for (const key of ["listenAddress", "listenPort"] as const) {
    if (v[key] === undefined) continue;
    ctx.addIssue({
      code: "custom",
      path: [key],
      input: v[key],
      message:
        `address and ${key} say the same thing: use address ("host:port") or Herald's listenAddress and listenPort, not both`,
    });
  }
}));

/** Report every entry whose `key` repeats an earlier one, at the repeat. */
function noDuplicates<T>(what: string, field: string, key: (item: T) => string | undefined) {
  return (items: T[] | undefined, ctx: z.RefinementCtx) => {
    if (items === undefined) return;
    const seen = new Map<string, number>();
    items.forEach((item, index) => {
      const k = key(item);
      if (k === undefined) return;
      const first = seen.get(k);
      if (first === undefined) seen.set(k, index);
      else {
        ctx.addIssue({
          code: "custom",
          path: [index, field],
          input: (item as Record<string, unknown>)[field],
          message: `duplicate ${what} ${k} (first at index ${first})`,
        });
      }
    });
  };
}

export const nativeSchema = mapping({
  $schema: str().optional().describe("JSON Schema reference, ignored"),
  logging: logging.optional(),
  speaker: speaker,
  api: api.optional(),
  neighbors: list(neighbor).optional().superRefine(guard(
    noDuplicates("neighbor", "address", (n: z.infer<typeof neighbor>) => {
      const a = parseAddress(n.address);
      return a && `${a.canonical} port ${n.port ?? 179}`;
    }),
  )),
  prefixes: list(prefixEntry).optional().superRefine(guard(
    noDuplicates("prefix", "ipAddress", (p: z.infer<typeof prefixEntry>) => {
      const parsed = parsePrefix(p.ipAddress);
      return parsed.ok ? parsed.canonical : undefined;
    }),
  )),
  bfd: bfd.optional(),
  metrics: metrics.optional(),
  fleet: nativeFleet.optional(),
}).superRefine(guard((v, ctx) => {
  // RFC 4271 §9.1.2: a peer drops a route whose AS_PATH holds its own AS. Towards
  // iBGP peers the path is only the prepends (route.ts), so prepending the
  // speaker's own AS turns "degrade" into "withdraw" on every iBGP neighbor.
  const asn = v.speaker.asn;
  const ibgp = (v.neighbors ?? []).find((n) => n.asn === asn);
  if (ibgp === undefined) return;
  (v.prefixes ?? []).forEach((p, index) => {
    const states: [string[], number | number[] | undefined][] = [
      [[], p.asPathPrepend],
      [["down"], p.down?.asPathPrepend],
      [["disabled"], p.disabled?.asPathPrepend],
    ];
    for (const [at, prepend] of states) {
      if (prepend === undefined) continue;
      // A count prepends the prefix's asn (default ours); a list prepends exactly its entries.
      const own = Array.isArray(prepend)
        ? prepend.includes(asn)
        : prepend > 0 && (p.asn ?? asn) === asn;
      if (!own) continue;
      const entry = Array.isArray(prepend) ? prepend.indexOf(asn) : undefined;
      ctx.addIssue({
        code: "custom",
        path: [
          "prefixes",
          index,
          ...at,
          "asPathPrepend",
          ...(entry === undefined ? [] : [entry]),
        ],
        input: entry === undefined ? prepend : asn,
        message: Array.isArray(prepend)
          ? `prepending our own AS ${asn} is dropped as a loop by iBGP neighbor ${ibgp.address} (AS ${asn}); list other AS numbers or use med/localPref`
          : `prepending our own AS ${asn} is dropped as a loop by iBGP neighbor ${ibgp.address} (AS ${asn}); set asn (prependAsn) to another AS or use med/localPref`,
      });
    }
  });
})).describe("anycast native configuration (a superset of Periphery's config.yaml)");

export type NativeFile = z.infer<typeof nativeSchema>;
export type NativeProbe = z.infer<typeof probe>;
export type NativePrefix = z.infer<typeof prefixEntry>;
export type NativeNeighbor = z.infer<typeof neighbor>;
export type NativeStateAttributes = z.infer<typeof stateAttributes>;
export type NativeBfdTimers = z.infer<z.ZodObject<typeof bfdTimers>>;
