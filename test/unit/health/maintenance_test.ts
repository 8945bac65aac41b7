import assert from "node:assert/strict";
import { denoFileProbe, MaintenanceWatcher } from "../../../src/health/maintenance.ts";
import { FakeClock } from "../../../src/util/clock.ts";
import { flush } from "./_fixtures.ts";

Deno.test("MaintenanceWatcher reports the initial state and each change once", async () => {
  const clock = new FakeClock();
  const files = new Set<string>(["/m/a"]);
  const seen: string[] = [];
  const watcher = new MaintenanceWatcher(
    [{ prefix: "192.0.2.1/32", path: "/m/a" }, { prefix: "192.0.2.2/32", path: "/m/b" }],
    (prefix, exists) => void seen.push(`${prefix}=${exists}`),
    { clock, fs: { exists: (p) => Promise.resolve(files.has(p)) } },
  );
  await watcher.start();
  assert.deepEqual(seen, ["192.0.2.1/32=true", "192.0.2.2/32=false"]);
  clock.tick(1000);
  await flush();
  assert.equal(seen.length, 2);
  files.delete("/m/a");
  files.add("/m/b");
  clock.tick(1000);
  await flush();
  assert.deepEqual(seen.slice(2), ["192.0.2.1/32=false", "192.0.2.2/32=true"]);
  watcher.stop();
  assert.equal(clock.pending, 0);
});

Deno.test("MaintenanceWatcher keeps the last state when stat fails", async () => {
  const clock = new FakeClock();
  const errors: string[] = [];
  let fail = false;
  const seen: boolean[] = [];
  const watcher = new MaintenanceWatcher(
    [{ prefix: "p", path: "/m/a" }],
    (_, exists) => void seen.push(exists),
    {
      clock,
      fs: { exists: () => fail ? Promise.reject(new Error("EACCES")) : Promise.resolve(true) },
      onError: (path) => void errors.push(path),
    },
  );
  await watcher.start();
  fail = true;
  clock.tick(1000);
  await flush();
  assert.deepEqual(seen, [true]);
  assert.deepEqual(errors, ["/m/a"]);
  watcher.stop();
});

Deno.test("denoFileProbe.exists() tells a present file from a missing one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.equal(await denoFileProbe.exists(`${dir}/maintenance`), false);
    await Deno.writeTextFile(`${dir}/maintenance`, "");
    assert.equal(await denoFileProbe.exists(`${dir}/maintenance`), true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("MaintenanceWatcher reports nothing from a check still running when it was stopped (reload)", async () => {
  const clock = new FakeClock();
  let answer: ((exists: boolean) => void) | undefined;
  let slow = false;
  const seen: string[] = [];
  const watcher = new MaintenanceWatcher(
    [{ prefix: "192.0.2.1/32", path: "/m/a" }],
    (prefix, exists) => void seen.push(`${prefix}=${exists}`),
    {
      clock,
      fs: {
        exists: () =>
          slow ? new Promise<boolean>((resolve) => (answer = resolve)) : Promise.resolve(false),
      },
    },
  );
  await watcher.start();
  slow = true;
  clock.tick(1000);
  await flush();
  assert.ok(answer, "a check is in flight");
  // A reload stops this watcher (and starts one for the new config) mid-check.
  watcher.stop();
  answer!(true);
  await flush();
  assert.deepEqual(seen, ["192.0.2.1/32=false"]);
  assert.equal(clock.pending, 0);
});

Deno.test("MaintenanceWatcher with watchFs sees a touched and a removed file at once, the poll an hour away", async () => {
  const dir = await Deno.makeTempDir({ prefix: "anycast-maint-" });
  const path = `${dir}/maintenance`;
  const seen: boolean[] = [];
  const watcher = new MaintenanceWatcher(
    [{ prefix: "p", path }, { prefix: "q", path: `${dir}/missing-dir/maintenance` }],
    (prefix, exists) => void (prefix === "p" && seen.push(exists)),
    { watchFs: true, intervalMs: 3_600_000 },
  );
  const until = async (n: number) => {
    const end = Date.now() + 5000;
    while (seen.length < n) {
      if (Date.now() > end) throw new Error(`no change #${n} within 5 s`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  try {
    await watcher.start();
    assert.deepEqual(seen, [false]);
    await Deno.writeTextFile(path, "");
    await until(2);
    await Deno.remove(path);
    await until(3);
    assert.deepEqual(seen, [false, true, false]);
  } finally {
    watcher.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
