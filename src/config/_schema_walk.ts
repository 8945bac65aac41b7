/**
 * Walk a zod schema along a document path to find which keys an object
 * there accepts (for "did you mean" hints on unknown keys).
 *
 * @module
 */
import type { z } from "zod";

// deno-lint-ignore no-explicit-any
type AnySchema = any;

function unwrap(schema: AnySchema): AnySchema[] {
  const def = schema?._zod?.def;
  if (!def) return [];
  switch (def.type) {
    case "optional":
    case "nullable":
    case "default":
    case "readonly":
    case "catch":
    case "nonoptional":
      return unwrap(def.innerType);
    case "pipe":
      return unwrap(def.in);
    case "union":
      return (def.options as AnySchema[]).flatMap(unwrap);
    default:
      return [schema];
  }
}

function step(schema: AnySchema, segment: PropertyKey): AnySchema[] {
  const def = schema._zod.def;
  if (def.type === "object" && typeof segment === "string") {
    // Own properties only: a key named "constructor" is not in the schema.
    const child = Object.hasOwn(def.shape, segment) ? def.shape[segment] : undefined;
    return child ? unwrap(child) : [];
  }
  if (def.type === "array" && typeof segment === "number") return unwrap(def.element);
  if (def.type === "record") return unwrap(def.valueType);
  return [];
}

/** Keys accepted by the object schema(s) found at `path` below `root`. */
export function keysOfObjectSchema(root: z.ZodType, path: readonly PropertyKey[]): string[] {
  let current = unwrap(root);
  for (const segment of path) current = current.flatMap((s) => step(s, segment));
  const keys = new Set<string>();
  for (const s of current) {
    if (s._zod.def.type === "object") {
      for (const k of Object.keys(s._zod.def.shape)) keys.add(k);
    }
  }
  return [...keys];
}
