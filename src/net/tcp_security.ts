/**
 * Per-socket options for BGP sessions: TTL and minimum TTL (GTSM, RFC 5082),
 * TCP MD5 signatures (RFC 2385) and TCP-AO (RFC 5925). The struct encoders
 * are pure (golden byte tests); `applySecurity` makes the setsockopt calls.
 *
 * @module
 */
import {
  check,
  ENOPROTOOPT,
  errno,
  IP_MINTTL,
  IP_TTL,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPPROTO_TCP,
  IPV6_MINHOPCOUNT,
  IPV6_UNICAST_HOPS,
  libc,
  setIntOption,
  SyscallError,
  TCP_AO_ADD_KEY,
  TCP_MD5SIG,
} from "./libc.ts";
import { encodeSockaddr, familyOfAddress } from "./sockaddr.ts";

/** RFC 2385 keys are at most TCP_MD5SIG_MAXKEYLEN (80) bytes on Linux. */
export const MD5_MAX_KEY_LENGTH = 80;
/** TCP_AO_MAXKEYLEN. */
export const AO_MAX_KEY_LENGTH = 80;
/** Algorithms the Linux TCP-AO code accepts by crypto name (RFC 5926 and RFC 8452 era). */
export const AO_ALGORITHMS = ["hmac(sha1)", "cmac(aes128)", "hmac(sha256)"] as const;
export type AoAlgorithm = typeof AO_ALGORITHMS[number];

/** One TCP-AO Master Key Tuple (RFC 5925 §3.1) for one peer. */
export interface TcpAoKey {
  /** SendID: the KeyID we put in our segments (0-255). */
  sendId: number;
  /** RecvID: the KeyID we accept from the peer; also our RNextKeyID (0-255). */
  recvId: number;
  algorithm: AoAlgorithm;
  key: Uint8Array;
}

/** What a BGP socket needs beyond a plain connect. Undefined fields leave the OS default. */
export interface TcpSecurity {
  /** IP_TTL / IPV6_UNICAST_HOPS of sent segments. */
  ttl?: number;
  /** IP_MINTTL / IPV6_MINHOPCOUNT: the kernel drops segments that arrive with less. */
  minTtl?: number;
  /** TCP_MD5SIG key for the peer (RFC 2385). */
  md5Key?: Uint8Array;
  /** TCP-AO key for the peer (RFC 5925). */
  tcpAo?: TcpAoKey;
}

/**
 * ```
 * struct tcp_md5sig {                         // 216 bytes
 *   struct sockaddr_storage tcpm_addr;        //   0: 128
 *   __u8  tcpm_flags;                         // 128 (0: exact address, no prefix)
 *   __u8  tcpm_prefixlen;                     // 129
 *   __u16 tcpm_keylen;                        // 130 (0 deletes the key)
 *   int   tcpm_ifindex;                       // 132
 *   __u8  tcpm_key[TCP_MD5SIG_MAXKEYLEN];     // 136: 80
 * };
 * ```
 */
export function encodeMd5sig(peer: string, key: Uint8Array, socketFamily: 4 | 6): Uint8Array {
  if (key.length > MD5_MAX_KEY_LENGTH) {
    throw new RangeError(`Cannot use a TCP MD5 key of ${key.length} bytes: at most 80`);
  }
  const out = new Uint8Array(216);
  out.set(encodeSockaddr(sockAddressFor(peer, socketFamily), 0), 0);
  new DataView(out.buffer).setUint16(130, key.length, true);
  out.set(key, 136);
  return out;
}

/**
 * ```
 * struct tcp_ao_add {                         // 288 bytes, 8-aligned
 *   struct sockaddr_storage addr;             //   0: 128
 *   char   alg_name[64];                      // 128
 *   __s32  ifindex;                           // 192
 *   __u32  set_current:1, set_rnext:1, reserved:30;   // 196
 *   __u16  reserved2;                         // 200
 *   __u8   prefix;                            // 202 (32 or 128: one address)
 *   __u8   sndid;                             // 203
 *   __u8   rcvid;                             // 204
 *   __u8   maclen;                            // 205 (0: the algorithm's default, 12 for the RFC 5926 ones)
 *   __u8   keyflags;                          // 206
 *   __u8   keylen;                            // 207
 *   __u8   key[TCP_AO_MAXKEYLEN];             // 208: 80
 * };
 * ```
 */
