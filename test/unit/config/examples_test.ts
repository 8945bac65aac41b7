import assert from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import { formatConfigError, loadConfig, parseConfig } from "../../../src/config/mod.ts";

const root = new URL("../../../", import.meta.url);
const examplesDir = new URL("examples/", root);
const fixturesDir = new URL("test/fixtures/", root);

function listConfigs(dir: URL): string[] {
  return [...Deno.readDirSync(dir)]
    .filter((e) => e.isFile && /\.(ya?ml|json)$/.test(e.name))
    .map((e) => e.name)
    .sort();
}

Deno.test("examples/ holds the five documented examples", () => {
  const names = listConfigs(examplesDir);
  for (
    const n of ["minimal.yaml", "full.yaml", "periphery.yaml", "anycastd.yaml", "dual-stack.yaml"]
  ) {
    assert.ok(names.includes(n), `missing examples/${n}`);
  }
});

for (const name of listConfigs(examplesDir)) {
  Deno.test(`examples/${name} validates`, async () => {
    const result = await loadConfig(new URL(name, examplesDir).pathname);
    assert.ok(result.ok, result.ok ? "" : result.errors.map(formatConfigError).join("\n"));
    assert.equal(result.dialect, name.startsWith("anycastd") ? "anycastd" : "native");
  });
}

Deno.test("native examples carry the yaml-language-server schema comment", () => {
  for (const name of listConfigs(examplesDir)) {
    if (name.startsWith("anycastd") || name.endsWith(".json")) continue;
    const text = Deno.readTextFileSync(new URL(name, examplesDir));
    assert.match(text, /^# yaml-language-server: \$schema=\.\.\/docs\/schema\.json$/m, name);
  }
});

const SEED = "/work/shared/seeds/periphery-readme.txt";

Deno.test({
  name: "test/fixtures/periphery.yaml is Periphery's README example verbatim",
  // The seed lives outside the repository; elsewhere only the fixture remains.
  ignore: !existsSync(SEED),
  fn() {
    const seed = Deno.readTextFileSync(SEED);
    const fixture = Deno.readTextFileSync(new URL("periphery.yaml", fixturesDir));
    const block = seed.split("```yaml\n")[1]!.split("```")[0]!;
    assert.equal(fixture, block);
  },
});

function existsSync(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("the Periphery README config validates as native", async () => {
  const result = await loadConfig(new URL("periphery.yaml", fixturesDir).pathname);
  assert.ok(result.ok);
  assert.equal(result.dialect, "native");
  assert.equal(result.config.prefixes[0]?.readinessProbe?.periodMs, 10_000);
  assert.equal(result.config.prefixes[0]?.readinessProbe?.initialDelayMs, 5_000);
  assert.equal(result.config.logging.driver, "file");
});

Deno.test("the anycastd README config as written fails on multihope_ttl with a hint", async () => {
  const path = new URL("anycastd.yaml", fixturesDir).pathname;
  const result = await loadConfig(path);
  assert.equal(result.ok, false);
  if (result.ok) return;
  assert.deepEqual(result.errors.map(formatConfigError), [
    `${path}:16:7: announcer.peers[1].multihope_ttl: unknown key; did you mean "multihop_ttl"?`,
  ]);
});

Deno.test("the anycastd README config validates once multihop_ttl is spelled right", async () => {
  const result = await loadConfig(new URL("anycastd-corrected.yaml", fixturesDir).pathname);
  assert.ok(result.ok, result.ok ? "" : result.errors.map(formatConfigError).join("\n"));
  assert.equal(result.dialect, "anycastd");
  assert.equal(result.config.neighbors[1]?.ebgpMultihopTtl, 3);
  assert.equal(result.config.services[0]?.checks.length, 7);
});

Deno.test("the anycastd fixtures differ only in the misspelt key", () => {
  const a = Deno.readTextFileSync(new URL("anycastd.yaml", fixturesDir));
  const b = Deno.readTextFileSync(new URL("anycastd-corrected.yaml", fixturesDir));
  assert.equal(a.replace("multihope_ttl", "multihop_ttl"), b);
});

Deno.test("a JSON copy of an example validates the same as its YAML", () => {
  for (const name of ["minimal.yaml", "full.yaml", "anycastd.yaml"]) {
    const yamlText = Deno.readTextFileSync(new URL(name, examplesDir));
    const jsonText = JSON.stringify(parseYaml(yamlText), null, 2);
    const fromYaml = parseConfig(yamlText, "x");
    const fromJson = parseConfig(jsonText, "x");
    assert.ok(fromYaml.ok && fromJson.ok, name);
    assert.deepEqual(fromJson.config, fromYaml.config);
  }
});

Deno.test("parseConfig() never throws on mutated examples (every scalar replaced by odd values)", () => {
  const odd: unknown[] = [null, -1, 1.5, "x", {}, ["a"]];
  let runs = 0;
  for (const name of listConfigs(examplesDir)) {
    const data = parseYaml(Deno.readTextFileSync(new URL(name, examplesDir)));
    const paths: (string | number)[][] = [];
    const walk = (v: unknown, path: (string | number)[]) => {
      paths.push(path);
      if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
      else if (v && typeof v === "object") {
        for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
      }
    };
    walk(data, []);
    for (const path of paths) {
      for (const value of odd) {
        const copy = structuredClone(data);
        if (path.length === 0) continue;
        let parent = copy;
        for (const seg of path.slice(0, -1)) parent = parent[seg];
        parent[path[path.length - 1]!] = value;
        const text = JSON.stringify(copy);
        // Must return a result, never throw; errors must carry positions.
        const result = parseConfig(text, "m.json");
        runs++;
        if (!result.ok) {
          for (const e of result.errors) {
            assert.ok(e.line >= 1 && e.column >= 1, formatConfigError(e));
          }
        }
      }
    }
  }
  assert.ok(runs > 1000, `${runs} runs`);
});

Deno.test("examples/periphery.yaml is the fixture below its comment lines", () => {
  const example = Deno.readTextFileSync(new URL("periphery.yaml", examplesDir));
  const fixture = Deno.readTextFileSync(new URL("periphery.yaml", fixturesDir));
  assert.equal(example.split("\n").filter((l) => !l.startsWith("#")).join("\n"), fixture);
});
