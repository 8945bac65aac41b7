/**
 * Helpers the session uses around OPEN: the real peer AS (RFC 6793), the
 * Bad Peer AS check (RFC 4271 §6.2), and the negotiated codec context.
 *
 * @module
 */
import type { CodecContext, Family, OpenMessage, UpdateMessage } from "./types.ts";

/** The peer's real AS: the four-octet-as capability if present (RFC 6793 §4.1), else the 2-octet field. */
export function peerAsOf(_open: OpenMessage): number {
  throw new Error("not implemented");
}
/** Throws BgpDecodeError (OPEN Message Error / Bad Peer AS) when the peer is not `expectedAsn`. */
export function checkPeerAs(_open: OpenMessage, _expectedAsn: number): void {
  throw new Error("not implemented");
}
/** The context for the session once both OPENs are known. */
export function negotiateContext(
  _local: OpenMessage,
  _remote: OpenMessage,
  _ibgp: boolean,
): CodecContext {
  throw new Error("not implemented");
}
/** Prefixes an UPDATE withdraws, per family; with `treatAsWithdraw`, its announced prefixes too (RFC 7606 §2). */
export function withdrawnByUpdate(
  _u: UpdateMessage,
  _treatAsWithdraw: boolean,
): { family: Family; prefixes: string[] }[] {
  throw new Error("not implemented");
}
/** Prefixes an UPDATE announces, per family (empty when treat-as-withdraw applies). */
export function announcedByUpdate(
  _u: UpdateMessage,
  _treatAsWithdraw: boolean,
): { family: Family; prefixes: string[] }[] {
  throw new Error("not implemented");
}
