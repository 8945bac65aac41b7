/**
 * Keys named like `Object.prototype` members (`constructor`, `toString`,
 * `__proto__`, `hasOwnProperty`) are ordinary unknown keys and ordinary bad
 * values: lookups see own properties only.
 */
import assert from "node:assert/strict";
import { formatConfigError, parseConfig } from "../../../src/config/mod.ts";
import { parseCommunity } from "../../../src/config/communities.ts";
import { parseCommunity as parseWireCommunity } from "../../../src/bgp/attribute/communities.ts";
import { ownValue } from "../../../src/util/own.ts";

const SPEAKER = "speaker:\n  asn: 64600\n  routerId: 192.0.2.10\n";

function errors(yaml: string): string[] {
  const result = parseConfig(yaml, "config.yaml");
  assert.equal(result.ok, false, "config should be refused");
  return result.ok ? [] : result.errors.map(formatConfigError);
}

for (const key of ["constructor", "toString", "__proto__", "hasOwnProperty", "valueOf"]) {
  Deno.test(`parseConfig() reports a top-level key "${key}" as an unknown key`, () => {
    const out = errors(SPEAKER + `${key}: 1\n`);
    assert.equal(out.length, 1, out.join("\n"));
    assert.match(
      out[0]!,
      new RegExp(
        `^config\\.yaml:4:1: ${key}: unknown key \\(known keys: \\$schema, [^)]*\\bspeaker\\b`,
      ),
    );
    assert.doesNotMatch(out[0]!, /native code/);
  });
}

Deno.test("parseConfig() reports a nested constructor key as an unknown key", () => {
  assert.deepEqual(errors(SPEAKER.replace("speaker:\n", "speaker:\n  constructor: {x: 1}\n")), [
    "config.yaml:2:3: speaker.constructor: unknown key (known keys: asn, routerId, " +
    "gracefulRestartEnabled, gracefulRestartRestartTime, listenPort)",
  ]);
});

Deno.test("parseConfig() reports toString inside a neighbor as an unknown key", () => {
  const out = errors(
    SPEAKER + "neighbors:\n  - address: 127.0.0.3\n    asn: 65002\n    toString: 1\n",
  );
  assert.equal(out.length, 1);
  assert.match(out[0]!, /^config\.yaml:7:5: neighbors\[0\]\.toString: unknown key \(known keys: /);
  assert.doesNotMatch(out[0]!, /native code/);
});

Deno.test("parseConfig() in the JSON form treats __proto__ as an unknown key", () => {
  const out = errors(
    '{"speaker": {"asn": 64600, "routerId": "192.0.2.10"}, "__proto__": {"x": 1}}',
  );
  assert.equal(out.length, 1);
  assert.match(out[0]!, /__proto__: unknown key/);
});

Deno.test("parseCommunity() refuses constructor and toString as community names", () => {
  for (const name of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
    assert.throws(() => parseCommunity(name), SyntaxError, name);
    assert.throws(() => parseWireCommunity(name), TypeError, name);
  }
});

Deno.test("ownValue() ignores inherited members", () => {
  const table: Record<string, number> = { a: 1 };
  assert.equal(ownValue(table, "a"), 1);
  assert.equal(ownValue(table, "constructor"), undefined);
  assert.equal(ownValue(table, "toString"), undefined);
  assert.equal(ownValue(table, "__proto__"), undefined);
});

Deno.test("parseConfig() reads api.allowedPrefixes in canonical form", () => {
  const result = parseConfig(
    SPEAKER + "api:\n  allowedPrefixes: [198.51.100.0/24, 2001:0db8:100::/48]\n",
    "config.yaml",
  );
  assert.ok(result.ok);
  assert.deepEqual(result.config.api.allowedPrefixes, ["198.51.100.0/24", "2001:db8:100::/48"]);
  const none = parseConfig(SPEAKER, "config.yaml");
  assert.ok(none.ok);
  assert.equal(none.config.api.allowedPrefixes, undefined);
});

Deno.test("parseConfig() refuses a malformed api.allowedPrefixes entry", () => {
  const out = errors(SPEAKER + "api:\n  allowedPrefixes: [198.51.100.1/24]\n");
  assert.equal(out.length, 1);
  assert.match(out[0]!, /^config\.yaml:5:21: api\.allowedPrefixes\[0\]: .*198\.51\.100\.0\/24/);
});
