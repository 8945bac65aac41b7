/**
 * LOCAL_PREF (type code 5), RFC 4271 §4.3 / §5.1.5: well-known, iBGP only,
 * a 4-octet unsigned integer.
 *
 * ```
 * +-------------------------------+
 * | LOCAL_PREF (4 octets)         |
 * +-------------------------------+
 * ```
 *
 * The encoder omits it towards eBGP peers (RFC 4271 §5.1.5). On decode, from
 * an eBGP peer it is discarded (RFC 7606 §7.5); wrong length: treat-as-withdraw.
 *
 * @module
 */
import { AttributeCode, AttributeFlag, UpdateSubcode } from "../message/types.ts";
import { type AttributeSpec, expectLength, MalformedAttribute, u32 } from "./_spec.ts";
import { encodeU32 } from "./med.ts";

export const LOCAL_PREF: AttributeSpec = {
  code: AttributeCode.LOCAL_PREF,
  name: "LOCAL_PREF",
  flags: AttributeFlag.TRANSITIVE,
  onMalformed: "withdraw",
  resetSubcode: UpdateSubcode.ATTRIBUTE_LENGTH_ERROR,
  encode(attrs, ctx) {
    if (attrs.localPref === undefined || !ctx.ibgp) return undefined;
    return encodeU32(attrs.localPref, "LOCAL_PREF");
  },
  decode(value, st) {
    if (!st.ctx.ibgp) {
      throw new MalformedAttribute("LOCAL_PREF received from an eBGP peer", "discard");
    }
    expectLength(value, value.length === 4, "LOCAL_PREF");
    st.attrs.localPref = u32(value, 0);
  },
};
