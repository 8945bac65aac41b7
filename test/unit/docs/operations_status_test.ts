/**
 * docs/operations.md opens with a table of what `anycast run` does today,
 * and marks the rest "(planned)". Keep it honest: each row's modules must be
 * in `anycast run`'s module graph exactly when the row says "yes". When the
 * daemon starts using a module, this fails until the guide is updated.
 */
import assert from "node:assert/strict";

const root = new URL("../../../", import.meta.url);

async function runGraph(): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "cmd/run.ts"],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: { specifier: string }[];
  };
  return info.modules.map((m) => m.specifier).filter((s) => s.startsWith(root.href))
    .map((s) => s.slice(root.href.length));
}

interface StatusRow {
  feature: string;
  modules: string[];
  wired: boolean;
}

function statusRows(markdown: string): StatusRow[] {
  const section = markdown.split("## What `anycast run` does today")[1]?.split("\n## ")[0] ?? "";
  return section.split("\n")
    .filter((l) => l.startsWith("| ") && !l.startsWith("| feature") && !l.startsWith("| ---"))
    .map((l) => {
      const [feature = "", module = "", status = ""] = l.split("|").slice(1).map((c) => c.trim());
      return {
        feature,
        modules: [...module.matchAll(/`(src\/[^`]+)`/g)].map((m) => m[1]!),
        wired: status.startsWith("yes"),
      };
    });
}

Deno.test("docs/operations.md says which modules anycast run uses, and it is true", async () => {
  const text = await Deno.readTextFile(new URL("docs/operations.md", root));
  const rows = statusRows(text);
  assert.ok(rows.length >= 8, `${rows.length} rows`);
  const graph = await runGraph();
  for (const row of rows) {
    for (const module of row.modules) {
      const used = graph.some((path) => path.startsWith(module));
      assert.equal(
        used,
        row.wired,
        row.wired
          ? `operations.md: "${row.feature}" is marked yes, but anycast run does not import ${module}`
          : `operations.md: "${row.feature}" is marked (planned), but anycast run now imports ${module}: update the table and the (planned) marks`,
      );
    }
  }
  const planned = rows.filter((r) => !r.wired).length;
  assert.equal(planned > 0, /\(planned\)/.test(text.split("\n## ").slice(2).join("\n")));
});
