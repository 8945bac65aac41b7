/**
 * The control API: HTTP/JSON on a unix socket (mode 0600, guarded by file
 * permissions) and, optionally, on TCP, where every request needs the bearer
 * token. There is never an unauthenticated TCP port that can inject routes.
 *
 * @module
 */
import { dirname } from "node:path";
import type { ApiConfig } from "../config/model.ts";
import { UnknownPrefixError } from "../health/engine.ts";
import { type ControlBackend, ControlError, type RouteDirection } from "./types.ts";
import { Http1Server } from "./http1.ts";
import {
  parseAnnounce,
  parseForce,
  parseMaintenance,
  parsePrefixBody,
  parseTarget,
} from "./validate.ts";

/** Largest accepted request body. */
const MAX_BODY_BYTES = 64 * 1024;

export interface ControlHandlerOptions {
  /** When set, every request must carry `Authorization: Bearer <token>`. */
  token?: string;
  /** Called for requests that failed with a 5xx (a backend bug or outage). */
  onError?: (request: Request, error: unknown) => void;
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body, null, 2) + "\n", {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

function error(status: number, message: string, headers: Record<string, string> = {}): Response {
  return json(status, { error: message }, headers);
}

/** Compare without an early exit, so the time taken does not reveal the token. */
function sameToken(given: string, expected: string): boolean {
  const a = new TextEncoder().encode(given);
  const b = new TextEncoder().encode(expected);
  let diff = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) diff |= (a[i] ?? 0) ^ b[i]!;
  return diff === 0;
}

/** The body, read no further than the limit (a chunked body has no content-length). */
async function readBody(request: Request): Promise<Uint8Array> {
  if (!request.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => {});
      throw new ControlError(413, `Request body over ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.length;
  }
  return bytes;
}

async function readJson(request: Request): Promise<unknown> {
  const length = Number(request.headers.get("content-length") ?? "0");
  if (length > MAX_BODY_BYTES) {
    throw new ControlError(413, `Request body over ${MAX_BODY_BYTES} bytes`);
  }
  const bytes = await readBody(request);
  const text = new TextDecoder().decode(bytes);
  if (text.trim() === "") throw new ControlError(400, "Missing JSON request body");
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ControlError(400, `Cannot parse JSON body: ${e instanceof Error ? e.message : e}`);
  }
}

type Route = {
  method: "GET" | "POST";
  pattern: RegExp;
  run: (backend: ControlBackend, request: Request, match: RegExpExecArray, url: URL) => unknown;
};

const ROUTES: Route[] = [
  { method: "GET", pattern: /^\/v1\/status$/, run: (b) => b.status() },
  { method: "GET", pattern: /^\/v1\/peers$/, run: (b) => b.peers() },
  {
    method: "GET",
    pattern: /^\/v1\/peers\/([^/]+)\/routes$/,
    run: (b, _, m, url) => {
      const direction = url.searchParams.get("direction") ?? "sent";
      if (direction !== "sent" && direction !== "received") {
        throw new ControlError(400, `Invalid direction "${direction}": use sent or received`);
      }
      let peer: string;
      try {
        peer = decodeURIComponent(m[1]!);
      } catch {
        throw new ControlError(400, `Invalid peer name "${m[1]}": bad percent-encoding`);
      }
      return b.routes(peer, direction as RouteDirection);
    },
  },
  {
    method: "POST",
    pattern: /^\/v1\/peers\/([^/]+)\/reset$/,
    run: async (b, _, m) => {
      let peer: string;
      try {
        peer = decodeURIComponent(m[1]!);
      } catch {
        throw new ControlError(400, `Invalid peer name "${m[1]}": bad percent-encoding`);
      }
      return { ok: true, peer, released: await b.resetPeer(peer) };
    },
  },
  { method: "GET", pattern: /^\/v1\/prefixes$/, run: (b) => b.prefixes() },
  {
    method: "POST",
    pattern: /^\/v1\/announce$/,
    run: async (b, r) => {
      const request = parseAnnounce(await readJson(r));
      await b.announce(request);
      return { ok: true, prefix: request.prefix };
    },
  },
  {
    method: "POST",
    pattern: /^\/v1\/withdraw$/,
    run: async (b, r) => {
      const body = await readJson(r);
      const prefix = parsePrefixBody(body);
      await b.withdraw(prefix, parseForce(body));
      return { ok: true, prefix };
    },
  },
  {
    method: "POST",
    pattern: /^\/v1\/drain$/,
    run: async (b, r) => {
      const body = await readJson(r);
      return { ok: true, prefixes: await b.drain(parseTarget(body), parseForce(body)) };
    },
  },
  {
    method: "POST",
    pattern: /^\/v1\/undrain$/,
    run: async (b, r) => ({ ok: true, prefixes: await b.undrain(parseTarget(await readJson(r))) }),
  },
  {
    method: "POST",
    pattern: /^\/v1\/maintenance$/,
    run: async (b, r) => {
      const body = await readJson(r);
      const { prefix, on } = parseMaintenance(body);
      await b.maintenance(prefix, on, parseForce(body));
      return { ok: true, prefix, maintenance: on };
    },
  },
];

/** The request handler, without any listener: tests call it directly. */
export function controlHandler(
  backend: ControlBackend,
  options: ControlHandlerOptions = {},
): (request: Request) => Promise<Response> {
  return async (request) => {
    if (options.token !== undefined) {
      const header = request.headers.get("authorization") ?? "";
      const m = /^Bearer\s+(.+)$/i.exec(header);
      if (!m) {
        return error(401, "Missing bearer token", { "www-authenticate": 'Bearer realm="anycast"' });
      }
      if (!sameToken(m[1]!.trim(), options.token)) {
        return error(401, "Invalid bearer token", { "www-authenticate": 'Bearer realm="anycast"' });
      }
    }
    const url = new URL(request.url);
    const matching = ROUTES.map((route) => ({ route, match: route.pattern.exec(url.pathname) }))
      .filter((r) => r.match !== null);
    if (matching.length === 0) return error(404, `No such endpoint: ${url.pathname}`);
    const found = matching.find((r) => r.route.method === request.method);
    if (!found) {
      const allow = matching.map((r) => r.route.method).join(", ");
      return error(405, `Method ${request.method} not allowed on ${url.pathname} (use ${allow})`, {
        allow,
      });
    }
    try {
      return json(200, await found.route.run(backend, request, found.match!, url));
    } catch (e) {
      if (e instanceof ControlError) return error(e.status, e.message);
      if (e instanceof UnknownPrefixError) return error(404, e.message);
      options.onError?.(request, e);
      return error(500, `Internal error: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
}

/** The API config is unusable (unreadable token file, a socket path in use). */
export class ControlConfigError extends Error {
  override name = "ControlConfigError";
}

/**
 * The bearer token for the TCP listener: `api.token`, else the first line of
 * `api.tokenFile`; undefined when neither is set. Throws when the token file
 * cannot be read (the operator asked for a token and would not get one).
 */
export async function resolveApiToken(
  api: ApiConfig,
  readTextFile: (path: string) => Promise<string> = Deno.readTextFile,
): Promise<string | undefined> {
  let token = api.token;
  if (token === undefined && api.tokenFile !== undefined) {
    try {
      token = (await readTextFile(api.tokenFile)).split("\n")[0]!.trim();
    } catch (e) {
      throw new ControlConfigError(
        `Cannot read api.tokenFile ${api.tokenFile}: ${e instanceof Error ? e.message : e}`,
      );
    }
  }
  return token === "" ? undefined : token;
}

/** Why a configured TCP listener stays closed, or undefined when it may open. */
export function tcpListenerRefusal(api: ApiConfig, token: string | undefined): string | undefined {
  const tcp = api.listenPort !== undefined || api.listenAddress !== undefined;
  if (!tcp || token !== undefined) return undefined;
  return "api.listenAddress/listenPort asks for the control API on TCP, which is never opened " +
    "without a bearer token: set api.token or api.tokenFile; until then only the unix socket " +
    `${api.socket} serves the API`;
}

export interface ControlServerOptions {
  /** Told when part of the configured API stays closed (TCP without a token). */
  onWarning?: (message: string) => void;
  /** Default Deno.readTextFile (for api.tokenFile). */
  readTextFile?: (path: string) => Promise<string>;
  onError?: (request: Request, error: unknown) => void;
}

/** A unix socket path that is left over from a daemon that died is removed; a live one is an error. */
async function clearStaleSocket(path: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return;
    throw e;
  }
  if (!info.isSocket) {
    throw new ControlConfigError(`Cannot listen on ${path}: it exists and is not a socket`);
  }
  try {
    const conn = await Deno.connect({ transport: "unix", path });
    conn.close();
  } catch {
    await Deno.remove(path);
    return;
  }
  throw new ControlConfigError(`Cannot listen on ${path}: another anycast daemon is running`);
}

