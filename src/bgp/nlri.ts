/**
 * Prefix encoding shared by the NLRI and Withdrawn Routes fields
 * (RFC 4271 §4.3) and MP_REACH/MP_UNREACH_NLRI (RFC 4760 §5):
 *
 * ```
 * +---------------------------+
 * |   Length (1 octet)        |
 * +---------------------------+
 * |   Prefix (variable)       |
 * +---------------------------+
 * ```
 *
 * The prefix holds the minimum number of octets for `Length` bits; trailing
 * bits are ignored on decode (and cleared in the text form). IPv4 decoding is
 * the hot path of a full-table load, so it builds strings by hand instead of
 * going through ipaddr.js.
 *
 * @module
 */
import ipaddr from "ipaddr.js";
import type { ByteWriter } from "./_bytes.ts";
import { type AfiSafi, BgpDecodeError, ErrorCode, type Family } from "./message/types.ts";

export function afiSafiOf(family: Family): AfiSafi {
  return family === "ipv4-unicast" ? { afi: 1, safi: 1 } : { afi: 2, safi: 1 };
}

/** The family of an AFI/SAFI pair, undefined for families we do not carry. */
export function familyOf(afi: number, safi: number): Family | undefined {
  if (safi !== 1) return undefined;
  return afi === 1 ? "ipv4-unicast" : afi === 2 ? "ipv6-unicast" : undefined;
}

/** A prefix in wire form: `length` bits of `bytes` (exactly ceil(length/8) bytes). */
export interface WirePrefix {
  length: number;
  bytes: Uint8Array;
}

const IPV4_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Parses a dotted quad into 4 bytes; TypeError when it is not one. */
export function parseIpv4(text: string): Uint8Array {
  const m = IPV4_RE.exec(text);
  if (m === null) throw new TypeError(`Cannot parse IPv4 address: "${text}"`);
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const v = Number(m[i + 1]);
    if (v > 255) throw new TypeError(`Cannot parse IPv4 address: "${text}"`);
    out[i] = v;
  }
  return out;
}

export function formatIpv4(b: Uint8Array, at = 0): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

/** Parses an IPv6 address into 16 bytes; TypeError when it is not one. */
export function parseIpv6(text: string): Uint8Array {
  if (!ipaddr.IPv6.isValid(text) || text.includes("%")) {
    throw new TypeError(`Cannot parse IPv6 address: "${text}"`);
  }
  return Uint8Array.from(ipaddr.IPv6.parse(text).toByteArray());
}

/** RFC 5952 text of 16 bytes at `at` (ipaddr.js canonical form, as in the config model). */
export function formatIpv6(b: Uint8Array, at = 0): string {
  return ipaddr.fromByteArray(Array.from(b.subarray(at, at + 16))).toString();
}

/**
 * Parses "192.0.2.0/24" or "2001:db8::/32" for `family`. Host bits are
 * cleared. TypeError on bad text or the wrong family.
 */
export function parsePrefix(text: string, family: Family): WirePrefix {
  if (family === "ipv4-unicast") {
    const length = parseIpv4PrefixFast(text);
    return { length, bytes: scratch.slice(0, (length + 7) >> 3) };
  }
  const slash = text.indexOf("/");
  if (slash < 0) throw new TypeError(`Cannot parse prefix: "${text}" has no length`);
  const lenText = text.slice(slash + 1);
  const length = Number(lenText);
  const max = 128;
  if (!/^\d{1,3}$/.test(lenText) || length > max) {
    throw new TypeError(`Cannot parse prefix: "${text}" has a bad length for ${family}`);
  }
  const addr = parseIpv6(text.slice(0, slash));
  const n = (length + 7) >> 3;
  const bytes = addr.slice(0, n);
  if (length & 7) bytes[n - 1]! &= (0xff00 >> (length & 7)) & 0xff;
  return { length, bytes };
}

const scratch = new Uint8Array(4);

/**
 * Hot path for encoding: parses "a.b.c.d/len" into `scratch` (host bits
 * cleared) without regular expressions or allocation; returns the length.
 */
