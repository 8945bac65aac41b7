/**
 * Config errors: where (file, line, column, document path) and what. Zod
 * issues are mapped back to positions through the YAML document, which
 * keeps source ranges for YAML and JSON alike.
 *
 * @module
 */
import { type Document, isMap, isPair, isScalar, type LineCounter, type Node } from "yaml";
import type { z } from "zod";
import { keysOfObjectSchema } from "./_schema_walk.ts";
import { ownValue } from "../util/own.ts";

export interface ConfigError {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** Path in the document, e.g. `prefixes[0].readinessProbe.http.port`; "" for syntax errors. */
  path: string;
  message: string;
}

/** `file:line:col: path: message` (the path part is left out when empty). */
export function formatConfigError(e: ConfigError): string {
  return `${e.file}:${e.line}:${e.column}: ${e.path ? `${e.path}: ` : ""}${e.message}`;
}

/** `file:line:col: warning: path: message`. */
export function formatConfigWarning(w: ConfigError): string {
  return `${w.file}:${w.line}:${w.column}: warning: ${w.path ? `${w.path}: ` : ""}${w.message}`;
}

/** `prefixes[0].readinessProbe.http.port` from ["prefixes", 0, "readinessProbe", "http", "port"]. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (typeof seg === "string" && /^[A-Za-z_$][\w$-]*$/.test(seg)) {
      out += out === "" ? seg : `.${seg}`;
    } else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out;
}

function levenshtein(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/**
 * The closest candidate to `word`, if close enough to be a likely typo.
 * Case, `_` and `-` are ignored first, so `router_id` finds `routerId`.
 */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  const squash = (s: string) => s.toLowerCase().replace(/[_-]/g, "");
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    if (c === word) continue;
    const a = squash(word);
    const b = squash(c);
    // A clipped name ("period" for "periodSeconds") counts as a near miss.
    const clipped = a.length >= 4 && (b.startsWith(a) || a.startsWith(b)) ? 1 : Infinity;
    const d = a === b ? 0 : Math.min(clipped, levenshtein(word.toLowerCase(), c.toLowerCase()));
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  const limit = Math.max(2, Math.floor(word.length / 3));
  return bestDistance <= limit ? best : undefined;
}

/** How a value found in the document is shown after "got". */
export function describeValue(value: unknown): string {
  if (value === null) return "nothing (null)";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return JSON.stringify(value);
  return String(value);
}

/** Resolves document paths to positions. */
export class Locator {
  readonly #doc: Document;
  readonly #lines: LineCounter;
  readonly #file: string;

  constructor(file: string, doc: Document, lines: LineCounter) {
    this.#file = file;
    this.#doc = doc;
    this.#lines = lines;
  }

  error(offset: number, path: readonly PropertyKey[], message: string): ConfigError {
    const { line, col } = this.#lines.linePos(offset);
    return { file: this.#file, line, column: col, path: formatPath(path), message };
  }

  /** Offset of the value at `path`, or of the nearest enclosing node that exists. */
  valueOffset(path: readonly PropertyKey[]): number {
    for (let n = path.length; n >= 0; n--) {
      const node = this.#doc.getIn(path.slice(0, n), true) as Node | undefined;
      if (node && (node as { range?: unknown }).range) {
        if (n < path.length) return this.#keyOffset(path.slice(0, n + 1)) ?? node.range![0];
        return node.range![0];
      }
    }
    return 0;
  }

  /** Offset of the key of the pair at `path` (whose last element is the key). */
  #keyOffset(path: readonly PropertyKey[]): number | undefined {
    const parent = this.#doc.getIn(path.slice(0, -1), true);
    const key = path[path.length - 1];
    if (!isMap(parent)) return undefined;
    for (const pair of parent.items) {
      if (isPair(pair) && isScalar(pair.key) && String(pair.key.value) === String(key)) {
        return pair.key.range?.[0];
      }
    }
    return undefined;
  }

  /** Offset of the key `key` in the mapping at `mapPath`. */
  keyOffset(mapPath: readonly PropertyKey[], key: string): number {
    return this.#keyOffset([...mapPath, key]) ?? this.valueOffset(mapPath);
  }

  /** The plain JS value at `path` (undefined when absent). */
  valueAt(path: readonly PropertyKey[]): unknown {
    const node = this.#doc.getIn(path, true);
    if (node === undefined) return undefined;
    if (isScalar(node)) return node.value;
    return (node as { toJSON?: () => unknown }).toJSON?.() ?? node;
  }

  hasPath(path: readonly PropertyKey[]): boolean {
    return this.#doc.hasIn(path);
  }
}

/** Messages for keys we know but refuse, by key name. */
export const REFUSED_KEYS: Readonly<Record<string, string>> = {};

/** Keys whose values are secrets (TCP MD5, TCP-AO, BFD auth): never echoed. */
const SECRET_KEYS = new Set(["password", "secret"]);

/** Turn the zod issues of one parse into positioned errors. */
export function issuesToErrors(
  issues: readonly z.core.$ZodIssue[],
  schema: z.ZodType,
  at: Locator,
): ConfigError[] {
  const errors: ConfigError[] = [];
  for (const issue of issues) {
    const params = (issue as { params?: Record<string, unknown> }).params ?? {};
    const code = (params.originalCode as string | undefined) ?? issue.code;
    const path = issue.path;
    if (code === "unrecognized_keys") {
      const keys = (issue as { keys?: string[] }).keys ?? (params.keys as string[]) ?? [];
      const known = (params.knownKeys as string[] | undefined) ?? keysOfObjectSchema(schema, path);
      for (const key of keys) {
        const refused = ownValue(REFUSED_KEYS, key);
        const guess = didYouMean(key, known);
        const message = refused ??
          `unknown key${
            guess ? `; did you mean "${guess}"?` : ` (known keys: ${known.join(", ")})`
          }`;
        errors.push(at.error(at.keyOffset(path, key), [...path, key], message));
      }
      continue;
    }
    const present = at.hasPath(path);
    if (!present && code === "invalid_type") {
      errors.push(at.error(at.valueOffset(path), path, "required key is missing"));
      continue;
    }
    const value = present ? at.valueAt(path) : issue.input;
    let message = issue.message;
    const isCollection = value !== null && typeof value === "object";
    // A secret's value never appears in an error message.
    const secret = SECRET_KEYS.has(String(path[path.length - 1]));
    if (message.startsWith("expected") && !(code === "custom" && isCollection) && !secret) {
      const got = value === undefined ? "" : `, got ${describeValue(value)}`;
      message = message.includes("%got%") ? message.replace("%got%", got) : message + got;
    }
    const values = (issue as { values?: unknown[] }).values ?? (params.values as unknown[]);
    if (code === "invalid_value" && typeof value === "string" && Array.isArray(values)) {
      const guess = didYouMean(value, values.map(String));
      if (guess) message += `; did you mean "${guess}"?`;
    }
    errors.push(at.error(at.valueOffset(path), path, message));
  }
  return errors;
}
