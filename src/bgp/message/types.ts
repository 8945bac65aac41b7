/**
 * The BGP-4 message model: one closed union of plain data, the codec context
 * and the decode error. Everything on the wire is described here; the
 * per-message files (`open.ts`, `update.ts`, ...) hold the byte codecs.
 *
 * Conventions:
 * - Prefixes are canonical CIDR strings, host bits zero: "192.0.2.1/32", "2001:db8::/32".
 * - Addresses are canonical text: "192.0.2.1", "2001:db8::1", "fe80::1".
 * - AS numbers are plain numbers 0..4294967295.
 * - Communities are "ASN:value" decimal text ("65535:65281" for no-export),
 *   large communities "global:local1:local2", extended communities "rt:65000:100",
 *   "soo:192.0.2.1:7", "rt:4200000000:1" or "0x" + 16 hex digits for any other value.
 *
 * @module
 */
import type { Family } from "../../config/model.ts";

export type { Family };

// ---------------------------------------------------------------- constants

/** RFC 4271 §4.1: marker (16) + length (2) + type (1). */
export const HEADER_LENGTH = 19;
/** RFC 4271 §4: maximum message size without RFC 8654. */
export const MAX_MESSAGE_LENGTH = 4096;
/** RFC 8654 §4: maximum message size with the Extended Message capability (except OPEN and KEEPALIVE). */
export const MAX_EXTENDED_MESSAGE_LENGTH = 65535;
/** RFC 4271 §4.2: the only version we speak. */
export const BGP_VERSION = 4;
/** RFC 6793 §9: the 2-octet stand-in for AS numbers above 65535. */
export const AS_TRANS = 23456;

/** RFC 4271 §4.1 message type codes. */
export const MessageTypeCode = {
  open: 1,
  update: 2,
  notification: 3,
  keepalive: 4,
  "route-refresh": 5,
} as const;

// ---------------------------------------------------------------- context

/**
 * What has been negotiated with this peer; every encoder and decoder takes one.
 * Build it from the two OPEN messages once the session reaches OpenConfirm.
 */
export interface CodecContext {
  /** Both sides sent the four-octet AS capability (RFC 6793): AS_PATH uses 4-byte AS numbers. */
  fourOctetAs: boolean;
  /** Both sides sent the Extended Message capability (RFC 8654): UPDATEs up to 65535 bytes. */
  extendedMessage: boolean;
  /** The peer is in our AS (iBGP). Controls LOCAL_PREF handling (RFC 4271 §5.1.5, RFC 7606 §7.5). */
  ibgp: boolean;
  /** Negotiated address families. */
  families: Family[];
}

/** Context used to decode an OPEN (and anything else) before capabilities are negotiated. */
export const DEFAULT_OPEN_CONTEXT: CodecContext = Object.freeze({
  fourOctetAs: false,
  extendedMessage: false,
  ibgp: false,
  families: Object.freeze(["ipv4-unicast"]) as unknown as Family[],
});

// ---------------------------------------------------------------- capabilities (RFC 5492)

/** RFC 5492 capability codes we understand. */
export const CapabilityCode = {
  multiprotocol: 1,
  "route-refresh": 2,
  "extended-message": 6,
  "graceful-restart": 64,
  "four-octet-as": 65,
  "enhanced-route-refresh": 70,
} as const;

/** RFC 4760 §8: AFI/SAFI pair; `afi` 1 = IPv4, 2 = IPv6; `safi` 1 = unicast. */
export interface AfiSafi {
  afi: number;
  safi: number;
}

export interface MultiprotocolCapability extends AfiSafi {
  kind: "multiprotocol";
}
export interface RouteRefreshCapability {
  kind: "route-refresh";
}
export interface ExtendedMessageCapability {
  kind: "extended-message";
}
/** RFC 4724 §3 (+ RFC 8538 N bit). */
export interface GracefulRestartCapability {
  kind: "graceful-restart";
  /** R bit: the sender has restarted. */
  restarting: boolean;
  /** N bit (RFC 8538): the sender supports graceful restart for NOTIFICATION. */
  notification: boolean;
  /** Restart time in seconds, 0..4095. */
  restartTime: number;
  /** Families whose state is preserved; `forwardingPreserved` is the F bit. */
  families: (AfiSafi & { forwardingPreserved: boolean })[];
}
export interface FourOctetAsCapability {
  kind: "four-octet-as";
  asn: number;
}
export interface EnhancedRouteRefreshCapability {
  kind: "enhanced-route-refresh";
}
/** Any other capability, kept as opaque bytes. */
export interface UnknownCapability {
  kind: "unknown";
  code: number;
  value: Uint8Array;
}

