import assert from "node:assert/strict";
import { parseValidFast, parseWithPositions } from "../../../src/config/load.ts";

const root = new URL("../../../", import.meta.url);

async function configFiles(): Promise<string[]> {
  const files: string[] = [];
  for (const dir of ["examples", "test/fixtures"]) {
    for await (const entry of Deno.readDir(new URL(dir, root))) {
      if (entry.isFile && /\.(ya?ml|json)$/.test(entry.name)) files.push(`${dir}/${entry.name}`);
    }
  }
  return files.sort();
}

Deno.test("parseValidFast() and parseWithPositions() agree on every example and fixture", async () => {
  const files = await configFiles();
  assert.ok(files.length >= 5, `expected examples, found ${files.join(", ")}`);
  for (const file of files) {
    const text = await Deno.readTextFile(new URL(file, root));
    const careful = parseWithPositions(text, file);
    const fast = parseValidFast(text, file);
    if (careful.ok && careful.warnings.length > 0) {
      assert.equal(fast, undefined, `${file}: warnings need positions: the careful path`);
    } else if (careful.ok) {
      assert.deepEqual(fast, careful, `${file}: fast path differs from the careful one`);
    } else {
      assert.equal(fast, undefined, `${file}: fast path accepted a file with errors`);
    }
  }
});

Deno.test("parseValidFast() leaves anchors, duplicate keys and schema errors to the careful path", () => {
  const base = "speaker:\n  asn: 64600\n  routerId: 192.0.2.1\n";
  assert.notEqual(parseValidFast(base, "ok.yaml"), undefined);
  assert.equal(parseValidFast(base + "x: &a 1\ny: *a\n", "alias.yaml"), undefined);
  assert.equal(parseValidFast(base + "speaker: {}\n", "dup.yaml"), undefined);
  assert.equal(parseValidFast(base.replace("64600", "0"), "asn.yaml"), undefined);
  assert.equal(parseValidFast("speaker: [", "broken.yaml"), undefined);
  const warned = base + "api: {listenPort: 50051}\n";
  assert.equal(parseValidFast(warned, "warned.yaml"), undefined);
  const careful = parseWithPositions(warned, "warned.yaml");
  assert.ok(careful.ok && careful.warnings.length === 1);
});
