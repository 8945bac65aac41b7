import assert from "node:assert/strict";
import { currentRevision, revisionModule } from "../../../scripts/stamp_version.ts";
import { gitRevision, versionString } from "../../../src/cli/version.ts";

Deno.test("revisionModule() writes a module exporting the stamped revision", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/_revision.ts`;
    await Deno.writeTextFile(file, revisionModule("0123456789ab"));
    const mod = await import(`file://${file}`);
    assert.equal(mod.STAMPED_REVISION, "0123456789ab");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the committed src/cli/_revision.ts is the unstamped module", async () => {
  const text = await Deno.readTextFile(new URL("../../../src/cli/_revision.ts", import.meta.url));
  assert.equal(text, revisionModule(undefined));
});

Deno.test("currentRevision() agrees with the revision --version reads from .git", () => {
  const fromGit = gitRevision();
  if (fromGit === undefined) return; // not a checkout: nothing to compare
  assert.equal(currentRevision(), fromGit);
  assert.equal(versionString(), `0.1.0 (git ${fromGit})`);
});
