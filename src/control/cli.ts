/**
 * What `anycast peers` and `anycast announce` share: finding the daemon
 * (socket, config file or TCP URL), printing tables, and turning client
 * errors into exit codes.
 *
 * @module
 */
import { type CliContext, ExitCode, UsageError } from "../cli/context.ts";
import { formatConfigError, loadConfig } from "../config/mod.ts";
import {
  ControlClient,
  type ControlEndpoint,
  ControlRequestError,
  DaemonUnreachableError,
  DEFAULT_SOCKET,
} from "./client.ts";

export interface EndpointFlags {
  socket?: string;
  config?: string;
  url?: string;
  tokenFile?: string;
}

/** Help text of the flags that choose the daemon (each command declares them). */
export const ENDPOINT_FLAG_HELP = {
  socket: `control socket of the daemon (default $ANYCAST_SOCKET or ${DEFAULT_SOCKET})`,
  config: "read the socket path (api.socket) from this config file",
  url: "talk to the daemon's TCP API instead, e.g. http://127.0.0.1:50051",
  tokenFile: "bearer token file for --url (default $ANYCAST_API_TOKEN)",
} as const;

/** --url (with token), else --socket, else api.socket of --config, else $ANYCAST_SOCKET, else the default. */
export async function resolveEndpoint(
  flags: EndpointFlags,
  env: (name: string) => string | undefined,
): Promise<ControlEndpoint> {
  if (flags.url !== undefined) {
    if (!/^https?:\/\//.test(flags.url)) {
      throw new UsageError(`--url must start with http:// or https://`);
    }
    let token = env("ANYCAST_API_TOKEN");
    if (flags.tokenFile !== undefined) {
      try {
        token = (await Deno.readTextFile(flags.tokenFile)).split("\n")[0]!.trim();
      } catch (e) {
        throw new UsageError(
          `cannot read --token-file ${flags.tokenFile}: ${e instanceof Error ? e.message : e}`,
        );
      }
    }
    return token === undefined ? { url: flags.url } : { url: flags.url, token };
  }
  if (flags.socket !== undefined) return { socket: flags.socket };
  if (flags.config !== undefined) {
    const loaded = await loadConfig(flags.config);
    if (!loaded.ok) {
      throw new UsageError(
        `cannot use --config ${flags.config}:\n${loaded.errors.map(formatConfigError).join("\n")}`,
      );
    }
    return { socket: loaded.config.api.socket };
  }
  return { socket: env("ANYCAST_SOCKET") ?? DEFAULT_SOCKET };
}

/** Run `body` with a client; daemon and request errors are reported and exit 1. */
export async function withClient(
  ctx: CliContext,
  setExit: (code: number) => void,
  command: string,
  flags: EndpointFlags,
  body: (client: ControlClient) => Promise<void>,
): Promise<void> {
  const client = new ControlClient(await resolveEndpoint(flags, ctx.env));
  try {
    await body(client);
  } catch (e) {
    if (e instanceof DaemonUnreachableError) {
      ctx.err(`anycast ${command}: ${e.message}\n`);
      setExit(ExitCode.Failed);
      return;
    }
    if (e instanceof ControlRequestError) {
      ctx.err(`anycast ${command}: daemon refused (HTTP ${e.status}): ${e.message}\n`);
      setExit(ExitCode.Failed);
      return;
    }
    throw e;
  } finally {
    client.close();
  }
}
