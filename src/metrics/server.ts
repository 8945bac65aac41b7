/**
 * The metrics listener: Prometheus text on `metrics.path` (default
 * /metrics), plus `/healthz` (the process answers; `/health` as Herald's)
 * and `/readyz` (config loaded and BGP sessions started) for the daemon itself.
 *
 * @module
 */
import type { MetricsConfig } from "../config/model.ts";

/** What `/readyz` checks; the daemon flips the flags as it starts. */
export class DaemonReadiness {
  configLoaded = false;
  sessionsStarted = false;

  /** Reasons the daemon is not ready; empty when ready. */
  problems(): string[] {
    const problems: string[] = [];
    if (!this.configLoaded) problems.push("config not loaded");
    if (!this.sessionsStarted) problems.push("BGP sessions not started");
    return problems;
  }
}

export interface MetricsSource {
  metrics(): Promise<string>;
  /** The same text in chunks; when present the response is streamed from it. */
  chunks?(): AsyncIterable<string>;
  readonly contentType: string;
}

/** "127.0.0.1:9090", "[::1]:9090", ":9090" (all addresses) to hostname and port. */
export function parseListenAddress(address: string): { hostname: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):([0-9]{1,5})$/.exec(address);
  const port = Number(m?.[3]);
  if (!m || port > 65535) {
    throw new SyntaxError(`Cannot parse metrics address "${address}": expected host:port`);
  }
  const hostname = m[1] ?? m[2] ?? "";
  return { hostname: hostname === "" ? "0.0.0.0" : hostname, port };
}

/** The request handler without a listener (tests call it directly). */
export function metricsHandler(
  source: MetricsSource,
  readiness: DaemonReadiness,
  path = "/metrics",
): (request: Request) => Promise<Response> {
  const text = (status: number, body: string) =>
    new Response(body, { status, headers: { "content-type": "text/plain; charset=utf-8" } });
  return async (request) => {
    if (request.method !== "GET" && request.method !== "HEAD") {
      return new Response("method not allowed\n", { status: 405, headers: { allow: "GET, HEAD" } });
    }
    const { pathname } = new URL(request.url);
    if (pathname === path) {
      const headers = { "content-type": source.contentType };
      if (!source.chunks) return new Response(await source.metrics(), { headers });
      // Streamed: 100,000 prefixes are ~30 MB of text, never one string on the event loop.
      const chunks = source.chunks()[Symbol.asyncIterator]();
      const encoder = new TextEncoder();
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const next = await chunks.next();
          if (next.done) controller.close();
          else controller.enqueue(encoder.encode(next.value));
        },
        async cancel() {
          await chunks.return?.();
        },
      });
      return new Response(body, { headers });
    }
    if (pathname === "/healthz") return text(200, "ok\n");
    // Herald's metrics server answers /health with 200 "OK".
    if (pathname === "/health") return text(200, "OK");
    if (pathname === "/readyz") {
      const problems = readiness.problems();
      return problems.length === 0
        ? text(200, "ready\n")
        : text(503, `not ready: ${problems.join(", ")}\n`);
    }
    return text(404, `not found; try ${path}, /healthz, /health or /readyz\n`);
  };
}

export class MetricsServer {
  readonly hostname: string;
  readonly port: number;
  #server: Deno.HttpServer;

  private constructor(server: Deno.HttpServer) {
    this.#server = server;
    const addr = server.addr as Deno.NetAddr;
    this.hostname = addr.hostname;
    this.port = addr.port;
  }

  /** Listen on `config.address`; port 0 picks a free port (tests). */
  static start(
    config: MetricsConfig,
    source: MetricsSource,
    readiness: DaemonReadiness,
  ): MetricsServer {
    const { hostname, port } = parseListenAddress(config.address);
    const server = Deno.serve(
      { hostname, port, onListen: () => {} },
      metricsHandler(source, readiness, config.path || "/metrics"),
    );
    return new MetricsServer(server);
  }

  async close(): Promise<void> {
    await this.#server.shutdown();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
