/**
 * `anycast fleet`: every prefix x site record of the fleet guard, read from
 * etcd (docs/fleet.md). Exit 1 when a prefix is below its floor.
 *
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import { type CliContext, ExitCode, UsageError } from "../src/cli/context.ts";
import { formatConfigError, loadConfig, resolveConfigPath } from "../src/config/mod.ts";
import type { EtcdConfig } from "../src/config/model.ts";
import { formatFleet, openFleetStore, readFleet } from "../src/fleet/mod.ts";

export function fleetCommand(ctx: CliContext, setExit: (code: number) => void) {
  return new Command("fleet")
    .description("show each prefix's state at every site of the fleet, read from etcd")
    .option("-c, --config <file>", "take fleet.etcd from this config (default $CONFIG_PATH)")
    .option("--endpoints <urls>", "etcd client URLs, comma-separated (instead of the config)")
    .option("--prefix <key>", 'etcd key prefix (default the config\'s, else "/anycast/")')
    .option("--json", "print JSON instead of a table")
    .addHelpText(
      "after",
      `
Exit 1 when any prefix has fewer sites announcing than its floor, or etcd
cannot be read.

Examples:
  anycast fleet -c /etc/anycast/config.yaml
  anycast fleet --endpoints http://10.0.0.1:2379,http://10.0.0.2:2379 --json`,
    )
    .action(async (opts) => {
      let etcd: EtcdConfig;
      if (opts.endpoints !== undefined) {
        const endpoints = opts.endpoints.split(",").map((e) => e.trim()).filter((e) => e !== "");
        if (endpoints.length === 0) throw new UsageError("fleet: --endpoints is empty");
        etcd = {
          endpoints: endpoints.map((e) => (/^https?:\/\//.test(e) ? e : `http://${e}`)),
          prefix: "/anycast/",
          timeoutMs: 2000,
        };
      } else {
        const path = resolveConfigPath(opts.config, ctx.env);
        const loaded = await loadConfig(path);
        if (!loaded.ok) {
          throw new UsageError(
            `fleet: cannot use ${path}:\n${loaded.errors.map(formatConfigError).join("\n")}`,
          );
        }
        if (!loaded.config.fleet) {
          throw new UsageError(`fleet: ${path} has no fleet block (or give --endpoints)`);
        }
        etcd = loaded.config.fleet.etcd;
      }
      if (opts.prefix !== undefined) {
        etcd = { ...etcd, prefix: opts.prefix.endsWith("/") ? opts.prefix : `${opts.prefix}/` };
      }
      let store;
      try {
        store = await openFleetStore(etcd);
      } catch (e) {
        ctx.err(`anycast fleet: ${e instanceof Error ? e.message : e}\n`);
        setExit(ExitCode.Failed);
        return;
      }
      try {
        const table = await readFleet(store, etcd.prefix);
        ctx.out(opts.json ? JSON.stringify(table, null, 2) + "\n" : formatFleet(table));
        if (table.prefixes.some((p) => p.belowFloor)) setExit(ExitCode.Failed);
      } catch (e) {
        ctx.err(
          `anycast fleet: cannot read etcd (${etcd.endpoints.join(", ")}): ${
            e instanceof Error ? e.message : e
          }\n`,
        );
        setExit(ExitCode.Failed);
      } finally {
        await store.close();
      }
    });
}
