/** Helpers shared by the codec tests. */
import { fromHex, hex } from "../../../../src/bgp/_bytes.ts";
import type { CodecContext } from "../../../../src/bgp/mod.ts";

export { fromHex, hex };

/** A full message: marker, length computed from `bodyHex`, type. */
export function frame(type: number, bodyHex: string): Uint8Array {
  const body = fromHex(bodyHex);
  const out = new Uint8Array(19 + body.length);
  out.fill(0xff, 0, 16);
  out[16] = out.length >> 8;
  out[17] = out.length & 0xff;
  out[18] = type;
  out.set(body, 19);
  return out;
}

/** An UPDATE frame from withdrawn, attribute and NLRI hex; lengths computed. */
export function updateFrame(withdrawnHex: string, attributesHex: string, nlriHex = ""): Uint8Array {
  const w = fromHex(withdrawnHex), a = fromHex(attributesHex);
  const len = (n: number) => hex(new Uint8Array([n >> 8, n & 0xff]));
  return frame(2, len(w.length) + withdrawnHex + len(a.length) + attributesHex + nlriHex);
}

export const IBGP4: CodecContext = {
  fourOctetAs: true,
  extendedMessage: false,
  ibgp: true,
  families: ["ipv4-unicast", "ipv6-unicast"],
};
export const EBGP4: CodecContext = { ...IBGP4, ibgp: false };
export const EBGP2: CodecContext = { ...IBGP4, fourOctetAs: false, ibgp: false };
