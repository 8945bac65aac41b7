/**
 * The session half of the daemon's control backend: status, peers and the
 * routes exchanged with each peer, presented for the API from the speaker's
 * sessions and route table.
 *
 * @module
 */
import type { PathAttributes } from "../bgp/message/types.ts";
import type { BgpSession } from "../bgp/session.ts";
import { peerInfoOf } from "./backend.ts";
import {
  ControlError,
  type PeerInfo,
  type RouteDirection,
  type RouteInfo,
  type StatusInfo,
} from "./types.ts";

function asPathOf(attributes: PathAttributes): number[] {
  return (attributes.asPath ?? []).flatMap((s) => s.asns);
}

/** One route as `anycast peers PEER --routes` shows it. */
export function routeInfoOf(
  prefix: string,
  attributes: PathAttributes,
  nextHop?: string,
): RouteInfo {
  const info: RouteInfo = {
    prefix,
    asPath: asPathOf(attributes),
    communities: attributes.communities ?? [],
    largeCommunities: attributes.largeCommunities ?? [],
  };
  const hop = nextHop ?? attributes.nextHop ?? attributes.mpReach?.nextHop;
  if (hop !== undefined) info.nextHop = hop;
  if (attributes.origin !== undefined) info.origin = String(attributes.origin);
  if (attributes.med !== undefined) info.med = attributes.med;
  if (attributes.localPref !== undefined) info.localPref = attributes.localPref;
  if (attributes.extendedCommunities?.length) {
    info.extendedCommunities = attributes.extendedCommunities;
  }
  return info;
}

export interface SessionBackendSource {
  sessions: () => readonly BgpSession[];
  status: () => StatusInfo;
  /** BFD state of a peer, when it has BFD. */
  bfdState: (address: string) => string | undefined;
}

/** status, peers and routes of the control API. */
export function sessionBackend(source: SessionBackendSource) {
  const session = (peer: string): BgpSession => {
    const found = source.sessions().find((s) =>
      s.neighbor.address === peer || s.neighbor.name === peer
    );
    if (!found) throw new ControlError(404, `Unknown peer ${peer}`);
    return found;
  };
  return {
    status: source.status,
    peers: (): PeerInfo[] =>
      source.sessions().map((s) => peerInfoOf(s.status(), source.bfdState(s.neighbor.address))),
    /** Restart a neighbor held down after its prefix limit (maxPrefixesRestart). */
    resetPeer: (peer: string): boolean => session(peer).releaseHold(),
    routes: (peer: string, direction: RouteDirection): RouteInfo[] => {
      const s = session(peer);
      if (direction === "sent") {
        return s.adjRibOut.sentRoutes(s.resolve).map((r) =>
          routeInfoOf(r.prefix, r.attributes, r.nextHop)
        );
      }
      return [...s.adjRibIn.routes()].map((r) => routeInfoOf(r.prefix, r.attributes));
    },
  };
}
