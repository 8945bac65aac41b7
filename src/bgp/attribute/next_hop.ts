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
 * Wrong length, or an address that is not a host address: treat-as-withdraw
 * (RFC 7606 §7.3; RFC 4271 §6.3 Invalid NEXT_HOP). Not a host address
 * (RFC 1122 §3.2.1.3): "this network" 0.0.0.0/8, multicast 224.0.0.0/4,
 * reserved 240.0.0.0/4 and limited broadcast 255.255.255.255.
 *
 * @module
 */
import { AttributeCode, AttributeFlag, UpdateSubcode } from "../message/types.ts";
import { formatIpv4, parseIpv4 } from "../nlri.ts";
import { type AttributeSpec, expectLength, MalformedAttribute } from "./_spec.ts";

/**
 * RFC 1122 §3.2.1.3 / RFC 4271 §6.3: an IPv4 address a next hop may be. Not
 * 0.0.0.0/8 ("this network", 0.0.0.1 included), not 224.0.0.0/4 (multicast)
 * and not 240.0.0.0/4 (reserved, 255.255.255.255 included).
 */
export function isHostAddress(v: Uint8Array, at = 0): boolean {
  const first = v[at]!;
  return first !== 0 && first < 224;
}

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
    if (!isHostAddress(value)) {
      throw new MalformedAttribute(`NEXT_HOP ${formatIpv4(value)} is not a host address`);
    }
    st.attrs.nextHop = formatIpv4(value);
  },
};
