/**
 * One row of the capability table (RFC 5492 §4 TLV):
 *
 * ```
 * +------------------------------+
 * | Capability Code (1 octet)    |
 * +------------------------------+
 * | Capability Length (1 octet)  |
 * +------------------------------+
 * | Capability Value (variable)  |
 * +------------------------------+
 * ```
 *
 * @module
 */
import { BgpDecodeError, type Capability, ErrorCode, OpenSubcode } from "../message/types.ts";

export interface CapabilitySpec<C extends Capability = Capability> {
  code: number;
  kind: C["kind"];
  encode(cap: C): Uint8Array;
  /** Throws BgpDecodeError (OPEN Message Error) when the value is malformed. */
  decode(value: Uint8Array): C;
}

/** A known capability with a malformed value: OPEN Message Error, data = the TLV. */
export function badCapability(code: number, value: Uint8Array, why: string): BgpDecodeError {
  const tlv = new Uint8Array(2 + value.length);
  tlv[0] = code;
  tlv[1] = value.length;
  tlv.set(value, 2);
  return new BgpDecodeError(
    ErrorCode.OPEN_MESSAGE,
    OpenSubcode.UNSPECIFIC,
    `Cannot decode capability ${code}: ${why}`,
    tlv,
  );
}
