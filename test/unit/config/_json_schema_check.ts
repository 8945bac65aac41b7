/**
 * A small JSON Schema (2020-12 subset) checker, enough to confirm that the
 * generated schema accepts the examples: type, properties, required,
 * additionalProperties, items, enum, anyOf, minimum, maximum, minLength,
 * minItems, pattern, propertyNames. Returns the paths that fail.
 */
type Schema = Record<string, unknown>;

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

export function checkJsonSchema(schema: Schema, value: unknown, path = "$"): string[] {
  const errors: string[] = [];
  if (schema.anyOf) {
    const ok = (schema.anyOf as Schema[]).some((s) => checkJsonSchema(s, value, path).length === 0);
    if (!ok) errors.push(`${path}: matches no anyOf branch`);
  }
  if (schema.type !== undefined) {
    const t = typeOf(value);
    const want = schema.type as string;
    if (!(t === want || (want === "number" && t === "integer"))) {
      errors.push(`${path}: expected ${want}, got ${t}`);
      return errors;
    }
  }
  if (schema.enum && !(schema.enum as unknown[]).includes(value)) {
    errors.push(`${path}: not in enum`);
  }
  if (typeof value === "number") {
    if (typeof schema.minimum === "number" && value < schema.minimum) {
      errors.push(`${path}: < minimum`);
    }
    if (typeof schema.maximum === "number" && value > schema.maximum) {
      errors.push(`${path}: > maximum`);
    }
  }
  if (typeof value === "string") {
    if (typeof schema.minLength === "number" && value.length < schema.minLength) {
      errors.push(`${path}: shorter than minLength`);
    }
    if (typeof schema.pattern === "string" && !new RegExp(schema.pattern, "u").test(value)) {
      errors.push(`${path}: does not match ${schema.pattern}`);
    }
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === "number" && value.length < schema.minItems) {
      errors.push(`${path}: fewer than minItems`);
    }
    if (schema.items) {
      value.forEach((v, i) =>
        errors.push(...checkJsonSchema(schema.items as Schema, v, `${path}[${i}]`))
      );
    }
  }
  if (typeOf(value) === "object") {
    const obj = value as Record<string, unknown>;
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    for (const key of (schema.required ?? []) as string[]) {
      if (!(key in obj)) errors.push(`${path}.${key}: required`);
    }
    for (const [key, v] of Object.entries(obj)) {
      if (props[key]) errors.push(...checkJsonSchema(props[key], v, `${path}.${key}`));
      else if (schema.additionalProperties === false) errors.push(`${path}.${key}: not allowed`);
      else if (typeof schema.additionalProperties === "object") {
        errors.push(...checkJsonSchema(schema.additionalProperties as Schema, v, `${path}.${key}`));
      }
    }
  }
  return errors;
}
