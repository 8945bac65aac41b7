/**
 * Helpers the session uses around OPEN and UPDATE: the real peer AS
 * (RFC 6793 §4.1), the Bad Peer AS check (RFC 4271 §6.2), the negotiated
 * codec context, and the per-family routes an UPDATE adds or removes.
 *
 * @module
 */
import { ByteWriter } from "../_bytes.ts";
import { writeCapability } from "../capability/mod.ts";
import { familyOf } from "../nlri.ts";
import {
  BgpDecodeError,
  type CodecContext,
  ErrorCode,
  type Family,
  type OpenMessage,
  OpenSubcode,
  type UpdateMessage,
} from "./types.ts";

/** The peer's real AS: the four-octet-as capability if present (RFC 6793 §4.1), else the 2-octet field. */
export function peerAsOf(open: OpenMessage): number {
  for (const c of open.capabilities) if (c.kind === "four-octet-as") return c.asn;
  return open.asn;
}

/**
 * Throws BgpDecodeError (OPEN Message Error / Bad Peer AS, RFC 4271 §6.2) when
 * the peer's AS is not `expectedAsn`. Data: the 2-octet My AS field.
 */
export function checkPeerAs(open: OpenMessage, expectedAsn: number): void {
  const asn = peerAsOf(open);
  if (asn !== expectedAsn) {
    throw new BgpDecodeError(
      ErrorCode.OPEN_MESSAGE,
      OpenSubcode.BAD_PEER_AS,
      `Cannot accept OPEN: peer AS ${asn}, expected ${expectedAsn}`,
      new Uint8Array([(open.asn >> 8) & 0xff, open.asn & 0xff]),
    );
  }
}

/** Families an OPEN offers: its multiprotocol capabilities, or IPv4 unicast when it has none (RFC 4760 §8). */
export function familiesOf(open: OpenMessage): Family[] {
  const out: Family[] = [];
  let any = false;
  for (const c of open.capabilities) {
    if (c.kind !== "multiprotocol") continue;
    any = true;
    const f = familyOf(c.afi, c.safi);
    if (f !== undefined && !out.includes(f)) out.push(f);
  }
  return any ? out : ["ipv4-unicast"];
}

/**
 * RFC 4760 §8, RFC 5492 §5: when the families both OPENs offer do not
 * intersect, the session would come up with nothing to exchange. Throws
 * BgpDecodeError OPEN Message Error / Unsupported Capability (2/7) whose data
 * is our multiprotocol capabilities (code, length, value), as FRR sends.
 */
export function checkCommonFamilies(local: OpenMessage, remote: OpenMessage): void {
  const ours = familiesOf(local);
  const theirs = familiesOf(remote);
  if (ours.some((f) => theirs.includes(f))) return;
  const w = new ByteWriter(6 * ours.length);
  for (const c of local.capabilities) if (c.kind === "multiprotocol") writeCapability(w, c);
  throw new BgpDecodeError(
    ErrorCode.OPEN_MESSAGE,
    OpenSubcode.UNSUPPORTED_CAPABILITY,
    `no common address family: we offer ${ours.join(", ") || "none"}, peer offers ${
      theirs.join(", ") || "none"
    }`,
    w.finish(),
  );
}

/** The codec context once both OPENs are known. */
export function negotiateContext(
  local: OpenMessage,
  remote: OpenMessage,
  ibgp: boolean,
): CodecContext {
  const both = (kind: string) =>
    local.capabilities.some((c) => c.kind === kind) &&
    remote.capabilities.some((c) => c.kind === kind);
  const remoteFamilies = familiesOf(remote);
  return {
    fourOctetAs: both("four-octet-as"),
    extendedMessage: both("extended-message"),
    ibgp,
    families: familiesOf(local).filter((f) => remoteFamilies.includes(f)),
  };
}

type PerFamily = { family: Family; prefixes: string[] }[];

function group(v4: string[], mpFamily: Family | undefined, mp: string[]): PerFamily {
  const out: PerFamily = [];
  if (mpFamily === "ipv4-unicast") v4 = [...v4, ...mp];
  if (v4.length > 0) out.push({ family: "ipv4-unicast", prefixes: v4 });
  if (mpFamily !== undefined && mpFamily !== "ipv4-unicast" && mp.length > 0) {
    out.push({ family: mpFamily, prefixes: mp });
  }
  return out;
}

/**
 * Prefixes an UPDATE withdraws, per family. With `treatAsWithdraw` (RFC 7606
 * §2) the prefixes it announces count as withdrawn too.
 */
export function withdrawnByUpdate(u: UpdateMessage, treatAsWithdraw: boolean): PerFamily {
  const out = group(
    u.withdrawn,
    u.attributes.mpUnreach?.family,
    u.attributes.mpUnreach?.withdrawn ?? [],
  );
  if (!treatAsWithdraw) return out;
  for (const g of announcedByUpdate(u, false)) {
    const same = out.find((o) => o.family === g.family);
    if (same) same.prefixes = [...same.prefixes, ...g.prefixes];
    else out.push(g);
  }
  return out;
}

/** Prefixes an UPDATE announces, per family (none when treat-as-withdraw applies). */
export function announcedByUpdate(u: UpdateMessage, treatAsWithdraw: boolean): PerFamily {
  if (treatAsWithdraw) return [];
  return group(u.nlri, u.attributes.mpReach?.family, u.attributes.mpReach?.nlri ?? []);
}
