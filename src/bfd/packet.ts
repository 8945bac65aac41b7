/**
 * BFD Control packet codec (RFC 5880 §4.1, authentication sections §4.2-§4.4).
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Vers |  Diag   |Sta|P|F|C|A|D|M|  Detect Mult  |    Length     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       My Discriminator                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                      Your Discriminator                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Desired Min TX Interval                    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                   Required Min RX Interval                    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 Required Min Echo RX Interval                 |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   Auth Type   |   Auth Len    |    Authentication Data...     |   (optional, A bit)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 *
 * Decoding applies the packet-intrinsic reception checks of RFC 5880 §6.8.6
 * (version, length, multiplier, multipoint, discriminators); the
 * session-dependent checks (which session, authentication in use) are made
 * by the manager and the session.
 *
 * @module
 */

/** Session states as carried in the Sta field (RFC 5880 §4.1). */
export const BfdState = { AdminDown: 0, Down: 1, Init: 2, Up: 3 } as const;
export type BfdState = typeof BfdState[keyof typeof BfdState];

/** Human names of the states, indexed by value. */
export const BFD_STATE_NAMES = ["AdminDown", "Down", "Init", "Up"] as const;
export type BfdStateName = typeof BFD_STATE_NAMES[number];

export function stateName(state: BfdState): BfdStateName {
  return BFD_STATE_NAMES[state];
}

/** Diagnostic codes (RFC 5880 §4.1 "Diag"). */
export const BfdDiagnostic = {
  None: 0,
  ControlDetectionTimeExpired: 1,
  EchoFunctionFailed: 2,
  NeighborSignaledSessionDown: 3,
  ForwardingPlaneReset: 4,
  PathDown: 5,
  ConcatenatedPathDown: 6,
  AdministrativelyDown: 7,
  ReverseConcatenatedPathDown: 8,
} as const;
export type BfdDiagnostic = number;

const DIAGNOSTIC_NAMES = [
  "none",
  "control-detection-time-expired",
  "echo-function-failed",
  "neighbor-signaled-session-down",
  "forwarding-plane-reset",
  "path-down",
  "concatenated-path-down",
  "administratively-down",
  "reverse-concatenated-path-down",
];

/** "control-detection-time-expired" etc.; "diag-N" for values RFC 5880 leaves reserved. */
export function diagnosticName(diag: BfdDiagnostic): string {
  return DIAGNOSTIC_NAMES[diag] ?? `diag-${diag}`;
}

/** Authentication types (RFC 5880 §4.1 "Auth Type"). */
export const BfdAuthType = {
  SimplePassword: 1,
  KeyedMd5: 2,
  MeticulousKeyedMd5: 3,
  KeyedSha1: 4,
  MeticulousKeyedSha1: 5,
} as const;
export type BfdAuthType = typeof BfdAuthType[keyof typeof BfdAuthType];

/** RFC 5880 §4.2: password of 1 to 16 bytes. */
export interface SimplePasswordAuth {
  type: typeof BfdAuthType.SimplePassword;
  keyId: number;
  password: Uint8Array;
}

/** RFC 5880 §4.3 (MD5, 16-byte digest) and §4.4 (SHA1, 20-byte hash). */
export interface KeyedDigestAuth {
  type: Exclude<BfdAuthType, typeof BfdAuthType.SimplePassword>;
  keyId: number;
  sequence: number;
  /** Digest or hash bytes as carried (the shared key while computing, RFC 5880 §6.7.3). */
  digest: Uint8Array;
}

export type BfdAuthSection = SimplePasswordAuth | KeyedDigestAuth;

export interface BfdControlPacket {
  diagnostic: BfdDiagnostic;
  state: BfdState;
  poll: boolean;
  final: boolean;
  controlPlaneIndependent: boolean;
  demand: boolean;
  /** Always false in packets we accept (RFC 5880 §6.8.6); kept so the encoder can be tested. */
  multipoint: boolean;
  detectMultiplier: number;
  myDiscriminator: number;
  yourDiscriminator: number;
  /** Microseconds, as on the wire. */
  desiredMinTxUs: number;
  requiredMinRxUs: number;
  requiredMinEchoRxUs: number;
  /** Present exactly when the A bit is set. */
  auth?: BfdAuthSection;
}

