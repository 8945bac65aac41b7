/**
 * Helpers for the daemon's `ControlBackend`: join the prefix half
 * (`PrefixControl`) with the daemon's status/peers/routes, and turn a BGP
 * session status into the API's `PeerInfo`.
 *
 * @module
 */
import type { PrefixBackend } from "./prefix_control.ts";
import type { ControlBackend, PeerInfo } from "./types.ts";

export type SessionBackend = Pick<ControlBackend, "status" | "peers" | "routes" | "resetPeer">;

/**
 * One backend from the two halves. Methods are bound here because a class
 * instance's methods are not own properties: `{...prefixControl}` would lose them.
 */
export function combineBackend(prefixes: PrefixBackend, sessions: SessionBackend): ControlBackend {
  return {
    status: () => sessions.status(),
    peers: () => sessions.peers(),
    routes: (peer, direction) => sessions.routes(peer, direction),
    resetPeer: (peer) => sessions.resetPeer(peer),
    prefixes: () => prefixes.prefixes(),
    announce: (request) => prefixes.announce(request),
    withdraw: (prefix, options) => prefixes.withdraw(prefix, options),
    drain: (target, options) => prefixes.drain(target, options),
    undrain: (target) => prefixes.undrain(target),
    maintenance: (prefix, on, options) => prefixes.maintenance(prefix, on, options),
  };
}

/** The fields of the speaker's per-session status (`BgpSpeaker.peers()`) that the API shows. */
export interface SessionStatusShape {
  name: string;
  address: string;
  asn: number;
  description?: string;
  state: string;
  /** Milliseconds since Established; undefined while not Established. */
  uptimeMs?: number;
  prefixesSent: number;
  prefixesReceived: number;
  lastError?: string;
  nextAttemptInMs?: number;
  recentFlaps?: number;
  maxPrefixesHold?: { remainingMs?: number };
}

/** `PeerInfo` for `GET /v1/peers`; `bfd` is the BFD session state, undefined when BFD is off. */
export function peerInfoOf(session: SessionStatusShape, bfd?: string): PeerInfo {
  const info: PeerInfo = {
    name: session.name,
    address: session.address,
    asn: session.asn,
    state: session.state,
    prefixesSent: session.prefixesSent,
    prefixesReceived: session.prefixesReceived,
  };
  if (session.uptimeMs !== undefined) info.uptimeSeconds = Math.floor(session.uptimeMs / 1000);
  if (bfd !== undefined) info.bfd = bfd;
  if (session.lastError !== undefined) info.lastError = session.lastError;
  if (session.description !== undefined) info.description = session.description;
  if (session.nextAttemptInMs !== undefined) {
    info.nextAttemptSeconds = Math.ceil(session.nextAttemptInMs / 1000);
  }
  if (session.recentFlaps) info.recentFlaps = session.recentFlaps;
  if (session.maxPrefixesHold !== undefined) {
    const ms = session.maxPrefixesHold.remainingMs;
    info.maxPrefixesHold = ms === undefined ? {} : { remainingSeconds: Math.ceil(ms / 1000) };
  }
  return info;
}
