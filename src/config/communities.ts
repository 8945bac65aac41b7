/**
 * Community text forms accepted in config files, normalised for the model.
 *
 * @module
 */
import { ownValue } from "../util/own.ts";

/** RFC 1997 and RFC 8326 / RFC 7999 well-known communities by name. */
export const WELL_KNOWN_COMMUNITIES: Readonly<Record<string, string>> = {
  "no-export": "65535:65281",
  "no-advertise": "65535:65282",
  "no-export-subconfed": "65535:65283",
  "graceful-shutdown": "65535:0",
  "blackhole": "65535:666",
};

function uint(text: string | undefined, max: number): number {
  if (text === undefined || !/^[0-9]{1,10}$/.test(text)) throw new SyntaxError("not a number");
  const n = Number(text);
  if (n > max) throw new RangeError("out of range");
  return n;
}

/** "65000:100" or a well-known name ("no-export", "NO_EXPORT") to "65535:65281" form. */
export function parseCommunity(text: string): string {
  const named = ownValue(WELL_KNOWN_COMMUNITIES, text.toLowerCase().replaceAll("_", "-"));
  if (named) return named;
  const parts = text.split(":");
  if (parts.length !== 2) throw new SyntaxError(`Cannot parse community: "${text}"`);
  return `${uint(parts[0], 65535)}:${uint(parts[1], 65535)}`;
}

/** RFC 8092 "global:local1:local2". */
export function parseLargeCommunity(text: string): string {
  const parts = text.split(":");
  if (parts.length !== 3) throw new SyntaxError(`Cannot parse large community: "${text}"`);
  return parts.map((p) => uint(p, 4294967295)).join(":");
}

/**
 * RFC 4360 route target / route origin in text form: "rt:ASN:NN",
 * "soo:ASN:NN", "rt:IPv4:NN". A 4-octet ASN leaves 16 bits for NN.
 */
export function parseExtendedCommunity(text: string): string {
  const m = /^(rt|soo|target|origin):(.+):([0-9]+)$/i.exec(text);
  if (!m) throw new SyntaxError(`Cannot parse extended community: "${text}"`);
  const type = m[1]!.toLowerCase() === "target" || m[1]!.toLowerCase() === "rt" ? "rt" : "soo";
  const admin = m[2]!;
  if (/^[0-9.]+$/.test(admin) && admin.includes(".")) {
    const octets = admin.split(".");
    if (octets.length !== 4) throw new SyntaxError(`Cannot parse extended community: "${text}"`);
    for (const o of octets) uint(o, 255);
    return `${type}:${admin}:${uint(m[3], 65535)}`;
  }
  const asn = uint(admin, 4294967295);
  const local = uint(m[3], asn > 65535 ? 65535 : 4294967295);
  return `${type}:${asn}:${local}`;
}
