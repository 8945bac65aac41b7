/**
 * JSON Schema of the native dialect, generated from the validator's own zod
 * schema so the two cannot drift apart.
 *
 * @module
 */
import { z } from "zod";
import { nativeSchema } from "./native_schema.ts";

/** Where the published schema lives (used in examples' yaml-language-server comment). */
export const SCHEMA_ID = "https://raw.githubusercontent.com/anycast/anycast/main/docs/schema.json";

export function nativeJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(nativeSchema, { target: "draft-2020-12", unrepresentable: "any" });
  return { ...schema, $id: SCHEMA_ID, title: "anycast configuration" };
}
