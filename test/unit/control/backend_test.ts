import assert from "node:assert/strict";
import { combineBackend, peerInfoOf } from "../../../src/control/backend.ts";
import { controlHandler } from "../../../src/control/server.ts";
import type { SessionStatus } from "../../../src/bgp/session.ts";
import { FakeBackend } from "./_fake_backend.ts";

Deno.test("combineBackend() keeps class methods of both halves callable", async () => {
  const prefixes = new FakeBackend();
  const sessions = new FakeBackend();
  const backend = combineBackend(prefixes, sessions);
  const h = controlHandler(backend);
  const drained = await h(
    new Request("http://anycast/v1/drain", { method: "POST", body: '{"all":true}' }),
  );
  assert.equal(drained.status, 200);
  await h(new Request("http://anycast/v1/peers/core2/routes"));
  assert.deepEqual(prefixes.calls, ['drain {"all":true}']);
  assert.deepEqual(sessions.calls, ["routes core2 sent"]);
});

Deno.test("peerInfoOf() maps a BGP session status to the API's peer", () => {
  const status: SessionStatus = {
    name: "core1",
    address: "10.0.0.254",
    asn: 64599,
    state: "Established",
    uptimeMs: 61_999,
    prefixesSent: 2,
    prefixesReceived: 1,
    families: ["ipv4-unicast"],
    holdTime: 90,
    keepaliveTime: 30,
    messagesSent: {} as SessionStatus["messagesSent"],
    messagesReceived: {} as SessionStatus["messagesReceived"],
    endOfRibReceived: [],
    flaps: 0,
  };
  assert.deepEqual(peerInfoOf(status, "Up"), {
    name: "core1",
    address: "10.0.0.254",
    asn: 64599,
    state: "Established",
    uptimeSeconds: 61,
    prefixesSent: 2,
    prefixesReceived: 1,
    bfd: "Up",
  });
  const idle = peerInfoOf({ ...status, state: "Idle", lastError: "Hold timer expired" });
  assert.equal(idle.lastError, "Hold timer expired");
  assert.equal(idle.bfd, undefined);
});
