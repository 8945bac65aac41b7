/**
 * Address plan of the interop suites: each daemon binds only its own loopback
 * address, so a suite never collides with a daemon it did not start.
 */
export const SPEAKER_ADDRESS = "127.0.0.1";
export const GOBGP_ADDRESS = "127.0.0.2";
export const BIRD_ADDRESS = "127.0.0.3";
export const FRR_ADDRESS = "127.0.0.4";
export const EXABGP_ADDRESS = "127.0.0.6";
/** 127.0.0.10 – 127.0.0.50 are free for suites that need more addresses. */
export const SPARE_ADDRESSES: readonly string[] = Array.from(
  { length: 41 },
  (_, i) => `127.0.0.${10 + i}`,
);

/** AS numbers used by convention: our speaker and each peer kind. */
export const SPEAKER_ASN = 64600;
export const GOBGP_ASN = 65001;
export const BIRD_ASN = 65002;
export const FRR_ASN = 65003;
export const EXABGP_ASN = 65006;

/** Documentation next hops (RFC 5737, RFC 3849): peers reject 127/8 next hops. */
export const NEXT_HOP_V4 = "203.0.113.1";
export const NEXT_HOP_V6 = "2001:db8::1";