export type Capability =
  | MultiprotocolCapability
  | RouteRefreshCapability
  | ExtendedMessageCapability
  | GracefulRestartCapability
  | FourOctetAsCapability
  | EnhancedRouteRefreshCapability
  | UnknownCapability;

// ---------------------------------------------------------------- path attributes (RFC 4271 §4.3, §5)

/** Attribute type codes. */
export const AttributeCode = {
  ORIGIN: 1,
  AS_PATH: 2,
  NEXT_HOP: 3,
  MULTI_EXIT_DISC: 4,
  LOCAL_PREF: 5,
  ATOMIC_AGGREGATE: 6,
  AGGREGATOR: 7,
  COMMUNITIES: 8,
  MP_REACH_NLRI: 14,
  MP_UNREACH_NLRI: 15,
  EXTENDED_COMMUNITIES: 16,
  AS4_PATH: 17,
  AS4_AGGREGATOR: 18,
  LARGE_COMMUNITY: 32,
} as const;
/** A path attribute type code (any 0..255, see {@link AttributeCode} for the known ones). */
export type AttributeCode = number;

/** RFC 4271 §4.3 attribute flag bits. */
export const AttributeFlag = {
  OPTIONAL: 0x80,
  TRANSITIVE: 0x40,
  PARTIAL: 0x20,
  EXTENDED_LENGTH: 0x10,
} as const;

export type Origin = "igp" | "egp" | "incomplete";

/** RFC 4271 §4.3 segment types 1 (set) and 2 (sequence), RFC 5065 §3 types 3 and 4. */
export interface AsPathSegment {
  type: "set" | "sequence" | "confed-sequence" | "confed-set";
  asns: number[];
}

export interface Aggregator {
  asn: number;
  /** IPv4 address of the aggregating speaker. */
  address: string;
}

/** RFC 4760 §3 MP_REACH_NLRI, decoded. */
export interface MpReach {
  family: Family;
  /** Global next hop (IPv4 for ipv4-unicast, IPv6 for ipv6-unicast). */
  nextHop: string;
  /** RFC 2545 §3: link-local second next hop (32-byte next hop field). */
  nextHopLinkLocal?: string;
  nlri: string[];
}

/** RFC 4760 §4 MP_UNREACH_NLRI, decoded. */
export interface MpUnreach {
  family: Family;
  withdrawn: string[];
}

/** An attribute we do not know, kept as opaque bytes (only optional transitive ones survive decoding). */
export interface UnknownAttribute {
  code: number;
  /** Flags as received; the encoder sets Partial for optional transitive ones (RFC 4271 §5). */
  flags: number;
  value: Uint8Array;
}

/**
 * Path attributes of one UPDATE. AS4_PATH/AS4_AGGREGATOR never appear here:
 * the codec merges them into `asPath`/`aggregator` on decode and emits them on
 * encode towards 2-octet peers (RFC 6793 §4.2).
 */
export interface PathAttributes {
  origin?: Origin;
  /** Full AS path with real 4-octet AS numbers. */
  asPath?: AsPathSegment[];
  /** IPv4 next hop of the classic NLRI field. */
  nextHop?: string;
  med?: number;
  localPref?: number;
  atomicAggregate?: boolean;
  aggregator?: Aggregator;
  communities?: string[];
  extendedCommunities?: string[];
  largeCommunities?: string[];
  mpReach?: MpReach;
  mpUnreach?: MpUnreach;
  unknown?: UnknownAttribute[];
}

// ---------------------------------------------------------------- messages

/** RFC 4271 §4.2 */
export interface OpenMessage {
  type: "open";
  /** Always 4 on encode; decode rejects anything else. */
  version: number;
  /**
   * The sender's AS. On encode, values above 65535 are written as AS_TRANS
   * (the real AS must also be in a four-octet-as capability). On decode this is
   * the 2-octet field; use `peerAsOf()` for the real AS.
   */
  asn: number;
  /** Seconds, 0 or >= 3. */
  holdTime: number;
  /** Dotted quad, not 0.0.0.0. */
  bgpId: string;
  capabilities: Capability[];
}

/** RFC 4271 §4.3 */
export interface UpdateMessage {
  type: "update";
  /** IPv4 unicast withdrawn routes (classic field). */
  withdrawn: string[];
  attributes: PathAttributes;
  /** IPv4 unicast NLRI (classic field). */
  nlri: string[];
}

