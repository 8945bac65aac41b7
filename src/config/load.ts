/**
 * Read a config file in either dialect, validate it completely (every error
 * at once, each with file:line:column and document path) and translate it to
 * the model.
 *
 * @module
 */
import { isMap, isScalar, LineCounter, parseDocument, visit } from "yaml";
import jsYaml from "js-yaml";
import type { z } from "zod";
import type { AnycastConfig, Dialect } from "./model.ts";
import { type ConfigError, issuesToErrors, Locator } from "./errors.ts";
import { nativeSchema } from "./native_schema.ts";
import { anycastdSchema } from "./anycastd_schema.ts";
import { translateNative } from "./translate_native.ts";
import { translateAnycastd } from "./translate_anycastd.ts";
import { anycastdWarnings, nativeWarnings, type PathWarning } from "./warnings.ts";

export type LoadResult =
  | {
    ok: true;
    config: AnycastConfig;
    dialect: Dialect;
    /** Valid but probably not meant (warnings.ts); positioned like errors. */
    warnings: ConfigError[];
  }
  | { ok: false; errors: ConfigError[] };

/** Top-level keys only anycastd's file has. */
const ANYCASTD_KEYS = ["announcer", "services"];

/** anycastd when the top level has `announcer` or `services` (and no native `speaker`). */
export function detectDialect(topLevelKeys: readonly string[]): Dialect {
  if (topLevelKeys.includes("speaker")) return "native";
  return topLevelKeys.some((k) => ANYCASTD_KEYS.includes(k)) ? "anycastd" : "native";
}

function sortErrors(errors: ConfigError[]): ConfigError[] {
  return errors.sort((a, b) => a.line - b.line || a.column - b.column);
}

/** Parse and validate config text; `file` is used in messages and as `source`. */
export function parseConfig(text: string, file: string): LoadResult {
  return parseValidFast(text, file) ?? parseWithPositions(text, file);
}

/**
 * Anchors or aliases send a file down the careful path: js-yaml shares aliased
 * nodes, so an alias bomb would make validation walk it exponentially.
 */
const ANCHOR_OR_ALIAS = /(?:^|[\s[{,:-])[&*][^\s,\]}]/;

/**
 * The common case, a valid file, without source positions: js-yaml's core
 * schema reads 250 KiB in ~30 ms where the position-keeping `yaml` CST takes
 * ~200 ms cold. Any problem at all (a YAML error, a duplicate key, a schema
 * error) returns undefined, and the file is read again with positions so
 * every error can name its line and column.
 */
export function parseValidFast(text: string, file: string): LoadResult | undefined {
  if (ANCHOR_OR_ALIAS.test(text)) return undefined;
  let data: unknown;
  try {
    data = jsYaml.load(text, { schema: jsYaml.CORE_SCHEMA, json: false });
  } catch {
    return undefined;
  }
  if (data === null || typeof data !== "object" || Array.isArray(data)) return undefined;
  const dialect = detectDialect(Object.keys(data));
  // A file with warnings takes the careful path too, so they get positions.
  if (dialect === "native") {
    const result = nativeSchema.safeParse(data);
    if (!result.success) return undefined;
    const config = translateNative(result.data, file);
    if (nativeWarnings(result.data, config).length > 0) return undefined;
    return { ok: true, config, dialect, warnings: [] };
  }
  const result = anycastdSchema.safeParse(data);
  if (!result.success) return undefined;
  const config = translateAnycastd(result.data, file);
  if (anycastdWarnings(result.data, config).length > 0) return undefined;
  return { ok: true, config, dialect, warnings: [] };
}

export function parseWithPositions(text: string, file: string): LoadResult {
  const lines = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: lines,
    prettyErrors: false,
    uniqueKeys: true,
    version: "1.2",
  });
  const at = new Locator(file, doc, lines);
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: sortErrors(doc.errors.map((e) => {
        const firstLine = e.message.split("\n")[0] ?? e.message;
        return at.error(
          e.pos[0],
          [],
          `Cannot parse YAML: ${firstLine.replace(/ at line \d+, column \d+:?$/, "")}`,
        );
      })),
    };
  }
  if (!isMap(doc.contents)) {
    const empty = doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null);
    return {
      ok: false,
      errors: [at.error(
        doc.contents?.range?.[0] ?? 0,
        [],
        empty
          ? "file is empty; expected a mapping of settings"
          : "expected a mapping of settings at the top level",
      )],
    };
  }
  // A mapping or list used as a key has no JS object form; say so instead of
  // letting the YAML library stringify it (with a warning on stderr).
  const complexKeys: ConfigError[] = [];
  visit(doc, {
    Pair(_, pair) {
      const key = pair.key;
      const plain = key === null ||
        (isScalar(key) && (key.value === null || typeof key.value !== "object"));
      if (!plain) {
        const offset = (key as { range?: [number, number, number] }).range?.[0] ?? 0;
        complexKeys.push(
          at.error(offset, [], "expected a plain key, got a mapping, list or binary value"),
        );
      }
    },
  });
  if (complexKeys.length > 0) return { ok: false, errors: sortErrors(complexKeys) };
  let data: Record<string, unknown>;
  try {
    data = doc.toJS({ maxAliasCount: 1000 }) as Record<string, unknown>;
  } catch (e) {
    // e.g. "Excessive alias count" (a billion-laughs document).
    const reason = e instanceof Error ? e.message : String(e);
    return { ok: false, errors: [at.error(0, [], `Cannot parse YAML: ${reason}`)] };
  }
  const dialect = detectDialect(Object.keys(data));
  const schema: z.ZodType = dialect === "native" ? nativeSchema : anycastdSchema;
  const result = schema.safeParse(data, { reportInput: true });
  if (!result.success) {
    return { ok: false, errors: sortErrors(issuesToErrors(result.error.issues, schema, at)) };
  }
  let config: AnycastConfig;
  let warnings: PathWarning[];
  if (dialect === "native") {
    const data = result.data as z.infer<typeof nativeSchema>;
    config = translateNative(data, file);
    warnings = nativeWarnings(data, config);
  } else {
    const data = result.data as z.infer<typeof anycastdSchema>;
    config = translateAnycastd(data, file);
    warnings = anycastdWarnings(data, config);
  }
  return {
    ok: true,
    config,
    dialect,
    warnings: sortErrors(warnings.map((w) => at.error(at.valueOffset(w.path), w.path, w.message))),
  };
}

/** Read and parse `path`. A file that cannot be read is reported as an error at 1:1. */
export async function loadConfig(path: string): Promise<LoadResult> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    const reason = e instanceof Deno.errors.NotFound
      ? "no such file"
      : e instanceof Deno.errors.PermissionDenied
      ? "permission denied"
      : e instanceof Error
      ? e.message
      : String(e);
    return {
      ok: false,
      errors: [{
        file: path,
        line: 1,
        column: 1,
        path: "",
        message: `Cannot read file: ${reason}`,
      }],
    };
  }
  return parseConfig(text, path);
}

/** anycastd's default when neither a flag nor CONFIG_PATH is given. */
export const DEFAULT_CONFIG_PATH = "/config.yaml";

/** `--config` wins over the CONFIG_PATH environment variable, which wins over /config.yaml. */
export function resolveConfigPath(
  flag: string | undefined,
  env: (name: string) => string | undefined,
): string {
  if (flag !== undefined && flag !== "") return flag;
  const fromEnv = env("CONFIG_PATH");
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  return DEFAULT_CONFIG_PATH;
}
