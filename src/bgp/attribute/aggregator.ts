/**
 * AGGREGATOR (type code 7), RFC 4271 §4.3 / §5.1.7 and RFC 6793 §3,
 * and AS4_AGGREGATOR (type code 18), RFC 6793 §3: optional transitive.
 *
 * ```
 * +---------------------------------+---------------------------+
 * | AS (2 octets, 4 with 4-octet AS) | IPv4 address (4 octets)   |
 * +---------------------------------+---------------------------+
 * ```
 *
 * AS4_AGGREGATOR always carries a 4-octet AS. Wrong length: attribute
 * discard (RFC 7606 §7.7, RFC 6793 §6). Towards a 2-octet peer an AS above
 * 65535 is sent as AS_TRANS with AS4_AGGREGATOR beside it (RFC 6793 §4.2.2).
 *
 * @module
 */
import { AS_TRANS, AttributeCode, AttributeFlag, UpdateSubcode } from "../message/types.ts";
import { formatIpv4, parseIpv4 } from "../nlri.ts";
import { type AttributeSpec, expectLength, MalformedAttribute, u16, u32 } from "./_spec.ts";

function encode(asn: number, address: string, fourOctet: boolean): Uint8Array {
  if (!Number.isInteger(asn) || asn < 0 || asn > 0xffffffff) {
    throw new RangeError(`Cannot encode AGGREGATOR AS ${asn}`);
  }
  const out = new Uint8Array(fourOctet ? 8 : 6);
  const dv = new DataView(out.buffer);
  if (fourOctet) dv.setUint32(0, asn);
  else dv.setUint16(0, asn > 0xffff ? AS_TRANS : asn);
  out.set(parseIpv4(address), fourOctet ? 4 : 2);
  return out;
}

export const AGGREGATOR: AttributeSpec = {
  code: AttributeCode.AGGREGATOR,
  name: "AGGREGATOR",
  flags: AttributeFlag.OPTIONAL | AttributeFlag.TRANSITIVE,
  onMalformed: "discard",
  resetSubcode: UpdateSubcode.ATTRIBUTE_LENGTH_ERROR,
  encode(attrs, ctx) {
    if (attrs.aggregator === undefined) return undefined;
    return encode(attrs.aggregator.asn, attrs.aggregator.address, ctx.fourOctetAs);
  },
  decode(value, st) {
    const four = st.ctx.fourOctetAs;
    expectLength(value, value.length === (four ? 8 : 6), "AGGREGATOR");
    const asn = four ? u32(value, 0) : u16(value, 0);
    st.aggregatorAsReceived = asn;
    st.attrs.aggregator = { asn, address: formatIpv4(value, four ? 4 : 2) };
  },
};

export const AS4_AGGREGATOR: AttributeSpec = {
  code: AttributeCode.AS4_AGGREGATOR,
  name: "AS4_AGGREGATOR",
  flags: AttributeFlag.OPTIONAL | AttributeFlag.TRANSITIVE,
  onMalformed: "discard",
  resetSubcode: UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR,
  encode(attrs, ctx) {
    const agg = attrs.aggregator;
    if (ctx.fourOctetAs || agg === undefined || agg.asn <= 0xffff) return undefined;
    return encode(agg.asn, agg.address, true);
  },
  decode(value, st) {
    if (st.ctx.fourOctetAs) {
      throw new MalformedAttribute("AS4_AGGREGATOR received from a four-octet AS peer", "discard");
    }
    expectLength(value, value.length === 8, "AS4_AGGREGATOR");
    st.as4Aggregator = { asn: u32(value, 0), address: formatIpv4(value, 4) };
  },
};
