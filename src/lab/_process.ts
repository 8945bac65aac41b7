// Process plumbing shared by every peer daemon: spawn in its own process
// group (so a signal reaches its children too), run CLI tools, poll.

const LIVE_GROUPS = new Set<number>();
let unloadHookInstalled = false;

/** Kill every daemon group still alive when the test process exits, even after a crash. */
function installUnloadHook(): void {
  if (unloadHookInstalled) return;
  unloadHookInstalled = true;
  globalThis.addEventListener("unload", () => {
    for (const pgid of LIVE_GROUPS) {
      try {
        Deno.kill(-pgid, "SIGKILL");
      } catch { /* already gone */ }
    }
  });
}

export interface SpawnOptions {
  /** File the daemon's stdout and stderr are appended to. */
  logFile: string;
  cwd?: string;
  env?: Record<string, string>;
  /** Run inside this network namespace (`ip netns exec` execs, so the pid stays the daemon's). */
  netns?: string;
}

/** A daemon started by the harness, leader of its own process group. */
export class DaemonProcess {
  readonly pid: number;
  #child: Deno.ChildProcess;
  #exited = false;
  readonly status: Promise<Deno.CommandStatus>;

  private constructor(child: Deno.ChildProcess) {
    this.#child = child;
    this.pid = child.pid;
    LIVE_GROUPS.add(this.pid);
    this.status = child.status.then((s) => {
      this.#exited = true;
      return s;
    });
  }

  /** Start `cmd args…` under setsid, output appended to `logFile`. */
  static spawn(cmd: string, args: string[], opts: SpawnOptions): DaemonProcess {
    installUnloadHook();
    if (opts.netns) [cmd, args] = ["ip", ["netns", "exec", opts.netns, cmd, ...args]];
    // setsid makes the daemon a group leader; sh redirects then execs, so the pid is the daemon's.
    const child = new Deno.Command("setsid", {
      args: [
        "sh",
        "-c",
        'log="$1"; shift; exec "$@" >>"$log" 2>&1',
        "sh",
        opts.logFile,
        cmd,
        ...args,
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
      ...(opts.env ? { env: opts.env } : {}),
    }).spawn();
    return new DaemonProcess(child);
  }

  get exited(): boolean {
    return this.#exited;
  }

  /** Send `signal` to the whole process group. */
  signal(signal: Deno.Signal): void {
    try {
      Deno.kill(-this.pid, signal);
    } catch { /* group already gone */ }
  }

  /** SIGTERM the group, SIGKILL it after `graceMs`, and wait for the leader to be reaped. */
  async stop(graceMs = 3000): Promise<void> {
    // A stopped (paused) process cannot act on SIGTERM until continued.
    this.signal("SIGCONT");
    this.signal("SIGTERM");
    const timer = new Promise<"timeout">((r) => {
      const id = setTimeout(() => r("timeout"), graceMs);
      this.status.finally(() => clearTimeout(id));
    });
    if ((await Promise.race([this.status, timer])) === "timeout") this.signal("SIGKILL");
    await this.status;
    // Children that outlive the leader (e.g. ExaBGP's API helper) go too.
    this.signal("SIGKILL");
    LIVE_GROUPS.delete(this.pid);
  }
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a CLI tool to completion; never throws on a non-zero exit. */
export async function runTool(
  cmd: string,
  args: string[],
  opts: { timeoutMs?: number; stdin?: string; netns?: string } = {},
): Promise<RunResult> {
  if (opts.netns) [cmd, args] = ["ip", ["netns", "exec", opts.netns, cmd, ...args]];
  const signal = AbortSignal.timeout(opts.timeoutMs ?? 10_000);
  const child = new Deno.Command(cmd, {
    args,
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    signal,
  }).spawn();
  if (opts.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(opts.stdin));
    await writer.close();
  }
  const out = await child.output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/** Run a CLI tool and return its stdout; a non-zero exit is an Error carrying its output. */
export async function runToolOk(
  cmd: string,
  args: string[],
  opts: { timeoutMs?: number; stdin?: string; netns?: string } = {},
): Promise<string> {
  const r = await runTool(cmd, args, opts);
  if (r.code !== 0) {
    throw new Error(
      `${cmd} ${args.join(" ")} exited with ${r.code}: ${(r.stderr + r.stdout).trim()}`,
    );
  }
  return r.stdout;
}

/** Thrown by a pollUntil() probe to stop polling at once (e.g. the daemon exited). */
export class PollAborted extends Error {}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Poll `probe` every `intervalMs` until it returns a value other than undefined.
 * On timeout the error says what was awaited plus `describe()` (current state, log tail).
 */
export async function pollUntil<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  opts: { timeoutMs: number; intervalMs?: number; describe?: () => Promise<string> },
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
      lastError = undefined;
    } catch (e) {
      if (e instanceof PollAborted) throw e;
      lastError = e;
    }
    if (Date.now() >= deadline) break;
    await sleep(opts.intervalMs ?? 50);
  }
  let detail = "";
  if (opts.describe) {
    try {
      detail = await opts.describe();
    } catch (e) {
      detail = `(could not describe state: ${e})`;
    }
  }
  const cause = lastError ? `\nlast probe error: ${lastError}` : "";
  throw new Error(`Timed out after ${opts.timeoutMs} ms waiting for ${what}${cause}\n${detail}`);
}

/** The last `n` lines of a text file, or "" when it does not exist. */
export async function tailFile(path: string, n: number): Promise<string> {
  try {
    const text = await Deno.readTextFile(path);
    return text.split("\n").slice(-n - 1).join("\n").trimEnd();
  } catch {
    return "";
  }
}

/**
 * Wait until nothing listens on `hostname:port` (another test run on this shared
 * machine may be using the same address plan); false if it stays busy.
 */
export async function waitForFreePort(
  hostname: string,
  port: number,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      Deno.listen({ hostname, port, transport: "tcp" }).close();
      return true;
    } catch (e) {
      if (!(e instanceof Deno.errors.AddrInUse)) return true; // not ours to judge: let the daemon try
    }
    if (Date.now() >= deadline) return false;
    await sleep(200);
  }
}

/** Whether an executable exists (absolute path or on PATH). */
export async function commandExists(cmd: string): Promise<boolean> {
  if (cmd.startsWith("/")) return await Deno.stat(cmd).then((s) => s.isFile, () => false);
  const r = await runTool("sh", ["-c", `command -v '${cmd}'`]).catch(() => undefined);
  return r?.code === 0;
}