export class ControlServer {
  readonly socketPath: string;
  readonly tcpAddress: { hostname: string; port: number } | undefined;
  #servers: Http1Server[];

  private constructor(
    socketPath: string,
    tcpAddress: { hostname: string; port: number } | undefined,
    servers: Http1Server[],
  ) {
    this.socketPath = socketPath;
    this.tcpAddress = tcpAddress;
    this.#servers = servers;
  }

  /** Listen on `api.socket` and, when configured, on TCP with the token. */
  static async start(
    api: ApiConfig,
    backend: ControlBackend,
    options: ControlServerOptions = {},
  ): Promise<ControlServer> {
    const token = await resolveApiToken(api, options.readTextFile);
    // Periphery's own example sets listenAddress without a token: such a config
    // still runs, with the unix socket only, rather than exposing routes unauthenticated.
    const refusal = tcpListenerRefusal(api, token);
    if (refusal) options.onWarning?.(refusal);
    const handlerOptions: ControlHandlerOptions = options.onError
      ? { onError: options.onError }
      : {};
    await Deno.mkdir(dirname(api.socket), { recursive: true, mode: 0o755 });
    await clearStaleSocket(api.socket);
    const servers: Http1Server[] = [];
    const limits = { maxBodyBytes: MAX_BODY_BYTES };
    try {
      // Our own HTTP/1.1 loop rather than Deno.serve: see http1.ts (half-closed clients).
      const unix = new Http1Server(
        Deno.listen({ path: api.socket, transport: "unix" }),
        controlHandler(backend, handlerOptions),
        limits,
      );
      servers.push(unix);
      // Only root (the daemon's user) may talk to the socket.
      await Deno.chmod(api.socket, 0o600);
      let tcpAddress: { hostname: string; port: number } | undefined;
      if (
        token !== undefined && (api.listenPort !== undefined || api.listenAddress !== undefined)
      ) {
        const tcp = new Http1Server(
          Deno.listen({ hostname: api.listenAddress ?? "127.0.0.1", port: api.listenPort ?? 0 }),
          controlHandler(backend, { ...handlerOptions, token }),
          limits,
        );
        servers.push(tcp);
        const addr = tcp.addr as Deno.NetAddr;
        tcpAddress = { hostname: addr.hostname, port: addr.port };
      }
      return new ControlServer(api.socket, tcpAddress, servers);
    } catch (e) {
      await Promise.all(servers.map((s) => s.close()));
      throw e;
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.#servers.map((s) => s.close()));
    this.#servers = [];
    await Deno.remove(this.socketPath).catch(() => {});
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
