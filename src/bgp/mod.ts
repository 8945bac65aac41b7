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
  negotiateContext,
  peerAsOf,
  withdrawnByUpdate,
} from "./message/negotiate.ts";
export { afiSafiOf, familyOf } from "./nlri.ts";
export {
  formatCommunity,
  parseCommunity,
  WELL_KNOWN_COMMUNITIES,
} from "./attribute/communities.ts";

// ---------------------------------------------------------------- FSM, session, RIBs, speaker (fsm.ts ... speaker.ts)
export {
  CeaseSubcode as FsmCeaseSubcode,
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
  type GracefulRestartOptions,
  maxPrefixesData,
  type MessageCounters,
  type SessionOptions,
  type SessionStatus,
  shutdownCommunication,
} from "./session.ts";
export {
  type BgpConnection,
  type BgpListener,
  memoryPipe,
  MemoryNetwork,
  tcpTransport,
  type Transport,
} from "./transport.ts";
export { AdjRibIn, AdjRibOut, type InRoute, type OutRoute, type RibDiff } from "./rib.ts";
export { DEFAULT_LOCAL_PREF, outRouteFor, type RouteSpec } from "./route.ts";
export {
  BgpSpeaker,
  type PeerStateChange,
  type SpeakerOptions,
  speakerOptionsFrom,
  type StopOptions,
} from "./speaker.ts";
