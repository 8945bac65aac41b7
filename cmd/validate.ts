import { Command } from "@commander-js/extra-typings";
import type { CliContext } from "../src/cli/context.ts";
import { ExitCode } from "../src/cli/context.ts";

/** `anycast validate`: not implemented yet (placeholder registered so --help lists it). */
export function validateCommand(ctx: CliContext, setExit: (code: number) => void) {
  return new Command("validate")
    .description("validate (not implemented yet)")
    .action(() => {
      ctx.err("anycast validate: not implemented yet\n");
      setExit(ExitCode.Failed);
    });
}
