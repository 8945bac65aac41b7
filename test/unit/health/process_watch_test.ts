import assert from "node:assert/strict";
import {
  parsePidFile,
  type ProcessState,
  ProcessWatch,
} from "../../../src/health/process_watch.ts";
import { PidfdPoller } from "../../../src/health/_pidfd.ts";

function spawnSleeper(tag = "60"): Deno.ChildProcess {
  return new Deno.Command("sleep", { args: [tag], stdout: "null", stderr: "null" }).spawn();
}

/** Resolves with the next state reported after `since` states. */
function recorder() {
  const states: ProcessState[] = [];
  const waiters: (() => void)[] = [];
  return {
    states,
    push(s: ProcessState) {
      states.push(s);
      for (const w of waiters.splice(0)) w();
    },
    async next(count: number, timeoutMs = 5000): Promise<ProcessState> {
      const end = Date.now() + timeoutMs;
      while (states.length < count) {
        if (Date.now() > end) throw new Error(`no state #${count} within ${timeoutMs} ms`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 50);
        });
      }
      return states[count - 1]!;
    },
  };
}

Deno.test("parsePidFile() reads the first line and rejects junk", () => {
  assert.deepEqual(parsePidFile("1234\n"), 1234);
  assert.deepEqual(parsePidFile(" 77 \nmore"), 77);
  assert.deepEqual(parsePidFile(""), undefined);
  assert.deepEqual(parsePidFile("abc"), undefined);
  assert.deepEqual(parsePidFile("0"), undefined);
  assert.deepEqual(parsePidFile("-5"), undefined);
});

Deno.test("PidfdPoller reports a SIGKILLed child within milliseconds, once", async () => {
  using poller = new PidfdPoller();
  const child = spawnSleeper();
  let exits = 0;
  let seenAt = 0;
  const exited = new Promise<void>((resolve) => {
    poller.watch(child.pid, () => {
      exits++;
      seenAt = performance.now();
      resolve();
    });
  });
  const killedAt = performance.now();
  child.kill("SIGKILL");
  await exited;
  await child.status;
  assert.deepEqual(exits, 1);
  assert.ok(seenAt - killedAt < 1000, `exit seen after ${seenAt - killedAt} ms`);
  assert.deepEqual(poller.watch(999_999_999, () => {}), undefined, "no such process");
});

Deno.test("ProcessWatch by pid file: up, down on exit, up again when the file names a new process", async () => {
  const dir = await Deno.makeTempDir({ prefix: "anycast-pw-" });
  const pidFile = `${dir}/svc.pid`;
  const first = spawnSleeper();
  await Deno.writeTextFile(pidFile, `${first.pid}\n`);
  const r = recorder();
  const watch = new ProcessWatch({ pidFile }, (s) => r.push(s), { safetyPollMs: 60_000 });
  let second: Deno.ChildProcess | undefined;
  try {
    await watch.start();
    assert.deepEqual(r.states[0], {
      up: true,
      pid: first.pid,
      reason: `pid ${first.pid} running (pid file ${pidFile})`,
    });
    // Killed: down at once, from the pidfd (the safety poll is 60 s away).
    first.kill("SIGKILL");
    const down = await r.next(2);
    assert.deepEqual(down.up, false);
    assert.deepEqual(down.reason, `process ${first.pid} exited (pid file ${pidFile})`);
    await first.status;
    // Replaced: the pid file is rewritten; inotify brings the new pid in.
    second = spawnSleeper();
    await Deno.writeTextFile(pidFile, `${second.pid}\n`);
    const up = await r.next(3);
    assert.deepEqual(up, {
      up: true,
      pid: second.pid,
      reason: `pid ${second.pid} running (pid file ${pidFile})`,
    });
    // Replaced while the old one still runs: the watch moves to the new pid.
    const third = spawnSleeper();
    await Deno.writeTextFile(pidFile, `${third.pid}\n`);
    const moved = await r.next(4);
    assert.deepEqual(moved.pid, third.pid);
    second.kill("SIGKILL");
    await second.status;
    second = third;
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(r.states.length, 4, "the old process's exit is no longer watched");
    // Exits by itself (exit status 0).
    third.kill("SIGTERM");
    const gone = await r.next(5);
    assert.deepEqual(gone.up, false);
  } finally {
    watch.stop();
    try {
      second?.kill("SIGKILL");
    } catch { /* gone */ }
    await second?.status;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ProcessWatch: a pid file naming no live process, or none at all, is down", async () => {
  const dir = await Deno.makeTempDir({ prefix: "anycast-pw-" });
  try {
    const pidFile = `${dir}/svc.pid`;
    const r = recorder();
    const watch = new ProcessWatch({ pidFile }, (s) => r.push(s), { safetyPollMs: 60_000 });
    await watch.start();
    assert.deepEqual(r.states[0], { up: false, reason: `pid file ${pidFile} does not exist` });
    const dead = new Deno.Command("true").spawn();
    await dead.status;
    await Deno.writeTextFile(pidFile, `${dead.pid}\n`);
    await watch.check();
    assert.deepEqual(r.states.length, 1, "still down: no new report");
    assert.deepEqual(watch.state?.reason, `pid file ${pidFile} names pid ${dead.pid}, not running`);
    watch.stop();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ProcessWatch by command-line match: finds the process, sees it exit", async () => {
  const tag = `${31_000 + Math.floor(Math.random() * 1000)}.5`;
  const child = spawnSleeper(tag);
  // spawn() returns before the child has exec'd sleep: wait for its command line.
  for (let i = 0; i < 200; i++) {
    const cmdline = await Deno.readTextFile(`/proc/${child.pid}/cmdline`).catch(() => "");
    if (cmdline.includes("sleep\0")) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  const r = recorder();
  const watch = new ProcessWatch(
    { match: `(^|/)sleep ${tag.replace(".", "\\.")}$` },
    (s) => r.push(s),
    {
      safetyPollMs: 60_000,
    },
  );
  try {
    await watch.start();
    assert.deepEqual(r.states[0]?.up, true);
    assert.deepEqual(r.states[0]?.pid, child.pid);
    child.kill("SIGKILL");
    const down = await r.next(2);
    assert.deepEqual(down.up, false);
    assert.match(down.reason, new RegExp(`^process ${child.pid} exited`));
  } finally {
    watch.stop();
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
    await child.status;
  }
});
