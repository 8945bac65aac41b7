import assert from "node:assert/strict";
import {
  configurationReference,
  fieldRows,
  REFERENCE_PATH,
  typeText,
} from "../../../scripts/gen_docs.ts";
import { nativeJsonSchema } from "../../../src/config/mod.ts";
import { runCli } from "../../../src/cli/mod.ts";
import { captureCli } from "../cli/_capture.ts";

Deno.test("docs/reference/configuration.md is what `deno task docs` generates", async () => {
  const committed = await Deno.readTextFile(REFERENCE_PATH);
  const generated = await configurationReference();
  assert.equal(committed, generated, "stale reference: run `deno task docs` and commit it");
});

Deno.test("the reference documents every field of the schema `anycast schema` prints", async () => {
  const io = captureCli();
  assert.equal(await runCli(["schema"], io.ctx), 0);
  const schema = JSON.parse(io.stdout());
  const text = await Deno.readTextFile(REFERENCE_PATH);
  const rows = fieldRows(schema);
  // Walk the printed schema independently: every property path must have a row.
  const paths: string[] = [];
  const walk = (s: Record<string, unknown>, prefix: string) => {
    const props = (s.properties ?? {}) as Record<string, Record<string, unknown>>;
    for (const [key, child] of Object.entries(props)) {
      if (key === "$schema") continue;
      const path = prefix === "" ? key : `${prefix}.${key}`;
      paths.push(path);
      const items = child.items as Record<string, unknown> | undefined;
      const alt = (child.anyOf as Record<string, unknown>[] | undefined)?.find((a) => a.properties);
      if (child.properties) walk(child, path);
      else if (items?.properties) walk(items, `${path}[]`);
      else if (alt) walk(alt, path);
    }
  };
  walk(schema, "");
  assert.deepEqual(rows.map((r) => r.path), paths);
  for (const path of paths) assert.ok(text.includes(`\`${path}\``), path);
  assert.ok(paths.length > 100, `${paths.length} fields`);
});

Deno.test("fieldRows() gives type, required and default of known fields", () => {
  const rows = new Map(fieldRows(nativeJsonSchema()).map((r) => [r.path, r]));
  assert.deepEqual(
    { ...rows.get("speaker.asn")!, description: "" },
    {
      path: "speaker.asn",
      type: "integer 1–4294967295",
      required: true,
      default: "",
      description: "",
    },
  );
  assert.equal(
    rows.get("prefixes[].readinessProbe.periodSeconds")?.type.startsWith("duration"),
    true,
  );
  assert.equal(rows.get("prefixes[].readinessProbe.periodSeconds")?.default, "`10s`");
  assert.equal(rows.get("prefixes[].origin")?.type, "`igp`, `egp` or `incomplete`");
  assert.equal(rows.get("neighbors[].bfd")?.type, "boolean or mapping");
  assert.ok(rows.has("neighbors[].bfd.detectionMultiplier"));
  assert.equal(rows.get("prefixes[].readinessProbe.exec.env")?.type, "mapping of string to string");
});

Deno.test("typeText() names unions, lists and open ranges", () => {
  const root = {};
  assert.equal(typeText({ type: "array", items: { type: "string" } }, root), "list of string");
  assert.equal(typeText({ type: "integer", minimum: 1 }, root), "integer ≥ 1");
  assert.equal(
    typeText({ anyOf: [{ type: "string" }, { type: "boolean" }] }, root),
    "string or boolean",
  );
  assert.equal(typeText({ enum: ["a"] }, root), "`a`");
});

Deno.test("the reference also lists the anycastd dialect and every check kind's spec", async () => {
  const text = await Deno.readTextFile(REFERENCE_PATH);
  for (
    const field of [
      "announcer.router_id",
      "announcer.peers[].multihop_ttl",
      "services[].strategy_options.n",
      "services[].checks[].group",
    ]
  ) {
    assert.ok(text.includes(`| \`${field}\``), field);
  }
  for (
    const kind of ["dns_lookup", "http_2xx", "tls_certificate", "icmp_ping", "tftp_rrq", "ntpq"]
  ) {
    assert.ok(text.includes(`#### \`${kind}\``), kind);
  }
  assert.match(text, /\| `offset_threshold` +\| string +\| yes +\|/);
});
