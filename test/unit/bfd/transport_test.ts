import assert from "node:assert/strict";
import dgram from "node:dgram";
import { BfdManager } from "../../../src/bfd/manager.ts";
import { UdpTransport } from "../../../src/bfd/transport.ts";
import { decodeControlPacket } from "../../../src/bfd/packet.ts";

// Real sockets on unique loopback addresses and a free high port (this test sleeps: it is about sockets).
const A = "127.0.0.71", B = "127.0.0.72";

async function freePort(address: string): Promise<number> {
  const socket = dgram.createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, address, () => resolve()));
  const port = socket.address().port;
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

async function waitFor(what: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}

Deno.test("UdpTransport brings two managers Up over loopback UDP", async () => {
  const port = await freePort(A);
  const a = new BfdManager({
    transport: new UdpTransport({ listenAddress: A, singleHopPort: port, multihopPort: 0 }),
  });
  const b = new BfdManager({
    transport: new UdpTransport({ listenAddress: B, singleHopPort: port, multihopPort: 0 }),
  });
  try {
    await a.start();
    await b.start();
    await a.addSession(B, { localAddress: A, minTxMs: 50, minRxMs: 50, multiplier: 3 });
    await b.addSession(A, { localAddress: B, minTxMs: 50, minRxMs: 50, multiplier: 3 });
    await waitFor(() => a.state(B) === "Up" && b.state(A) === "Up", 3000);
    assert.equal(a.session(B)!.remoteDiscriminator, b.session(A)!.localDiscriminator);
  } finally {
    await a.close();
    await b.close();
  }
});

Deno.test("UdpTransport sends from one port in 49152-65535 for the whole session (RFC 5881 §4)", async () => {
  const port = await freePort(B);
  const receiver = dgram.createSocket("udp4");
  const seen: { port: number; address: string; state: number }[] = [];
  receiver.on("message", (msg, rinfo) => {
    seen.push({
      port: rinfo.port,
      address: rinfo.address,
      state: decodeControlPacket(new Uint8Array(msg)).state,
    });
  });
  await new Promise<void>((resolve) => receiver.bind(port, B, () => resolve()));
  const transport = new UdpTransport({
    listenAddress: A,
    singleHopPort: await freePort(A),
    multihopPort: 0,
    peerSingleHopPort: port,
  });
  try {
    const sender = await transport.openSender({ peer: B, localAddress: A, multihop: false });
    const a = new BfdManager({ transport });
    await a.start();
    await a.addSession(B, { localAddress: A, minTxMs: 50, minRxMs: 50, multiplier: 3 });
    a.adminDown(B); // sends at once
    await waitFor(() => seen.length >= 2, 3000);
    await a.close();
    await sender.close();
  } finally {
    receiver.close();
    await transport.close();
  }
  const ports = new Set(seen.map((s) => s.port));
  assert.equal(ports.size, 1);
  const [sourcePort] = ports;
  assert.ok(sourcePort! >= 49152 && sourcePort! <= 65535, `source port ${sourcePort}`);
  assert.ok(seen.every((s) => s.address === A));
});

Deno.test("UdpTransport runs RFC 5883 multihop sessions on the multihop port", async () => {
  const A2 = "127.0.0.73", B2 = "127.0.0.74";
  const port = await freePort(A2);
  const options = (listenAddress: string) => ({
    listenAddress,
    singleHopPort: 0,
    multihopPort: port,
  });
  const a = new BfdManager({ transport: new UdpTransport(options(A2)) });
  const b = new BfdManager({ transport: new UdpTransport(options(B2)) });
  try {
    await a.start();
    await b.start();
    const timers = { minTxMs: 50, minRxMs: 50, multiplier: 3, multihop: true };
    await a.addSession(B2, { localAddress: A2, ...timers });
    await b.addSession(A2, { localAddress: B2, ...timers });
    await waitFor(() => a.state(B2) === "Up" && b.state(A2) === "Up", 3000);
    assert.deepEqual(withoutOwnStalls(a.drops()), {});
  } finally {
    await a.close();
    await b.close();
  }
});

Deno.test("UdpTransport runs sessions over IPv6 beside an IPv4 listener", async () => {
  const ports = [await freePort("127.0.0.75"), await freePort("127.0.0.76")];
  const manager = (own: number, peer: number, v4: string) =>
    new BfdManager({
      transport: new UdpTransport({
        listenAddress: [v4, "::1"],
        singleHopPort: own,
        peerSingleHopPort: peer,
        multihopPort: 0,
      }),
    });
  // Both ends are ::1 (the only IPv6 loopback address), told apart by port.
  const a = manager(ports[0]!, ports[1]!, "127.0.0.75");
  const b = manager(ports[1]!, ports[0]!, "127.0.0.76");
  try {
    await a.start();
    await b.start();
    const timers = { minTxMs: 50, minRxMs: 50, multiplier: 3 };
    await a.addSession("::1", { localAddress: "::1", ...timers });
    await b.addSession("::1", { localAddress: "::1", ...timers });
    await waitFor(() => a.state("::1") === "Up" && b.state("::1") === "Up", 3000);
    assert.deepEqual(withoutOwnStalls(a.drops()), {});
  } finally {
    await a.close();
    await b.close();
  }
});

/**
 * Drops for a reason other than our own event-loop stall: on a loaded machine
 * a packet delayed by our stall is dropped on purpose ("stale-after-stall").
 */
function withoutOwnStalls(drops: Record<string, number>): Record<string, number> {
  const { "stale-after-stall": _ours, ...rest } = drops;
  return rest;
}

for (const [local, peer] of [["127.0.0.73", "127.0.0.74"], ["::1", "::1"]] as const) {
  Deno.test(`UdpTransport sends with TTL 255 and reports each packet's TTL on receipt (${local})`, async () => {
    const port = await freePort("127.0.0.1");
    const rx = new UdpTransport({ listenAddress: peer, singleHopPort: port, multihopPort: 0 });
    const tx = new UdpTransport({ listenAddress: local, peerSingleHopPort: port, multihopPort: 0 });
    assert.equal(rx.readsTtl, true);
    const got: { ttl?: number; from: string }[] = [];
    await rx.listen((d) =>
      got.push({ from: d.from, ...(d.ttl !== undefined ? { ttl: d.ttl } : {}) })
    );
    const sender = await tx.openSender({ peer, localAddress: local, multihop: false });
    try {
      sender.send(Uint8Array.of(1, 2, 3));
      await waitFor(() => got.length > 0, 3000);
      assert.deepEqual(got[0], { from: local, ttl: 255 });
    } finally {
      await sender.close();
      await rx.close();
      await tx.close();
    }
  });
}
