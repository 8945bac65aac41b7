/**
 * `exec` probe: run a command (no shell) in its own session via setsid, so
 * at the timeout the whole process group is killed and nothing is left
 * behind. With `user` it runs through util-linux runuser as that user.
 *
 * @module
 */
import type { ExecHandler } from "../../config/model.ts";
import { errorText, formatMs, type ProbeResult } from "../result.ts";

/** Output kept for logs, per stream. */
export const OUTPUT_LIMIT = 1024;

export interface ExecDeps {
  /** Path of util-linux setsid (default "setsid" from PATH). */
  setsid?: string;
  /** Called with the process id (= process group id) once spawned; tests use it. */
  onSpawn?: (pid: number) => void;
}

export async function runExec(
  h: ExecHandler,
  signal: AbortSignal,
  deps: ExecDeps = {},
): Promise<ProbeResult> {
  const target = [h.command, ...h.args].map(shellQuote).join(" ");
  const started = performance.now();
  const exitCodes = h.exitCodes.length > 0 ? h.exitCodes : [0];
  const done = (ok: boolean, reason: string, exitCode?: number): ProbeResult => {
    const durationMs = performance.now() - started;
    return {
      ok,
      durationMs,
      reason: reason.replace("{ms}", formatMs(durationMs)),
      target,
      figures: exitCode === undefined ? {} : { exitCode },
    };
  };
  if (signal.aborted) return done(false, `${target}: cancelled before start`);
  let child: Deno.ChildProcess;
  try {
    // setsid makes the child a session and process group leader (pgid = pid),
    // so killing -pid reaches every descendant.
    // `user` (Herald's exec field): runuser switches user, groups and
    // supplementary groups before running the command; it needs root.
    const argv = h.user === undefined
      ? [h.command, ...h.args]
      : ["runuser", "-u", h.user, "--", h.command, ...h.args];
    child = new Deno.Command(deps.setsid ?? "setsid", {
      args: argv,
      env: h.env,
      ...(h.workingDir !== undefined ? { cwd: h.workingDir } : {}),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (e) {
    return done(false, `cannot start ${target}: ${errorText(e)}`);
  }
  const pid = child.pid;
  deps.onSpawn?.(pid);
  let killed = false;
  const killGroup = () => {
    killed = true;
    try {
      Deno.kill(-pid, "SIGKILL");
    } catch { /* group already gone */ }
  };
  signal.addEventListener("abort", killGroup, { once: true });
  try {
    // Readers start at once so a chatty command cannot block on a full pipe.
    const reading = Promise.all([readLimited(child.stdout), readLimited(child.stderr)]);
    const status = await child.status;
    // Descendants that outlive the leader would hold the pipes open: end them too.
    try {
      Deno.kill(-pid, "SIGKILL");
    } catch { /* nothing left */ }
    const [stdout, stderr] = await reading;
    const output = summarize(stdout, stderr);
    if (killed) return done(false, `${target} killed at its timeout after {ms}${output}`);
    if (status.signal !== null) {
      return done(false, `${target} died of ${status.signal} after {ms}${output}`, status.code);
    }
    // setsid itself exits 127/126 when the command cannot be found or run.
    if (status.code === 127 && stderr.includes("setsid:")) {
      return done(false, `cannot run ${target}: command not found`, status.code);
    }
    const ok = exitCodes.includes(status.code);
    const want = exitCodes.join(",");
    return done(
      ok,
      ok
        ? `${target} exited ${status.code} after {ms}`
        : `${target} exited ${status.code} (expected ${want}) after {ms}${output}`,
      status.code,
    );
  } finally {
    signal.removeEventListener("abort", killGroup);
  }
}

/** Read a stream to its end, keeping the first OUTPUT_LIMIT bytes. */
async function readLimited(stream: ReadableStream<Uint8Array>): Promise<string> {
  const kept: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  for await (const chunk of stream) {
    if (size < OUTPUT_LIMIT) {
      kept.push(chunk.subarray(0, OUTPUT_LIMIT - size));
      size += Math.min(chunk.length, OUTPUT_LIMIT - size);
    }
    if (chunk.length + size > OUTPUT_LIMIT) truncated = true;
  }
  const text = new TextDecoder().decode(concatBytes(kept));
  return truncated ? `${text}...[truncated]` : text;
}

function concatBytes(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function summarize(stdout: string, stderr: string): string {
  const text = [stderr.trim(), stdout.trim()].filter((s) => s !== "").join(" | ");
  if (text === "") return "";
  const line = text.replace(/\s+/g, " ");
  return `: ${line.length > 200 ? `${line.slice(0, 200)}...` : line}`;
}

function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
