/** A CliContext that records output, for running commands in-process. */
export function captureCli(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    ctx: {
      out: (t: string) => void out.push(t),
      err: (t: string) => void err.push(t),
      env: (n: string) => env[n],
      signal: new AbortController().signal,
    },
    stdout: () => out.join(""),
    stderr: () => err.join(""),
  };
}
