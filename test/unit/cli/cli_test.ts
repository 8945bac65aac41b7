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

Deno.test("anycast exits 1 with 'internal error' when a command fails unexpectedly", async () => {
  const io = captureCli();
  const ctx = {
    ...io.ctx,
    out: () => {
      throw new Error("disk on fire");
    },
  };
  const code = await runCli(["schema"], ctx);
  assert.equal(code, 1);
  assert.match(io.stderr(), /^anycast: internal error: Error: disk on fire/);
});

Deno.test("anycast validate with no file exits 2 as a usage error", async () => {
  const io = captureCli();
  assert.equal(await runCli(["validate"], io.ctx), 2);
  assert.match(
    io.stderr(),
    /^anycast: validate: no config file given.*\n\(run with --help for usage\)\n$/,
  );
});