/**
 * RFC 9003 §2: the only Cease subcodes whose data is a shutdown
 * communication: Administrative Shutdown (2) and Administrative Reset (4).
 */
export type ShutdownCeaseSubcode =
  | typeof CeaseSubcode.ADMINISTRATIVE_SHUTDOWN
  | typeof CeaseSubcode.ADMINISTRATIVE_RESET;

/**
 * Code, subcode and data of a NOTIFICATION (RFC 4271 §4.5). The type admits
 * a shutdown `communication` only with Cease 2 or 4 (RFC 9003 §2): a literal
 * code 6 and subcode 2 or 4. Anything else carries `data` alone.
 */
export type NotificationFields =
  | {
    code: typeof ErrorCode.CEASE;
    subcode: ShutdownCeaseSubcode;
    data?: Uint8Array;
    /**
     * RFC 9003 shutdown communication. On encode, when set, it replaces
     * `data` with length byte + UTF-8 (at most 255 bytes). On decode, set
     * when the data is a well-formed communication.
     */
    communication?: string;
  }
  | { code: number; subcode: number; data?: Uint8Array; communication?: never };

/** RFC 4271 §4.5 */
export type NotificationMessage = NotificationFields & {
  type: "notification";
  data: Uint8Array;
};

/** RFC 4271 §4.4 */
export interface KeepaliveMessage {
  type: "keepalive";
}

/** RFC 2918 §3 / RFC 7313 §3.2 */
export interface RouteRefreshMessage extends AfiSafi {
  type: "route-refresh";
  /**
   * RFC 7313: normal request, Beginning of Route Refresh, End of Route Refresh;
   * "unknown" (decode only) for a reserved subtype, which must be ignored (RFC 7313 §5).
   */
  subtype: "normal" | "borr" | "eorr" | "unknown";
  /**
   * Decode only: bytes of RFC 5291 ORF entries after a normal request. We
   * support no ORF: the request is answered as a plain refresh.
   */
  orfBytes?: number;
}

export type BgpMessage =
  | OpenMessage
  | UpdateMessage
  | NotificationMessage
  | KeepaliveMessage
  | RouteRefreshMessage;

export type MessageType = BgpMessage["type"];

/**
 * Result of `decodeMessage`. For non-UPDATE messages the three outcome fields
 * are always false / empty.
 *
 * RFC 7606 outcomes for an UPDATE:
 * - `treatAsWithdraw`: the attributes were malformed in a way that makes the
 *   routes unusable (RFC 7606 §2). The session MUST treat every prefix in
 *   `nlri`, `attributes.mpReach.nlri`, `withdrawn` and
 *   `attributes.mpUnreach.withdrawn` as withdrawn. (Use `withdrawnByUpdate()`.)
 * - `discarded`: attribute codes that were dropped ("attribute discard",
 *   duplicates, AS4_* from a 4-octet peer, unknown non-transitive, LOCAL_PREF
 *   from an eBGP peer). The message is still valid.
 * - `warnings`: one human-readable line per problem, for logging.
 * - `endOfRib`: the UPDATE is the End-of-RIB marker of this family (RFC 4724
 *   §2), decided from the raw message: no withdrawn routes, no attributes and
 *   no NLRI (IPv4 unicast), or nothing but an MP_UNREACH_NLRI holding only
 *   the AFI/SAFI of a negotiated family.
 */
export interface DecodeResult {
  message: BgpMessage;
  treatAsWithdraw: boolean;
  discarded: AttributeCode[];
  warnings: string[];
  endOfRib?: Family;
  /**
   * The RFC 7606 outcomes of `treatAsWithdraw` and `discarded`, one per
   * attribute, for logs and metrics; absent when there were none.
   */
  outcomes?: Rfc7606Outcome[];
}

/** One RFC 7606 outcome: what was done, to which attribute, and why. */
export interface Rfc7606Outcome {
  action: "treat-as-withdraw" | "attribute-discard";
  /** Attribute name ("NEXT_HOP"), or "attribute 99" for one without a codec. */
  attribute: string;
  reason: string;
}

// ---------------------------------------------------------------- errors

/** RFC 4271 §4.5 error codes (+ RFC 7313 code 7). */
export const ErrorCode = {
  MESSAGE_HEADER: 1,
  OPEN_MESSAGE: 2,
  UPDATE_MESSAGE: 3,
  HOLD_TIMER_EXPIRED: 4,
  FSM: 5,
  CEASE: 6,
  ROUTE_REFRESH_MESSAGE: 7,
} as const;

