/**
 * `anycast peers`: the BGP sessions of the running daemon, as a table like
 * `gobgp neighbor` / `birdc show protocols`, or one peer's routes.
 *
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import { type CliContext, UsageError } from "../src/cli/context.ts";
import { ENDPOINT_FLAG_HELP, withClient } from "../src/control/cli.ts";
import { formatPeers, formatRoutes, formatWithdrawn } from "../src/control/format.ts";

export function peersCommand(ctx: CliContext, setExit: (code: number) => void) {
  return new Command("peers")
    .description("show the BGP sessions of the running daemon, or one peer's routes")
    .argument("[peer]", "peer name or address (show only this peer)")
    .option("--routes", "show the routes sent to PEER")
    .option("--received", "with --routes: the routes received from PEER")
    .option("--json", "print JSON instead of a table")
    .option("--socket <path>", ENDPOINT_FLAG_HELP.socket)
    .option("-c, --config <file>", ENDPOINT_FLAG_HELP.config)
    .option("--url <url>", ENDPOINT_FLAG_HELP.url)
    .option("--token-file <file>", ENDPOINT_FLAG_HELP.tokenFile)
    .addHelpText(
      "after",
      `
Examples:
  anycast peers
  anycast peers 10.0.0.254 --routes
  anycast peers 10.0.0.254 --routes --received --json`,
    )
    .action(async (peer, opts) => {
      if ((opts.routes || opts.received) && peer === undefined) {
        throw new UsageError("peers: --routes needs a PEER");
      }
      if (opts.received && !opts.routes) throw new UsageError("peers: --received needs --routes");
      await withClient(ctx, setExit, "peers", opts, async (client) => {
        if (opts.routes && peer !== undefined) {
          const routes = await client.routes(peer, opts.received ? "received" : "sent");
          ctx.out(opts.json ? JSON.stringify(routes, null, 2) + "\n" : formatRoutes(routes));
          return;
        }
        let peers = await client.peers();
        if (peer !== undefined) {
          peers = peers.filter((p) => p.name === peer || p.address === peer);
          if (peers.length === 0) {
            ctx.err(`anycast peers: no peer named ${peer}\n`);
            setExit(1);
            return;
          }
        }
        if (opts.json) {
          ctx.out(JSON.stringify(peers, null, 2) + "\n");
          return;
        }
        ctx.out(formatPeers(peers));
        // Prefixes the fleet guard keeps announced (docs/fleet.md): operators alert on these.
        const prefixes = await client.prefixes();
        const held = prefixes.filter((p) => p.state === "held");
        for (const p of held) ctx.out(`held: ${p.prefix} (${p.reason})\n`);
        // Prefixes not announced, and which mechanism withdrew them (issue 14).
        if (peer === undefined) ctx.out(formatWithdrawn(prefixes));
      });
    });
}