function parseIpv4PrefixFast(text: string): number {
  const n = text.length;
  let octet = 0, digits = 0, index = 0, i = 0;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      octet = octet * 10 + c - 48;
      if (++digits > 3 || octet > 255) break;
    } else if (c === 46 && index < 3 && digits > 0) {
      scratch[index++] = octet;
      octet = 0;
      digits = 0;
    } else if (c === 47 && index === 3 && digits > 0) {
      scratch[3] = octet;
      break;
    } else {
      break;
    }
  }
  let length = 0, lengthDigits = 0;
  if (i < n && text.charCodeAt(i) === 47 && index === 3) {
    for (i++; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57 || ++lengthDigits > 2) break;
      length = length * 10 + c - 48;
    }
  }
  if (i !== n || lengthDigits === 0 || length > 32) {
    throw new TypeError(`Cannot parse prefix: "${text}" is not an IPv4 prefix`);
  }
  const bytes = (length + 7) >> 3;
  for (let k = bytes; k < 4; k++) scratch[k] = 0;
  if (length & 7) scratch[bytes - 1]! &= (0xff00 >> (length & 7)) & 0xff;
  return length;
}

/** Writes the prefix text `text` of `family` in wire form; TypeError on bad text. */
export function writePrefixText(w: ByteWriter, text: string, family: Family): void {
  if (family !== "ipv4-unicast") {
    writePrefix(w, parsePrefix(text, family));
    return;
  }
  const length = parseIpv4PrefixFast(text);
  w.u8(length);
  const bytes = (length + 7) >> 3;
  for (let k = 0; k < bytes; k++) w.u8(scratch[k]!);
}

/** Wire size of the prefix text `text` (length byte included); TypeError on bad text. */
export function prefixTextWireSize(text: string, family: Family): number {
  const length = family === "ipv4-unicast"
    ? parseIpv4PrefixFast(text)
    : parsePrefix(text, family).length;
  return 1 + ((length + 7) >> 3);
}

/** Bytes a prefix of `length` bits takes on the wire (length byte included). */
export function prefixWireSize(length: number): number {
  return 1 + ((length + 7) >> 3);
}

export function writePrefix(w: ByteWriter, p: WirePrefix): void {
  w.u8(p.length);
  w.bytes(p.bytes);
}

function prefixError(subcode: number, what: string, buf: Uint8Array, start: number, end: number) {
  return new BgpDecodeError(
    ErrorCode.UPDATE_MESSAGE,
    subcode,
    `Cannot decode ${what}: prefix overruns or has a bad length`,
    buf.slice(start, end),
  );
}

/**
 * Decodes IPv4 prefixes in `buf[start, end)` onto `out`. Throws BgpDecodeError
 * (UPDATE Message Error / `subcode`) on a length above 32 or an overrun: per
 * RFC 7606 §5.3 a bad NLRI cannot be located, so the session resets.
 */
export function decodeIpv4Prefixes(
  buf: Uint8Array,
  start: number,
  end: number,
  out: string[],
  subcode: number,
  what: string,
): void {
  let p = start;
  while (p < end) {
    const len = buf[p]!;
    if (len > 32) throw prefixError(subcode, what, buf, start, end);
    const n = (len + 7) >> 3;
    if (p + 1 + n > end) throw prefixError(subcode, what, buf, start, end);
    let a = 0, b = 0, c = 0, d = 0;
    if (n > 0) a = buf[p + 1]!;
    if (n > 1) b = buf[p + 2]!;
    if (n > 2) c = buf[p + 3]!;
    if (n > 3) d = buf[p + 4]!;
    if (len & 7) {
      // Clear the ignored trailing bits so the text form is canonical.
      const mask = (0xff00 >> (len & 7)) & 0xff;
      if (n === 1) a &= mask;
      else if (n === 2) b &= mask;
      else if (n === 3) c &= mask;
      else d &= mask;
    }
    out.push(a + "." + b + "." + c + "." + d + "/" + len);
    p += 1 + n;
  }
}

/** Like {@link decodeIpv4Prefixes} for IPv6 (lengths up to 128). */
export function decodeIpv6Prefixes(
  buf: Uint8Array,
  start: number,
  end: number,
  out: string[],
  subcode: number,
  what: string,
): void {
  let p = start;
  const addr = new Uint8Array(16);
  while (p < end) {
    const len = buf[p]!;
    if (len > 128) throw prefixError(subcode, what, buf, start, end);
    const n = (len + 7) >> 3;
    if (p + 1 + n > end) throw prefixError(subcode, what, buf, start, end);
    addr.fill(0);
    addr.set(buf.subarray(p + 1, p + 1 + n));
    if (len & 7) addr[n - 1]! &= (0xff00 >> (len & 7)) & 0xff;
    out.push(formatIpv6(addr) + "/" + len);
    p += 1 + n;
  }
}

export function decodePrefixes(
  family: Family,
  buf: Uint8Array,
  start: number,
  end: number,
  out: string[],
  subcode: number,
  what: string,
): void {
  if (family === "ipv4-unicast") decodeIpv4Prefixes(buf, start, end, out, subcode, what);
  else decodeIpv6Prefixes(buf, start, end, out, subcode, what);
}
