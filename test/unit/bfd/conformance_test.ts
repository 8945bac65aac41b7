/**
 * RFC 5880 deviations closed by issue 13 (items 12 and 13). docs/bfd.md lists
 * the same rows.
 */
import assert from "node:assert/strict";
import { BfdKeyedAuthenticator } from "../../../src/bfd/auth.ts";
import {
  type BfdControlPacket,
  BfdState,
  decodeControlPacket,
  encodeControlPacket,
} from "../../../src/bfd/packet.ts";
import { BfdSession } from "../../../src/bfd/session.ts";
import { StallClock } from "./_harness.ts";

const FROM_PEER: BfdControlPacket = {
  diagnostic: 0,
  state: BfdState.Down,
  poll: false,
  final: false,
  controlPlaneIndependent: false,
  demand: false,
  multipoint: false,
  detectMultiplier: 3,
  myDiscriminator: 9,
  yourDiscriminator: 0,
  desiredMinTxUs: 1_000_000,
  requiredMinRxUs: 50_000,
  requiredMinEchoRxUs: 0,
};

function session(clock: StallClock, sent: BfdControlPacket[], auth?: BfdKeyedAuthenticator) {
  const s = new BfdSession({
    peer: "10.0.0.2",
    localDiscriminator: 7,
    desiredMinTxMs: 50,
    requiredMinRxMs: 50,
    multiplier: 3,
    clock,
    sender: { send: (bytes) => sent.push(decodeControlPacket(bytes)) },
    ...(auth ? { auth } : {}),
  });
  s.start();
  return s;
}

Deno.test("an AdminDown session discards a Poll without answering Final or restarting detection (RFC 5880 §6.8.6)", () => {
  const clock = new StallClock();
  const sent: BfdControlPacket[] = [];
  const s = session(clock, sent);
  s.adminDown();
  assert.equal(s.state, BfdState.AdminDown);
  const sentBefore = sent.length;
  const timersBefore = clock.inner.pending;
  const reason = s.receive({ ...FROM_PEER, poll: true });
  assert.equal(reason, "admin-down");
  assert.equal(s.state, BfdState.AdminDown);
  assert.deepEqual(sent.slice(sentBefore).filter((p) => p.final), [], "no Final answered");
  assert.equal(clock.inner.pending, timersBefore, "no detection timer armed");
});

Deno.test("bfd.AuthSeqKnown survives one Detection Time and is reset after two (RFC 5880 §6.8.1)", () => {
  const clock = new StallClock();
  const config = { mode: "keyed-md5" as const, keyId: 1, secret: "s3cret" };
  const rx = new BfdKeyedAuthenticator(config, 1);
  const s = session(clock, [], rx);
  const signed = (seq: number) => {
    const tx = new BfdKeyedAuthenticator(config, seq - 1); // sign() increments first
    const bytes = encodeControlPacket(tx.sign(FROM_PEER));
    return [decodeControlPacket(bytes), bytes] as const;
  };
  // Detection Time: the peer's multiplier 3 × its 1 s DesiredMinTx = 3 s.
  assert.equal(s.receive(...signed(1000)), undefined);
  assert.equal(rx.state.seqKnown, true);
  clock.tick(4000); // one Detection Time (3 s) has passed, two (6 s) have not
  assert.equal(s.receive(...signed(1100)), "auth-mismatch", "sequence still known");
  clock.tick(2500); // 6.5 s after the last valid packet
  assert.equal(
    s.receive(...signed(1200)),
    undefined,
    "sequence forgotten after 2 × Detection Time",
  );
  assert.equal(rx.state.rcvSeq, 1200);
});
