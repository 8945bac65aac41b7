/**
 * OPEN message, RFC 4271 §4.2, with capabilities (RFC 5492) and RFC 9072
 * extended optional parameters length.
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+
 * |    Version    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     My Autonomous System      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           Hold Time           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                         BGP Identifier                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Opt Parm Len  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |             Optional Parameters (variable)                    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Optional parameter: Parm. Type (1) | Parm. Length (1) | value.
 * RFC 9072: Opt Parm Len = 255 and a first Parm. Type of 255 mean a
 * 2-octet Extended Opt. Parm. Length follows, and every parameter then has a
 * 2-octet length.
 * ```
 *
 * Each capability is sent in its own parameter of type 2 (RFC 5492 §4);
 * the extended format is used only when the parameters exceed 255 bytes.
 *
 * @module
 */
import { ByteReader, ByteWriter } from "../_bytes.ts";
import { readCapabilities, writeCapability } from "../capability/mod.ts";
import { formatIpv4, parseIpv4 } from "../nlri.ts";
import { finishMessage, startMessage } from "./header.ts";
import {
  AS_TRANS,
  BGP_VERSION,
  BgpDecodeError,
  type Capability,
  ErrorCode,
  HEADER_LENGTH,
  MAX_MESSAGE_LENGTH,
  MessageTypeCode,
  type OpenMessage,
  OpenSubcode,
} from "./types.ts";

const CAPABILITIES_PARAMETER = 2;

export function encodeOpen(msg: OpenMessage): Uint8Array {
  if (!Number.isInteger(msg.holdTime) || msg.holdTime < 0 || msg.holdTime > 0xffff) {
    throw new RangeError(`Cannot encode hold time ${msg.holdTime}`);
  }
  if (!Number.isInteger(msg.asn) || msg.asn < 0 || msg.asn > 0xffffffff) {
    throw new RangeError(`Cannot encode AS number ${msg.asn}`);
  }
  const tlvs = msg.capabilities.map((cap) => {
    const tlv = new ByteWriter(16);
    writeCapability(tlv, cap);
    return tlv.finish();
  });
  const w = startMessage(MessageTypeCode.open);
  w.u8(msg.version).u16(msg.asn > 0xffff ? AS_TRANS : msg.asn).u16(msg.holdTime);
  w.bytes(parseIpv4(msg.bgpId));
  const classicLength = tlvs.reduce((n, t) => n + 2 + t.length, 0);
  if (classicLength <= 255) {
    w.u8(classicLength);
    for (const t of tlvs) w.u8(CAPABILITIES_PARAMETER).u8(t.length).bytes(t);
  } else {
    // RFC 9072 §2: Non-Ext OP Len 255, Non-Ext OP Type 255, 2-octet lengths.
    w.u8(255).u8(255);
    const at = w.placeholderU16();
    for (const t of tlvs) w.u8(CAPABILITIES_PARAMETER).u16(t.length).bytes(t);
    w.fillU16(at);
  }
  return finishMessage(w, MAX_MESSAGE_LENGTH);
}

function openError(subcode: number, message: string, data?: Uint8Array): BgpDecodeError {
  return new BgpDecodeError(ErrorCode.OPEN_MESSAGE, subcode, message, data);
}

const short = (what: string) =>
  openError(OpenSubcode.UNSPECIFIC, `Cannot decode OPEN: ${what} overruns the message`);

/** Decodes an OPEN frame (header included) and applies the RFC 4271 §6.2 checks except Bad Peer AS. */
export function decodeOpen(frame: Uint8Array): OpenMessage {
  const r = new ByteReader(frame, short, HEADER_LENGTH);
  const version = r.u8("version");
  if (version !== BGP_VERSION) {
    // RFC 4271 §6.2: data is the largest version we support.
    throw openError(
      OpenSubcode.UNSUPPORTED_VERSION_NUMBER,
      `Cannot accept OPEN: version ${version}`,
      new Uint8Array([0, BGP_VERSION]),
    );
  }
  const asn = r.u16("My Autonomous System");
  const holdTime = r.u16("Hold Time");
  const id = r.bytes(4, "BGP Identifier");
  let paramsLength = r.u8("Opt Parm Len");
  let extended = false;
  if (paramsLength === 255 && r.remaining > 0 && frame[r.pos] === 255) {
    r.u8();
    paramsLength = r.u16("Extended Opt. Parm. Length");
    extended = true;
  }
  if (paramsLength !== r.remaining) {
    throw openError(
      OpenSubcode.UNSPECIFIC,
      `Cannot decode OPEN: optional parameters length ${paramsLength}, ${r.remaining} bytes left`,
    );
  }
  if (holdTime === 1 || holdTime === 2) {
    throw openError(
      OpenSubcode.UNACCEPTABLE_HOLD_TIME,
      `Cannot accept OPEN: hold time ${holdTime}`,
    );
  }
  if ((id[0]! | id[1]! | id[2]! | id[3]!) === 0) {
    throw openError(OpenSubcode.BAD_BGP_IDENTIFIER, "Cannot accept OPEN: BGP Identifier 0.0.0.0");
  }
  const capabilities: Capability[] = [];
  while (r.remaining > 0) {
    const type = r.u8("parameter type");
    const length = extended ? r.u16("parameter length") : r.u8("parameter length");
    const body = r.sub(length, short, "parameter value");
    if (type !== CAPABILITIES_PARAMETER) {
      throw openError(
        OpenSubcode.UNSUPPORTED_OPTIONAL_PARAMETER,
        `Cannot accept OPEN: optional parameter type ${type}`,
      );
    }
    readCapabilities(body, capabilities);
  }
  return { type: "open", version, asn, holdTime, bgpId: formatIpv4(id), capabilities };
}
