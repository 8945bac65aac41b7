/**
 * anycastd `assigned_address`: the given IPv4 and/or IPv6 address is
 * configured on this host (on `interface`, when one is named).
 *
 * @module
 */
import ipaddr from "ipaddr.js";
import type { AssignedAddressHandler } from "../../config/model.ts";
import { errorText, type ProbeResult } from "../result.ts";

export type InterfaceLister = () => { name: string; address: string }[];

const defaultLister: InterfaceLister = () => Deno.networkInterfaces();

function canonical(address: string): string {
  try {
    return ipaddr.parse(address.replace(/%.*$/, "")).toString();
  } catch {
    return address;
  }
}

export function assignedAddressTarget(h: AssignedAddressHandler): string {
  const addrs = [h.ipv4, h.ipv6].filter((a): a is string => a !== undefined).join(" and ");
  return h.interface !== undefined ? `${addrs} on ${h.interface}` : addrs;
}

export function runAssignedAddress(
  h: AssignedAddressHandler,
  list: InterfaceLister = defaultLister,
): ProbeResult {
  const started = performance.now();
  const target = assignedAddressTarget(h);
  const done = (ok: boolean, reason: string): ProbeResult => ({
    ok,
    durationMs: performance.now() - started,
    reason,
    target,
    figures: {},
  });
  let interfaces: { name: string; address: string }[];
  try {
    interfaces = list();
  } catch (e) {
    return done(false, `cannot list network interfaces: ${errorText(e)}`);
  }
  const wanted = [h.ipv4, h.ipv6].filter((a): a is string => a !== undefined);
  if (wanted.length === 0) return done(false, "assigned_address needs ipv4 or ipv6");
  for (const address of wanted) {
    const want = canonical(address);
    const holders = interfaces.filter((i) => canonical(i.address) === want).map((i) => i.name);
    if (holders.length === 0) return done(false, `${address} is not assigned to any interface`);
    if (h.interface !== undefined && !holders.includes(h.interface)) {
      return done(false, `${address} is assigned to ${holders.join(", ")}, not to ${h.interface}`);
    }
  }
  const where = h.interface !== undefined ? ` on ${h.interface}` : "";
  return done(true, `${wanted.join(" and ")} assigned${where}`);
}
