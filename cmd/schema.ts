import { Command } from "@commander-js/extra-typings";
import type { CliContext } from "../src/cli/context.ts";
import { ExitCode } from "../src/cli/context.ts";

/** `anycast schema`: not implemented yet (placeholder registered so --help lists it). */
export function schemaCommand(ctx: CliContext, setExit: (code: number) => void) {
  return new Command("schema")
    .description("schema (not implemented yet)")
    .action(() => {
      ctx.err("anycast schema: not implemented yet\n");
      setExit(ExitCode.Failed);
    });
}
