/**
 * `anycast peers` shows when the next attempt is due and a max-prefix hold;
 * `anycast announce --reset-peer` / `POST /v1/peers/P/reset` releases the hold.
 */
import assert from "node:assert/strict";
import { peerInfoOf, type SessionStatusShape } from "../../../src/control/backend.ts";
import { formatPeers, peerState } from "../../../src/control/format.ts";
import { controlHandler, ControlServer } from "../../../src/control/server.ts";
import { runCli } from "../../../src/cli/mod.ts";
import type { PeerInfo } from "../../../src/control/types.ts";
import { FakeBackend } from "./_fake_backend.ts";

const idlePeer: PeerInfo = {
  name: "core1",
  address: "10.0.0.254",
  asn: 64599,
  state: "Idle",
  prefixesSent: 0,
  prefixesReceived: 0,
};

const idle: SessionStatusShape = {
  name: "core1",
  address: "10.0.0.254",
  asn: 64599,
  state: "Idle",
  prefixesSent: 0,
  prefixesReceived: 0,
};

Deno.test("peerInfoOf() carries the next attempt, recent flaps and the max-prefix hold", () => {
  assert.deepEqual(
    peerInfoOf({ ...idle, nextAttemptInMs: 3_200, recentFlaps: 4 }),
    { ...idle, nextAttemptSeconds: 4, recentFlaps: 4 },
  );
  const held = peerInfoOf({
    ...idle,
    nextAttemptInMs: 299_500,
    maxPrefixesHold: { remainingMs: 299_500 },
  });
  assert.deepEqual(held.maxPrefixesHold, { remainingSeconds: 300 });
  assert.deepEqual(peerInfoOf({ ...idle, maxPrefixesHold: {} }).maxPrefixesHold, {});
});

Deno.test("peerState() says when the next attempt is due, or why there is none", () => {
  assert.equal(peerState({ ...idlePeer, nextAttemptSeconds: 4 }), "Idle (next attempt in 4s)");
  assert.equal(
    peerState({ ...idlePeer, state: "Connect", nextAttemptSeconds: 30, recentFlaps: 5 }),
    "Connect (next attempt in 30s, 5 recent flaps)",
  );
  assert.equal(
    peerState({ ...idlePeer, nextAttemptSeconds: 299, maxPrefixesHold: { remainingSeconds: 299 } }),
    "Idle (max-prefix hold, restart in 00:04:59)",
  );
  assert.equal(
    peerState({ ...idlePeer, maxPrefixesHold: {} }),
    "Idle (max-prefix hold until reset)",
  );
  assert.equal(
    peerState({ ...idlePeer, state: "Established", nextAttemptSeconds: 3 }),
    "Established",
  );
  assert.match(
    formatPeers([{ ...idlePeer, nextAttemptSeconds: 4 }]),
    /10\.0\.0\.254 \(core1\)|core1 \(10\.0\.0\.254\)/,
  );
});

Deno.test("POST /v1/peers/P/reset releases a held neighbor; unknown peers get 404", async () => {
  const backend = new FakeBackend();
  const h = controlHandler(backend);
  const post = (path: string) => h(new Request(`http://anycast${path}`, { method: "POST" }));
  const ok = await post("/v1/peers/10.0.0.254/reset");
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { ok: true, peer: "10.0.0.254", released: true });
  const notHeld = await post("/v1/peers/core2/reset");
  assert.deepEqual(await notHeld.json(), { ok: true, peer: "core2", released: false });
  const unknown = await post("/v1/peers/nobody/reset");
  assert.equal(unknown.status, 404);
  assert.equal((await h(new Request("http://anycast/v1/peers/core2/reset"))).status, 405);
});

Deno.test("anycast announce --reset-peer reaches the daemon", async () => {
  const dir = await Deno.makeTempDir({ prefix: "anycast-cli-" });
  const backend = new FakeBackend();
  const server = await ControlServer.start({ socket: `${dir}/anycast.sock` }, backend);
  const out: string[] = [];
  const err: string[] = [];
  const ctx = {
    out: (t: string) => void out.push(t),
    err: (t: string) => void err.push(t),
    env: (_: string) => undefined,
    signal: new AbortController().signal,
  };
  try {
    const args = ["announce", "--reset-peer", "10.0.0.254", "--socket", server.socketPath];
    assert.equal(await runCli(args, ctx), 0, err.join(""));
    assert.equal(out.join(""), "restarted: 10.0.0.254\n");
    assert.deepEqual(backend.calls, ["resetPeer 10.0.0.254"]);
    assert.equal(
      await runCli(
        ["announce", "--reset-peer", "x", "192.0.2.1/32", "--socket", "/nonexistent"],
        ctx,
      ),
      2,
    );
    assert.match(err.join(""), /--reset-peer takes a peer and nothing else/);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
