/**
 * `anycast announce`: announce or withdraw an operator prefix on the running
 * daemon, drain or undrain configured prefixes (RFC 8326), or switch their
 * maintenance mode.
 *
 * @module
 */
import { Command, Option } from "@commander-js/extra-typings";
import { type CliContext, UsageError } from "../src/cli/context.ts";
import { ENDPOINT_FLAG_HELP, withClient } from "../src/control/cli.ts";
import { ControlError } from "../src/control/types.ts";
import { canonicalPrefix } from "../src/control/validate.ts";

const collect = (value: string, previous: string[]) => [...previous, value];

/** Check the prefix here, so a typo is a usage error before the daemon is asked. */
function prefixArg(prefix: string | undefined, action: string): string {
  if (prefix === undefined) throw new UsageError(`announce: ${action} needs a PREFIX`);
  try {
    return canonicalPrefix(prefix);
  } catch (e) {
    throw new UsageError(`announce: ${e instanceof ControlError ? e.message : String(e)}`);
  }
}

export function announceCommand(ctx: CliContext, setExit: (code: number) => void) {
  return new Command("announce")
    .description("announce, withdraw, drain or put into maintenance prefixes of the running daemon")
    .argument("[prefix]", "prefix in CIDR form (a bare address means /32 or /128)")
    .option("--next-hop <address>", "next hop of an announced prefix (default the session address)")
    .option(
      "--community <community>",
      "community, e.g. 65000:100 or no-export (repeatable)",
      collect,
      [],
    )
    .option(
      "--large-community <community>",
      "large community, e.g. 65000:1:2 (repeatable)",
      collect,
      [],
    )
    .option("--med <number>", "MULTI_EXIT_DISC of an announced prefix")
    .option("--withdraw", "withdraw PREFIX (announced earlier with anycast announce)")
    .option("--drain", "drain PREFIX (or --all): GRACEFUL_SHUTDOWN, then withdraw")
    .option("--undrain", "undo --drain for PREFIX (or --all)")
    .option("--all", "with --drain/--undrain: every configured prefix")
    .addOption(
      new Option("--maintenance <mode>", "switch maintenance of PREFIX on or off").choices(
        ["on", "off"] as const,
      ),
    )
    .option(
      "--force",
      "with --withdraw, --drain, --maintenance on: go ahead even below the fleet floor",
    )
    .option(
      "--reset-peer <peer>",
      "restart a neighbor held down after its prefix limit (maxPrefixesRestart)",
    )
    .option("--json", "print the daemon's JSON answer")
    .option("--socket <path>", ENDPOINT_FLAG_HELP.socket)
    .option("-c, --config <file>", ENDPOINT_FLAG_HELP.config)
    .option("--url <url>", ENDPOINT_FLAG_HELP.url)
    .option("--token-file <file>", ENDPOINT_FLAG_HELP.tokenFile)
    .addHelpText(
      "after",
      `
Examples:
  anycast announce 198.51.100.10/32 --community 65000:100 --med 50
  anycast announce --withdraw 198.51.100.10/32
  anycast announce --drain 192.0.2.1/32
  anycast announce --drain --all
  anycast announce --maintenance on 192.0.2.1/32
  anycast announce --drain 192.0.2.1/32 --force   # even below the fleet floor
  anycast announce --reset-peer 192.0.2.254`,
    )
    .action(async (prefix, opts) => {
      if (opts.resetPeer !== undefined) {
        if (prefix !== undefined || opts.all || opts.withdraw || opts.drain || opts.undrain) {
          throw new UsageError("announce: --reset-peer takes a peer and nothing else");
        }
        const peer = opts.resetPeer;
        await withClient(ctx, setExit, "announce", opts, async (client) => {
          const answer = await client.resetPeer(peer);
          ctx.out(
            opts.json
              ? JSON.stringify(answer, null, 2) + "\n"
              : answer.released
              ? `restarted: ${peer}\n`
              : `${peer} was not held down\n`,
          );
        });
        return;
      }
      const actions = [
        opts.withdraw && "--withdraw",
        opts.drain && "--drain",
        opts.undrain && "--undrain",
        opts.maintenance !== undefined && "--maintenance",
      ].filter((a): a is string => typeof a === "string");
      if (actions.length > 1) {
        throw new UsageError(`announce: use only one of ${actions.join(", ")}`);
      }
      const action = actions[0] ?? "announce";
      const announceFlags = opts.nextHop !== undefined || opts.med !== undefined ||
        opts.community.length > 0 || opts.largeCommunity.length > 0;
      if (action !== "announce" && announceFlags) {
        throw new UsageError(
          `announce: --next-hop, --community, --large-community and --med only apply when announcing`,
        );
      }
      if (opts.all && action !== "--drain" && action !== "--undrain") {
        throw new UsageError("announce: --all only goes with --drain or --undrain");
      }
      if (opts.all && prefix !== undefined) {
        throw new UsageError("announce: give PREFIX or --all, not both");
      }
      let med: number | undefined;
      if (opts.med !== undefined) {
        med = Number(opts.med);
        if (!/^[0-9]+$/.test(opts.med) || med > 4294967295) {
          throw new UsageError(
            `announce: --med must be an integer 0-4294967295, not "${opts.med}"`,
          );
        }
      }
      const target = opts.all ? { all: true as const } : { prefix: prefixArg(prefix, action) };
      await withClient(ctx, setExit, "announce", opts, async (client) => {
        let answer: unknown;
        let summary: string;
        if (action === "--drain" || action === "--undrain") {
          const result = action === "--drain"
            ? await client.drain(target, { force: opts.force === true })
            : await client.undrain(target);
          answer = result;
          const verb = action === "--drain" ? "draining" : "undrained";
          summary = `${verb}: ${result.prefixes.join(", ") || "(no prefixes)"}`;
        } else if ("all" in target) {
          throw new UsageError("announce: --all only goes with --drain or --undrain");
        } else if (action === "--withdraw") {
          answer = await client.withdraw(target.prefix, { force: opts.force === true });
          summary = `withdrawn: ${target.prefix}`;
        } else if (action === "--maintenance") {
          const on = opts.maintenance === "on";
          answer = await client.maintenance(target.prefix, on, { force: opts.force === true });
          summary = `maintenance ${on ? "on" : "off"}: ${target.prefix}`;
        } else {
          answer = await client.announce({
            prefix: target.prefix,
            communities: opts.community,
            largeCommunities: opts.largeCommunity,
            ...(opts.nextHop !== undefined ? { nextHop: opts.nextHop } : {}),
            ...(med !== undefined ? { med } : {}),
          });
          summary = `announced: ${target.prefix}`;
        }
        ctx.out(opts.json ? JSON.stringify(answer, null, 2) + "\n" : summary + "\n");
      });
    });
}