export const BFD_VERSION = 1;
/** Mandatory section length (RFC 5880 §4.1). */
export const BFD_HEADER_LENGTH = 24;

/** Why a received packet was dropped; the manager counts drops by this key. */
export type BfdDropReason =
  | "bad-version"
  | "bad-length"
  | "zero-multiplier"
  | "multipoint"
  | "zero-my-discriminator"
  | "zero-your-discriminator"
  | "bad-auth-section"
  | "auth-mismatch"
  | "no-session"
  /** Single hop: received TTL / Hop Limit not 255 (RFC 5881 §5), e.g. spoofed from afar. */
  | "ttl-not-255"
  /** Multihop: received TTL below the configured minimum (RFC 5883 §2). */
  | "ttl-below-minimum"
  /** A packet that could bring a session Up arrived while a stall backlog drains (session.ts). */
  | "stale-after-stall"
  /** Our session is AdminDown: every received packet is discarded (RFC 5880 §6.8.6). */
  | "admin-down"
  /** A bug while processing; counted, never thrown into the event loop. */
  | "internal-error";

/** A packet the reception rules of RFC 5880 §6.8.6 say to discard. */
export class BfdPacketError extends RangeError {
  readonly reason: BfdDropReason;
  constructor(reason: BfdDropReason, message: string) {
    super(message);
    this.name = "BfdPacketError";
    this.reason = reason;
  }
}

const AUTH_DIGEST_LENGTH: Record<number, number> = {
  [BfdAuthType.KeyedMd5]: 16,
  [BfdAuthType.MeticulousKeyedMd5]: 16,
  [BfdAuthType.KeyedSha1]: 20,
  [BfdAuthType.MeticulousKeyedSha1]: 20,
};

function authSectionLength(auth: BfdAuthSection): number {
  if (auth.type === BfdAuthType.SimplePassword) return 3 + auth.password.length;
  return 8 + (AUTH_DIGEST_LENGTH[auth.type] ?? 0);
}

/** Encode a Control packet; the Length field is filled in from what was written. */
export function encodeControlPacket(packet: BfdControlPacket): Uint8Array {
  const length = BFD_HEADER_LENGTH + (packet.auth ? authSectionLength(packet.auth) : 0);
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  out[0] = (BFD_VERSION << 5) | (packet.diagnostic & 0x1f);
  out[1] = (packet.state << 6) |
    (packet.poll ? 0x20 : 0) |
    (packet.final ? 0x10 : 0) |
    (packet.controlPlaneIndependent ? 0x08 : 0) |
    (packet.auth ? 0x04 : 0) |
    (packet.demand ? 0x02 : 0) |
    (packet.multipoint ? 0x01 : 0);
  out[2] = packet.detectMultiplier;
  out[3] = length;
  view.setUint32(4, packet.myDiscriminator);
  view.setUint32(8, packet.yourDiscriminator);
  view.setUint32(12, packet.desiredMinTxUs);
  view.setUint32(16, packet.requiredMinRxUs);
  view.setUint32(20, packet.requiredMinEchoRxUs);
  const auth = packet.auth;
  if (auth) {
    out[24] = auth.type;
    out[25] = length - BFD_HEADER_LENGTH;
    out[26] = auth.keyId;
    if (auth.type === BfdAuthType.SimplePassword) {
      out.set(auth.password, 27);
    } else {
      // out[27] is Reserved (zero), RFC 5880 §4.3/§4.4.
      view.setUint32(28, auth.sequence);
      out.set(auth.digest, 32);
    }
  }
  return out;
}

/**
 * Decode a Control packet from a UDP payload, applying the packet-intrinsic
 * discard rules of RFC 5880 §6.8.6. Throws {@link BfdPacketError}.
 */
