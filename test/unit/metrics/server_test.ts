import assert from "node:assert/strict";
import { PrometheusMetrics } from "../../../src/metrics/prometheus.ts";
import { DaemonReadiness, MetricsServer, parseListenAddress } from "../../../src/metrics/server.ts";
import { parseExposition } from "./_exposition.ts";

Deno.test("MetricsServer serves /metrics, /healthz and /readyz over HTTP", async () => {
  const metrics = new PrometheusMetrics({ version: "9.9.9" });
  metrics.prefixState("192.0.2.1/32", "up");
  const readiness = new DaemonReadiness();
  const server = MetricsServer.start(
    { enabled: true, address: "127.0.0.1:0", path: "/metrics" },
    metrics,
    readiness,
  );
  try {
    const base = `http://127.0.0.1:${server.port}`;
    const scrape = await fetch(`${base}/metrics`);
    assert.equal(scrape.status, 200);
    assert.match(scrape.headers.get("content-type")!, /text\/plain; version=0\.0\.4/);
    const samples = parseExposition(await scrape.text());
    assert.ok(samples.some((s) => s.name === "anycastd_up" && s.labels.version === "9.9.9"));
    assert.ok(samples.some((s) => s.name === "anycast_prefix_state" && s.value === 1));

    const health = await fetch(`${base}/healthz`);
    assert.deepEqual([health.status, await health.text()], [200, "ok\n"]);
    let ready = await fetch(`${base}/readyz`);
    assert.deepEqual([ready.status, await ready.text()], [
      503,
      "not ready: config not loaded, BGP sessions not started\n",
    ]);
    readiness.configLoaded = true;
    readiness.sessionsStarted = true;
    ready = await fetch(`${base}/readyz`);
    assert.deepEqual([ready.status, await ready.text()], [200, "ready\n"]);
    const missing = await fetch(`${base}/nope`);
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
    const post = await fetch(`${base}/metrics`, { method: "POST" });
    assert.equal(post.status, 405);
    await post.body?.cancel();
  } finally {
    await server.close();
  }
});

Deno.test("parseListenAddress() reads host:port, [v6]:port and :port", () => {
  assert.deepEqual(parseListenAddress("127.0.0.1:9090"), { hostname: "127.0.0.1", port: 9090 });
  assert.deepEqual(parseListenAddress("[::1]:9100"), { hostname: "::1", port: 9100 });
  assert.deepEqual(parseListenAddress(":9090"), { hostname: "0.0.0.0", port: 9090 });
  assert.deepEqual(parseListenAddress("localhost:80"), { hostname: "localhost", port: 80 });
  assert.throws(() => parseListenAddress("9090"), /Cannot parse metrics address "9090"/);
  assert.throws(() => parseListenAddress("1.2.3.4:70000"), SyntaxError);
});
