import assert from "node:assert/strict";
import { runCli } from "../../../src/cli/mod.ts";
import { ControlServer } from "../../../src/control/server.ts";
import { formatAge } from "../../../src/control/format.ts";
import { FakeBackend } from "./_fake_backend.ts";

function capture(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    ctx: {
      out: (t: string) => void out.push(t),
      err: (t: string) => void err.push(t),
      env: (n: string) => env[n],
      signal: new AbortController().signal,
    },
    stdout: () => out.join(""),
    stderr: () => err.join(""),
  };
}

async function withServer(
  fn: (socket: string, backend: FakeBackend) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "anycast-cli-" });
  const backend = new FakeBackend();
  const server = await ControlServer.start({ socket: `${dir}/anycast.sock` }, backend);
  try {
    await fn(server.socketPath, backend);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("anycast peers prints a table of sessions", async () => {
  await withServer(async (socket) => {
    const io = capture();
    assert.equal(await runCli(["peers", "--socket", socket], io.ctx), 0);
    assert.equal(
      io.stdout(),
      [
        "Peer                  AS     State        Up/Down      Sent  Rcvd  BFD  Last error",
        "10.0.0.254            64599  Established  01:02:03     2     0     Up   -",
        "core2 (2001:db8::fe)  64600  Active       1d 01:01:01  0     0     -    Connection refused",
        "",
      ].join("\n"),
    );
  });
});

Deno.test("anycast peers lists the prefixes not announced and the mechanism that withdrew them", async () => {
  await withServer(async (socket, backend) => {
    const prefix = [...backend.configured][0]!;
    backend.withdrawn.set(
      prefix,
      "unhealthy: process exit: process 12 exited (pid file /run/x.pid)",
    );
    const io = capture();
    assert.equal(await runCli(["peers", "--socket", socket], io.ctx), 0);
    const text = io.stdout();
    assert.ok(text.startsWith("Peer "), text);
    const tail = text.slice(text.indexOf("\nNot announced:\n"));
    assert.match(
      tail,
      new RegExp(
        `^\\nNot announced:\\nPrefix +State +Since +Reason\\n${
          prefix.replace(/[./]/g, "\\$&")
        } +down +\\S+ +unhealthy: process exit: process 12 exited \\(pid file /run/x\\.pid\\)\\n$`,
      ),
    );
  });
});

Deno.test("anycast peers PEER --routes --json prints the routes sent", async () => {
  await withServer(async (socket, backend) => {
    const io = capture({ ANYCAST_SOCKET: socket });
    assert.equal(await runCli(["peers", "10.0.0.254", "--routes", "--json"], io.ctx), 0);
    assert.equal(JSON.parse(io.stdout())[0].prefix, "192.0.2.1/32");
    const table = capture({ ANYCAST_SOCKET: socket });
    assert.equal(await runCli(["peers", "core2", "--routes", "--received"], table.ctx), 0);
    assert.equal(table.stdout(), "no routes\n");
    assert.deepEqual(backend.calls, ["routes 10.0.0.254 sent", "routes core2 received"]);
  });
});

Deno.test("anycast peers for an unknown peer's routes exits 1 with the daemon's message", async () => {
  await withServer(async (socket) => {
    const io = capture();
    assert.equal(await runCli(["peers", "nobody", "--routes", "--socket", socket], io.ctx), 1);
    assert.equal(io.stderr(), "anycast peers: daemon refused (HTTP 404): Unknown peer nobody\n");
  });
});

Deno.test("anycast peers without a daemon exits 1 and names the socket", async () => {
  const io = capture();
  const code = await runCli(["peers", "--socket", "/nonexistent/anycast.sock"], io.ctx);
  assert.equal(code, 1);
  assert.equal(
    io.stderr(),
    "anycast peers: cannot reach anycast daemon at /nonexistent/anycast.sock: " +
      "no such socket (is `anycast run` running?)\n",
  );
});

Deno.test("anycast announce sends the prefix with its attributes", async () => {
  await withServer(async (socket, backend) => {
    const io = capture();
    const code = await runCli([
      "announce",
      "198.51.100.10/32",
      "--next-hop",
      "10.0.0.1",
      "--community",
      "65000:100",
      "--community",
      "no-export",
      "--large-community",
      "65000:1:2",
      "--med",
      "50",
      "--socket",
      socket,
    ], io.ctx);
    assert.equal(code, 0, io.stderr());
    assert.equal(io.stdout(), "announced: 198.51.100.10/32\n");
    assert.deepEqual(JSON.parse(backend.calls[0]!.slice("announce ".length)), {
      prefix: "198.51.100.10/32",
      communities: ["65000:100", "65535:65281"],
      largeCommunities: ["65000:1:2"],
      nextHop: "10.0.0.1",
      med: 50,
    });
  });
});

Deno.test("anycast announce --withdraw, --drain, --undrain --all and --maintenance reach the daemon", async () => {
  await withServer(async (socket, backend) => {
    const run = async (...args: string[]) => {
      const io = capture();
      assert.equal(await runCli(["announce", ...args, "--socket", socket], io.ctx), 0, io.stderr());
      return io.stdout();
    };
    assert.equal(await run("--withdraw", "198.51.100.10"), "withdrawn: 198.51.100.10/32\n");
    assert.equal(await run("--drain", "192.0.2.1/32"), "draining: 192.0.2.1/32\n");
    assert.equal(await run("--undrain", "--all"), "undrained: 192.0.2.1/32, 192.0.2.2/32\n");
    assert.equal(
      await run("--maintenance", "on", "192.0.2.2/32"),
      "maintenance on: 192.0.2.2/32\n",
    );
    assert.deepEqual(backend.calls, [
      "withdraw 198.51.100.10/32",
      'drain {"prefix":"192.0.2.1/32"}',
      'undrain {"all":true}',
      "maintenance 192.0.2.2/32 true",
    ]);
  });
});

Deno.test("anycast announce usage errors exit 2 without asking the daemon", async () => {
  const cases: [string[], RegExp][] = [
    [["announce"], /announce needs a PREFIX/],
    [["announce", "192.0.2.1/33"], /Invalid prefix "192\.0\.2\.1\/33"/],
    [["announce", "--drain", "--withdraw", "192.0.2.1/32"], /use only one of --withdraw, --drain/],
    [["announce", "--withdraw", "192.0.2.1/32", "--med", "5"], /only apply when announcing/],
    [["announce", "--all"], /--all only goes with --drain or --undrain/],
    [["announce", "192.0.2.1/32", "--med", "x"], /--med must be an integer/],
    [["announce", "--maintenance", "maybe", "192.0.2.1/32"], /Allowed choices are on, off/],
    [["peers", "--routes"], /--routes needs a PEER/],
  ];
  for (const [args, message] of cases) {
    const io = capture();
    assert.equal(
      await runCli([...args, "--socket", "/nonexistent.sock"], io.ctx),
      2,
      args.join(" "),
    );
    assert.match(io.stderr(), message);
  }
});

Deno.test("formatAge() prints hh:mm:ss and days", () => {
  assert.equal(formatAge(0), "00:00:00");
  assert.equal(formatAge(3723.9), "01:02:03");
  assert.equal(formatAge(2 * 86400 + 5), "2d 00:00:05");
  assert.equal(formatAge(undefined), "never");
});

Deno.test("anycast peers --config takes the socket from api.socket", async () => {
  await withServer(async (socket) => {
    const dir = await Deno.makeTempDir();
    try {
      const config = `${dir}/config.yaml`;
      await Deno.writeTextFile(
        config,
        [
          "speaker: { asn: 64600, routerId: 192.0.2.10 }",
          "neighbors: [{ address: 192.0.2.254, asn: 64599 }]",
          "prefixes: [{ ipAddress: 198.51.100.1/32 }]",
          `api: { socket: "${socket}" }`,
          "",
        ].join("\n"),
      );
      const io = capture();
      assert.equal(await runCli(["peers", "--json", "--config", config], io.ctx), 0, io.stderr());
      assert.equal(JSON.parse(io.stdout()).length, 2);
      const bad = capture();
      assert.equal(await runCli(["peers", "--config", `${dir}/missing.yaml`], bad.ctx), 2);
      assert.match(bad.stderr(), /cannot use --config .*missing\.yaml/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});
