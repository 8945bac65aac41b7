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
