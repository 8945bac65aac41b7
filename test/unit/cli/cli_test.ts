import assert from "node:assert/strict";
import { runCli } from "../../../src/cli/mod.ts";
import { captureCli } from "./_capture.ts";

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
