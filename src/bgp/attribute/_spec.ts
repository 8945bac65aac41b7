/**
 * The shape of one row of the attribute table (BIRD `bgp_attr_table` style)
 * and the RFC 7606 verbs attribute decoders use.
 *
 * @module
 */
import type {
  Aggregator,
  AsPathSegment,
  CodecContext,
  PathAttributes,
  Rfc7606Outcome,
} from "../message/types.ts";

/** RFC 7606 §2 approaches for a malformed attribute. */
export type MalformedAction = "withdraw" | "discard" | "reset";

/** Mutable state while decoding one UPDATE's attribute list. */
export interface AttributeDecodeState {
  ctx: CodecContext;
  attrs: PathAttributes;
  /** Held back until the end so they can be merged (RFC 6793 §4.2.3). */
  as4Path?: AsPathSegment[];
  as4Aggregator?: Aggregator;
  /** The 2-octet AGGREGATOR AS as received, for the RFC 6793 §4.2.3 test. */
  aggregatorAsReceived?: number;
  treatAsWithdraw: boolean;
  discarded: number[];
  warnings: string[];
  /** Structured twin of `treatAsWithdraw`/`discarded` (see `DecodeResult.outcomes`). */
  outcomes: Rfc7606Outcome[];
}

/** RFC 7606 §2 treat-as-withdraw, recorded (BIRD's WITHDRAW verb). */
export function recordWithdraw(st: AttributeDecodeState, attribute: string, reason: string): void {
  st.treatAsWithdraw = true;
  st.outcomes.push({ action: "treat-as-withdraw", attribute, reason });
}

/** RFC 7606 §2 attribute discard, recorded (BIRD's DISCARD verb). */
export function recordDiscard(
  st: AttributeDecodeState,
  code: number,
  attribute: string,
  reason: string,
): void {
  st.discarded.push(code);
  st.outcomes.push({ action: "attribute-discard", attribute, reason });
}

/**
 * Thrown by an attribute decoder: the attribute is malformed. The table
 * driver applies `action` (default: the row's `onMalformed`).
 */
export class MalformedAttribute extends Error {
  readonly action: MalformedAction | undefined;
  readonly subcode: number | undefined;
  constructor(message: string, action?: MalformedAction, subcode?: number) {
    super(message);
    this.name = "MalformedAttribute";
    this.action = action;
    this.subcode = subcode;
  }
}

export interface AttributeSpec {
  code: number;
  name: string;
  /** Expected Optional and Transitive bits (RFC 4271 §5). */
  flags: number;
  /** RFC 7606 handling when malformed (flags conflict, bad length, bad value). */
  onMalformed: MalformedAction;
  /** UPDATE Message Error subcode when `onMalformed` (or the thrown action) is "reset". */
  resetSubcode: number;
  /** Value bytes for these attributes, or undefined to omit the attribute. */
  encode(attrs: PathAttributes, ctx: CodecContext): Uint8Array | undefined;
  /** Decodes the value into `st.attrs`; throws MalformedAttribute. */
  decode(value: Uint8Array, st: AttributeDecodeState): void;
}

/** Shared helper: "expected N bytes" check. */
export function expectLength(value: Uint8Array, ok: boolean, name: string): void {
  if (!ok) throw new MalformedAttribute(`${name} has bad length ${value.length}`);
}

export function u32(v: Uint8Array, at: number): number {
  return ((v[at]! << 24) | (v[at + 1]! << 16) | (v[at + 2]! << 8) | v[at + 3]!) >>> 0;
}

export function u16(v: Uint8Array, at: number): number {
  return (v[at]! << 8) | v[at + 1]!;
}
