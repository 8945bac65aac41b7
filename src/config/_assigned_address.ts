/**
 * The `assigned_address` / `assignedAddress` spec: the same keys in both
 * dialects, so one schema serves both.
 *
 * @module
 */
import { guard, ipAddress, mapping, nonEmpty } from "./_fields.ts";

export const assignedAddress = mapping({
  interface: nonEmpty().optional(),
  ipv4: ipAddress().optional(),
  ipv6: ipAddress().optional(),
}).superRefine(guard((v, ctx) => {
  if (v.ipv4 === undefined && v.ipv6 === undefined) {
    ctx.addIssue({
      code: "custom",
      path: [],
      input: v,
      message: "expected ipv4 or ipv6 (or both)",
    });
  }
}));
