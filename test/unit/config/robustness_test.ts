/** Bad input is a clear error, never a crash: text-level mutations and hostile YAML. */
import assert from "node:assert/strict";
import { formatConfigError, parseConfig } from "../../../src/config/mod.ts";

const root = new URL("../../../examples/", import.meta.url);
const sources = ["minimal.yaml", "full.yaml", "anycastd.yaml", "dual-stack.yaml", "periphery.yaml"]
  .map((f) => Deno.readTextFileSync(new URL(f, root)));

Deno.test("parseConfig() returns errors, never throws, for 1,000 randomly mutated examples", () => {
  let seed = 12345;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const junk = ["\n", " ", ":", "-", "[", "]", "{", "}", "&a", "*a", "!!binary ", "<<: *a", "'"];
  let rejected = 0;
  for (let i = 0; i < 1000; i++) {
    let text = sources[random(sources.length)]!;
    for (let j = 0; j <= random(4); j++) {
      const at = random(text.length);
      text = random(2) === 0
        ? text.slice(0, at) + junk[random(junk.length)] + text.slice(at)
        : text.slice(0, at) + text.slice(at + 1 + random(5));
    }
    const result = parseConfig(text, "fuzz.yaml");
    if (!result.ok) {
      rejected++;
      for (const e of result.errors) {
        assert.ok(e.line >= 1 && e.column >= 1 && e.message !== "", formatConfigError(e));
      }
    }
  }
  assert.ok(rejected > 100, `only ${rejected} mutations were rejected`);
});

Deno.test("parseConfig() rejects a billion-laughs alias bomb without expanding it", () => {
  const lines = ["a: &a [x, x, x, x, x, x, x, x, x]"];
  for (let i = 1; i < 9; i++) {
    const prev = String.fromCharCode(96 + i);
    const name = String.fromCharCode(97 + i);
    lines.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(", ")}]`);
  }
  const result = parseConfig(lines.join("\n") + "\n", "bomb.yaml");
  assert.equal(result.ok, false);
  if (result.ok) return;
  assert.match(
    formatConfigError(result.errors[0]!),
    /^bomb\.yaml:1:1: Cannot parse YAML: Excessive alias count/,
  );
});
