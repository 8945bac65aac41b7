/**
 * The guides' config snippets are real configs: every complete YAML block
 * (one with a `speaker:` or `announcer:` section) in docs/migration/ validates,
 * and every file the guides link to exists.
 */
import assert from "node:assert/strict";
import { formatConfigError, parseConfig } from "../../../src/config/mod.ts";

const root = new URL("../../../", import.meta.url);
const GUIDES = [
  "docs/migration/periphery.md",
  "docs/migration/anycastd.md",
  "docs/migration/exabgp-healthcheck.md",
  "docs/operations.md",
];

function yamlBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```ya?ml\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

for (const guide of GUIDES) {
  Deno.test(`${guide}: its complete config examples validate`, async () => {
    const text = await Deno.readTextFile(new URL(guide, root));
    const configs = yamlBlocks(text).filter((b) => /^(speaker|announcer):/m.test(b));
    if (guide !== "docs/operations.md") assert.ok(configs.length >= 1, "no worked example");
    for (const block of configs) {
      const result = parseConfig(block, guide);
      assert.ok(result.ok, result.ok ? "" : result.errors.map(formatConfigError).join("\n"));
    }
  });

  Deno.test(`${guide}: relative links point at files that exist`, async () => {
    const text = await Deno.readTextFile(new URL(guide, root));
    const base = new URL(guide, root);
    const links = [...text.matchAll(/\]\(([^)#:]+)(#[^)]*)?\)/g)].map((m) => m[1]!);
    assert.ok(links.length > 0);
    for (const link of links) {
      const target = new URL(link, base);
      assert.ok(
        await Deno.stat(target).then(() => true, () => false),
        `${guide} links to missing ${link}`,
      );
    }
  });
}

Deno.test("the ExaBGP guide shows the committed imported config", async () => {
  const guide = await Deno.readTextFile(new URL("docs/migration/exabgp-healthcheck.md", root));
  const file = await Deno.readTextFile(
    new URL("examples/migration/exabgp-healthcheck-after.yaml", root),
  );
  const body = file.split("\n").filter((l) => !l.startsWith("#")).join("\n").trim();
  assert.ok(yamlBlocks(guide).some((b) => b.trim() === body), "guide and example differ");
});
