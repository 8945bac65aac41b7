import assert from "node:assert/strict";
import { runCli } from "../../../src/cli/mod.ts";

function capture(env: Record<string, string>, signal: AbortSignal) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    ctx: {
      out: (t: string) => void out.push(t),
      err: (t: string) => void err.push(t),
      env: (n: string) => env[n],
      signal,
    },
    stderr: () => err.join(""),
  };
}

Deno.test("anycast run with an unreadable config exits 1 and says why", async () => {
  const io = capture({}, new AbortController().signal);
  const code = await runCli(["run", "--config", "/nonexistent/anycast.yaml"], io.ctx);
  assert.equal(code, 1);
  assert.match(io.stderr(), /anycast\.yaml.*Cannot read file: no such file/);
});

Deno.test({
  name: "anycast run takes CONFIG_PATH, starts, and exits 0 when asked to stop",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(
        `${dir}/config.yaml`,
        [
          "speaker:",
          "  asn: 64600",
          '  routerId: "10.0.0.1"',
          "neighbors:",
          // Nothing listens there: the session just keeps trying until we stop.
          '  - address: "127.0.0.1"',
          "    asn: 65001",
          "    port: 9",
          "prefixes:",
          '  - ipAddress: "192.0.2.1/32"',
          "api:",
          `  socket: "${dir}/anycast.sock"`,
          "",
        ].join("\n"),
      );
      const stop = new AbortController();
      const io = capture({ CONFIG_PATH: `${dir}/config.yaml` }, stop.signal);
      const running = runCli(["run", "--log-level", "info"], io.ctx);
      await new Promise((r) => setTimeout(r, 200));
      stop.abort();
      assert.equal(await running, 0);
      assert.match(io.stderr(), /started: AS 64600, 1 neighbor\(s\), 1 prefix\(es\)/);
      assert.match(io.stderr(), /stopped/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "anycast run with Periphery's api block and no token serves only the unix socket, and warns",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(
        `${dir}/config.yaml`,
        [
          "speaker:",
          "  asn: 64600",
          '  routerId: "10.0.0.1"',
          "neighbors:",
          '  - address: "127.0.0.1"',
          "    asn: 65001",
          "    port: 9",
          "api:",
          `  socket: "${dir}/anycast.sock"`,
          '  listenAddress: "127.0.0.1"',
          "  listenPort: 1",
          "",
        ].join("\n"),
      );
      const stop = new AbortController();
      const io = capture({}, stop.signal);
      const running = runCli(["run", "--config", `${dir}/config.yaml`], io.ctx);
      let info: Deno.FileInfo | undefined;
      for (let i = 0; i < 100 && !info?.isSocket; i++) {
        await new Promise((r) => setTimeout(r, 20));
        info = await Deno.lstat(`${dir}/anycast.sock`).catch(() => undefined);
      }
      assert.ok(info?.isSocket, "control socket");
      stop.abort();
      assert.equal(await running, 0);
      assert.match(io.stderr(), /never opened without a bearer token/);
      // Nothing listens on the TCP port the config asked for.
      await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port: 1 }));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "anycast run takes anycastd's LOG_LEVEL=DEBUG and serves the control socket",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(
        `${dir}/config.yaml`,
        [
          "speaker:",
          "  asn: 64600",
          '  routerId: "10.0.0.1"',
          "neighbors:",
          '  - address: "127.0.0.1"',
          "    asn: 65001",
          "    port: 9",
          "prefixes:",
          '  - ipAddress: "192.0.2.1/32"',
          "api:",
          `  socket: "${dir}/anycast.sock"`,
          "",
        ].join("\n"),
      );
      const stop = new AbortController();
      const io = capture({ LOG_LEVEL: "DEBUG" }, stop.signal);
      const running = runCli(["run", "--config", `${dir}/config.yaml`], io.ctx);
      let info: Deno.FileInfo | undefined;
      for (let i = 0; i < 100 && !info?.isSocket; i++) {
        await new Promise((r) => setTimeout(r, 20));
        info = await Deno.lstat(`${dir}/anycast.sock`).catch(() => undefined);
      }
      assert.ok(info?.isSocket, "control socket");
      stop.abort();
      assert.equal(await running, 0);
      assert.match(io.stderr(), /\[DBG\] anycast\.daemon: /);
      // Closed and removed on stop.
      await assert.rejects(Deno.lstat(`${dir}/anycast.sock`), Deno.errors.NotFound);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "anycast run logs the config's warnings (timeout longer than period, uncarried prefix)",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(
        `${dir}/config.yaml`,
        [
          "speaker: {asn: 64600, routerId: 10.0.0.1, listenPort: 0}",
          "neighbors:",
          "  - {address: 127.0.0.1, asn: 65001, port: 9}",
          "prefixes:",
          "  - ipAddress: 2001:db8:9::/48",
          "    readinessProbe:",
          "      periodSeconds: 5s",
          "      timeoutSeconds: 60s",
          "      tcp: {port: 9}",
          "api:",
          `  socket: "${dir}/anycast.sock"`,
          "",
        ].join("\n"),
      );
      const stop = new AbortController();
      const io = capture({}, stop.signal);
      const running = runCli(["run", "--config", `${dir}/config.yaml`], io.ctx);
      await new Promise((r) => setTimeout(r, 200));
      stop.abort();
      assert.equal(await running, 0);
      const log = io.stderr();
      assert.match(
        log,
        /config: \S+config\.yaml:5:16: warning: prefixes\[0\]\.ipAddress: 2001:db8:9::\/48 is announced to no neighbor/,
      );
      assert.match(
        log,
        /config: \S+config\.yaml:8:23: warning: prefixes\[0\]\.readinessProbe\.timeoutSeconds: timeout 1m is longer than the period 5s/,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
