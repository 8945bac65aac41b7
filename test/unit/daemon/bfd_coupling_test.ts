import assert from "node:assert/strict";
import { FakeClock } from "../../../src/util/clock.ts";
import { BfdManager } from "../../../src/bfd/manager.ts";
import { MemoryNetwork } from "../../../src/bfd/memory_transport.ts";
import { BfdBgpCoupling, type BfdCoupledSpeaker } from "../../../src/daemon/bfd_coupling.ts";
import type { BfdDefaults, NeighborConfig } from "../../../src/config/model.ts";
import { Secret } from "../../../src/config/secret.ts";

const A = "10.255.0.1", B = "10.255.0.2";

const DEFAULTS: BfdDefaults = {
  enabled: true,
  listenAddress: A,
  listenPort: 3784,
  minRxMs: 50,
  minTxMs: 50,
  multiplier: 3,
  passive: false,
  multihop: false,
  holdBgpUntilUp: true,
};

function neighbor(address: string, bfd: boolean, holdBgpUntilUp = true): NeighborConfig {
  const n: NeighborConfig = {
    name: address,
    address,
    asn: 65001,
    port: 179,
    passive: false,
    holdTime: 9,
    keepalive: 3,
    connectRetry: 5,
    ebgpMultihop: false,
    ebgpMultihopTtl: 1,
    families: ["ipv4-unicast"],
  };
  if (bfd) {
    n.bfd = {
      multihop: false,
      minRxMs: 50,
      minTxMs: 50,
      multiplier: 3,
      passive: false,
      holdBgpUntilUp,
    };
  }
  return n;
}

/** A stand-in for the BGP speaker: records what BFD asked of it. */
class FakeSpeaker implements BfdCoupledSpeaker {
  calls: string[] = [];
  bfdDown(peer: string, reason: string): void {
    this.calls.push(`down ${peer} ${reason}`);
  }
  bfdUp(peer: string): void {
    this.calls.push(`up ${peer}`);
  }
}

async function setup(holdBgpUntilUp = true) {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  const ours = new BfdManager({ transport: network.transport(A), clock });
  const theirs = new BfdManager({ transport: network.transport(B), clock });
  await ours.start();
  await theirs.start();
  const speaker = new FakeSpeaker();
  const coupling = new BfdBgpCoupling(ours, speaker, DEFAULTS);
  assert.equal(await coupling.addNeighbor(neighbor(B, true, holdBgpUntilUp)), true);
  return { clock, network, ours, theirs, speaker, coupling };
}

Deno.test("BfdBgpCoupling holds BGP until BFD is Up, then calls bfdUp()", async () => {
  const { clock, theirs, speaker, coupling } = await setup();
  assert.equal(coupling.mayStartBgp(B), false);
  await theirs.addSession(A, { localAddress: B, minTxMs: 50, minRxMs: 50, multiplier: 3 });
  clock.tick(100);
  assert.equal(coupling.mayStartBgp(B), true);
  assert.deepEqual(speaker.calls, [`up ${B}`]);
  assert.equal(coupling.status(B)!.state, "Up");
  assert.equal(coupling.status(B)!.session.detectionTimeMs, 150);
});

Deno.test("BfdBgpCoupling does not hold BGP when holdBgpUntilUp is false", async () => {
  const { coupling } = await setup(false);
  assert.equal(coupling.mayStartBgp(B), true);
  assert.equal(coupling.mayStartBgp("192.0.2.9"), true); // no BFD for that neighbor
});

Deno.test("BfdBgpCoupling calls bfdDown() the moment BFD detects a failure", async () => {
  const { clock, network, theirs, speaker, coupling } = await setup();
  await theirs.addSession(A, { localAddress: B, minTxMs: 50, minRxMs: 50, multiplier: 3 });
  clock.tick(500);
  const cutAt = clock.now();
  network.cut(B, A);
  clock.tick(300);
  assert.deepEqual(speaker.calls, [`up ${B}`, `down ${B} BFD control-detection-time-expired`]);
  assert.equal(coupling.mayStartBgp(B), false);
  const session = coupling.status(B)!.session;
  assert.ok(session.lastChangeAt - cutAt <= 150, `${session.lastChangeAt - cutAt} ms`);
});

Deno.test("BfdBgpCoupling.shutdown() sends AdminDown first; the peer's AdminDown is no failure", async () => {
  const { clock, theirs, speaker, coupling } = await setup();
  const theirStates: string[] = [];
  theirs.onStateChange((c) => theirStates.push(`${c.to}:${c.diagnostic}:${c.notify ?? "-"}`));
  await theirs.addSession(A, { localAddress: B, minTxMs: 50, minRxMs: 50, multiplier: 3 });
  clock.tick(500);
  coupling.shutdown(B);
  clock.tick(10);
  assert.equal(coupling.status(B)!.state, "AdminDown");
  assert.deepEqual(theirStates.at(-1), "Down:neighbor-signaled-session-down:-");
  assert.deepEqual(speaker.calls, [`up ${B}`]); // our own shutdown is not a BFD failure
  coupling.enable(B);
  clock.tick(3000);
  assert.equal(coupling.status(B)!.state, "Up");
});

Deno.test("BfdBgpCoupling.addNeighbor() ignores neighbors without BFD and BFD disabled globally", async () => {
  const clock = new FakeClock();
  const manager = new BfdManager({ transport: new MemoryNetwork({ clock }).transport(A), clock });
  const coupling = new BfdBgpCoupling(manager, new FakeSpeaker(), { ...DEFAULTS, enabled: false });
  assert.equal(await coupling.addNeighbor(neighbor(B, true)), false);
  const coupling2 = new BfdBgpCoupling(manager, new FakeSpeaker(), DEFAULTS);
  assert.equal(await coupling2.addNeighbor(neighbor(B, false)), false);
  assert.equal(manager.sessions().length, 0);
  coupling2.removeNeighbor(B);
});

Deno.test("localAddressFor() keeps the listen address of the peer's family, else the wildcard", async () => {
  const { localAddressFor } = await import("../../../src/daemon/bfd_coupling.ts");
  assert.equal(localAddressFor("192.0.2.1", "192.0.2.9"), "192.0.2.9");
  assert.equal(localAddressFor("2001:db8::1", "192.0.2.9"), "::");
  assert.equal(localAddressFor("192.0.2.1", "2001:db8::9"), "0.0.0.0");
});

for (const [theirs, up] of [["bfd-key-1", true], ["another-k", false]] as const) {
  Deno.test(`BfdBgpCoupling passes the configured BFD auth to the session: peer key ${up ? "equal: Up" : "different: never Up"}`, async () => {
    const clock = new FakeClock();
    const network = new MemoryNetwork({ clock });
    const ours = new BfdManager({ transport: network.transport(A), clock });
    const peer = new BfdManager({ transport: network.transport(B), clock });
    await ours.start();
    await peer.start();
    const n = neighbor(B, true, false);
    n.bfd!.auth = { type: "meticulous-keyed-sha1", keyId: 3, secret: new Secret("bfd-key-1") };
    const coupling = new BfdBgpCoupling(ours, new FakeSpeaker(), DEFAULTS);
    assert.equal(await coupling.addNeighbor(n), true);
    await peer.addSession(A, {
      localAddress: B,
      minTxMs: 50,
      minRxMs: 50,
      multiplier: 3,
      auth: { mode: "meticulous-keyed-sha1", keyId: 3, secret: theirs },
    });
    clock.tick(2000);
    assert.equal(ours.state(B) === "Up", up);
    assert.equal(peer.state(A) === "Up", up);
    coupling.close();
  });
}
