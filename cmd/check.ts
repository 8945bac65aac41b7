import { Command } from "@commander-js/extra-typings";
import type { CliContext } from "../src/cli/context.ts";
import { ExitCode } from "../src/cli/context.ts";

/** `anycast check`: not implemented yet (placeholder registered so --help lists it). */
export function checkCommand(ctx: CliContext, setExit: (code: number) => void) {
  return new Command("check")
    .description("check (not implemented yet)")
    .action(() => {
      ctx.err("anycast check: not implemented yet\n");
      setExit(ExitCode.Failed);
    });
}
