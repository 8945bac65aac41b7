import assert from "node:assert/strict";
import { runCli } from "../../../src/cli/mod.ts";
import { parseStatusList, selectChecks } from "../../../src/probe/check.ts";
import { parseConfig } from "../../../src/config/mod.ts";
import { freeTcpPort } from "./_helpers.ts";

function capture(signal = new AbortController().signal) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    ctx: {
      out: (t: string) => void out.push(t),
      err: (t: string) => void err.push(t),
      env: (_: string) => undefined,
      signal,
    },
    stdout: () => out.join(""),
    stderr: () => err.join(""),
  };
}

function nativeConfig(httpPort: number, closedPort: number): string {
  return `
speaker:
  asn: 64600
  routerId: 192.0.2.10
neighbors:
  - address: 127.0.0.1
    asn: 64599
prefixes:
  - ipAddress: 198.51.100.1/32
    name: web
    startupProbe:
      exec:
        command: "true"
    livenessProbe:
      tcp:
        host: 127.0.0.1
        port: ${closedPort}
    readinessProbe:
      initialDelaySeconds: 30s
      http:
        host: 127.0.0.1
        port: ${httpPort}
        path: /health
`;
}

async function withConfig<T>(text: string, fn: (path: string) => Promise<T>): Promise<T> {
  const path = await Deno.makeTempFile({ suffix: ".yaml" });
  await Deno.writeTextFile(path, text);
  try {
    return await fn(path);
  } finally {
    await Deno.remove(path);
  }
}

Deno.test("anycast check --config runs every probe once and prints a table", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("ok"),
  );
  const closed = freeTcpPort();
  try {
    await withConfig(nativeConfig(server.addr.port, closed), async (path) => {
      const io = capture();
      const code = await runCli(["check", "--config", path], io.ctx);
      assert.equal(code, 1, io.stderr());
      const lines = io.stdout().trimEnd().split("\n");
      assert.match(
        lines[0]!,
        /^PREFIX\/SERVICE\s+PROBE\s+HANDLER\s+TARGET\s+RESULT\s+DURATION\s+REASON$/,
      );
      assert.match(lines[1]!, /^web\s+startup\s+exec\s+true\s+ok\s/);
      assert.match(
        lines[2]!,
        new RegExp(
          `^web\\s+liveness\\s+tcp\\s+127\\.0\\.0\\.1:${closed}\\s+FAIL\\s.*connection refused`,
        ),
      );
      assert.match(
        lines[3]!,
        /^web\s+readiness\s+http\s+http:\/\/127\.0\.0\.1:\d+\/health\s+ok\s.*HTTP 200/,
      );

      const only = capture();
      assert.equal(
        await runCli(["check", "--config", path, "--probe", "readiness", "--json"], only.ctx),
        0,
      );
      const report = JSON.parse(only.stdout());
      assert.equal(report.probes.length, 1);
      assert.equal(report.probes[0].probe, "readiness");
      assert.equal(report.probes[0].ok, true);
      assert.equal(typeof report.probes[0].durationMs, "number");

      const missing = capture();
      assert.equal(
        await runCli(["check", "--config", path, "--prefix", "192.0.2.99/32"], missing.ctx),
        2,
      );
      assert.match(missing.stderr(), /No prefix or service "192\.0\.2\.99\/32"/);
    });
  } finally {
    await server.shutdown();
  }
});

Deno.test("anycast check --config on an anycastd file reports each service's strategy verdict", async () => {
  const text = `
announcer:
  router_id: 10.3.3.3
  local_address: 127.0.0.1
  local_asn: 65999
  routes: [10.0.0.128/32]
  peers:
    - name: r1
      remote_address: 127.0.0.2
      remote_asn: 65000
services:
  - name: lo
    check_interval: 5s
    strategy: all
    checks:
      - kind: assigned_address
        spec:
          ipv4: 127.0.0.1
      - kind: assigned_address
        spec:
          ipv4: 192.0.2.202
metrics:
  enabled: false
  address: 127.0.0.1:9090
`;
  await withConfig(text, async (path) => {
    const io = capture();
    const code = await runCli(["check", "--config", path], io.ctx);
    assert.equal(code, 1, io.stderr());
    assert.match(io.stdout(), /^lo\s+check\s+assigned_address\s+127\.0\.0\.1\s+ok/m);
    assert.match(io.stdout(), /^lo\s+check\s+assigned_address\s+192\.0\.2\.202\s+FAIL/m);
    assert.match(
      io.stdout(),
      /^service lo: up: 1 of 2 checks failed \(all: down only when every check fails\)$/m,
    );
  });
});