/** RFC 4271 §6.1 */
export const HeaderSubcode = {
  CONNECTION_NOT_SYNCHRONIZED: 1,
  BAD_MESSAGE_LENGTH: 2,
  BAD_MESSAGE_TYPE: 3,
} as const;

/** RFC 4271 §6.2 (+ RFC 5492 §5 subcode 7) */
export const OpenSubcode = {
  UNSPECIFIC: 0,
  UNSUPPORTED_VERSION_NUMBER: 1,
  BAD_PEER_AS: 2,
  BAD_BGP_IDENTIFIER: 3,
  UNSUPPORTED_OPTIONAL_PARAMETER: 4,
  UNACCEPTABLE_HOLD_TIME: 6,
  UNSUPPORTED_CAPABILITY: 7,
} as const;

/** RFC 4271 §6.3 */
export const UpdateSubcode = {
  UNSPECIFIC: 0,
  MALFORMED_ATTRIBUTE_LIST: 1,
  UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE: 2,
  MISSING_WELL_KNOWN_ATTRIBUTE: 3,
  ATTRIBUTE_FLAGS_ERROR: 4,
  ATTRIBUTE_LENGTH_ERROR: 5,
  INVALID_ORIGIN_ATTRIBUTE: 6,
  INVALID_NEXT_HOP_ATTRIBUTE: 8,
  OPTIONAL_ATTRIBUTE_ERROR: 9,
  INVALID_NETWORK_FIELD: 10,
  MALFORMED_AS_PATH: 11,
} as const;

/** RFC 6608 FSM error subcodes. */
export const FsmSubcode = {
  UNSPECIFIED: 0,
  UNEXPECTED_IN_OPEN_SENT: 1,
  UNEXPECTED_IN_OPEN_CONFIRM: 2,
  UNEXPECTED_IN_ESTABLISHED: 3,
} as const;

/** RFC 4486 Cease subcodes (+ RFC 8538 Hard Reset, RFC 9384 BFD Down). */
export const CeaseSubcode = {
  MAX_PREFIXES: 1,
  ADMINISTRATIVE_SHUTDOWN: 2,
  PEER_DECONFIGURED: 3,
  ADMINISTRATIVE_RESET: 4,
  CONNECTION_REJECTED: 5,
  OTHER_CONFIGURATION_CHANGE: 6,
  CONNECTION_COLLISION_RESOLUTION: 7,
  OUT_OF_RESOURCES: 8,
  HARD_RESET: 9,
  BFD_DOWN: 10,
} as const;

/** RFC 7313 §5 ROUTE-REFRESH error subcodes. */
export const RouteRefreshSubcode = {
  INVALID_MESSAGE_LENGTH: 1,
} as const;

/**
 * The one table of NOTIFICATION codes with their defined subcodes and names (IANA "BGP Error (Notification) Codes"
 * and "... Subcodes" registries), for logs and `anycast peers`.
 */
export const NOTIFICATION_NAMES: Readonly<
  Record<number, { name: string; subcodes: Readonly<Record<number, string>> }>
