/**
 * Packing many prefixes into as few UPDATEs as fit the maximum message size
 * (4096, or 65535 with RFC 8654), and End-of-RIB markers (RFC 4724 §2).
 *
 * IPv4 unicast uses the classic NLRI / Withdrawn Routes fields with a NEXT_HOP
 * attribute; IPv6 unicast uses MP_REACH_NLRI / MP_UNREACH_NLRI (RFC 4760)
 * with a 16-octet next hop, or 32 octets with the link-local one (RFC 2545 §3).
 *
 * @module
 */
import { attributeSize, encodedAttributes } from "../attribute/mod.ts";
import { prefixTextWireSize } from "../nlri.ts";
import { encodeUpdate, maxUpdateLength } from "./update.ts";
import type { CodecContext, Family, PathAttributes, UpdateMessage } from "./types.ts";

/** Prefixes of one family that share one attribute set. */
export interface Announcement {
  family: Family;
  prefixes: string[];
  /** Shared attributes; `nextHop`, `mpReach` and `mpUnreach` are set by the packer. */
  attributes: PathAttributes;
  /** IPv4 next hop for ipv4-unicast, IPv6 global next hop for ipv6-unicast. */
  nextHop: string;
  /** RFC 2545 link-local second next hop (ipv6-unicast only). */
  nextHopLinkLocal?: string;
}

/** Marker + length + type + withdrawn length + attribute length. */
const UPDATE_OVERHEAD = 23;

function attributesLength(attrs: PathAttributes, ctx: CodecContext): number {
  let n = 0;
  for (const a of encodedAttributes(attrs, ctx)) n += attributeSize(a.value.length);
  return n;
}

/** Splits `prefixes` greedily into runs whose encoded size fits `fits(bytes)`. */
function split(prefixes: string[], family: Family, fits: (bytes: number) => boolean): string[][] {
  const runs: string[][] = [];
  let run: string[] = [];
  let bytes = 0;
  for (const p of prefixes) {
    const size = prefixTextWireSize(p, family);
    if (!fits(bytes + size)) {
      if (run.length === 0) {
        throw new RangeError("Cannot pack UPDATE: attributes leave no room for NLRI");
      }
      runs.push(run);
      run = [];
      bytes = 0;
    }
    run.push(p);
    bytes += size;
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

/**
 * UPDATE messages announcing `a.prefixes` with one attribute set, as few as fit
 * `maxLength` (default: 4096, or 65535 when RFC 8654 was negotiated).
 */
export function packAnnouncements(
  a: Announcement,
  ctx: CodecContext,
  maxLength: number = maxUpdateLength(ctx),
): UpdateMessage[] {
  if (a.prefixes.length === 0) return [];
  const { nextHop: _n, mpReach: _r, mpUnreach: _u, ...shared } = a.attributes;
  if (a.family === "ipv4-unicast") {
    const attributes: PathAttributes = { ...shared, nextHop: a.nextHop };
    const budget = maxLength - UPDATE_OVERHEAD - attributesLength(attributes, ctx);
    return split(a.prefixes, a.family, (n) => n <= budget).map((nlri) => ({
      type: "update",
      withdrawn: [],
      attributes,
      nlri,
    }));
  }
  // RFC 4760 §3: AFI(2) SAFI(1) next hop length(1) next hop reserved(1).
  const mpHeader = 5 + (a.nextHopLinkLocal === undefined ? 16 : 32);
  const budget = maxLength - UPDATE_OVERHEAD - attributesLength(shared, ctx);
  return split(a.prefixes, a.family, (n) => attributeSize(mpHeader + n) <= budget).map((nlri) => ({
    type: "update",
    withdrawn: [],
    attributes: {
      ...shared,
      mpReach: a.nextHopLinkLocal === undefined
        ? { family: a.family, nextHop: a.nextHop, nlri }
        : { family: a.family, nextHop: a.nextHop, nextHopLinkLocal: a.nextHopLinkLocal, nlri },
    },
    nlri: [],
  }));
}

/** {@link packAnnouncements}, encoded. */
export function encodeUpdates(
  a: Announcement,
  ctx: CodecContext,
  maxLength: number = maxUpdateLength(ctx),
): Uint8Array[] {
  return packAnnouncements(a, ctx, maxLength).map((u) =>
    encodeUpdate(u, { ...ctx, extendedMessage: maxLength > 4096 })
  );
}

/** UPDATE messages withdrawing `prefixes`, as few as fit `maxLength`. */
export function packWithdrawals(
  family: Family,
  prefixes: string[],
  ctx: CodecContext,
  maxLength: number = maxUpdateLength(ctx),
): UpdateMessage[] {
  if (prefixes.length === 0) return [];
  const budget = maxLength - UPDATE_OVERHEAD;
  if (family === "ipv4-unicast") {
    return split(prefixes, family, (n) => n <= budget).map((withdrawn) => ({
      type: "update",
      withdrawn,
      attributes: {},
      nlri: [],
    }));
  }
  // RFC 4760 §4: AFI(2) SAFI(1) then withdrawn routes.
  return split(prefixes, family, (n) => attributeSize(3 + n) <= budget).map((withdrawn) => ({
    type: "update",
    withdrawn: [],
    attributes: { mpUnreach: { family, withdrawn } },
    nlri: [],
  }));
}

/** {@link packWithdrawals}, encoded. */
export function encodeWithdrawals(
  family: Family,
  prefixes: string[],
  ctx: CodecContext,
  maxLength: number = maxUpdateLength(ctx),
): Uint8Array[] {
  return packWithdrawals(family, prefixes, ctx, maxLength).map((u) =>
    encodeUpdate(u, { ...ctx, extendedMessage: maxLength > 4096 })
  );
}

/** RFC 4724 §2: an empty UPDATE for IPv4 unicast, an empty MP_UNREACH_NLRI otherwise. */
export function endOfRib(family: Family): UpdateMessage {
  return family === "ipv4-unicast" ? { type: "update", withdrawn: [], attributes: {}, nlri: [] } : {
    type: "update",
    withdrawn: [],
    attributes: { mpUnreach: { family, withdrawn: [] } },
    nlri: [],
  };
}

/** The family an End-of-RIB marker is for, undefined when `update` is not one. */
export function endOfRibFamily(update: UpdateMessage): Family | undefined {
  if (update.withdrawn.length > 0 || update.nlri.length > 0) return undefined;
  const present = Object.entries(update.attributes).filter(([, v]) => v !== undefined);
  if (present.length === 0) return "ipv4-unicast";
  const unreach = update.attributes.mpUnreach;
  if (present.length === 1 && unreach !== undefined && unreach.withdrawn.length === 0) {
    return unreach.family;
  }
  return undefined;
}

/** True when `update` is an End-of-RIB marker (RFC 4724 §2). */
export function isEndOfRib(update: UpdateMessage): boolean {
  return endOfRibFamily(update) !== undefined;
}
