/**
 * Client for the control API, over the unix socket (Deno's fetch with a
 * unix-socket HTTP client) or over TCP with the bearer token.
 *
 * @module
 */
import type {
  ManualAnnounce,
  OperatorOptions,
  PeerInfo,
  PrefixInfo,
  PrefixTarget,
  RouteDirection,
  RouteInfo,
  StatusInfo,
} from "./types.ts";

export const DEFAULT_SOCKET = "/run/anycast/anycast.sock";

export type ControlEndpoint = { socket: string } | { url: string; token?: string };

/** The daemon could not be reached at all (not running, wrong socket, permissions). */
export class DaemonUnreachableError extends Error {
  override name = "DaemonUnreachableError";
}

/** The daemon answered with an error status; `message` is its `{error}` text. */
export class ControlRequestError extends Error {
  override name = "ControlRequestError";
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function describe(endpoint: ControlEndpoint): string {
  return "socket" in endpoint ? endpoint.socket : endpoint.url;
}

function causeText(e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return "no such socket (is `anycast run` running?)";
  if (e instanceof Deno.errors.PermissionDenied) return "permission denied (run as root?)";
  if (e instanceof Deno.errors.ConnectionRefused) {
    return "connection refused (is `anycast run` running?)";
  }
  let text = e instanceof Error ? e.message : String(e);
  const cause = e instanceof Error ? e.cause : undefined;
  if (cause instanceof Error && !text.includes(cause.message)) text += `: ${cause.message}`;
  return text;
}

export class ControlClient {
  #endpoint: ControlEndpoint;
  #httpClient: Deno.HttpClient | undefined;
  #base: string;

  constructor(endpoint: ControlEndpoint) {
    this.#endpoint = endpoint;
    if ("socket" in endpoint) {
      this.#httpClient = Deno.createHttpClient({
        proxy: { transport: "unix", path: endpoint.socket },
      });
      this.#base = "http://anycast";
    } else {
      this.#base = endpoint.url.replace(/\/+$/, "");
    }
  }

  status(): Promise<StatusInfo> {
    return this.#request("GET", "/v1/status");
  }

  peers(): Promise<PeerInfo[]> {
    return this.#request("GET", "/v1/peers");
  }

  routes(peer: string, direction: RouteDirection = "sent"): Promise<RouteInfo[]> {
    return this.#request(
      "GET",
      `/v1/peers/${encodeURIComponent(peer)}/routes?direction=${direction}`,
    );
  }

  prefixes(): Promise<PrefixInfo[]> {
    return this.#request("GET", "/v1/prefixes");
  }

  announce(request: Partial<ManualAnnounce> & { prefix: string }): Promise<{ prefix: string }> {
    return this.#request("POST", "/v1/announce", request);
  }

  withdraw(prefix: string, options: OperatorOptions = {}): Promise<{ prefix: string }> {
    return this.#request("POST", "/v1/withdraw", { prefix, ...forceOf(options) });
  }

  /** Restart a neighbor held down after its prefix limit. */
  resetPeer(peer: string): Promise<{ ok: true; peer: string; released: boolean }> {
    return this.#request("POST", `/v1/peers/${encodeURIComponent(peer)}/reset`, {});
  }

  drain(target: PrefixTarget, options: OperatorOptions = {}): Promise<{ prefixes: string[] }> {
    return this.#request("POST", "/v1/drain", { ...target, ...forceOf(options) });
  }

  undrain(target: PrefixTarget): Promise<{ prefixes: string[] }> {
    return this.#request("POST", "/v1/undrain", target);
  }

  maintenance(
    prefix: string,
    on: boolean,
    options: OperatorOptions = {},
  ): Promise<{ prefix: string; maintenance: boolean }> {
    return this.#request("POST", "/v1/maintenance", { prefix, on, ...forceOf(options) });
  }

  close(): void {
    this.#httpClient?.close();
    this.#httpClient = undefined;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  async #request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if ("token" in this.#endpoint && this.#endpoint.token !== undefined) {
      headers.authorization = `Bearer ${this.#endpoint.token}`;
    }
    const init: RequestInit & { client?: Deno.HttpClient } = { method, headers };
    if (body !== undefined) init.body = JSON.stringify(body);
    if (this.#httpClient) init.client = this.#httpClient;
    if ("socket" in this.#endpoint) {
      // fetch's error for a missing socket is vague; stat gives the real reason.
      try {
        await Deno.stat(this.#endpoint.socket);
      } catch (e) {
        throw new DaemonUnreachableError(
          `cannot reach anycast daemon at ${describe(this.#endpoint)}: ${causeText(e)}`,
        );
      }
    }
    let response: Response;
    try {
      response = await fetch(this.#base + path, init);
    } catch (e) {
      throw new DaemonUnreachableError(
        `cannot reach anycast daemon at ${describe(this.#endpoint)}: ${causeText(e)}`,
      );
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ControlRequestError(
        response.status,
        `unexpected answer from ${describe(this.#endpoint)} (HTTP ${response.status}): ${
          text.slice(0, 200)
        }`,
      );
    }
    if (!response.ok) {
      const message = typeof parsed === "object" && parsed !== null && "error" in parsed
        ? String(parsed.error)
        : `HTTP ${response.status}`;
      throw new ControlRequestError(response.status, message);
    }
    return parsed as T;
  }
}

/** Only a forced request carries `force`, so older daemons keep accepting the others. */
function forceOf(options: OperatorOptions): { force?: true } {
  return options.force ? { force: true } : {};
}
