import assert from "node:assert/strict";
import { formatConfigError, parseConfig } from "../../../src/config/mod.ts";

const SPEAKER = "speaker:\n  asn: 64600\n  routerId: 192.0.2.10\n";

function neighbor(value: string): string {
  return SPEAKER +
    `neighbors:\n  - address: 127.0.0.3\n    asn: 65002\n    maxPrefixes: 10\n` +
    `    maxPrefixesRestart: ${value}\n`;
}

Deno.test("parseConfig() reads maxPrefixesRestart as seconds or never", () => {
  for (const [text, want] of [["never", "never"], ["2m", 120], ["90", 90], ["0", 0]] as const) {
    const result = parseConfig(neighbor(text), "config.yaml");
    assert.ok(result.ok, text);
    assert.equal(result.config.neighbors[0]!.maxPrefixesRestart, want);
  }
  const none = parseConfig(neighbor("5m").replace(/ {4}maxPrefixesRestart.*\n/, ""), "c.yaml");
  assert.ok(none.ok);
  assert.equal(none.config.neighbors[0]!.maxPrefixesRestart, undefined, "the session's 5 min");
});

Deno.test("parseConfig() refuses a maxPrefixesRestart that is neither never nor a duration", () => {
  for (const bad of ["nope", "-1", "forever"]) {
    const result = parseConfig(neighbor(bad), "config.yaml");
    assert.equal(result.ok, false, bad);
    if (result.ok) continue;
    assert.match(
      formatConfigError(result.errors[0]!),
      /neighbors\[0\]\.maxPrefixesRestart: expected "never" or a duration such as "5m"/,
    );
  }
});
