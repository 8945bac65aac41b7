/**
 * Generate docs/reference/configuration.md from the JSON Schema that
 * `anycast schema` prints (itself generated from the validator's zod schema),
 * so the reference lists exactly the fields the validator accepts.
 *
 *   deno task docs            # rewrite docs/reference/configuration.md
 *   deno task docs --check    # exit 1 when the committed file is stale
 *
 * @module
 */
import { z } from "zod";
import { anycastdSchema, nativeJsonSchema } from "../src/config/mod.ts";
import { ANYCASTD_CHECK_SPECS } from "../src/config/anycastd_schema.ts";

export const REFERENCE_PATH = new URL("../docs/reference/configuration.md", import.meta.url);

type Schema = {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  minItems?: number;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  $ref?: string;
  $defs?: Record<string, Schema>;
};

/** One documented field. */
export interface FieldRow {
  /** "prefixes[].readinessProbe.http.port" */
  path: string;
  type: string;
  required: boolean;
  default: string;
  description: string;
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

function resolve(schema: Schema, root: Schema): Schema {
  if (schema.$ref?.startsWith("#/$defs/")) {
    const def = root.$defs?.[schema.$ref.slice("#/$defs/".length)];
    if (def) return { ...def, ...(schema.description ? { description: schema.description } : {}) };
  }
  return schema;
}

function isDuration(s: Schema): boolean {
  const alts = s.anyOf ?? [];
  return alts.length === 2 && alts.some((a) => a.type === "integer") &&
    alts.some((a) => a.type === "string" && (a.pattern ?? "").includes("ms|s|m|h"));
}

function range(s: Schema): string {
  const lo = s.minimum;
  const hi = s.maximum;
  if (lo === undefined && hi === undefined) return "";
  if (hi === undefined || hi >= MAX_SAFE) return lo === 0 ? " ≥ 0" : ` ≥ ${lo}`;
  return ` ${lo ?? ""}–${hi}`;
}

/** A short human type: "integer 1–65535", "duration", "list of string", "`a`, `b` or `c`". */
export function typeText(input: Schema, root: Schema): string {
  const s = resolve(input, root);
  if (isDuration(s)) return 'duration ("10s", "300ms", or whole seconds)';
  if (s.enum) {
    const values = s.enum.map((v) => `\`${String(v)}\``);
    return values.length === 1
      ? values[0]!
      : `${values.slice(0, -1).join(", ")} or ${values.at(-1)}`;
  }
  if (s.const !== undefined) return `\`${String(s.const)}\``;
  const alts = s.anyOf ?? s.oneOf;
  if (alts) {
    const texts = [...new Set(alts.map((a) => typeText(a, root)))];
    return texts.join(" or ");
  }
  switch (s.type) {
    case "integer":
    case "number":
      return `${s.type}${range(s)}`;
    case "string":
      return s.format ? `string (${s.format})` : s.pattern ? "string (pattern)" : "string";
    case "boolean":
      return "boolean";
    case "array":
      return `list of ${s.items ? typeText(s.items, root) : "any"}`;
    case "object":
      if (s.properties) return "mapping";
      if (typeof s.additionalProperties === "object") {
        return `mapping of string to ${typeText(s.additionalProperties, root)}`;
      }
      return "mapping";
    default:
      return "any";
  }
}

/** "(default 10s)", "Default 127.0.0.1", "…, default 0)", or the schema's `default`. */
function defaultOf(s: Schema): string {
  if (s.default !== undefined) return `\`${JSON.stringify(s.default)}\``;
  const m = /(?:^|\(|, |; )[Dd]efault:? ([^;),]+)/.exec(s.description ?? "");
  const text = m?.[1]?.trim();
  if (!text) return "";
  // A literal value reads as code; a phrase ("the address") as text.
  return /\s/.test(text) ? text : `\`${text}\``;
}

/** The nested mapping of a field: directly, in a list, or as one alternative of a union. */
function objectOf(s: Schema, root: Schema): { schema: Schema; suffix: string } | undefined {
  const r = resolve(s, root);
  if (r.properties) return { schema: r, suffix: "" };
  if (r.type === "array" && r.items) {
    const inner = objectOf(r.items, root);
    return inner && { schema: inner.schema, suffix: `[]${inner.suffix}` };
  }
  for (const alt of r.anyOf ?? r.oneOf ?? []) {
    const inner = objectOf(alt, root);
    if (inner) return inner;
  }
  if (typeof r.additionalProperties === "object") {
    const inner = objectOf(r.additionalProperties, root);
    return inner && { schema: inner.schema, suffix: `.<name>${inner.suffix}` };
  }
  return undefined;
}

/** Every field of `schema`, depth first, in declaration order. */
export function fieldRows(schema: Schema, root: Schema = schema, prefix = ""): FieldRow[] {
  const rows: FieldRow[] = [];
  const required = new Set(schema.required ?? []);
  for (const [key, raw] of Object.entries(schema.properties ?? {})) {
    if (key === "$schema") continue;
    const s = resolve(raw, root);
    const path = prefix === "" ? key : `${prefix}.${key}`;
    rows.push({
      path,
      type: typeText(s, root),
      required: required.has(key),
      default: defaultOf(s),
      description: s.description ?? "",
    });
    const nested = objectOf(s, root);
    if (nested) rows.push(...fieldRows(nested.schema, root, `${path}${nested.suffix}`));
  }
  return rows;
}

const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");

/** The reference page (before `deno fmt`, which aligns the tables). */
function table(rows: FieldRow[], showDefaults: boolean): string[] {
  return [
    showDefaults
      ? "| field | type | required | default | description |"
      : "| field | type | required |",
    showDefaults ? "| --- | --- | --- | --- | --- |" : "| --- | --- | --- |",
    ...rows.map((r) => {
      const head = `| \`${r.path}\` | ${cell(r.type)} | ${r.required ? "yes" : ""} |`;
      return showDefaults ? `${head} ${cell(r.default)} | ${cell(r.description)} |` : head;
    }),
  ];
}

function sectionsOf(schema: Schema, level: string, showDefaults: boolean): string[] {
  const rows = fieldRows(schema);
  const required = new Set(schema.required ?? []);
  const out: string[] = [];
  for (const section of Object.keys(schema.properties ?? {}).filter((k) => k !== "$schema")) {
    const own = rows.filter((r) =>
      r.path === section || r.path.startsWith(`${section}.`) ||
      r.path.startsWith(`${section}[]`)
    );
    out.push(
      "",
      `${level} \`${section}\`${required.has(section) ? " (required)" : ""}`,
      "",
      ...table(own, showDefaults),
    );
  }
  return out;
}

const toJsonSchema = (schema: z.ZodType) =>
  z.toJSONSchema(schema, { target: "draft-2020-12", unrepresentable: "any" }) as Schema;

/** The reference page (before `deno fmt`, which aligns the tables). */
export function configurationReferenceRaw(schema: Schema = nativeJsonSchema() as Schema): string {
  const rows = fieldRows(schema);
  const sections = Object.keys(schema.properties ?? {}).filter((k) => k !== "$schema");
  const out = [
    "# Configuration reference",
    "",
    "<!-- Generated by `deno task docs` (scripts/gen_docs.ts) from the validator's zod schemas;",
    "     the native part is the JSON Schema that `anycast schema` prints. Do not edit by hand:",
    "     change src/config/native_schema.ts or anycastd_schema.ts and run `deno task docs`. -->",
    "",
    "Every field the validator accepts, with its type, default and meaning, for both dialects.",
    "`[]` marks a list entry. The guide with examples is [../configuration.md](../configuration.md);",
    "the JSON Schema of the native dialect is [../schema.json](../schema.json).",
    "",
    "## Native dialect",
    "",
    'Durations take `"10s"`, `"300ms"`, `"1m30s"` or a whole number of seconds.',
    `${rows.length} fields in ${sections.length} sections.`,
    ...sectionsOf(schema, "###", true),
    "",
    "## anycastd dialect",
    "",
    "runityru/anycastd's file, read unchanged (see [../migration/anycastd.md](../migration/anycastd.md)).",
    'Durations are Go duration strings only (`"10s"`, `"100ms"`).',
    ...sectionsOf(toJsonSchema(anycastdSchema), "###", false),
    "",
    "### `services[].checks[].spec` by `kind`",
  ];
  for (const [kind, spec] of Object.entries(ANYCASTD_CHECK_SPECS)) {
    const specRows = fieldRows(toJsonSchema(spec as z.ZodType));
    out.push("", `#### \`${kind}\``, "", ...table(specRows, false));
  }
  return `${out.join("\n")}\n`;
}

/** Format markdown the way `deno fmt` (and so `deno task ok`) wants it. */
export async function formatMarkdown(text: string): Promise<string> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--ext=md", "-"],
    // From the repository root, so deno.json's fmt options (lineWidth) apply.
    cwd: new URL("..", import.meta.url),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const out = await child.output();
  if (!out.success) {
    throw new Error(`deno fmt failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/** The reference page exactly as committed. */
export async function configurationReference(): Promise<string> {
  return await formatMarkdown(configurationReferenceRaw());
}

if (import.meta.main) {
  const text = await configurationReference();
  if (Deno.args.includes("--check")) {
    let current = "";
    try {
      current = await Deno.readTextFile(REFERENCE_PATH);
    } catch {
      // missing counts as stale
    }
    if (current !== text) {
      console.error("docs/reference/configuration.md is stale: run `deno task docs`");
      Deno.exit(1);
    }
    console.error("docs/reference/configuration.md is up to date");
  } else {
    await Deno.mkdir(new URL(".", REFERENCE_PATH), { recursive: true });
    await Deno.writeTextFile(REFERENCE_PATH, text);
    console.error(`wrote ${REFERENCE_PATH.pathname}`);
  }
}
