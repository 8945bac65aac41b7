/**
 * BGP-4 speaker: wire codec, session FSM, speaker and RIBs.
 *
 * @module
 */

// ---------------------------------------------------------------- wire codec (message/, attribute/, capability/)
export * from "./message/types.ts";
export { messageLength } from "./message/header.ts";
export { decodeMessage, encodeMessage, notificationFor } from "./message/codec.ts";
export {
  type Announcement,
  encodeUpdates,
  encodeWithdrawals,
  endOfRib,
  endOfRibFamily,
  isEndOfRib,
  packAnnouncements,
  packWithdrawals,
} from "./message/pack.ts";
export {
  announcedByUpdate,
  checkPeerAs,
  familiesOf,
  negotiateContext,
  peerAsOf,
  withdrawnByUpdate,
} from "./message/negotiate.ts";
export { afiSafiOf, familyOf, parsePrefix } from "./nlri.ts";
export {
  formatCommunity,
  parseCommunity,
  WELL_KNOWN_COMMUNITIES,
} from "./attribute/communities.ts";
export { parseLargeCommunity } from "./attribute/large_community.ts";
export {
  formatExtendedCommunity,
  parseExtendedCommunity,
} from "./attribute/extended_communities.ts";
export { maxUpdateLength } from "./message/update.ts";

// ---------------------------------------------------------------- FSM, session, RIBs, speaker (fsm.ts ... speaker.ts)
export {
  type FsmAction,
  type FsmConfig,
  type FsmEvent,
  fsmEvent,
  type FsmState,
  type FsmStateName,
  initialFsmState,
  negotiateHoldTime,
  type NotificationSpec,
} from "./fsm.ts";
export {
  BgpSession,
  ceaseFor,
  type GracefulRestartOptions,
  maxPrefixesData,
  type MessageCounters,
  type SessionOptions,
  type SessionStatus,
  type SessionStopOptions,
  shutdownCommunication,
} from "./session.ts";
export {
  type BgpConnection,
  type BgpListener,
  MemoryNetwork,
  memoryPipe,
  tcpTransport,
  type Transport,
} from "./transport.ts";
export { AdjRibIn, AdjRibOut, type InRoute, type OutRoute, type RibDiff } from "./rib.ts";
export { DEFAULT_LOCAL_PREF, outRouteFor, type RouteSpec } from "./route.ts";
export {
  BgpSpeaker,
  type PeerStateChange,
  type RemoveNeighborOptions,
  type SpeakerOptions,
  speakerOptionsFrom,
  type StopOptions,
} from "./speaker.ts";
