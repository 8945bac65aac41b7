import { Command } from "@commander-js/extra-typings";
import type { CliContext } from "../src/cli/context.ts";
import { ExitCode } from "../src/cli/context.ts";

/** `anycast announce`: not implemented yet (placeholder registered so --help lists it). */
export function announceCommand(ctx: CliContext, setExit: (code: number) => void) {
  return new Command("announce")
    .description("announce (not implemented yet)")
    .action(() => {
      ctx.err("anycast announce: not implemented yet\n");
      setExit(ExitCode.Failed);
    });
}