export function encodeTcpAoAdd(peer: string, ao: TcpAoKey, socketFamily: 4 | 6): Uint8Array {
  if (ao.key.length === 0 || ao.key.length > AO_MAX_KEY_LENGTH) {
    throw new RangeError(`Cannot use a TCP-AO key of ${ao.key.length} bytes: expected 1-80`);
  }
  for (const [name, id] of [["sendId", ao.sendId], ["recvId", ao.recvId]] as const) {
    if (!Number.isInteger(id) || id < 0 || id > 255) {
      throw new RangeError(`Cannot use TCP-AO ${name} ${id}: expected 0-255`);
    }
  }
  if (!AO_ALGORITHMS.includes(ao.algorithm)) {
    throw new RangeError(`Cannot use TCP-AO algorithm "${ao.algorithm}"`);
  }
  const out = new Uint8Array(288);
  const view = new DataView(out.buffer);
  const address = sockAddressFor(peer, socketFamily);
  out.set(encodeSockaddr(address, 0), 0);
  out.set(new TextEncoder().encode(ao.algorithm), 128);
  // set_current and set_rnext: the only key is the one in use and the one we ask for.
  view.setUint32(196, 0b11, true);
  out[202] = familyOfAddress(address) === 6 ? 128 : 32;
  out[203] = ao.sendId;
  out[204] = ao.recvId;
  out[207] = ao.key.length;
  out.set(ao.key, 208);
  return out;
}

/** The peer as the socket sees it: IPv4 peers of an IPv6 socket are IPv4-mapped. */
function sockAddressFor(peer: string, socketFamily: 4 | 6): string {
  if (socketFamily === 6 && familyOfAddress(peer) === 4) return `::ffff:${peer}`;
  return peer;
}

/** IP_TTL and IP_MINTTL (or the IPv6 hop-count pair) on one socket. */
export function applyTtl(fd: number, family: 4 | 6, ttl?: number, minTtl?: number): void {
  if (ttl !== undefined) {
    if (family === 4) setIntOption(fd, IPPROTO_IP, IP_TTL, ttl);
    else setIntOption(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, ttl);
  }
  if (minTtl !== undefined) {
    if (family === 4) setIntOption(fd, IPPROTO_IP, IP_MINTTL, minTtl);
    else setIntOption(fd, IPPROTO_IPV6, IPV6_MINHOPCOUNT, minTtl);
  }
}

/** Install (or with an empty key, remove) the MD5 key for `peer` on `fd`. */
export function setMd5Key(fd: number, family: 4 | 6, peer: string, key: Uint8Array): void {
  const sig = encodeMd5sig(peer, key, family);
  check(libc().setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, sig, sig.length), "setsockopt TCP_MD5SIG");
}

/** Add the TCP-AO key for `peer` on `fd`; a clear error where the kernel has no TCP-AO. */
export function addAoKey(fd: number, family: 4 | 6, peer: string, ao: TcpAoKey): void {
  const add = encodeTcpAoAdd(peer, ao, family);
  const rc = libc().setsockopt(fd, IPPROTO_TCP, TCP_AO_ADD_KEY, add, add.length);
  if (rc < 0) {
    const code = errno();
    if (code === ENOPROTOOPT) throw new Error(tcpAoUnsupportedMessage());
    throw new SyscallError("setsockopt", code, `TCP_AO_ADD_KEY (algorithm ${ao.algorithm})`);
  }
}

let aoSupport: boolean | undefined;

/**
 * Whether this kernel has TCP-AO: one TCP_AO_ADD_KEY on a throwaway socket
 * (ENOPROTOOPT: built without CONFIG_TCP_AO, or older than Linux 6.7).
 */
export function tcpAoSupported(): boolean {
  if (aoSupport !== undefined) return aoSupport;
  const lib = libc();
  const fd = check(lib.socket(2, 1 | 0o2000000, 0), "socket");
  try {
    const add = encodeTcpAoAdd(
      "127.0.0.1",
      { sendId: 1, recvId: 1, algorithm: "hmac(sha1)", key: Uint8Array.of(1) },
      4,
    );
    aoSupport = lib.setsockopt(fd, IPPROTO_TCP, TCP_AO_ADD_KEY, add, add.length) === 0 ||
      errno() !== ENOPROTOOPT;
  } finally {
    lib.close(fd);
  }
  return aoSupport;
}

/** The error for a TCP-AO key on a kernel without TCP-AO. */
export function tcpAoUnsupportedMessage(): string {
  return `TCP-AO is not supported by this kernel (${kernelRelease()}): it needs Linux 6.7 or later built with CONFIG_TCP_AO`;
}

function kernelRelease(): string {
  try {
    return `Linux ${Deno.osRelease()}`;
  } catch {
    return "unknown release";
  }
}

/** Everything a connecting socket needs, before connect(). */
export function applySecurity(fd: number, family: 4 | 6, peer: string, s: TcpSecurity): void {
  applyTtl(fd, family, s.ttl, s.minTtl);
  if (s.md5Key && s.tcpAo) {
    throw new TypeError(`Cannot use TCP MD5 and TCP-AO together for ${peer} (RFC 5925 §7.7)`);
  }
  if (s.md5Key) setMd5Key(fd, family, peer, s.md5Key);
  if (s.tcpAo) addAoKey(fd, family, peer, s.tcpAo);
}
