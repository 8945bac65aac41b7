/**
 * Authentication of Control packets (RFC 5880 §6.7): Simple Password
 * (§6.7.2), Keyed and Meticulous Keyed MD5 (§6.7.3), Keyed and Meticulous
 * Keyed SHA1 (§6.7.4).
 *
 * @module
 */
import { createHash, timingSafeEqual } from "node:crypto";
import {
  BFD_HEADER_LENGTH,
  BfdAuthType,
  type BfdControlPacket,
  encodeControlPacket,
  type KeyedDigestAuth,
} from "./packet.ts";
import type { BfdAuthenticator } from "./session.ts";

export type BfdAuthMode =
  | "simple-password"
  | "keyed-md5"
  | "meticulous-keyed-md5"
  | "keyed-sha1"
  | "meticulous-keyed-sha1";

export interface BfdAuthConfig {
  mode: BfdAuthMode;
  /** bfd.AuthType's Key ID (0-255), sent and required on receipt. */
  keyId: number;
  /** The shared secret: 1-16 bytes for password and MD5, 1-20 for SHA1. */
  secret: string | Uint8Array;
}

const TYPES: Record<BfdAuthMode, number> = {
  "simple-password": BfdAuthType.SimplePassword,
  "keyed-md5": BfdAuthType.KeyedMd5,
  "meticulous-keyed-md5": BfdAuthType.MeticulousKeyedMd5,
  "keyed-sha1": BfdAuthType.KeyedSha1,
  "meticulous-keyed-sha1": BfdAuthType.MeticulousKeyedSha1,
};

interface DigestSpec {
  algorithm: "md5" | "sha1";
  length: number;
  meticulous: boolean;
}

const DIGESTS: Partial<Record<BfdAuthMode, DigestSpec>> = {
  "keyed-md5": { algorithm: "md5", length: 16, meticulous: false },
  "meticulous-keyed-md5": { algorithm: "md5", length: 16, meticulous: true },
  "keyed-sha1": { algorithm: "sha1", length: 20, meticulous: false },
  "meticulous-keyed-sha1": { algorithm: "sha1", length: 20, meticulous: true },
};

/** Offset of the digest inside a packet: 24-byte header + type, len, key id, reserved, sequence. */
const DIGEST_OFFSET = BFD_HEADER_LENGTH + 8;

export interface BfdAuthState {
  /** bfd.XmitAuthSeq */
  xmitSeq: number;
  /** bfd.RcvAuthSeq */
  rcvSeq: number;
  /** bfd.AuthSeqKnown */
  seqKnown: boolean;
}

/** An authenticator for one session; keeps that session's sequence numbers. */
export class BfdKeyedAuthenticator implements BfdAuthenticator {
  readonly mode: BfdAuthMode;
  readonly keyId: number;
  #secret: Uint8Array;
  #digest: DigestSpec | undefined;
  /** Exposed for tests: RFC 5880 §6.8.1 authentication variables. */
  readonly state: BfdAuthState;

  /** @param initialSeq bfd.XmitAuthSeq start (default random, RFC 5880 §6.8.1). */
  constructor(config: BfdAuthConfig, initialSeq?: number) {
    const secret = typeof config.secret === "string"
      ? new TextEncoder().encode(config.secret)
      : config.secret;
    this.#digest = DIGESTS[config.mode];
    const max = this.#digest?.length ?? 16;
    if (secret.length < 1 || secret.length > max) {
      throw new RangeError(`Invalid BFD ${config.mode} secret: ${secret.length} bytes (1-${max})`);
    }
    if (!Number.isInteger(config.keyId) || config.keyId < 0 || config.keyId > 255) {
      throw new RangeError(`Invalid BFD auth key id: ${config.keyId}`);
    }
    this.mode = config.mode;
    this.keyId = config.keyId;
    this.#secret = secret;
    this.state = {
      xmitSeq: initialSeq ?? crypto.getRandomValues(new Uint32Array(1))[0]!,
      rcvSeq: 0,
      seqKnown: false,
    };
  }

  sign(packet: BfdControlPacket): BfdControlPacket {
    const type = TYPES[this.mode];
    if (!this.#digest) {
      return { ...packet, auth: { type: 1, keyId: this.keyId, password: this.#secret } };
    }
    // §6.7.3/§6.7.4: Meticulous increments for every packet; Keyed "MAY" — we do too, it costs nothing.
    this.state.xmitSeq = (this.state.xmitSeq + 1) >>> 0;
    const section: KeyedDigestAuth = {
      type: type as KeyedDigestAuth["type"],
      keyId: this.keyId,
      sequence: this.state.xmitSeq,
      digest: this.#paddedKey(),
    };
    // The digest is computed over the packet carrying the (padded) key in its place.
    const bytes = encodeControlPacket({ ...packet, auth: section });
    section.digest = new Uint8Array(createHash(this.#digest.algorithm).update(bytes).digest());
    return { ...packet, auth: section };
  }

  verify(packet: BfdControlPacket, bytes?: Uint8Array): boolean {
    const auth = packet.auth;
    if (!auth || auth.type !== TYPES[this.mode] || auth.keyId !== this.keyId) return false;
    if (auth.type === BfdAuthType.SimplePassword) {
      return auth.password.length === this.#secret.length &&
        timingSafeEqual(auth.password, this.#secret);
    }
    const spec = this.#digest!;
    if (this.state.seqKnown) {
      // Sequence window, modulo 2^32 (§6.7.3).
      const ahead = (auth.sequence - this.state.rcvSeq) >>> 0;
      const lowest = spec.meticulous ? 1 : 0;
      // The window is 3 × Detect Mult, taken from the packet (the sender's multiplier).
      if (ahead < lowest || ahead > 3 * packet.detectMultiplier) return false;
    }
    // Recompute over the packet with the key in place of the digest.
    const length = BFD_HEADER_LENGTH + 8 + spec.length;
    const copy = bytes && bytes.length >= length
      ? bytes.slice(0, length)
      : encodeControlPacket(packet);
    copy.set(this.#paddedKey(), DIGEST_OFFSET);
    const expected = new Uint8Array(createHash(spec.algorithm).update(copy).digest());
    if (auth.digest.length !== expected.length || !timingSafeEqual(auth.digest, expected)) {
      return false;
    }
    this.state.rcvSeq = auth.sequence;
    this.state.seqKnown = true;
    return true;
  }

  /** §6.8.1: bfd.AuthSeqKnown is cleared after twice the Detection Time without a valid packet (session.ts). */
  sessionTimedOut(): void {
    this.state.seqKnown = false;
  }

  #paddedKey(): Uint8Array {
    const key = new Uint8Array(this.#digest!.length);
    key.set(this.#secret);
    return key;
  }
}
