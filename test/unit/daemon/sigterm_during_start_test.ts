/**
 * Fault: SIGTERM while `anycast run` is busy starting 20,000 prefixes. The
 * signal must be taken (handlers are installed before the start), acted on as
 * soon as the start is done, and end in a clean stop: exit 0 and "stopped",
 * not the default action (killed by the signal) and not a starved process.
 */
import assert from "node:assert/strict";

const PREFIXES = 20_000;

Deno.test({
  name: "anycast run: SIGTERM during a busy start stops cleanly (exit 0, stopped)",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const lines = [
        "logging:",
        "  level: debug",
        "speaker:",
        "  asn: 64600",
        '  routerId: "10.0.0.1"',
        "  listenPort: 0",
        "api:",
        `  socket: "${dir}/anycast.sock"`,
        "neighbors:",
        // Nothing listens there: the session keeps trying until we stop.
        '  - address: "127.0.0.1"',
        "    asn: 65001",
        "    port: 9",
        "prefixes:",
      ];
      for (let i = 0; i < PREFIXES; i++) {
        lines.push(`  - ipAddress: "10.${i >> 16}.${(i >> 8) & 255}.${i & 255}/32"`);
        lines.push('    nextHop: "203.0.113.1"');
      }
      await Deno.writeTextFile(`${dir}/config.yaml`, lines.join("\n") + "\n");
      const main = new URL("../../../main.ts", import.meta.url).pathname;
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", main, "run", "--config", `${dir}/config.yaml`],
        stdout: "null",
        stderr: "piped",
      }).spawn();
      let text = "";
      let signalled = false;
      let sawStartedBeforeSignal = false;
      for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
        text += chunk;
        // The policy publishes the table in slices: the first decision line means the
        // start is under way and not done.
        if (!signalled && /prefix 10\.0\.0\.\d+\/32: start -> up/.test(text)) {
          sawStartedBeforeSignal = /started: AS/.test(text);
          child.kill("SIGTERM");
          signalled = true;
        }
      }
      const status = await child.status;
      assert.ok(signalled, "the start never logged a decision");
      assert.equal(sawStartedBeforeSignal, false, "the signal must arrive during the start");
      assert.equal(status.signal, null, "killed by the signal's default action");
      assert.equal(status.code, 0, text.slice(-2000));
      assert.match(text, /started: AS 64600, 1 neighbor\(s\), 20000 prefix\(es\)/);
      assert.match(text, /stopped; largest event-loop lag/);
      assert.ok(text.indexOf("started: AS") < text.indexOf("stopped;"));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
