// A minimal MRT TABLE_DUMP_V2 writer (RFC 6396 §4.3), enough for
// `gobgp mrt inject global FILE`: one peer, IPv4 unicast routes with
// ORIGIN, AS_PATH and NEXT_HOP.

const MRT_TABLE_DUMP_V2 = 13;
const PEER_INDEX_TABLE = 1;
const RIB_IPV4_UNICAST = 2;

function ipv4Bytes(address: string): number[] {
  const parts = address.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new TypeError(`Cannot parse IPv4 address "${address}"`);
  }
  return parts;
}

/*
 * MRT common header (RFC 6396 §2):
 *  0                   1                   2                   3
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                           Timestamp                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |             Type              |            Subtype            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                             Length                            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
function record(subtype: number, body: number[], timestamp: number): number[] {
  const len = body.length;
  return [
    ...u32(timestamp),
    ...u16(MRT_TABLE_DUMP_V2),
    ...u16(subtype),
    ...u32(len),
    ...body,
  ];
}

const u16 = (v: number) => [(v >>> 8) & 0xff, v & 0xff];
const u32 = (v: number) => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];

export interface MrtRoute {
  /** "198.51.100.0/24" */
  prefix: string;
  nextHop: string;
  /** AS_PATH as stored (the injecting daemon adds its own AS on eBGP). Default []. */
  asPath?: number[];
}

/**
 * Encode a TABLE_DUMP_V2 file: a PEER_INDEX_TABLE with one peer (§4.3.1),
 * then one RIB_IPV4_UNICAST record per route (§4.3.2) whose attributes use
 * 4-octet AS numbers (§4.3.4).
 */
export function encodeTableDumpV2(
  routes: Iterable<MrtRoute>,
  peer: { routerId: string; address: string; asn: number },
  timestamp = Math.floor(Date.now() / 1000),
): Uint8Array {
  const chunks: number[][] = [];
  // Peer type 0x02: IPv4 peer address, 4-octet AS.
  chunks.push(record(PEER_INDEX_TABLE, [
    ...ipv4Bytes(peer.routerId),
    ...u16(0), // view name length
    ...u16(1), // peer count
    0x02,
    ...ipv4Bytes(peer.routerId),
    ...ipv4Bytes(peer.address),
    ...u32(peer.asn),
  ], timestamp));
  let sequence = 0;
  for (const r of routes) {
    const [addr = "", lenText = ""] = r.prefix.split("/");
    const length = Number(lenText);
    if (!Number.isInteger(length) || length < 0 || length > 32) {
      throw new TypeError(`Cannot parse prefix "${r.prefix}"`);
    }
    const prefixBytes = ipv4Bytes(addr).slice(0, Math.ceil(length / 8));
    const asPath = r.asPath ?? [];
    const attrs = [
      0x40,
      1,
      1,
      0, // ORIGIN IGP
      0x40,
      2,
      ...(asPath.length ? [2 + 4 * asPath.length, 2, asPath.length] : [0]),
      ...asPath.flatMap(u32),
      0x40,
      3,
      4,
      ...ipv4Bytes(r.nextHop), // NEXT_HOP
    ];
    chunks.push(record(RIB_IPV4_UNICAST, [
      ...u32(sequence++),
      length,
      ...prefixBytes,
      ...u16(1), // entry count
      ...u16(0), // peer index
      ...u32(timestamp),
      ...u16(attrs.length),
      ...attrs,
    ], timestamp));
  }
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** `count` consecutive IPv4 /32 prefixes starting at `first` ("10.0.0.0"). */
export function* hostPrefixes(count: number, first = "10.0.0.0"): Generator<string> {
  const [a = 0, b = 0, c = 0, d = 0] = ipv4Bytes(first);
  const start = ((a << 24) >>> 0) + (b << 16) + (c << 8) + d;
  for (let i = 0; i < count; i++) {
    const v = start + i;
    yield `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}/32`;
  }
}
