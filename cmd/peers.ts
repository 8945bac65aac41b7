import { Command } from "@commander-js/extra-typings";
import type { CliContext } from "../src/cli/context.ts";
import { ExitCode } from "../src/cli/context.ts";

/** `anycast peers`: not implemented yet (placeholder registered so --help lists it). */
export function peersCommand(ctx: CliContext, setExit: (code: number) => void) {
  return new Command("peers")
    .description("peers (not implemented yet)")
    .action(() => {
      ctx.err("anycast peers: not implemented yet\n");
      setExit(ExitCode.Failed);
    });
}
