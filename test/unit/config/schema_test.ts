import assert from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import { nativeJsonSchema, nativeSchema } from "../../../src/config/mod.ts";
import { schemaCommand } from "../../../cmd/schema.ts";
import { checkJsonSchema } from "./_json_schema_check.ts";

const root = new URL("../../../", import.meta.url);
const nativeExamples = [...Deno.readDirSync(new URL("examples/", root))]
  .map((e) => e.name)
  .filter((n) => /\.(ya?ml|json)$/.test(n) && !n.startsWith("anycastd"))
  .sort();

const schema = nativeJsonSchema() as Record<string, unknown>;

Deno.test("nativeJsonSchema() is a draft 2020-12 object schema that forbids unknown keys", () => {
  assert.equal(schema.$schema, "https://json-schema.org/draft/2020-12/schema");
  assert.equal(schema.type, "object");
  assert.equal(schema.additionalProperties, false);
  assert.deepEqual(schema.required, ["speaker"]);
  // Valid JSON that survives a round trip.
  assert.deepEqual(JSON.parse(JSON.stringify(schema)), schema);
});

Deno.test("nativeJsonSchema() has a property for every top-level key of the zod schema", () => {
  const properties = schema.properties as Record<string, unknown>;
  assert.deepEqual(Object.keys(properties).sort(), Object.keys(nativeSchema.shape).sort());
  for (const key of ["logging", "speaker", "api", "neighbors", "prefixes", "bfd", "metrics"]) {
    assert.ok(properties[key], key);
  }
});

Deno.test("nativeJsonSchema() lists every probe handler and Periphery's prefix fields", () => {
  const prefixes = (schema.properties as Record<string, Record<string, unknown>>).prefixes!;
  const prefixProps = ((prefixes.items as Record<string, unknown>).properties) as Record<
    string,
    Record<string, unknown>
  >;
  for (
    const key of [
      "ipAddress",
      "name",
      "asn",
      "multiExitDescriminator",
      "asPathPrepend",
      "withdrawOnDown",
      "maintenance",
    ]
  ) {
    assert.ok(prefixProps[key], key);
  }
  const probeProps = prefixProps.readinessProbe!.properties as Record<string, unknown>;
  for (
    const key of [
      "http",
      "tcp",
      "grpc",
      "exec",
      "dnsLookup",
      "http2xx",
      "tlsCertificate",
      "assignedAddress",
      "icmpPing",
      "tftpRrq",
      "ntpq",
    ]
  ) {
    assert.ok(probeProps[key], key);
  }
});

for (const name of nativeExamples) {
  Deno.test(`nativeJsonSchema() accepts examples/${name}, as does the zod schema it came from`, () => {
    const data = parseYaml(Deno.readTextFileSync(new URL(`examples/${name}`, root)));
    assert.deepEqual(checkJsonSchema(schema, data), []);
    assert.equal(nativeSchema.safeParse(data).success, true);
  });
}

Deno.test("nativeJsonSchema() rejects what the validator rejects structurally", () => {
  const bad = { speaker: { asn: 0, routerId: "192.0.2.1" }, bogus: 1 };
  const errors = checkJsonSchema(schema, bad);
  assert.ok(errors.some((e) => e.includes("$.speaker.asn")), errors.join("\n"));
  assert.ok(errors.some((e) => e.includes("$.bogus: not allowed")), errors.join("\n"));
});

Deno.test("docs/schema.json equals the output of anycast schema", async () => {
  // Run the real subcommand alone (not the whole CLI, so this test does not
  // depend on every other command compiling).
  let out = "";
  let code = -1;
  const ctx = {
    out: (t: string) => void (out += t),
    err: () => {},
    env: () => undefined,
    signal: new AbortController().signal,
  };
  await schemaCommand(ctx, (c) => (code = c)).parseAsync([], { from: "user" });
  assert.equal(code, 0);
  const onDisk = await Deno.readTextFile(new URL("docs/schema.json", root));
  assert.equal(
    onDisk,
    out,
    "docs/schema.json is stale: run `deno task anycast schema > docs/schema.json`",
  );
});
