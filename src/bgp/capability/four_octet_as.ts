/**
 * Support for 4-octet AS number capability (code 65), RFC 6793 §3.
 *
 * ```
 * +-------------------------------+
 * | AS number (4 octets)          |
 * +-------------------------------+
 * ```
 *
 * @module
 */
import type { FourOctetAsCapability } from "../message/types.ts";
import { badCapability, type CapabilitySpec } from "./_spec.ts";

export const FOUR_OCTET_AS: CapabilitySpec<FourOctetAsCapability> = {
  code: 65,
  kind: "four-octet-as",
  encode(cap) {
    if (!Number.isInteger(cap.asn) || cap.asn < 0 || cap.asn > 0xffffffff) {
      throw new RangeError(`Cannot encode AS number ${cap.asn}`);
    }
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, cap.asn);
    return out;
  },
  decode(v) {
    if (v.length !== 4) throw badCapability(65, v, `length ${v.length}, expected 4`);
    return { kind: "four-octet-as", asn: new DataView(v.buffer, v.byteOffset, 4).getUint32(0) };
  },
};
