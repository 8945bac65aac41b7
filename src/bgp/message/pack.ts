/**
 * Packing many prefixes into as few UPDATEs as fit, and End-of-RIB (RFC 4724 §2).
 *
 * @module
 */
import type { CodecContext, Family, PathAttributes, UpdateMessage } from "./types.ts";

/** Prefixes of one family that share one attribute set. */
export interface Announcement {
  family: Family;
  prefixes: string[];
  /** Shared attributes; `nextHop`/`mpReach`/`mpUnreach` are set by the packer. */
  attributes: PathAttributes;
  /** IPv4 or IPv6 global next hop. */
  nextHop: string;
  /** RFC 2545 link-local second next hop (ipv6-unicast only). */
  nextHopLinkLocal?: string;
}

export function packAnnouncements(
  _a: Announcement,
  _ctx: CodecContext,
  _maxLength?: number,
): UpdateMessage[] {
  throw new Error("not implemented");
}
export function encodeUpdates(
  _a: Announcement,
  _ctx: CodecContext,
  _maxLength?: number,
): Uint8Array[] {
  throw new Error("not implemented");
}
export function packWithdrawals(
  _f: Family,
  _p: string[],
  _ctx: CodecContext,
  _maxLength?: number,
): UpdateMessage[] {
  throw new Error("not implemented");
}
export function encodeWithdrawals(
  _f: Family,
  _p: string[],
  _ctx: CodecContext,
  _maxLength?: number,
): Uint8Array[] {
  throw new Error("not implemented");
}
export function endOfRib(_f: Family): UpdateMessage {
  throw new Error("not implemented");
}
export function isEndOfRib(_u: UpdateMessage): boolean {
  throw new Error("not implemented");
}
export function endOfRibFamily(_u: UpdateMessage): Family | undefined {
  throw new Error("not implemented");
}
