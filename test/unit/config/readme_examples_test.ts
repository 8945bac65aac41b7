import assert from "node:assert/strict";
import { formatConfigError, parseConfig } from "../../../src/config/mod.ts";

// README.md is what a new user copies first: every ```yaml block in it must validate.
Deno.test("every yaml block in README.md is a valid config", async () => {
  const readme = await Deno.readTextFile(new URL("../../../README.md", import.meta.url));
  const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
  assert.ok(blocks.length >= 2, "README.md should show both dialects");
  blocks.forEach((text, i) => {
    const result = parseConfig(text, `README.md yaml block ${i + 1}`);
    assert.ok(result.ok, result.ok ? "" : result.errors.map(formatConfigError).join("\n"));
  });
});
