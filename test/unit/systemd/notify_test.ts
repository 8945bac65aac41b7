import assert from "node:assert/strict";
import { SystemdNotifier } from "../../../src/systemd/notify.ts";
import { libcDatagramSender, sockaddrUn } from "../../../src/systemd/unix_datagram.ts";
import { FakeClock } from "../../../src/util/clock.ts";
import { DatagramReceiver } from "./_receiver.ts";

Deno.test("SystemdNotifier sends READY, STATUS and STOPPING to a path socket", async () => {
  const dir = await Deno.makeTempDir();
  try {
    using receiver = new DatagramReceiver(`${dir}/notify`);
    const env: Record<string, string> = { NOTIFY_SOCKET: receiver.path };
    const notifier = new SystemdNotifier({ env: (n) => env[n] });
    assert.equal(notifier.enabled, true);
    assert.equal(notifier.ready("2 prefixes announced"), true);
    assert.equal(notifier.status("peer 10.0.0.254\nEstablished"), true);
    assert.equal(notifier.stopping(), true);
    assert.deepEqual(receiver.drain(), [
      "READY=1\nSTATUS=2 prefixes announced\n",
      "STATUS=peer 10.0.0.254 Established\n",
      "STOPPING=1\n",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SystemdNotifier reaches an abstract socket given as @name", () => {
  const name = `@anycast-test-${Deno.pid}-${crypto.randomUUID()}`;
  using receiver = new DatagramReceiver(name);
  const notifier = new SystemdNotifier({ env: (n) => (n === "NOTIFY_SOCKET" ? name : undefined) });
  assert.equal(notifier.ready(), true);
  assert.deepEqual(receiver.drain(), ["READY=1\n"]);
});

Deno.test("SystemdNotifier sends WATCHDOG=1 at half of WATCHDOG_USEC", async () => {
  const dir = await Deno.makeTempDir();
  try {
    using receiver = new DatagramReceiver(`${dir}/notify`);
    const clock = new FakeClock();
    const env: Record<string, string> = {
      NOTIFY_SOCKET: receiver.path,
      WATCHDOG_USEC: "20000000",
      WATCHDOG_PID: "4242",
    };
    const notifier = new SystemdNotifier({ env: (n) => env[n], clock, pid: 4242 });
    assert.equal(notifier.startWatchdog(), 10_000);
    clock.tick(25_000);
    assert.deepEqual(receiver.drain(), ["WATCHDOG=1\n", "WATCHDOG=1\n", "WATCHDOG=1\n"]);
    notifier.stopping();
    clock.tick(30_000);
    assert.deepEqual(receiver.drain(), ["STOPPING=1\n"]);
    assert.equal(clock.pending, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SystemdNotifier leaves the watchdog to the process WATCHDOG_PID names", () => {
  const env: Record<string, string> = { NOTIFY_SOCKET: "/x", WATCHDOG_USEC: "1000000" };
  const mine = new SystemdNotifier({ env: (n) => env[n], pid: 7 });
  assert.equal(mine.watchdogIntervalMs(), 500);
  env.WATCHDOG_PID = "8";
  assert.equal(new SystemdNotifier({ env: (n) => env[n], pid: 7 }).watchdogIntervalMs(), undefined);
  env.WATCHDOG_USEC = "nonsense";
  env.WATCHDOG_PID = "7";
  assert.equal(new SystemdNotifier({ env: (n) => env[n], pid: 7 }).watchdogIntervalMs(), undefined);
});

Deno.test("SystemdNotifier without NOTIFY_SOCKET does nothing", () => {
  const sent: string[] = [];
  const notifier = new SystemdNotifier({
    env: () => undefined,
    sender: { send: (p) => void sent.push(p) },
  });
  assert.equal(notifier.enabled, false);
  assert.equal(notifier.ready(), false);
  assert.equal(notifier.startWatchdog(), undefined);
  assert.deepEqual(sent, []);
});

Deno.test("SystemdNotifier reports a send failure instead of throwing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const errors: string[] = [];
    const notifier = new SystemdNotifier({
      env: (n) => (n === "NOTIFY_SOCKET" ? `${dir}/missing` : undefined),
      onError: (e) => void errors.push(String(e)),
    });
    assert.equal(notifier.ready(), false);
    assert.match(errors[0]!, /Cannot send to .*missing: ENOENT/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sockaddrUn() lays out path and abstract addresses", () => {
  const path = sockaddrUn("/run/n");
  assert.deepEqual([...path.address.subarray(0, 9)], [1, 0, 47, 114, 117, 110, 47, 110, 0]);
  assert.equal(path.length, 2 + 6 + 1);
  const abstract = sockaddrUn("@n");
  assert.deepEqual([...abstract.address.subarray(0, 4)], [1, 0, 0, 110]);
  assert.equal(abstract.length, 4);
  assert.throws(() => sockaddrUn("/" + "x".repeat(107)), /longer than 107 bytes/);
  assert.throws(
    () => libcDatagramSender.send("/" + "x".repeat(200), new Uint8Array(1)),
    RangeError,
  );
});
