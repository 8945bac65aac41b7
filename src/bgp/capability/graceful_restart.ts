/**
 * Graceful Restart capability (code 64), RFC 4724 §3 (+ RFC 8538 §2 N bit).
 *
 * ```
 * +--------------------------------------------------+
 * | Restart Flags (4 bits) | Restart Time in seconds |
 * | R N 0 0                | (12 bits)               |
 * +--------------------------------------------------+
 * | Address Family Identifier (16 bits)              |
 * +--------------------------------------------------+
 * | Subsequent Address Family Identifier (8 bits)    |
 * +--------------------------------------------------+
 * | Flags for Address Family (8 bits): F 0 0 0 0 0 0 0 |
 * +--------------------------------------------------+
 * | ... (AFI, SAFI, flags) repeated                  |
 * +--------------------------------------------------+
 * ```
 *
 * @module
 */
import type { GracefulRestartCapability } from "../message/types.ts";
import { badCapability, type CapabilitySpec } from "./_spec.ts";

export const GRACEFUL_RESTART: CapabilitySpec<GracefulRestartCapability> = {
  code: 64,
  kind: "graceful-restart",
  encode(cap) {
    if (!Number.isInteger(cap.restartTime) || cap.restartTime < 0 || cap.restartTime > 4095) {
      throw new RangeError(`Cannot encode graceful restart time ${cap.restartTime}`);
    }
    const out = new Uint8Array(2 + cap.families.length * 4);
    const flags = (cap.restarting ? 0x8 : 0) | (cap.notification ? 0x4 : 0);
    out[0] = (flags << 4) | (cap.restartTime >> 8);
    out[1] = cap.restartTime & 0xff;
    cap.families.forEach((f, i) => {
      out[2 + i * 4] = f.afi >> 8;
      out[3 + i * 4] = f.afi & 0xff;
      out[4 + i * 4] = f.safi;
      out[5 + i * 4] = f.forwardingPreserved ? 0x80 : 0;
    });
    return out;
  },
  decode(v) {
    if (v.length < 2 || (v.length - 2) % 4 !== 0) {
      throw badCapability(64, v, `length ${v.length} is not 2 + 4n`);
    }
    const families: GracefulRestartCapability["families"] = [];
    for (let p = 2; p < v.length; p += 4) {
      families.push({
        afi: (v[p]! << 8) | v[p + 1]!,
        safi: v[p + 2]!,
        forwardingPreserved: (v[p + 3]! & 0x80) !== 0,
      });
    }
    return {
      kind: "graceful-restart",
      restarting: (v[0]! & 0x80) !== 0,
      notification: (v[0]! & 0x40) !== 0,
      restartTime: ((v[0]! & 0x0f) << 8) | v[1]!,
      families,
    };
  },
};