> = {
  [ErrorCode.MESSAGE_HEADER]: {
    name: "Message Header Error",
    subcodes: {
      [HeaderSubcode.CONNECTION_NOT_SYNCHRONIZED]: "Connection Not Synchronized",
      [HeaderSubcode.BAD_MESSAGE_LENGTH]: "Bad Message Length",
      [HeaderSubcode.BAD_MESSAGE_TYPE]: "Bad Message Type",
    },
  },
  [ErrorCode.OPEN_MESSAGE]: {
    name: "OPEN Message Error",
    subcodes: {
      [OpenSubcode.UNSPECIFIC]: "Unspecific",
      [OpenSubcode.UNSUPPORTED_VERSION_NUMBER]: "Unsupported Version Number",
      [OpenSubcode.BAD_PEER_AS]: "Bad Peer AS",
      [OpenSubcode.BAD_BGP_IDENTIFIER]: "Bad BGP Identifier",
      [OpenSubcode.UNSUPPORTED_OPTIONAL_PARAMETER]: "Unsupported Optional Parameter",
      [OpenSubcode.UNACCEPTABLE_HOLD_TIME]: "Unacceptable Hold Time",
      [OpenSubcode.UNSUPPORTED_CAPABILITY]: "Unsupported Capability",
    },
  },
  [ErrorCode.UPDATE_MESSAGE]: {
    name: "UPDATE Message Error",
    subcodes: {
      [UpdateSubcode.UNSPECIFIC]: "Unspecific",
      [UpdateSubcode.MALFORMED_ATTRIBUTE_LIST]: "Malformed Attribute List",
      [UpdateSubcode.UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE]: "Unrecognized Well-known Attribute",
      [UpdateSubcode.MISSING_WELL_KNOWN_ATTRIBUTE]: "Missing Well-known Attribute",
      [UpdateSubcode.ATTRIBUTE_FLAGS_ERROR]: "Attribute Flags Error",
      [UpdateSubcode.ATTRIBUTE_LENGTH_ERROR]: "Attribute Length Error",
      [UpdateSubcode.INVALID_ORIGIN_ATTRIBUTE]: "Invalid ORIGIN Attribute",
      [UpdateSubcode.INVALID_NEXT_HOP_ATTRIBUTE]: "Invalid NEXT_HOP Attribute",
      [UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR]: "Optional Attribute Error",
      [UpdateSubcode.INVALID_NETWORK_FIELD]: "Invalid Network Field",
      [UpdateSubcode.MALFORMED_AS_PATH]: "Malformed AS_PATH",
    },
  },
  [ErrorCode.HOLD_TIMER_EXPIRED]: { name: "Hold Timer Expired", subcodes: { 0: "Unspecific" } },
  [ErrorCode.FSM]: {
    name: "Finite State Machine Error",
    subcodes: {
      [FsmSubcode.UNSPECIFIED]: "Unspecified Error",
      [FsmSubcode.UNEXPECTED_IN_OPEN_SENT]: "Receive Unexpected Message in OpenSent State",
      [FsmSubcode.UNEXPECTED_IN_OPEN_CONFIRM]: "Receive Unexpected Message in OpenConfirm State",
      [FsmSubcode.UNEXPECTED_IN_ESTABLISHED]: "Receive Unexpected Message in Established State",
    },
  },
  [ErrorCode.CEASE]: {
    name: "Cease",
    subcodes: {
      [CeaseSubcode.MAX_PREFIXES]: "Maximum Number of Prefixes Reached",
      [CeaseSubcode.ADMINISTRATIVE_SHUTDOWN]: "Administrative Shutdown",
      [CeaseSubcode.PEER_DECONFIGURED]: "Peer De-configured",
      [CeaseSubcode.ADMINISTRATIVE_RESET]: "Administrative Reset",
      [CeaseSubcode.CONNECTION_REJECTED]: "Connection Rejected",
      [CeaseSubcode.OTHER_CONFIGURATION_CHANGE]: "Other Configuration Change",
      [CeaseSubcode.CONNECTION_COLLISION_RESOLUTION]: "Connection Collision Resolution",
      [CeaseSubcode.OUT_OF_RESOURCES]: "Out of Resources",
      [CeaseSubcode.HARD_RESET]: "Hard Reset",
      [CeaseSubcode.BFD_DOWN]: "BFD Down",
    },
  },
  [ErrorCode.ROUTE_REFRESH_MESSAGE]: {
    name: "ROUTE-REFRESH Message Error",
    subcodes: { [RouteRefreshSubcode.INVALID_MESSAGE_LENGTH]: "Invalid Message Length" },
  },
};

/** "6/6 (Cease, Other Configuration Change)": a NOTIFICATION for logs and status. */
export function describeNotification(n: { code: number; subcode: number }): string {
  const entry = NOTIFICATION_NAMES[n.code];
  if (entry === undefined) return `${n.code}/${n.subcode} (unknown)`;
  // Subcode 0 is "no subcode" for most codes: name only the real ones.
  const sub = n.subcode === 0 ? undefined : entry.subcodes[n.subcode];
  return `${n.code}/${n.subcode} (${entry.name}${sub ? `, ${sub}` : ""})`;
}

/**
 * A received message that forces a session reset: carries the NOTIFICATION
 * to send (RFC 4271 §6). Errors handled by RFC 7606 treat-as-withdraw or
 * attribute-discard are not thrown; they are reported in {@link DecodeResult}.
 */
export class BgpDecodeError extends Error {
  readonly code: number;
  readonly subcode: number;
  readonly data: Uint8Array;
  readonly action = "session-reset" as const;

  constructor(
    code: number,
    subcode: number,
    message: string,
    data: Uint8Array = new Uint8Array(0),
  ) {
    super(message);
    this.name = "BgpDecodeError";
    this.code = code;
    this.subcode = subcode;
    this.data = data;
  }
}
