/**
 * Transmit-interval jitter (RFC 5880 §6.8.7) and a small seeded random
 * source so tests can check the distribution deterministically.
 *
 * @module
 */

/** A source of uniform numbers in [0, 1), like `Math.random`. */
export type RandomSource = () => number;

/**
 * The interval until the next periodic Control packet: "reduced by a random
 * value of 0 to 25%", and when bfd.DetectMult is 1 "no more than 90% ... and
 * no less than 75%" of the negotiated interval (RFC 5880 §6.8.7).
 */
export function jitteredInterval(
  intervalMs: number,
  detectMultiplier: number,
  random: RandomSource = Math.random,
): number {
  const r = Math.min(Math.max(random(), 0), 0.999999);
  const factor = detectMultiplier === 1 ? 0.75 + 0.15 * r : 0.75 + 0.25 * r;
  return intervalMs * factor;
}

/** Mulberry32: a tiny deterministic PRNG for tests and benchmarks (not for discriminators in production). */
export function seededRandom(seed: number): RandomSource {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
