import assert from "node:assert/strict";
// Events as src/probe PrefixHealth emits them (not imported: health reads them by shape).
import { type ProbeEventShape, readinessFromEvent } from "../../../src/health/probe_events.ts";

Deno.test("readinessFromEvent() maps PrefixHealth events to readiness", () => {
  const events: [ProbeEventShape & { reason?: string }, string | undefined][] = [
    [{ kind: "ready-changed", ready: true }, "ready"],
    [{ kind: "ready-changed", ready: false }, "not-ready"],
    [
      {
        kind: "probe-transition",
        probe: "readiness",
        transition: { from: "unknown", to: "down" },
        reason: "HTTP 503",
      },
      "not-ready",
    ],
    [
      {
        kind: "probe-transition",
        probe: "liveness",
        transition: { from: "unknown", to: "down" },
        reason: "x",
      },
      undefined,
    ],
    [{ kind: "startup-failed", reason: "timeout" }, "not-ready"],
    [{ kind: "startup-succeeded" }, undefined],
    [{ kind: "liveness-failed", reason: "x" }, undefined],
  ];
  for (const [event, want] of events) assert.equal(readinessFromEvent(event), want, event.kind);
});
