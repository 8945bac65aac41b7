/**
 * `struct sockaddr_in` / `struct sockaddr_in6` as bytes (Linux layout): pure
 * encode and decode, so the FFI socket code never builds them by hand.
 *
 * ```
 * sockaddr_in  (16): family u16 (host order) | port u16 (network order) | addr[4] | zero[8]
 * sockaddr_in6 (28): family u16 | port u16 | flowinfo u32 | addr[16] | scope_id u32
 * ```
 *
 * @module
 */
import { AF_INET, AF_INET6 } from "./libc.ts";

/** Size of `struct sockaddr_storage`, the largest address a call can return. */
export const SOCKADDR_STORAGE_SIZE = 128;

/** The 4 bytes of a dotted-quad IPv4 address. */
export function parseIpv4(address: string): Uint8Array {
  const parts = address.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new TypeError(`Cannot parse IPv4 address "${address}"`);
  }
  return Uint8Array.from(parts.map(Number));
}

/** The 16 bytes of an IPv6 address (with `::` and an embedded IPv4 tail). */
export function parseIpv6(address: string): Uint8Array {
  let text = address;
  const lastColon = text.lastIndexOf(":");
  if (lastColon >= 0 && text.slice(lastColon + 1).includes(".")) {
    // An embedded IPv4 tail ("::ffff:192.0.2.1") is two more 16-bit words.
    const v4 = parseIpv4(text.slice(lastColon + 1));
    const hi = ((v4[0]! << 8) | v4[1]!).toString(16);
    const lo = ((v4[2]! << 8) | v4[3]!).toString(16);
    text = `${text.slice(0, lastColon + 1)}${hi}:${lo}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) throw new TypeError(`Cannot parse IPv6 address "${address}"`);
  const words = (s: string | undefined) => (s === undefined || s === "" ? [] : s.split(":"));
  const left = words(halves[0]);
  const right = words(halves[1]);
  const fill = halves.length === 2 ? 8 - left.length - right.length : 0;
  const all = [...left, ...Array<string>(Math.max(0, fill)).fill("0"), ...right];
  if (fill < 0 || all.length !== 8 || all.some((w) => !/^[0-9a-f]{1,4}$/i.test(w))) {
    throw new TypeError(`Cannot parse IPv6 address "${address}"`);
  }
  const out = new Uint8Array(16);
  all.forEach((w, i) => {
    const v = parseInt(w, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  return out;
}

/** 4 or 6 from the textual form. */
export function familyOfAddress(address: string): 4 | 6 {
  return address.includes(":") ? 6 : 4;
}

/** Encode a socket address; `size` pads the result (e.g. to sockaddr_storage's 128). */
export function encodeSockaddr(address: string, port: number, size?: number): Uint8Array {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`Cannot encode port ${port}: expected 0-65535`);
  }
  const v6 = familyOfAddress(address) === 6;
  const out = new Uint8Array(Math.max(size ?? 0, v6 ? 28 : 16));
  const view = new DataView(out.buffer);
  view.setUint16(0, v6 ? AF_INET6 : AF_INET, true);
  view.setUint16(2, port);
  if (v6) out.set(parseIpv6(address), 8);
  else out.set(parseIpv4(address), 4);
  return out;
}

/** Decode a sockaddr_in/in6 returned by the kernel; IPv4-mapped IPv6 comes back as IPv4. */
export function decodeSockaddr(bytes: Uint8Array): { address: string; port: number } {
  if (bytes.length < 16) throw new RangeError(`Cannot decode sockaddr: ${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const family = view.getUint16(0, true);
  const port = view.getUint16(2);
  if (family === AF_INET) return { address: [...bytes.subarray(4, 8)].join("."), port };
  if (family === AF_INET6 && bytes.length >= 24) {
    return { address: formatIpv6(bytes.subarray(8, 24)), port };
  }
  throw new RangeError(`Cannot decode sockaddr: address family ${family}`);
}

/** RFC 5952 text of 16 bytes; IPv4-mapped addresses come back as dotted quads. */
export function formatIpv6(b: Uint8Array): string {
  if (b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) {
    return [...b.subarray(12, 16)].join(".");
  }
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((b[i]! << 8) | b[i + 1]!);
  // Longest run of two or more zero words becomes "::" (RFC 5952 §4.2).
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) [bestStart, bestLen] = [i, j - i];
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart < 0) return hex.join(":");
  const left = hex.slice(0, bestStart).join(":");
  const right = hex.slice(bestStart + bestLen).join(":");
  return `${left}::${right}`;
}
