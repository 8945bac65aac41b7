/**
 * `anycast demo --peer bird|gobgp|frr`: the demo end to end with a real
 * daemon as the route receiver (started by the harness on a high port).
 */
import { interopTest } from "./harness/mod.ts";
import { assertDemoSaw, runDemoJson } from "../unit/demo/_run.ts";

for (const kind of ["bird", "gobgp", "frr"] as const) {
  await interopTest({
    name: `anycast demo --peer ${kind}: announce, withdraw, re-announce, drain, stop`,
    daemons: [kind],
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      const run = await runDemoJson([
        "--peer",
        kind,
        "--daemon-address",
        "127.0.0.93",
        "--observer-address",
        "127.0.0.94",
      ]);
      // Polled tables: the Cease itself is not seen, only the session closing.
      await assertDemoSaw(run, { fromWire: false });
    },
  });
}
