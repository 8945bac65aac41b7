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

/** Append-only byte buffer that doubles as it grows (a million routes is ~45 MB). */
class ByteWriter {
  #buf = new Uint8Array(1 << 16);
  length = 0;

  #reserve(n: number): void {
    if (this.length + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.length));
    this.#buf = next;
  }

  u8(...values: number[]): void {
    this.#reserve(values.length);
    for (const v of values) this.#buf[this.length++] = v & 0xff;
  }

  u16(v: number): void {
    this.u8(v >>> 8, v);
  }

  u32(v: number): void {
    this.u8(v >>> 24, v >>> 16, v >>> 8, v);
  }

  /** Overwrite a u16/u32 written earlier (lengths are filled in at the end). */
  patch32(at: number, v: number): void {
    this.#buf[at] = (v >>> 24) & 0xff;
    this.#buf[at + 1] = (v >>> 16) & 0xff;
    this.#buf[at + 2] = (v >>> 8) & 0xff;
    this.#buf[at + 3] = v & 0xff;
  }

  patch16(at: number, v: number): void {
    this.#buf[at] = (v >>> 8) & 0xff;
    this.#buf[at + 1] = v & 0xff;
  }

  bytes(): Uint8Array {
    return this.#buf.slice(0, this.length);
  }
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
 * Writes the header with length 0 and returns a function that fills it in.
 */
function beginRecord(w: ByteWriter, subtype: number, timestamp: number): () => void {
  w.u32(timestamp);
  w.u16(MRT_TABLE_DUMP_V2);
  w.u16(subtype);
  const lengthAt = w.length;
  w.u32(0);
  return () => w.patch32(lengthAt, w.length - lengthAt - 4);
}

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
  const w = new ByteWriter();
  let end = beginRecord(w, PEER_INDEX_TABLE, timestamp);
  w.u8(...ipv4Bytes(peer.routerId)); // collector BGP ID
  w.u16(0); // view name length
  w.u16(1); // peer count
  w.u8(0x02); // peer type: IPv4 address, 4-octet AS
  w.u8(...ipv4Bytes(peer.routerId));
  w.u8(...ipv4Bytes(peer.address));
  w.u32(peer.asn);
  end();
  let sequence = 0;
  for (const r of routes) {
    const [addr = "", lenText = ""] = r.prefix.split("/");
    const length = Number(lenText);
    if (!Number.isInteger(length) || length < 0 || length > 32) {
      throw new TypeError(`Cannot parse prefix "${r.prefix}"`);
    }
    const asPath = r.asPath ?? [];
    end = beginRecord(w, RIB_IPV4_UNICAST, timestamp);
    w.u32(sequence++);
    w.u8(length, ...ipv4Bytes(addr).slice(0, Math.ceil(length / 8)));
    w.u16(1); // entry count
    w.u16(0); // peer index
    w.u32(timestamp); // originated time
    const attrLengthAt = w.length;
    w.u16(0);
    w.u8(0x40, 1, 1, 0); // ORIGIN IGP
    if (asPath.length) {
      w.u8(0x40, 2, 2 + 4 * asPath.length, 2, asPath.length); // AS_PATH, one AS_SEQUENCE
      for (const asn of asPath) w.u32(asn);
    } else {
      w.u8(0x40, 2, 0); // empty AS_PATH
    }
    w.u8(0x40, 3, 4, ...ipv4Bytes(r.nextHop)); // NEXT_HOP
    w.patch16(attrLengthAt, w.length - attrLengthAt - 2);
    end();
  }
  return w.bytes();
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
