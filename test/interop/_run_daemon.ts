/**
 * Helpers for the `anycast run` end-to-end suites (run_*_test.ts): the real
 * daemon as a child process with its log captured, a flippable HTTP health
 * endpoint, and the CLI against the running daemon.
 */
import { sleep } from "./harness/mod.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** A Deno.serve on 127.0.0.1, port 0, whose /health answers 200 or 503 as the test says. */
export class HealthEndpoint implements AsyncDisposable {
  healthy: boolean;
  /** Health requests seen (each probe run is one). */
  hits = 0;
  #server: Deno.HttpServer<Deno.NetAddr>;

  constructor(healthy = false) {
    this.healthy = healthy;
    this.#server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
      this.hits++;
      return new Response(this.healthy ? "ok\n" : "failing\n", {
        status: this.healthy ? 200 : 503,
      });
    });
  }

  get port(): number {
    return this.#server.addr.port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/health`;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#server.shutdown();
  }
}

/** `anycast run` as a child process; stderr (the log) is collected as it arrives. */
export class RunDaemon implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  readonly dir: string;
  #log = "";
  #reading: Promise<void>;
  #status: Deno.CommandStatus | undefined;

  private constructor(child: Deno.ChildProcess, dir: string) {
    this.child = child;
    this.dir = dir;
    this.#reading = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of child.stderr) this.#log += decoder.decode(chunk, { stream: true });
    })();
    void child.status.then((s) => (this.#status = s));
  }

  /** Start `anycast run -c dir/config.yaml` with `env` added (LOG_LEVEL debug by default). */
  static start(dir: string, env: Record<string, string> = {}, args: string[] = []): RunDaemon {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, "run", "--config", `${dir}/config.yaml`, ...args],
      env: { LOG_LEVEL: "debug", ...env },
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    return new RunDaemon(child, dir);
  }

  get log(): string {
    return this.#log;
  }

  get exited(): boolean {
    return this.#status !== undefined;
  }

  /** Wait until the log matches `pattern`; throws with the log tail on timeout. */
  async waitLog(pattern: RegExp, timeoutMs = 15_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.#log.match(pattern);
      if (m) return m;
      if (Date.now() > deadline || this.exited) {
        throw new Error(`log never matched ${pattern}:\n${this.#log.slice(-3000)}`);
      }
      await sleep(20);
    }
  }

  signal(signal: Deno.Signal): void {
    this.child.kill(signal);
  }

  /** Wait for the exit; the whole log has been read when this returns. */
  async status(): Promise<Deno.CommandStatus> {
    const status = await this.child.status;
    await this.#reading;
    return status;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.exited) {
      try {
        this.child.kill("SIGKILL");
      } catch { /* already gone */ }
    }
    await this.status();
  }
}

/** Run the CLI (`anycast peers ...`) to completion. */
export async function cli(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

/** Poll `fn` until it returns a value other than undefined. */
export async function until<T>(
  fn: () => Promise<T | undefined> | T | undefined,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Prometheus text to `name{labels} value` lookups. */
export function parsePrometheus(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^(\S+?(?:\{.*\})?)\s+(\S+)$/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}
