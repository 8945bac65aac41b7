/**
 * `anycast schema`: the JSON Schema of the native config, generated from the
 * validator's zod schema (docs/schema.json is this output).
 *
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import type { CliContext } from "../src/cli/context.ts";
import { ExitCode } from "../src/cli/context.ts";
import { nativeJsonSchema } from "../src/config/mod.ts";

export function schemaCommand(ctx: CliContext, setExit: (code: number) => void) {
  return new Command("schema")
    .description("print the JSON Schema of the native config (for yaml-language-server)")
    .addHelpText(
      "after",
      `
Use it from an editor by starting a config file with
  # yaml-language-server: $schema=<path or URL of docs/schema.json>`,
    )
    .action(() => {
      ctx.out(`${JSON.stringify(nativeJsonSchema(), null, 2)}\n`);
      setExit(ExitCode.Ok);
    });
}
