/**
 * `anycast demo`: a lab on loopback that needs no root and no router: a web
 * service, `anycast run` announcing its VIPs, and a route observer whose table
 * is shown live while the service fails, recovers, is drained and stopped.
 *
 * @module
 */
import { Command, Option } from "@commander-js/extra-typings";
import { type CliContext, ExitCode, UsageError } from "../src/cli/context.ts";
import type { DemoEvent, ViewMode } from "../src/demo/mod.ts";

function milliseconds(flag: string, min: number) {
  return (text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) {
      throw new UsageError(
        `demo: ${flag} expects an integer >= ${min} (milliseconds), got "${text}"`,
      );
    }
    return n;
  };
}

/** The lab stays on loopback: anything else is a usage error. */
function loopback(flag: string) {
  return (text: string): string => {
    const octets = text.split(".");
    const ok = octets.length === 4 && octets[0] === "127" &&
      octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255);
    if (!ok) throw new UsageError(`demo: ${flag} must be an address in 127.0.0.0/8, got "${text}"`);
    return text;
  };
}

export function demoCommand(ctx: CliContext, setExit: (code: number) => void) {
  return new Command("demo")
    .description(
      "run a self-contained lab on loopback: a service, anycast run and a route observer",
    )
    .addOption(
      new Option(
        "--peer <kind>",
        "who receives the routes: our observer, or a real BIRD, GoBGP or FRR on a high port",
      ).choices(["observer", "bird", "gobgp", "frr"] as const).default("observer" as const),
    )
    .option("--non-interactive", "plain event lines, even on a terminal")
    .option("--json", "one JSON event per line (for scripts and tests)")
    .option("--pause <ms>", "pause between steps", milliseconds("--pause", 0), 4000)
    .option(
      "--probe-period <ms>",
      "readiness probe period",
      milliseconds("--probe-period", 100),
      500,
    )
    .option("--drain-time <ms>", "RFC 8326 drain time", milliseconds("--drain-time", 0), 3000)
    .option(
      "--daemon-address <ip>",
      "loopback address of the daemon and service",
      loopback("--daemon-address"),
      "127.0.0.61",
    )
    .option(
      "--observer-address <ip>",
      "loopback address of the observer",
      loopback("--observer-address"),
      "127.0.0.62",
    )
    .addHelpText(
      "after",
      `
Runs about 30 s and stops by itself; Ctrl-C stops it at once. Everything it
starts is stopped and its temp dir removed. Exit 0 when every step saw what it
should. See docs/demo.md.`,
    )
    .action(async (opts) => {
      // Loaded only here, so `anycast run` does not carry the demo and the lab in memory.
      const { createView, runDemo } = await import("../src/demo/mod.ts");
      const { ExternalPeer, missingPeerBinaries } = await import("../src/demo/external_peer.ts");
      const kind = opts.peer;
      if (kind !== "observer") {
        const missing = await missingPeerBinaries(kind);
        if (missing.length > 0) {
          ctx.err(`anycast demo: --peer ${kind} needs ${missing.join(", ")} (not installed)\n`);
          setExit(ExitCode.Failed);
          return;
        }
      }
      const mode: ViewMode = opts.json
        ? "json"
        : opts.nonInteractive || !Deno.stdout.isTerminal()
        ? "plain"
        : "live";
      const show = createView(mode, ctx.out);
      const started = Date.now();
      const ok = await runDemo(
        {
          daemonAddress: opts.daemonAddress,
          observerAddress: opts.observerAddress,
          pauseMs: opts.pause,
          probePeriodMs: opts.probePeriod,
          drainMs: opts.drainTime,
          signal: ctx.signal,
          ...(kind === "observer" ? {} : { peer: (a) => new ExternalPeer(kind, a) }),
        },
        (event) => show({ t: Date.now() - started, ...event } as DemoEvent),
      );
      setExit(ok ? ExitCode.Ok : ExitCode.Failed);
    });
}
