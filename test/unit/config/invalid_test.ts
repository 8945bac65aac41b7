/**
 * Invalid configs: each case asserts every reported error exactly
 * (file:line:column: path: message), in order.
 */
import assert from "node:assert/strict";
import { formatConfigError, parseConfig } from "../../../src/config/mod.ts";

/** Three lines every native case starts with, so case lines begin at 4. */
const SPEAKER = "speaker:\n  asn: 64600\n  routerId: 192.0.2.10\n";

const ANNOUNCER = `announcer:
  router_id: 10.3.3.3
  local_address: 10.0.0.1
  local_asn: 65999
  routes: [10.0.0.128/32]
  peers:
    - name: r1
      remote_address: 10.0.0.252
      remote_asn: 65000
`;

interface Case {
  name: string;
  yaml: string;
  errors: string[];
}

const cases: Case[] = [
  // ------------------------------------------------------------ syntax and shape
  {
    name: "YAML syntax error",
    yaml: "speaker: [1, 2\n",
    errors: [
      "config.yaml:2:1: Cannot parse YAML: Flow sequence in block collection must be sufficiently indented and end with a ]",
    ],
  },
  {
    name: "duplicate key",
    yaml: SPEAKER + "speaker: {}\n",
    errors: ["config.yaml:4:1: Cannot parse YAML: Map keys must be unique"],
  },
  {
    name: "empty file",
    yaml: "",
    errors: ["config.yaml:1:1: file is empty; expected a mapping of settings"],
  },
  {
    name: "top level is a list",
    yaml: "- speaker\n",
    errors: ["config.yaml:1:1: expected a mapping of settings at the top level"],
  },
  {
    name: "a list used as a key",
    yaml: "speaker:\n  ? [a]\n  : 1\n",
    errors: ["config.yaml:2:5: expected a plain key, got a mapping, list or binary value"],
  },
  {
    name: "missing speaker",
    yaml: "neighbors: []\n",
    errors: ["config.yaml:1:1: speaker: required key is missing"],
  },
  {
    name: "unknown top-level key with a hint",
    yaml: SPEAKER + "neighbours: []\n",
    errors: ['config.yaml:4:1: neighbours: unknown key; did you mean "neighbors"?'],
  },
  {
    name: "snake_case key in the native dialect",
    yaml: "speaker:\n  asn: 64600\n  router_id: 192.0.2.10\n",
    errors: [
      "config.yaml:2:3: speaker.routerId: required key is missing",
      'config.yaml:3:3: speaker.router_id: unknown key; did you mean "routerId"?',
    ],
  },
  // ------------------------------------------------------------ speaker
  {
    name: "ASN 0",
    yaml: "speaker:\n  asn: 0\n  routerId: 192.0.2.10\n",
    errors: ["config.yaml:2:8: speaker.asn: expected AS number 1-4294967295, got 0"],
  },
  {
    name: "ASN above 32 bits",
    yaml: "speaker:\n  asn: 4294967296\n  routerId: 192.0.2.10\n",
    errors: ["config.yaml:2:8: speaker.asn: expected AS number 1-4294967295, got 4294967296"],
  },
  {
    name: "ASN as text",
    yaml: 'speaker:\n  asn: "AS64600"\n  routerId: 192.0.2.10\n',
    errors: ['config.yaml:2:8: speaker.asn: expected AS number 1-4294967295, got "AS64600"'],
  },
  {
    name: "router ID is IPv6",
    yaml: "speaker:\n  asn: 64600\n  routerId: 2001:db8::1\n",
    errors: ['config.yaml:3:13: speaker.routerId: expected an IPv4 address, got "2001:db8::1"'],
  },
  {
    name: "graceful restart time above 4095",
    yaml: SPEAKER + "  gracefulRestartRestartTime: 5000\n",
    errors: [
      "config.yaml:4:31: speaker.gracefulRestartRestartTime: expected integer 0-4095, got 5000",
    ],
  },
  {
    name: "boolean given as a word",
    yaml: SPEAKER + "  gracefulRestartEnabled: yes\n",
    errors: ['config.yaml:4:27: speaker.gracefulRestartEnabled: expected true or false, got "yes"'],
  },
  // ------------------------------------------------------------ neighbors
  {
    name: "neighbor password together with passwordFile",
    yaml: SPEAKER +
      "neighbors:\n  - address: 192.0.2.1\n    asn: 65000\n    password: s3cret\n    passwordFile: /etc/k\n",
    errors: [
      'config.yaml:8:19: neighbors[0].passwordFile: expected one of password, passwordFile, not both, got "/etc/k"',
    ],
  },
  {
    name: "neighbor password longer than 80 bytes",
    yaml: SPEAKER +
      `neighbors:\n  - address: 192.0.2.1\n    asn: 65000\n    password: ${"x".repeat(81)}\n`,
    errors: [
      "config.yaml:7:15: neighbors[0].password: expected at most 80 bytes (TCP_MD5SIG_MAXKEYLEN)",
    ],
  },
  {
    name: "neighbor password together with tcpAo",
    yaml: SPEAKER +
      "neighbors:\n  - address: 192.0.2.1\n    asn: 65000\n    password: a\n    tcpAo: { keyId: 1, secret: b }\n",
    errors: [
      "config.yaml:8:12: neighbors[0].tcpAo: TCP-AO and a TCP MD5 password exclude each other (RFC 5925 7.7)",
    ],
  },
  {
    name: "neighbor ttlSecurity together with ebgpMultihop",
    yaml: SPEAKER +
      "neighbors:\n  - address: 192.0.2.1\n    asn: 65000\n    ttlSecurity: 1\n    ebgpMultihopEnabled: true\n    ebgpMultihopTtl: 3\n",
    errors: [
      "config.yaml:7:18: neighbors[0].ttlSecurity: ttlSecurity (GTSM) and ebgpMultihop exclude each other: GTSM always sends TTL 255 and sets the hop count with ttlSecurity (RFC 5082 3)",
    ],
  },
  {
    name: "neighbor ttlSecurity of 255 hops",
    yaml: SPEAKER + "neighbors:\n  - address: 192.0.2.1\n    asn: 65000\n    ttlSecurity: 255\n",
    errors: ["config.yaml:7:18: neighbors[0].ttlSecurity: expected integer 1-254, got 255"],
  },
  {
    name: "neighbor tcpAo without a secret",
    yaml: SPEAKER + "neighbors:\n  - address: 192.0.2.1\n    asn: 65000\n    tcpAo: { keyId: 1 }\n",
    errors: ["config.yaml:7:12: neighbors[0].tcpAo: expected exactly one of secret, secretFile"],
  },
  {
    name: "bfd auth secret too long for keyed-md5",
    yaml: SPEAKER +
      'bfd:\n  auth: { type: keyed-md5, keyId: 2, secret: "12345678901234567" }\n',
    errors: [
      "config.yaml:5:46: bfd.auth.secret: expected at most 16 bytes for keyed-md5 (RFC 5880 4.2-4.4)",
    ],
  },
  {
    name: "neighbor address is not an IP",
    yaml: SPEAKER + "neighbors:\n  - address: router1\n    asn: 65000\n",
    errors: ['config.yaml:5:14: neighbors[0].address: expected an IP address, got "router1"'],
  },
  {
    name: "neighbor missing asn",
    yaml: SPEAKER + "neighbors:\n  - address: 192.0.2.1\n",
    errors: ["config.yaml:5:5: neighbors[0].asn: required key is missing"],
  },
  {
    name: "hold time 2",
    yaml: SPEAKER + "neighbors:\n  - address: 192.0.2.1\n    asn: 65000\n    holdTime: 2\n",
    errors: [
      "config.yaml:7:15: neighbors[0].holdTime: expected a hold time of 0 or 3-65535 whole seconds (RFC 4271 4.2), got 2",
    ],
  },
  {
    name: "keepalive not below hold time",
    yaml: SPEAKER +
      "neighbors:\n  - address: 192.0.2.1\n    asn: 65000\n    holdTime: 9s\n    keepalive: 9s\n",
    errors: [
      'config.yaml:8:16: neighbors[0].keepalive: expected whole seconds, more than 0 and less than the hold time, got "9s"',
    ],
  },
  {
    name: "port 0",
    yaml: SPEAKER + "neighbors:\n  - address: 192.0.2.1\n    asn: 65000\n    port: 0\n",
    errors: ["config.yaml:7:11: neighbors[0].port: expected integer 1-65535, got 0"],
  },
  {
    name: "port 70000",
    yaml: SPEAKER + "neighbors:\n  - address: 192.0.2.1\n    asn: 65000\n    port: 70000\n",
    errors: ["config.yaml:7:11: neighbors[0].port: expected integer 1-65535, got 70000"],
  },
  {
    name: "duplicate neighbor",
    yaml: SPEAKER +
      "neighbors:\n  - address: 192.0.2.1\n    asn: 65000\n  - address: 192.0.2.1\n    asn: 65001\n",
    errors: [
      "config.yaml:7:14: neighbors[1].address: duplicate neighbor 192.0.2.1 port 179 (first at index 0)",
    ],
  },
  {
    name: "local address of the other family",
    yaml: SPEAKER +
      "neighbors:\n  - address: 192.0.2.1\n    asn: 65000\n    localAddress: 2001:db8::1\n",
    errors: [
      'config.yaml:7:19: neighbors[0].localAddress: expected an IPv4 address like the neighbor address, got "2001:db8::1"',
    ],
  },
  {
    name: "unknown family",
    yaml: SPEAKER +
      "neighbors:\n  - address: 192.0.2.1\n    asn: 65000\n    families: [ipv4-multicast]\n",
    errors: [
      'config.yaml:7:16: neighbors[0].families[0]: expected one of ipv4-unicast, ipv6-unicast, got "ipv4-multicast"; did you mean "ipv4-unicast"?',
    ],
  },
  {
    name: "neighbor bfd is a string",
    yaml: SPEAKER + "neighbors:\n  - address: 192.0.2.1\n    asn: 65000\n    bfd: on\n",
    errors: [
      'config.yaml:7:10: neighbors[0].bfd: expected true, false or a mapping of BFD settings, got "on"',
    ],
  },
  {
    name: "multihop TTL 0",
    yaml: SPEAKER +
      "neighbors:\n  - address: 192.0.2.1\n    asn: 65000\n    ebgpMultihopTtl: 0\n",
    errors: ["config.yaml:7:22: neighbors[0].ebgpMultihopTtl: expected integer 1-255, got 0"],
  },
  // ------------------------------------------------------------ prefixes
  {
    name: "prefix with host bits set",
    yaml: SPEAKER + "prefixes:\n  - ipAddress: 192.0.2.1/24\n",
    errors: [
      'config.yaml:5:16: prefixes[0].ipAddress: expected a network with host bits zero, got "192.0.2.1/24" (did you mean "192.0.2.0/24"?)',
    ],
  },
  {
    name: "prefix length too long",
    yaml: SPEAKER + "prefixes:\n  - ipAddress: 192.0.2.1/33\n",
    errors: [
      'config.yaml:5:16: prefixes[0].ipAddress: expected a prefix such as "192.0.2.1/32", got "192.0.2.1/33"',
    ],
  },
  {
    name: "IPv6 next hop on an IPv4 prefix",
    yaml: SPEAKER + "prefixes:\n  - ipAddress: 192.0.2.1/32\n    nextHop: 2001:db8::1\n",
    errors: [
      'config.yaml:6:14: prefixes[0].nextHop: expected an IPv4 next hop for 192.0.2.1/32, got "2001:db8::1"',
    ],
  },
  {
    name: "link-local next hop on an IPv4 prefix",
    yaml: SPEAKER + "prefixes:\n  - ipAddress: 192.0.2.1/32\n    nextHopLinkLocal: fe80::1\n",
    errors: [
      'config.yaml:6:23: prefixes[0].nextHopLinkLocal: expected an IPv6 link-local address (fe80::/10) on an IPv6 prefix, got "fe80::1"',
    ],
  },
  {
    name: "duplicate prefix written two ways",
    yaml: SPEAKER + "prefixes:\n  - ipAddress: 192.0.2.1/32\n  - ipAddress: 192.0.2.1\n",
    errors: [
      "config.yaml:6:16: prefixes[1].ipAddress: duplicate prefix 192.0.2.1/32 (first at index 0)",
    ],
  },
  {
    name: "own-AS prepend towards an iBGP neighbor",
    yaml: SPEAKER +
      "neighbors:\n  - address: 192.0.2.1\n    asn: 65001\n  - address: 192.0.2.9\n    asn: 64600\n" +
      "prefixes:\n  - ipAddress: 192.0.2.1/32\n    asn: 65123\n    asPathPrepend: 2\n" +
      "  - ipAddress: 192.0.2.2/32\n    asPathPrepend: 1\n" +
      "  - ipAddress: 192.0.2.3/32\n    asn: 64600\n    withdrawOnDown: false\n" +
      "    down:\n      asPathPrepend: 3\n    disabled: {asPathPrepend: 0}\n",
    errors: [
      "config.yaml:14:20: prefixes[1].asPathPrepend: prepending our own AS 64600 is dropped as a loop by iBGP neighbor 192.0.2.9 (AS 64600); set asn (prependAsn) to another AS or use med/localPref",
      "config.yaml:19:22: prefixes[2].down.asPathPrepend: prepending our own AS 64600 is dropped as a loop by iBGP neighbor 192.0.2.9 (AS 64600); set asn (prependAsn) to another AS or use med/localPref",
    ],
  },
  {
    name: "community out of range",
    yaml: SPEAKER + 'prefixes:\n  - ipAddress: 192.0.2.1/32\n    communities: ["65536:1"]\n',
    errors: [
      'config.yaml:6:19: prefixes[0].communities[0]: expected a community "asn:value" (0-65535 each) or no-export, no-advertise, no-export-subconfed, graceful-shutdown, blackhole, got "65536:1"',
    ],
  },
  {
    name: "large community with two parts",
    yaml: SPEAKER + 'prefixes:\n  - ipAddress: 192.0.2.1/32\n    largeCommunities: ["1:2"]\n',
    errors: [
      'config.yaml:6:24: prefixes[0].largeCommunities[0]: expected a large community "global:local1:local2" (0-4294967295 each), got "1:2"',
    ],
  },
  {
    name: "extended community without a type",
    yaml: SPEAKER +
      'prefixes:\n  - ipAddress: 192.0.2.1/32\n    extendedCommunities: ["65000:1"]\n',
    errors: [
      'config.yaml:6:27: prefixes[0].extendedCommunities[0]: expected an extended community such as "rt:65000:100" or "soo:192.0.2.1:7", got "65000:1"',
    ],
  },
  {
    name: "med and multiExitDescriminator both set",
    yaml: SPEAKER +
      "prefixes:\n  - ipAddress: 192.0.2.1/32\n    med: 1\n    multiExitDescriminator: 2\n",
    errors: [
      "config.yaml:7:29: prefixes[0].multiExitDescriminator: med and multiExitDescriminator are the same attribute: set only one",
    ],
  },
  {
    name: "down attributes without withdrawOnDown false",
    yaml: SPEAKER + "prefixes:\n  - ipAddress: 192.0.2.1/32\n    down:\n      med: 100\n",
    errors: [
      "config.yaml:7:7: prefixes[0].down: down attributes are only used with withdrawOnDown: false",
    ],
  },
  {
    name: "unknown origin",
    yaml: SPEAKER + "prefixes:\n  - ipAddress: 192.0.2.1/32\n    origin: IGP\n",
    errors: [
      'config.yaml:6:13: prefixes[0].origin: expected one of igp, egp, incomplete, got "IGP"; did you mean "igp"?',
    ],
  },
  {
    name: "service type other than systemd or process",
    yaml: SPEAKER +
      "prefixes:\n  - ipAddress: 192.0.2.1/32\n    service: {name: nginx, type: docker}\n",
    errors: [
      'config.yaml:6:34: prefixes[0].service.type: expected one of systemd, process, got "docker"',
    ],
  },
  {
    name: "systemd service without a name",
    yaml: SPEAKER + "prefixes:\n  - ipAddress: 192.0.2.1/32\n    service: {type: systemd}\n",
    errors: [
      "config.yaml:6:14: prefixes[0].service.name: expected the unit name for a systemd service",
    ],
  },
  {
    name: "process service with both pidFile and match",
    yaml: SPEAKER +
      "prefixes:\n  - ipAddress: 192.0.2.1/32\n    service: {type: process, pidFile: /run/x.pid, match: x}\n",
    errors: [
      'config.yaml:6:39: prefixes[0].service.pidFile: expected exactly one of pidFile and match for a process service, got "/run/x.pid"',
    ],
  },
  {
    name: "process service with a bad regular expression",
    yaml: SPEAKER +
      'prefixes:\n  - ipAddress: 192.0.2.1/32\n    service: {type: process, match: "("}\n',
    errors: [
      'config.yaml:6:37: prefixes[0].service.match: expected a regular expression: Invalid regular expression: /(/: Unterminated group, got "("',
    ],
  },
  {
    name: "tcp watch given as a word",
    yaml: SPEAKER +
      "prefixes:\n  - ipAddress: 192.0.2.1/32\n    readinessProbe:\n      tcp: {port: 80, watch: yes}\n",
    errors: [
      'config.yaml:7:30: prefixes[0].readinessProbe.tcp.watch: expected true or false, got "yes"',
    ],
  },
  // ------------------------------------------------------------ probes
  {
    name: "port given as a word",
    yaml: SPEAKER +
      "prefixes:\n  - ipAddress: 192.0.2.1/32\n    readinessProbe:\n      http:\n        port: eighty\n",
    errors: [
      'config.yaml:8:15: prefixes[0].readinessProbe.http.port: expected integer 1-65535, got "eighty"',
    ],
  },
  {
    name: "probe without a handler",
    yaml: SPEAKER +
      "prefixes:\n  - ipAddress: 192.0.2.1/32\n    readinessProbe:\n      periodSeconds: 5s\n",
    errors: [
      "config.yaml:7:7: prefixes[0].readinessProbe: expected exactly one handler (http, tcp, grpc, exec, dnsLookup, http2xx, tlsCertificate, assignedAddress, icmpPing, tftpRrq, ntpq), found none",
    ],
  },
  {
    name: "probe with two handlers",
    yaml: SPEAKER +
      "prefixes:\n  - ipAddress: 192.0.2.1/32\n    livenessProbe:\n      tcp: {port: 80}\n      exec: {command: /bin/true}\n",
    errors: [
      "config.yaml:8:13: prefixes[0].livenessProbe.exec: expected exactly one handler, found tcp and exec",
    ],
  },
  {
    name: "Herald's requestTimeout together with timeout",
    yaml: SPEAKER +
      "prefixes:\n  - ipAddress: 192.0.2.1/32\n    readinessProbe:\n      http: {port: 80, timeout: 1s, requestTimeout: 2s}\n",
    errors: [
      "config.yaml:7:53: prefixes[0].readinessProbe.http.requestTimeout: timeout and requestTimeout are the same setting: set only one",
    ],
  },
  {
    name: "terminationGracePeriodSeconds that is not a duration",
    yaml: SPEAKER +
      "prefixes:\n  - ipAddress: 192.0.2.1/32\n    livenessProbe:\n      terminationGracePeriodSeconds: soon\n      tcp: {port: 80}\n",
    errors: [
      'config.yaml:7:38: prefixes[0].livenessProbe.terminationGracePeriodSeconds: expected a duration such as "10s" or "300ms", or integer seconds, got "soon"',
    ],
  },
  {
    name: "failure threshold 0",
    yaml: SPEAKER +
      "prefixes:\n  - ipAddress: 192.0.2.1/32\n    readinessProbe:\n      failureThreshold: 0\n      tcp: {port: 80}\n",
    errors: [
      "config.yaml:7:25: prefixes[0].readinessProbe.failureThreshold: expected integer 1-1000000, got 0",
    ],
  },
  {
    name: "duration with an unknown unit",
    yaml: SPEAKER +
      "prefixes:\n  - ipAddress: 192.0.2.1/32\n    readinessProbe:\n      periodSeconds: 10 seconds\n      tcp: {port: 80}\n",
    errors: [
      'config.yaml:7:22: prefixes[0].readinessProbe.periodSeconds: expected a duration such as "10s" or "300ms", or integer seconds, got "10 seconds"',
    ],
  },
  {
    name: "negative duration",
    yaml: SPEAKER +
      "prefixes:\n  - ipAddress: 192.0.2.1/32\n    readinessProbe:\n      initialDelaySeconds: -1\n      tcp: {port: 80}\n",
    errors: [
      'config.yaml:7:28: prefixes[0].readinessProbe.initialDelaySeconds: expected a duration such as "10s" or "300ms", or integer seconds, got -1',
    ],
  },
  {
    name: "clipped probe key gets a hint",
    yaml: SPEAKER +
      "prefixes:\n  - ipAddress: 192.0.2.1/32\n    readinessProbe:\n      period: 5s\n      tcp: {port: 80}\n",
    errors: [
      'config.yaml:7:7: prefixes[0].readinessProbe.period: unknown key; did you mean "periodSeconds"?',
    ],
  },
  {
    name: "http header without a value",
    yaml: SPEAKER +
      "prefixes:\n  - ipAddress: 192.0.2.1/32\n    readinessProbe:\n      http:\n        port: 80\n        httpHeaders:\n          - name: Host\n",
    errors: [
      "config.yaml:10:13: prefixes[0].readinessProbe.http.httpHeaders[0].value: required key is missing",
    ],
  },
  {
    name: "expected status out of range",
    yaml: SPEAKER +
      "prefixes:\n  - ipAddress: 192.0.2.1/32\n    readinessProbe:\n      http: {port: 80, expectedStatus: [600]}\n",
    errors: [
      'config.yaml:7:41: prefixes[0].readinessProbe.http.expectedStatus[0]: expected a status code 100-599 or a range "200-299", got 600',
    ],
  },
  {
    name: "tls certificate with neither local nor remote",
    yaml: SPEAKER +
      "prefixes:\n  - ipAddress: 192.0.2.1/32\n    readinessProbe:\n      tlsCertificate:\n        commonName: x\n",
    errors: [
      "config.yaml:8:9: prefixes[0].readinessProbe.tlsCertificate: expected exactly one of local or remote",
    ],
  },
  {
    name: "dns resolver without a port",
    yaml: SPEAKER +
      "prefixes:\n  - ipAddress: 192.0.2.1/32\n    readinessProbe:\n      dnsLookup: {query: example.org, resolver: 127.0.0.1}\n",
    errors: [
      'config.yaml:7:49: prefixes[0].readinessProbe.dnsLookup.resolver: expected "host:port" (port 1-65535), got "127.0.0.1"',
    ],
  },
  {
    name: "probe kind in anycastd spelling",
    yaml: SPEAKER +
      "prefixes:\n  - ipAddress: 192.0.2.1/32\n    readinessProbe:\n      dns_lookup: {query: example.org, resolver: 127.0.0.1:53}\n",
    errors: [
      'config.yaml:7:7: prefixes[0].readinessProbe.dns_lookup: unknown key; did you mean "dnsLookup"?',
      "config.yaml:7:7: prefixes[0].readinessProbe: expected exactly one handler (http, tcp, grpc, exec, dnsLookup, http2xx, tlsCertificate, assignedAddress, icmpPing, tftpRrq, ntpq), found none",
    ],
  },
  // ------------------------------------------------------------ logging
  {
    name: "windows logging driver",
    yaml: SPEAKER + "logging:\n  driver: windows\n",
    errors: [
      "config.yaml:5:11: logging.driver: the windows driver (Windows Event Log) is not supported on this platform; use stderr, file, syslog, journald or none",
    ],
  },
  {
    name: "file driver without a file",
    yaml: SPEAKER + "logging:\n  driver: file\n",
    errors: ['config.yaml:5:11: logging.driver: the file driver needs "file: <path>"'],
  },
  {
    name: "unknown log level",
    yaml: SPEAKER + "logging:\n  level: verbose\n",
    errors: [
      'config.yaml:5:10: logging.level: expected one of trace, debug, info, warn, warning, error, dpanic, panic, fatal, DEBUG, INFO, WARN, ERROR, DPANIC, PANIC, FATAL, got "verbose"',
    ],
  },
  // ------------------------------------------------------------ several at once
  {
    name: "all errors of a file are reported together",
    yaml:
      "speaker:\n  asn: -5\n  routerId: x\nneighbors:\n  - address: 192.0.2.1\n    asn: 65000\n    port: 99999\n",
    errors: [
      "config.yaml:2:8: speaker.asn: expected AS number 1-4294967295, got -5",
      'config.yaml:3:13: speaker.routerId: expected an IPv4 address, got "x"',
      "config.yaml:7:11: neighbors[0].port: expected integer 1-65535, got 99999",
    ],
  },
  // ------------------------------------------------------------ anycastd dialect
  {
    name: "anycastd typo multihope_ttl",
    yaml: ANNOUNCER + "      multihope_ttl: 3\n",
    errors: [
      'config.yaml:10:7: announcer.peers[0].multihope_ttl: unknown key; did you mean "multihop_ttl"?',
    ],
  },
  {
    name: "anycastd bare number duration",
    yaml: ANNOUNCER +
      "services:\n  - name: web\n    check_interval: 10\n    checks:\n      - kind: assigned_address\n        spec: {ipv4: 10.0.0.128}\n",
    errors: [
      'config.yaml:12:21: services[0].check_interval: expected a duration string such as "10s", got 10 (anycastd reads a bare number as nanoseconds: write "10s" for seconds)',
    ],
  },
  {
    name: "anycastd unknown check kind",
    yaml: ANNOUNCER +
      "services:\n  - name: web\n    checks:\n      - kind: http_200\n        spec: {url: http://127.0.0.1/}\n",
    errors: [
      'config.yaml:13:15: services[0].checks[0].kind: expected one of dns_lookup, http_2xx, tls_certificate, assigned_address, icmp_ping, tftp_rrq, ntpq, got "http_200"; did you mean "http_2xx"?',
    ],
  },
  {
    name: "anycastd unknown spec key",
    yaml: ANNOUNCER +
      "services:\n  - name: web\n    checks:\n      - kind: icmp_ping\n        spec:\n          static: {host: 127.0.0.1}\n          retries: 3\n",
    errors: [
      'config.yaml:16:11: services[0].checks[0].spec.retries: unknown key; did you mean "tries"?',
    ],
  },
  {
    name: "anycastd spec duration as a number",
    yaml: ANNOUNCER +
      "services:\n  - name: ntp\n    checks:\n      - kind: ntpq\n        spec: {server: 127.0.0.1, offset_threshold: 125}\n",
    errors: [
      'config.yaml:14:53: services[0].checks[0].spec.offset_threshold: expected a duration string such as "10s", got 125 (anycastd reads a bare number as nanoseconds: write "125s" for seconds)',
    ],
  },
  {
    name: "anycastd route with host bits",
    yaml: ANNOUNCER.replace("10.0.0.128/32", "10.0.0.128/24"),
    errors: [
      'config.yaml:5:12: announcer.routes[0]: expected a network with host bits zero, got "10.0.0.128/24" (did you mean "10.0.0.0/24"?)',
    ],
  },
  {
    name: "anycastd duplicate peer",
    yaml: ANNOUNCER + "    - name: r2\n      remote_address: 10.0.0.252\n      remote_asn: 65000\n",
    errors: [
      "config.yaml:11:23: announcer.peers[1].remote_address: duplicate neighbor 10.0.0.252 (first at index 0)",
    ],
  },
  {
    name: "anycastd percentage strategy without n",
    yaml: ANNOUNCER +
      "services:\n  - name: web\n    strategy: at_least_n_percentage\n    checks:\n      - kind: assigned_address\n        spec: {ipv4: 10.0.0.128}\n",
    errors: [
      "config.yaml:12:15: services[0].strategy: at_least_n_percentage needs strategy_options: { n: <fraction 0-1 or percent> }",
    ],
  },
  {
    name: "anycastd unknown routes_mode",
    yaml: ANNOUNCER + "  routes_mode: some\n",
    errors: [
      'config.yaml:10:16: announcer.routes_mode: expected one of all, any, got "some"',
    ],
  },
  // ------------------------------------------------------------ JSON input
  {
    name: "JSON input gets positions too",
    yaml: '{\n  "speaker": {\n    "asn": 64600,\n    "routerId": "192.0.2.300"\n  }\n}\n',
    errors: [
      'config.yaml:4:17: speaker.routerId: expected an IPv4 address, got "192.0.2.300"',
    ],
  },
];

