import assert from "node:assert/strict";
import { ttlFromControl, UdpReceiver } from "../../../src/net/udp_receiver.ts";
import type { ReceivedDatagram } from "../../../src/net/udp_receiver.ts";
import { UdpSender } from "../../../src/net/udp_sender.ts";

/** cmsghdr: len u64, level i32, type i32, data (aligned to 8). */
function cmsg(level: number, type: number, value: number): Uint8Array {
  const out = new Uint8Array(24);
  const v = new DataView(out.buffer);
  v.setBigUint64(0, 20n, true);
  v.setInt32(8, level, true);
  v.setInt32(12, type, true);
  v.setInt32(16, value, true);
  return out;
}

Deno.test("ttlFromControl() finds IP_TTL and IPV6_HOPLIMIT among control messages", () => {
  assert.equal(ttlFromControl(cmsg(0, 2, 254)), 254);
  assert.equal(ttlFromControl(cmsg(41, 52, 255)), 255);
  const two = new Uint8Array(48);
  two.set(cmsg(1, 29, 7)); // SOL_SOCKET / SO_TIMESTAMP-like: skipped
  two.set(cmsg(0, 2, 1), 24);
  assert.equal(ttlFromControl(two), 1);
});

Deno.test("ttlFromControl() gives undefined for none, or for a truncated header", () => {
  assert.equal(ttlFromControl(new Uint8Array()), undefined);
  assert.equal(ttlFromControl(cmsg(1, 29, 7)), undefined);
  const bad = cmsg(0, 2, 9);
  new DataView(bad.buffer).setBigUint64(0, 4000n, true);
  assert.equal(ttlFromControl(bad), undefined);
});

function sendWithTtl(to: string, port: number, ttl: number) {
  const s = UdpSender.open({ localAddress: to, localPort: 0, ttl });
  assert.equal(s.send(Uint8Array.of(1, 2, 3), to, port), true);
  s.close();
}

for (const [family, address] of [[4, "127.0.0.1"], [6, "::1"]] as const) {
  Deno.test(`UdpReceiver reports the TTL each IPv${family} datagram arrived with`, async () => {
    const got: ReceivedDatagram[] = [];
    const rx = UdpReceiver.open({ address, port: 0, onDatagram: (d) => got.push(d) });
    try {
      sendWithTtl(address, rx.port, 255);
      sendWithTtl(address, rx.port, 7);
      const end = Date.now() + 3000;
      while (got.length < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(got.map((d) => [d.ttl, d.from, [...d.bytes]]), [
        [255, address, [1, 2, 3]],
        [7, address, [1, 2, 3]],
      ]);
    } finally {
      await rx.close();
    }
  });
}

Deno.test("UdpReceiver: 200 open/close cycles leave the fd count where it was", async () => {
  const count = () => [...Deno.readDirSync("/proc/self/fd")].length;
  await UdpReceiver.open({ address: "127.0.0.1", port: 0, onDatagram: () => {} }).close();
  const before = count();
  for (let i = 0; i < 200; i++) {
    await UdpReceiver.open({ address: "127.0.0.1", port: 0, onDatagram: () => {} }).close();
  }
  assert.equal(count(), before);
});
