import { Command } from "@commander-js/extra-typings";
import type { CliContext } from "../src/cli/context.ts";
import { ExitCode } from "../src/cli/context.ts";

/** `anycast run`: not implemented yet (placeholder registered so --help lists it). */
export function runCommand(ctx: CliContext, setExit: (code: number) => void) {
  return new Command("run")
    .description("run (not implemented yet)")
    .action(() => {
      ctx.err("anycast run: not implemented yet\n");
      setExit(ExitCode.Failed);
    });
}
