/**
 * MP_UNREACH_NLRI (type code 15), RFC 4760 §4: optional non-transitive.
 *
 * ```
 * +---------------------------------------------------------+
 * | Address Family Identifier (2 octets)                    |
 * +---------------------------------------------------------+
 * | Subsequent Address Family Identifier (1 octet)          |
 * +---------------------------------------------------------+
 * | Withdrawn Routes (variable)                             |
 * +---------------------------------------------------------+
 * ```
 *
 * With no withdrawn routes and no other attributes it is the End-of-RIB
 * marker for that family (RFC 4724 §2). Malformed: session reset (RFC 7606 §7.11).
 *
 * @module
 */
import { ByteWriter } from "../_bytes.ts";
import { AttributeCode, AttributeFlag, UpdateSubcode } from "../message/types.ts";
import { afiSafiOf, decodePrefixes, familyOf, writePrefixText } from "../nlri.ts";
import { type AttributeSpec, MalformedAttribute, u16 } from "./_spec.ts";

export const MP_UNREACH_NLRI: AttributeSpec = {
  code: AttributeCode.MP_UNREACH_NLRI,
  name: "MP_UNREACH_NLRI",
  flags: AttributeFlag.OPTIONAL,
  onMalformed: "reset",
  resetSubcode: UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR,
  encode(attrs) {
    const mp = attrs.mpUnreach;
    if (mp === undefined) return undefined;
    const { afi, safi } = afiSafiOf(mp.family);
    const w = new ByteWriter(8 + mp.withdrawn.length * 9);
    w.u16(afi).u8(safi);
    for (const p of mp.withdrawn) writePrefixText(w, p, mp.family);
    return w.finish();
  },
  decode(value, st) {
    if (value.length < 3) {
      throw new MalformedAttribute(`MP_UNREACH_NLRI too short (${value.length})`);
    }
    const afi = u16(value, 0), safi = value[2]!;
    const family = familyOf(afi, safi);
    if (family === undefined || !st.ctx.families.includes(family)) {
      throw new MalformedAttribute(
        `MP_UNREACH_NLRI for AFI ${afi} SAFI ${safi} not negotiated`,
        "discard",
      );
    }
    const withdrawn: string[] = [];
    decodePrefixes(
      family,
      value,
      3,
      value.length,
      withdrawn,
      UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR,
      "MP_UNREACH_NLRI",
    );
    st.attrs.mpUnreach = { family, withdrawn };
  },
};
