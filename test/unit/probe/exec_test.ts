import assert from "node:assert/strict";
import type { ExecHandler } from "../../../src/config/model.ts";
import { runHandler } from "../../../src/probe/mod.ts";

const exec = (command: string, args: string[], extra: Partial<ExecHandler> = {}): ExecHandler => ({
  kind: "exec",
  command,
  args,
  env: {},
  exitCodes: [0],
  ...extra,
});

/** Processes still alive (not zombies) in process group `pgid`. */
function liveMembers(pgid: number): number[] {
  const alive: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    let stat: string;
    try {
      stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
    } catch {
      continue;
    }
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[2]) === pgid && fields[0] !== "Z") alive.push(Number(entry.name));
  }
  return alive;
}

Deno.test("exec probe passes on an accepted exit code, runs without a shell", async () => {
  const r = await runHandler(exec("sh", ["-c", "exit 0"]), AbortSignal.timeout(5000));
  assert.equal(r.ok, true, r.reason);
  assert.match(r.reason, /^sh -c 'exit 0' exited 0 after/);
  // "$HOME" is passed literally: no shell expands it.
  const literal = await runHandler(
    exec("test", ["$HOME", "=", "$HOME"]),
    AbortSignal.timeout(5000),
  );
  assert.equal(literal.ok, true);
});

Deno.test("exec probe fails on other exit codes and shows the output", async () => {
  const r = await runHandler(
    exec("sh", ["-c", "echo replica lag 40s >&2; exit 2"]),
    AbortSignal.timeout(5000),
  );
  assert.equal(r.ok, false);
  assert.match(r.reason, /exited 2 \(expected 0\) after [\d.]+ ms: replica lag 40s$/);
  assert.equal(r.figures.exitCode, 2);
  const accepted = await runHandler(
    exec("sh", ["-c", "exit 2"], { exitCodes: [0, 2] }),
    AbortSignal.timeout(5000),
  );
  assert.equal(accepted.ok, true);
});

Deno.test("exec probe passes env and working dir", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const r = await runHandler(
      exec("sh", ["-c", `test "$PROBE_MODE" = strict && test "$(pwd)" = "${dir}"`], {
        env: { PROBE_MODE: "strict" },
        workingDir: dir,
      }),
      AbortSignal.timeout(5000),
    );
    assert.equal(r.ok, true, r.reason);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("exec probe truncates long output", async () => {
  const r = await runHandler(
    exec("sh", ["-c", "head -c 100000 /dev/zero | tr '\\0' x; exit 1"]),
    AbortSignal.timeout(5000),
  );
  assert.equal(r.ok, false);
  assert.ok(r.reason.length < 400, `reason is ${r.reason.length} chars`);
});

Deno.test("exec probe reports a missing command", async () => {
  const r = await runHandler(exec("/nonexistent/check-ready", []), AbortSignal.timeout(5000));
  assert.equal(r.ok, false);
  assert.match(r.reason, /cannot run \/nonexistent\/check-ready: command not found/);
});

Deno.test("exec probe kills the whole process group at the timeout, leaving nothing behind", async () => {
  let pid = 0;
  const started = performance.now();
  const r = await runHandler(
    exec("sh", ["-c", "sleep 30 & sleep 31 & wait"]),
    AbortSignal.timeout(300),
    { exec: { onSpawn: (p) => (pid = p) } },
  );
  assert.equal(r.ok, false);
  assert.match(r.reason, /timed out after \d+ ms/);
  assert.ok(performance.now() - started < 3000);
  assert.ok(pid > 0);
  // The kill is synchronous but the kernel needs a moment to tear the processes down.
  for (let i = 0; i < 50 && liveMembers(pid).length > 0; i++) {
    await new Promise((res) => setTimeout(res, 20));
  }
  assert.deepEqual(liveMembers(pid), []);
});

Deno.test({
  name: "exec probe with user (Herald's exec.user) runs the command as that user" +
    (Deno.uid() === 0 ? "" : " (needs root for runuser)"),
  ignore: Deno.uid() !== 0,
  fn: async () => {
    const asNobody = exec("sh", ["-c", 'test "$(id -un)" = nobody']);
    const mine = await runHandler(asNobody, AbortSignal.timeout(5000));
    assert.equal(mine.ok, false, "the daemon's own user is not nobody");
    const theirs = await runHandler({ ...asNobody, user: "nobody" }, AbortSignal.timeout(5000));
    assert.equal(theirs.ok, true, theirs.reason);
    const unknown = await runHandler(
      { ...asNobody, user: "no-such-user-xyz" },
      AbortSignal.timeout(5000),
    );
    assert.equal(unknown.ok, false);
    assert.match(unknown.reason, /no-such-user-xyz/);
  },
});
