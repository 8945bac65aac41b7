/**
 * MP_REACH_NLRI (type code 14), RFC 4760 §3: optional non-transitive.
 *
 * ```
 * +---------------------------------------------------------+
 * | Address Family Identifier (2 octets)                    |
 * +---------------------------------------------------------+
 * | Subsequent Address Family Identifier (1 octet)          |
 * +---------------------------------------------------------+
 * | Length of Next Hop Network Address (1 octet)            |
 * +---------------------------------------------------------+
 * | Network Address of Next Hop (variable)                  |
 * +---------------------------------------------------------+
 * | Reserved (1 octet)                                      |
 * +---------------------------------------------------------+
 * | Network Layer Reachability Information (variable)       |
 * +---------------------------------------------------------+
 * ```
 *
 * IPv6 next hop (RFC 2545 §3): 16 octets global, or 32 octets global +
 * link-local. IPv4 next hop: 4 octets. Any malformation resets the session
 * (RFC 7606 §7.11, §5.3). An AFI/SAFI we do not carry, or that was not
 * negotiated, is discarded with a warning.
 *
 * @module
 */
import { ByteWriter } from "../_bytes.ts";
import { AttributeCode, AttributeFlag, UpdateSubcode } from "../message/types.ts";
import {
  afiSafiOf,
  decodePrefixes,
  familyOf,
  formatIpv4,
  formatIpv6,
  parseIpv4,
  parseIpv6,
  writePrefixText,
} from "../nlri.ts";
import { type AttributeSpec, MalformedAttribute, u16 } from "./_spec.ts";

export const MP_REACH_NLRI: AttributeSpec = {
  code: AttributeCode.MP_REACH_NLRI,
  name: "MP_REACH_NLRI",
  flags: AttributeFlag.OPTIONAL,
  onMalformed: "reset",
  resetSubcode: UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR,
  encode(attrs) {
    const mp = attrs.mpReach;
    if (mp === undefined) return undefined;
    const { afi, safi } = afiSafiOf(mp.family);
    const w = new ByteWriter(32 + mp.nlri.length * 9);
    w.u16(afi).u8(safi);
    const nhLen = w.placeholderU8();
    if (mp.family === "ipv4-unicast") {
      w.bytes(parseIpv4(mp.nextHop));
    } else {
      w.bytes(parseIpv6(mp.nextHop));
      if (mp.nextHopLinkLocal !== undefined) w.bytes(parseIpv6(mp.nextHopLinkLocal));
    }
    w.fillU8(nhLen);
    w.u8(0);
    for (const p of mp.nlri) writePrefixText(w, p, mp.family);
    return w.finish();
  },
  decode(value, st) {
    if (value.length < 5) throw new MalformedAttribute(`MP_REACH_NLRI too short (${value.length})`);
    const afi = u16(value, 0), safi = value[2]!;
    const family = familyOf(afi, safi);
    if (family === undefined || !st.ctx.families.includes(family)) {
      throw new MalformedAttribute(
        `MP_REACH_NLRI for AFI ${afi} SAFI ${safi} not negotiated`,
        "discard",
      );
    }
    const nhLen = value[3]!;
    if (4 + nhLen + 1 > value.length) {
      throw new MalformedAttribute("MP_REACH_NLRI next hop overruns");
    }
    let nextHop: string, linkLocal: string | undefined;
    if (family === "ipv4-unicast" && nhLen === 4) {
      nextHop = formatIpv4(value, 4);
    } else if (family === "ipv6-unicast" && (nhLen === 16 || nhLen === 32)) {
      nextHop = formatIpv6(value, 4);
      if (nhLen === 32) linkLocal = formatIpv6(value, 20);
    } else {
      throw new MalformedAttribute(`MP_REACH_NLRI next hop length ${nhLen} invalid for ${family}`);
    }
    const nlri: string[] = [];
    decodePrefixes(
      family,
      value,
      4 + nhLen + 1,
      value.length,
      nlri,
      UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR,
      "MP_REACH_NLRI",
    );
    st.attrs.mpReach = linkLocal === undefined
      ? { family, nextHop, nlri }
      : { family, nextHop, nextHopLinkLocal: linkLocal, nlri };
  },
};
