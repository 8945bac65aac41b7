/**
 * The demo's "service": a tiny HTTP server whose /health answers 200 while
 * healthy and 503 while failing, which the daemon's readiness probe checks.
 *
 * @module
 */

export class DemoService {
  #server: Deno.HttpServer<Deno.NetAddr>;
  #healthy = true;
  readonly hostname: string;

  private constructor(server: Deno.HttpServer<Deno.NetAddr>, hostname: string) {
    this.#server = server;
    this.hostname = hostname;
  }

  /** Serve on `hostname` and a free port. */
  static start(hostname: string): DemoService {
    let service: DemoService | undefined = undefined;
    const server = Deno.serve(
      { hostname, port: 0, onListen: () => {} },
      (request) => {
        const path = new URL(request.url).pathname;
        if (path === "/health") {
          return service?.healthy
            ? new Response("ok\n")
            : new Response("failing\n", { status: 503 });
        }
        return new Response("hello from the anycast demo service\n");
      },
    );
    service = new DemoService(server, hostname);
    return service;
  }

  get port(): number {
    return this.#server.addr.port;
  }

  get healthy(): boolean {
    return this.#healthy;
  }

  set healthy(value: boolean) {
    this.#healthy = value;
  }

  async stop(): Promise<void> {
    await this.#server.shutdown();
  }
}
