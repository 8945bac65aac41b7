/**
 * JSON Schema of the native dialect, generated from the validator's own zod
 * schema so the two cannot drift apart.
 *
 * @module
 */
import { z } from "zod";
import { nativeSchema } from "./native_schema.ts";

export function nativeJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(nativeSchema, { target: "draft-2020-12", unrepresentable: "any" });
  return { ...schema, title: "anycast configuration" };
}