Deno.test("anycast check --config with an invalid file exits 1 with positioned errors", async () => {
  await withConfig("speaker: [1\n", async (path) => {
    const io = capture();
    assert.equal(await runCli(["check", "--config", path], io.ctx), 1);
    assert.match(io.stderr(), /\.yaml:\d+:\d+: Cannot parse YAML/);
  });
});

Deno.test("anycast check without --config or a kind is a usage error", async () => {
  const io = capture();
  assert.equal(await runCli(["check"], io.ctx), 2);
  assert.match(io.stderr(), /give --config FILE/);
});

Deno.test("anycast check http URL passes, honours --expect and --header", async () => {
  let host = "";
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    host = req.headers.get("host") ?? "";
    return new Response(null, { status: 204 });
  });
  try {
    const url = `http://127.0.0.1:${server.addr.port}/health`;
    const ok = capture();
    assert.equal(await runCli(["check", "http", url, "--header", "Host: site.example"], ok.ctx), 0);
    assert.match(ok.stdout(), /^ok {4}HTTP 204 from/);
    assert.equal(host, "site.example");
    const strict = capture();
    assert.equal(await runCli(["check", "http", url, "--expect", "200"], strict.ctx), 1);
    assert.match(strict.stdout(), /^FAIL {2}HTTP 204 from .*\(expected 200\)/);
    const bad = capture();
    assert.equal(await runCli(["check", "http", url, "--expect", "2xx"], bad.ctx), 2);
    assert.match(bad.stderr(), /Cannot parse status "2xx"/);
  } finally {
    await server.shutdown();
  }
});

Deno.test("anycast check tcp, exec and address report and exit by result", async () => {
  const closed = capture();
  assert.equal(
    await runCli(["check", "tcp", `127.0.0.1:${freeTcpPort()}`, "--json"], closed.ctx),
    1,
  );
  const json = JSON.parse(closed.stdout());
  assert.equal(json.handler, "tcp");
  assert.equal(json.ok, false);
  assert.match(json.reason, /connection refused/);

  const exec = capture();
  assert.equal(await runCli(["check", "exec", "--", "sh", "-c", "exit 0"], exec.ctx), 0);
  const addr = capture();
  assert.equal(
    await runCli(["check", "address", "--ipv4", "127.0.0.1", "--interface", "lo"], addr.ctx),
    0,
  );
  const usage = capture();
  assert.equal(await runCli(["check", "tcp", "no-port"], usage.ctx), 2);
  assert.match(usage.stderr(), /missing port/);
});

Deno.test("anycast check --watch shows transitions and stops on the signal", async () => {
  let status = 200;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response(null, { status }),
  );
  const stop = new AbortController();
  const io = capture(stop.signal);
  try {
    const url = `http://127.0.0.1:${server.addr.port}/`;
    const running = runCli(["check", "http", url, "--watch", "--period", "50ms"], io.ctx);
    const waitFor = async (re: RegExp) => {
      for (let i = 0; i < 200 && !re.test(io.stdout()); i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.match(io.stdout(), re);
    };
    await waitFor(/state unknown -> up/);
    status = 500;
    await waitFor(/state up -> down/);
    stop.abort();
    assert.equal(await running, 1, "ends with the last verdict: down");
  } finally {
    await server.shutdown();
  }
});

Deno.test("parseStatusList() accepts codes and ranges and rejects the rest", () => {
  assert.deepEqual(parseStatusList("200,204, 300-399"), [[200, 200], [204, 204], [300, 399]]);
  assert.throws(() => parseStatusList("2xx"), RangeError);
  assert.throws(() => parseStatusList("399-300"), RangeError);
});

Deno.test("selectChecks() filters by prefix and probe kind", () => {
  const loaded = parseConfig(nativeConfig(80, 81), "mem.yaml");
  assert.ok(loaded.ok);
  assert.equal(selectChecks(loaded.config).length, 3);
  assert.deepEqual(
    selectChecks(loaded.config, { prefix: "198.51.100.1/32", probe: "liveness" }).map((i) =>
      i.probe
    ),
    ["liveness"],
  );
  assert.throws(() => selectChecks(loaded.config, { prefix: "nope" }), RangeError);
});
