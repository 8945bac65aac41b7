/**
 * The capability table (RFC 5492) and the TLV codec over it. Unknown
 * capabilities are kept as opaque `{ code, value }`.
 *
 * @module
 */
import type { ByteWriter } from "../_bytes.ts";
import type { ByteReader } from "../_bytes.ts";
import type { Capability } from "../message/types.ts";
import type { CapabilitySpec } from "./_spec.ts";
import { MULTIPROTOCOL } from "./multiprotocol.ts";
import { ROUTE_REFRESH } from "./route_refresh.ts";
import { EXTENDED_MESSAGE } from "./extended_message.ts";
import { GRACEFUL_RESTART } from "./graceful_restart.ts";
import { FOUR_OCTET_AS } from "./four_octet_as.ts";
import { ENHANCED_ROUTE_REFRESH } from "./enhanced_route_refresh.ts";

// deno-lint-ignore no-explicit-any
export const CAPABILITY_TABLE: readonly CapabilitySpec<any>[] = [
  MULTIPROTOCOL,
  ROUTE_REFRESH,
  EXTENDED_MESSAGE,
  GRACEFUL_RESTART,
  FOUR_OCTET_AS,
  ENHANCED_ROUTE_REFRESH,
];

const BY_CODE = new Map<number, CapabilitySpec>(CAPABILITY_TABLE.map((s) => [s.code, s]));
const BY_KIND = new Map<string, CapabilitySpec>(CAPABILITY_TABLE.map((s) => [s.kind, s]));

/** Writes one capability TLV. */
export function writeCapability(w: ByteWriter, cap: Capability): void {
  let code: number, value: Uint8Array;
  if (cap.kind === "unknown") {
    code = cap.code;
    value = cap.value;
  } else {
    const spec = BY_KIND.get(cap.kind);
    if (spec === undefined) throw new TypeError(`Cannot encode capability "${cap.kind}"`);
    code = spec.code;
    value = spec.encode(cap);
  }
  if (value.length > 255) throw new RangeError(`Cannot encode capability ${code}: value too long`);
  w.u8(code).u8(value.length).bytes(value);
}

/** Decodes capability TLVs until the reader is empty. */
export function readCapabilities(r: ByteReader, out: Capability[]): void {
  while (r.remaining > 0) {
    const code = r.u8("capability code");
    const length = r.u8("capability length");
    const value = r.bytes(length, "capability value");
    const spec = BY_CODE.get(code);
    out.push(
      spec === undefined ? { kind: "unknown", code, value: value.slice() } : spec.decode(value),
    );
  }
}