Deno.test("the invalid-config table has at least 40 cases", () => {
  assert.ok(cases.length >= 40, `${cases.length} cases`);
});

for (const c of cases) {
  Deno.test(`parseConfig() reports ${c.name}`, () => {
    const result = parseConfig(c.yaml, "config.yaml");
    assert.equal(result.ok, false, "expected the config to be rejected");
    if (result.ok) return;
    assert.deepEqual(result.errors.map(formatConfigError), c.errors);
  });
}

Deno.test("parseConfig() accepts asPathPrepend with only eBGP neighbors or another AS", () => {
  const ebgpOnly = SPEAKER + "neighbors:\n  - address: 192.0.2.1\n    asn: 65001\n" +
    "prefixes:\n  - ipAddress: 192.0.2.1/32\n    asPathPrepend: 2\n";
  const otherAs = SPEAKER + "neighbors:\n  - address: 192.0.2.9\n    asn: 64600\n" +
    "prefixes:\n  - ipAddress: 192.0.2.1/32\n    asn: 65123\n    asPathPrepend: 2\n";
  for (const yaml of [ebgpOnly, otherAs]) {
    const result = parseConfig(yaml, "config.yaml");
    assert.ok(result.ok, JSON.stringify(!result.ok && result.errors.map(formatConfigError)));
    assert.equal(result.config.prefixes[0]?.attributes.asPathPrepend, 2);
  }
});
