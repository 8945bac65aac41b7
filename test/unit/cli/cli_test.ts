import assert from "node:assert/strict";
import { runCli } from "../../../src/cli/mod.ts";

export function captureCli(env: Record<string, string> = {}) {
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

Deno.test("anycast --help lists every subcommand and the exit codes", async () => {
  const io = captureCli();
  const code = await runCli(["--help"], io.ctx);
  assert.equal(code, 0);
  for (const sub of ["run", "check", "validate", "peers", "announce", "schema"]) {
    assert.match(io.stdout(), new RegExp(`^  ${sub}\\b`, "m"));
  }
  assert.match(io.stdout(), /2 +usage error/);
});

Deno.test("anycast with an unknown option exits 2 and points to --help", async () => {
  const io = captureCli();
  const code = await runCli(["--bogus"], io.ctx);
  assert.equal(code, 2);
  assert.match(io.stderr(), /unknown option '--bogus'/);
  assert.match(io.stderr(), /--help/);
});
