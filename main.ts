/**
 * `anycast` entry point: wires the CLI to the real process and nothing else.
 *
 * @module
 */
import { runCli } from "./src/cli/mod.ts";

if (import.meta.main) {
  const stop = new AbortController();
  const encoder = new TextEncoder();
  const code = await runCli(Deno.args, {
    out: (t) => Deno.stdout.writeSync(encoder.encode(t)),
    err: (t) => Deno.stderr.writeSync(encoder.encode(t)),
    env: (n) => Deno.env.get(n),
    signal: stop.signal,
  });
  Deno.exit(code);
}
