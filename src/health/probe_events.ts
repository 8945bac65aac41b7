/**
 * Readiness from the probe module's `PrefixHealth` events, read by shape so
 * the route policy does not depend on probe internals.
 *
 * @module
 */
import type { Readiness } from "./policy.ts";

/** The fields of a PrefixHealth event that matter here. */
export interface ProbeEventShape {
  kind: string;
  ready?: boolean;
  probe?: string;
  transition?: { from?: string; to: string };
}

/**
 * `ready-changed` gives the verdict. PrefixHealth only reports flips of its
 * boolean (it starts not ready), so a readiness probe or startup failing from
 * the start also counts as not-ready: the prefix shows "down", not "unknown".
 */
export function readinessFromEvent(event: ProbeEventShape): Readiness | undefined {
  if (event.kind === "ready-changed" && event.ready !== undefined) {
    return event.ready ? "ready" : "not-ready";
  }
  if (
    event.kind === "probe-transition" && event.probe === "readiness" &&
    event.transition?.to === "down"
  ) {
    return "not-ready";
  }
  if (event.kind === "startup-failed") return "not-ready";
  return undefined;
}
