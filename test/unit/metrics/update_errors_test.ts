/** Issue 13 item 5: RFC 7606 outcomes as a Prometheus counter. */
import assert from "node:assert/strict";
import { PrometheusMetrics } from "../../../src/metrics/prometheus.ts";

Deno.test("PrometheusMetrics counts RFC 7606 outcomes per peer and action", async () => {
  const m = new PrometheusMetrics({ version: "t" });
  m.bgpUpdateErrors("192.0.2.1", "treat-as-withdraw", 1);
  m.bgpUpdateErrors("192.0.2.1", "treat-as-withdraw", 2);
  m.bgpUpdateErrors("192.0.2.1", "attribute-discard", 1);
  const text = await m.metrics();
  assert.match(
    text,
    /anycast_bgp_update_errors_total\{peer="192\.0\.2\.1",action="treat-as-withdraw"\} 3/,
  );
  assert.match(
    text,
    /anycast_bgp_update_errors_total\{peer="192\.0\.2\.1",action="attribute-discard"\} 1/,
  );
});
