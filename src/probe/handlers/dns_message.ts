/**
 * Just enough of the DNS wire format (RFC 1035 section 4) for a lookup
 * probe: encode one question, decode the header, question and answer RRs.
 *
 * ```
 *   Header (RFC 1035 4.1.1)
 *    0  1  2  3  4  5  6  7  8  9 10 11 12 13 14 15
 *   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *   |                      ID                       |
 *   |QR|   Opcode  |AA|TC|RD|RA|   Z    |   RCODE   |
 *   |                    QDCOUNT                    |
 *   |                    ANCOUNT                    |
 *   |                    NSCOUNT                    |
 *   |                    ARCOUNT                    |
 *   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 * ```
 *
 * @module
 */

export const RECORD_TYPES = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
} as const;
export type RecordTypeName = keyof typeof RECORD_TYPES;

export const RCODE_NAMES: Record<number, string> = {
  0: "NOERROR",
  1: "FORMERR",
  2: "SERVFAIL",
  3: "NXDOMAIN",
  4: "NOTIMP",
  5: "REFUSED",
};

export interface DnsQuestion {
  name: string;
  type: number;
}

export interface DnsAnswer {
  name: string;
  type: number;
  ttl: number;
  /** Text form for A/AAAA, the raw RDATA otherwise. */
  data: string;
}

export interface DnsResponse {
  id: number;
  rcode: number;
  truncated: boolean;
  questions: DnsQuestion[];
  answers: DnsAnswer[];
}

/** A standard query with RD set (RFC 1035 4.1.1), class IN. */
export function encodeQuery(id: number, name: string, type: number): Uint8Array {
  const labels = name.replace(/\.$/, "").split(".").filter((l) => l !== "");
  const qname: number[] = [];
  for (const label of labels) {
    const bytes = new TextEncoder().encode(label);
    if (bytes.length > 63) {
      throw new RangeError(`Cannot encode DNS name "${name}": label longer than 63 octets`);
    }
    qname.push(bytes.length, ...bytes);
  }
  qname.push(0);
  if (qname.length > 255) {
    throw new RangeError(`Cannot encode DNS name "${name}": longer than 255 octets`);
  }
  const out = new Uint8Array(12 + qname.length + 4);
  const view = new DataView(out.buffer);
  view.setUint16(0, id);
  view.setUint16(2, 0x0100); // RD
  view.setUint16(4, 1); // QDCOUNT
  out.set(qname, 12);
  view.setUint16(12 + qname.length, type);
  view.setUint16(14 + qname.length, 1); // IN
  return out;
}

/** Decode a response; throws RangeError on a malformed packet. */
export function decodeResponse(packet: Uint8Array): DnsResponse {
  if (packet.length < 12) {
    throw new RangeError("Cannot parse DNS response: shorter than its header");
  }
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  const id = view.getUint16(0);
  const flags = view.getUint16(2);
  const qdcount = view.getUint16(4);
  const ancount = view.getUint16(6);
  let at = 12;
  const questions: DnsQuestion[] = [];
  for (let i = 0; i < qdcount; i++) {
    const [name, next] = decodeName(packet, at);
    if (next + 4 > packet.length) {
      throw new RangeError("Cannot parse DNS response: truncated question");
    }
    questions.push({ name, type: view.getUint16(next) });
    at = next + 4;
  }
  const answers: DnsAnswer[] = [];
  for (let i = 0; i < ancount; i++) {
    const [name, next] = decodeName(packet, at);
    if (next + 10 > packet.length) {
      throw new RangeError("Cannot parse DNS response: truncated answer");
    }
    const type = view.getUint16(next);
    const ttl = view.getUint32(next + 4);
    const rdlength = view.getUint16(next + 8);
    const rdata = packet.subarray(next + 10, next + 10 + rdlength);
    if (rdata.length !== rdlength) {
      throw new RangeError("Cannot parse DNS response: truncated RDATA");
    }
    answers.push({ name, type, ttl, data: formatRdata(type, rdata, packet, next + 10) });
    at = next + 10 + rdlength;
  }
  return { id, rcode: flags & 0x000f, truncated: (flags & 0x0200) !== 0, questions, answers };
}

/** Decode a possibly compressed name (RFC 1035 4.1.4); returns [name, offset after it]. */
export function decodeName(packet: Uint8Array, offset: number): [string, number] {
  const labels: string[] = [];
  let at = offset;
  let end = -1;
  for (let hops = 0; hops < 128; hops++) {
    const len = packet[at];
    if (len === undefined) throw new RangeError("Cannot parse DNS name: runs past the packet");
    if (len === 0) {
      return [labels.join(".") || ".", end === -1 ? at + 1 : end];
    }
    if ((len & 0xc0) === 0xc0) {
      const low = packet[at + 1];
      if (low === undefined) throw new RangeError("Cannot parse DNS name: truncated pointer");
      if (end === -1) end = at + 2;
      at = ((len & 0x3f) << 8) | low;
      continue;
    }
    if ((len & 0xc0) !== 0) throw new RangeError("Cannot parse DNS name: bad label type");
    const label = packet.subarray(at + 1, at + 1 + len);
    if (label.length !== len) throw new RangeError("Cannot parse DNS name: truncated label");
    labels.push(new TextDecoder().decode(label));
    at += 1 + len;
  }
  throw new RangeError("Cannot parse DNS name: compression loop");
}

function formatRdata(type: number, rdata: Uint8Array, packet: Uint8Array, offset: number): string {
  if (type === RECORD_TYPES.A && rdata.length === 4) return Array.from(rdata).join(".");
  if (type === RECORD_TYPES.AAAA && rdata.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(((rdata[i]! << 8) | rdata[i + 1]!).toString(16));
    return groups.join(":");
  }
  if (type === RECORD_TYPES.CNAME || type === RECORD_TYPES.NS || type === RECORD_TYPES.PTR) {
    return decodeName(packet, offset)[0];
  }
  return Array.from(rdata, (b) => b.toString(16).padStart(2, "0")).join("");
}
