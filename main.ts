/**
 * `anycast` entry point: wires the CLI to the real process and nothing else.
 *
 * @module
 */
import { runCli } from "./src/cli/mod.ts";

const encoder = new TextEncoder();

/** Write all of `text`; a closed pipe (`anycast schema | head`) is not an error. */
function writeAll(stream: { writeSync(p: Uint8Array): number }, text: string): void {
  let bytes = encoder.encode(text);
  try {
    while (bytes.length > 0) bytes = bytes.subarray(stream.writeSync(bytes));
  } catch (e) {
    if (!(e instanceof Deno.errors.BrokenPipe)) throw e;
  }
}

if (import.meta.main) {
  const stop = new AbortController();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    // First signal asks the command to stop; a second one exits at once.
    Deno.addSignalListener(signal, () => {
      if (stop.signal.aborted) Deno.exit(130);
      stop.abort(signal);
    });
  }
  const code = await runCli(Deno.args, {
    out: (t) => writeAll(Deno.stdout, t),
    err: (t) => writeAll(Deno.stderr, t),
    env: (n) => Deno.env.get(n),
    signal: stop.signal,
  });
  Deno.exit(code);
}