export function decodeControlPacket(bytes: Uint8Array): BfdControlPacket {
  if (bytes.length < BFD_HEADER_LENGTH) {
    throw new BfdPacketError("bad-length", `Cannot parse BFD packet: ${bytes.length} bytes`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const b0 = bytes[0]!, b1 = bytes[1]!;
  const version = b0 >> 5;
  if (version !== BFD_VERSION) {
    throw new BfdPacketError("bad-version", `Cannot parse BFD packet: version ${version}`);
  }
  const authPresent = (b1 & 0x04) !== 0;
  const length = bytes[3]!;
  const minimum = authPresent ? BFD_HEADER_LENGTH + 2 : BFD_HEADER_LENGTH;
  if (length < minimum) {
    throw new BfdPacketError(
      "bad-length",
      `Cannot parse BFD packet: length ${length} < ${minimum}`,
    );
  }
  if (length > bytes.length) {
    throw new BfdPacketError(
      "bad-length",
      `Cannot parse BFD packet: length ${length} exceeds payload ${bytes.length}`,
    );
  }
  const detectMultiplier = bytes[2]!;
  if (detectMultiplier === 0) {
    throw new BfdPacketError("zero-multiplier", "Cannot parse BFD packet: detect multiplier 0");
  }
  if ((b1 & 0x01) !== 0) {
    throw new BfdPacketError("multipoint", "Cannot parse BFD packet: multipoint bit set");
  }
  const myDiscriminator = view.getUint32(4);
  if (myDiscriminator === 0) {
    throw new BfdPacketError(
      "zero-my-discriminator",
      "Cannot parse BFD packet: my discriminator 0",
    );
  }
  const state = (b1 >> 6) as BfdState;
  const yourDiscriminator = view.getUint32(8);
  if (yourDiscriminator === 0 && state !== BfdState.Down && state !== BfdState.AdminDown) {
    throw new BfdPacketError(
      "zero-your-discriminator",
      `Cannot parse BFD packet: your discriminator 0 in state ${stateName(state)}`,
    );
  }
  const packet: BfdControlPacket = {
    diagnostic: b0 & 0x1f,
    state,
    poll: (b1 & 0x20) !== 0,
    final: (b1 & 0x10) !== 0,
    controlPlaneIndependent: (b1 & 0x08) !== 0,
    demand: (b1 & 0x02) !== 0,
    multipoint: false,
    detectMultiplier,
    myDiscriminator,
    yourDiscriminator,
    desiredMinTxUs: view.getUint32(12),
    requiredMinRxUs: view.getUint32(16),
    requiredMinEchoRxUs: view.getUint32(20),
  };
  if (authPresent) packet.auth = decodeAuthSection(bytes.subarray(BFD_HEADER_LENGTH, length));
  return packet;
}

function decodeAuthSection(section: Uint8Array): BfdAuthSection {
  const type = section[0]!;
  const authLen = section[1]!;
  if (authLen !== section.length) {
    throw new BfdPacketError(
      "bad-auth-section",
      `Cannot parse BFD auth section: auth len ${authLen}, ${section.length} bytes follow`,
    );
  }
  if (type === BfdAuthType.SimplePassword) {
    // RFC 5880 §4.2: password 1-16 bytes, so Auth Len 4-19.
    if (authLen < 4 || authLen > 19) {
      throw new BfdPacketError(
        "bad-auth-section",
        `Cannot parse BFD simple password: auth len ${authLen}`,
      );
    }
    return { type, keyId: section[2]!, password: section.slice(3) };
  }
  const digestLength = AUTH_DIGEST_LENGTH[type];
  if (digestLength === undefined) {
    throw new BfdPacketError("bad-auth-section", `Cannot parse BFD auth section: type ${type}`);
  }
  if (authLen !== 8 + digestLength) {
    throw new BfdPacketError(
      "bad-auth-section",
      `Cannot parse BFD auth section: type ${type} needs auth len ${
        8 + digestLength
      }, got ${authLen}`,
    );
  }
  const view = new DataView(section.buffer, section.byteOffset, section.byteLength);
  return {
    type: type as KeyedDigestAuth["type"],
    keyId: section[2]!,
    sequence: view.getUint32(4),
    digest: section.slice(8),
  };
}
