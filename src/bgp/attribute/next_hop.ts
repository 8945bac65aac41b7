/**
 * NEXT_HOP (type code 3), RFC 4271 §4.3 / §5.1.3: well-known mandatory when the
 * classic NLRI field is used; a 4-octet IPv4 address.
 *
 * ```
 * +-------------------------------+
 * | IPv4 address (4 octets)       |
 * +-------------------------------+
 * ```
 *
 * Wrong length or a syntactically invalid address (0.0.0.0, class D or E):
 * treat-as-withdraw (RFC 7606 §7.3; RFC 4271 §6.3 Invalid NEXT_HOP).
 *
 * @module
 */
import { AttributeCode, AttributeFlag, UpdateSubcode } from "../message/types.ts";
import { formatIpv4, parseIpv4 } from "../nlri.ts";
import { type AttributeSpec, expectLength, MalformedAttribute } from "./_spec.ts";

export const NEXT_HOP: AttributeSpec = {
  code: AttributeCode.NEXT_HOP,
  name: "NEXT_HOP",
  flags: AttributeFlag.TRANSITIVE,
  onMalformed: "withdraw",
  resetSubcode: UpdateSubcode.INVALID_NEXT_HOP_ATTRIBUTE,
  encode(attrs) {
    return attrs.nextHop === undefined ? undefined : parseIpv4(attrs.nextHop);
  },
  decode(value, st) {
    expectLength(value, value.length === 4, "NEXT_HOP");
    const first = value[0]!;
    const zero = (value[0]! | value[1]! | value[2]! | value[3]!) === 0;
    if (zero || first >= 224) {
      throw new MalformedAttribute(`NEXT_HOP ${formatIpv4(value)} is not a unicast address`);
    }
    st.attrs.nextHop = formatIpv4(value);
  },
};
