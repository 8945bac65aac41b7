/** The live-session fuzz harness (scripts/fuzz_session.ts), bounded, and the bugs it found. */
import assert from "node:assert/strict";
import { fuzzSession } from "../../../../scripts/fuzz_session.ts";
import { BgpSession } from "../../../../src/bgp/session.ts";
import { memoryPipe, type Transport } from "../../../../src/bgp/transport.ts";
import { decodeMessage, encodeMessage } from "../../../../src/bgp/message/codec.ts";
import { messageLength } from "../../../../src/bgp/message/header.ts";
import { type BgpMessage, DEFAULT_OPEN_CONTEXT } from "../../../../src/bgp/message/types.ts";
import { FakeClock } from "../../../../src/util/clock.ts";
import { flush, neighbor } from "./_net.ts";

const test = (name: string, fn: () => Promise<void>) =>
  Deno.test({ name, sanitizeOps: false, sanitizeResources: false, fn });

test("fuzzSession() feeds 2,000 messages to a live session: no failure, every state reached", async () => {
  const report = await fuzzSession({ messages: 2_000, seed: 7 });
  assert.deepEqual(report.failures, []);
  assert.equal(report.failureCount, 0);
  assert.ok(report.messages >= 2_000);
  assert.ok(report.perState.OpenSent > 0, "OpenSent fuzzed");
  assert.ok(report.perState.OpenConfirm > 0, "OpenConfirm fuzzed");
  assert.ok(report.perState.Established > 0, "Established fuzzed");
  assert.ok(report.accepted > 0, "some messages accepted");
  assert.ok(report.treatAsWithdraw > 0, "some UPDATEs treated as withdraw (RFC 7606)");
  assert.ok(Object.keys(report.notifications).length > 5, "several NOTIFICATION kinds");
  assert.ok(report.reestablishments > 10, "re-established after resets");
  assert.ok(report.pings > 0 && report.watchdogChecks > 0, "liveness checked");
  assert.ok(report.openContinued > 0, "a session went on with a fuzzed OPEN's negotiation");
  assert.ok((report.notifications["6/1"] ?? 0) > 0, "the prefix limit tripped (Cease 6/1)");
  assert.ok(report.holdExpiries > 0, "the hold timer expired when the peer fell silent");
});

test("fuzzSession() with the same seed gives the same figures", async () => {
  const a = await fuzzSession({ messages: 500, seed: 3 });
  const b = await fuzzSession({ messages: 500, seed: 3 });
  assert.deepEqual(
    [a.framesProcessed, a.accepted, a.notifications, a.reestablishments],
    [b.framesProcessed, b.accepted, b.notifications, b.reestablishments],
  );
});

test("fuzzSession() over loopback TCP: the raw-socket peer gets only valid replies", async () => {
  const report = await fuzzSession({ messages: 200, seed: 11, transport: "tcp" });
  assert.deepEqual(report.failures, []);
  assert.ok(report.messages >= 200);
  assert.ok(report.reestablishments > 0);
});

test("fuzzSession() flags a session whose NOTIFICATION has an undefined subcode", async () => {
  const report = await fuzzSession({
    messages: 300,
    seed: 1,
    // Subcode 99 in every NOTIFICATION the session sends.
    tamperReplies: (bytes) => {
      if (bytes[18] === 3 && bytes.length >= 21) bytes[20] = 99;
      return bytes;
    },
  });
  assert.ok(report.failureCount > 0);
  assert.ok(report.failures.some((f) => /invalid NOTIFICATION \d\/99/.test(f.error)));
});

test("fuzzSession() flags a session that stops answering as a hang", async () => {
  const report = await fuzzSession({
    messages: 300,
    seed: 1,
    stepTimeoutMs: 20,
    // ROUTE-REFRESH replies (the pings' BoRR/EoRR) never leave the session.
    tamperReplies: (bytes) => bytes[18] === 5 ? undefined : bytes,
  });
  assert.ok(report.failures.some((f) => f.error.startsWith("hang: no answer to a ROUTE-REFRESH")));
});

/** Reads raw frames from one end without any length limit, to see what really went out. */
async function rawFrames(read: () => Promise<Uint8Array | null>): Promise<Uint8Array[]> {
  let buffer = new Uint8Array(0);
  for (;;) {
    const chunk = await read();
    if (chunk === null) break;
    const joined = new Uint8Array(buffer.length + chunk.length);
    joined.set(buffer);
    joined.set(chunk, buffer.length);
    buffer = joined;
  }
  const frames: Uint8Array[] = [];
  for (let at = 0; at + 19 <= buffer.length;) {
    const length = (buffer[at + 16]! << 8) | buffer[at + 17]!;
    frames.push(buffer.slice(at, at + length));
    at += length;
  }
  return frames;
}

test("BgpSession keeps the NOTIFICATION for a 4096-octet ROUTE-REFRESH within 4096 octets", async () => {
  // Found by the session fuzzer: 7/1 quotes the whole message (RFC 7313 §5), which made a
  // 4117-octet NOTIFICATION that no peer can frame.
  const clock = new FakeClock(1_000);
  const refuse: Transport = {
    connect: () => Promise.reject(new Error("passive")),
    listen: () => Promise.reject(new Error("unused")),
  };
  const session = new BgpSession({
    localAsn: 64600,
    routerId: "10.0.0.1",
    neighbor: neighbor({ address: "127.0.0.2", passive: true }),
    transport: refuse,
    clock,
  });
  session.start();
  const [mine, theirs] = memoryPipe(["127.0.0.1", 179], ["127.0.0.2", 40000]);
  session.acceptIncoming(mine);
  const frames = rawFrames(() => theirs.read());
  const send = (m: BgpMessage) => theirs.write(encodeMessage(m, DEFAULT_OPEN_CONTEXT));
  await send({
    type: "open",
    version: 4,
    asn: 65001,
    holdTime: 9,
    bgpId: "10.0.0.2",
    capabilities: [{ kind: "multiprotocol", afi: 1, safi: 1 }],
  });
  await send({ type: "keepalive" });
  await flush();
  assert.equal(session.state, "Established");
  const huge = new Uint8Array(4096).fill(0xff);
  // A BoRR (subtype 1): only BoRR/EoRR of the wrong length earn 7/1 (RFC 7313 §5).
  huge.set([0x10, 0x00, 5, 0, 1, 1, 1], 16);
  await theirs.write(huge);
  const all = await frames;
  const last = all.at(-1)!;
  assert.ok(last.length <= 4096, `NOTIFICATION of ${last.length} octets`);
  assert.equal(messageLength(last, 4096), last.length);
  const n = decodeMessage(last, DEFAULT_OPEN_CONTEXT).message;
  assert.ok(n.type === "notification");
  assert.deepEqual([n.code, n.subcode], [7, 1]);
  assert.deepEqual(n.data, huge.subarray(0, 4096 - 21));
  assert.equal(session.state, "Idle");
  session.stop();
});
