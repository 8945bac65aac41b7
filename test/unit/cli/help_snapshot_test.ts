/**
 * Help output is part of the interface: these snapshots change only on
 * purpose. Regenerate with `UPDATE_SNAPSHOTS=1 deno test -A test/unit/cli`.
 */
import assert from "node:assert/strict";
import { runCli } from "../../../src/cli/mod.ts";
import { captureCli } from "./_capture.ts";

const update = Deno.env.get("UPDATE_SNAPSHOTS") === "1";

async function assertSnapshot(name: string, actual: string): Promise<void> {
  const file = new URL(`snapshots/${name}.txt`, import.meta.url);
  if (update) {
    await Deno.writeTextFile(file, actual);
    return;
  }
  const expected = await Deno.readTextFile(file);
  assert.equal(
    actual,
    expected,
    `help changed: review, then UPDATE_SNAPSHOTS=1 to accept (${name})`,
  );
}

for (
  const [name, args] of [
    ["anycast_help", ["--help"]],
    ["anycast_validate_help", ["validate", "--help"]],
    ["anycast_schema_help", ["schema", "--help"]],
  ] as const
) {
  Deno.test(`anycast ${args.join(" ")} matches its snapshot`, async () => {
    const io = captureCli();
    assert.equal(await runCli([...args], io.ctx), 0);
    await assertSnapshot(name, io.stdout());
  });
}
