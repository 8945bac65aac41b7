/**
 * The lingering close of tcpTransport on real loopback sockets: a peer that
 * keeps sending (a table flood, as when we hit its prefix limit) and reads
 * only between its writes must neither see its writes fail with a reset
 * (BIRD then drops the session as "Connection reset" without reading our
 * NOTIFICATION) nor lose our last bytes: it reads the NOTIFICATION and a
 * clean end of stream.
 */
import assert from "node:assert/strict";
import { type BgpConnection, tcpTransport } from "../../../../src/bgp/transport.ts";

const NOTIFICATION = new Uint8Array([...new Array(16).fill(0xff), 0, 23, 3, 6, 1, 1, 0, 0, 0, 0]);

Deno.test({
  name: "tcpTransport close() delivers the last bytes to a peer that floods and reads late",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    let accepted: (c: BgpConnection) => void = () => {};
    const ours = new Promise<BgpConnection>((r) => (accepted = r));
    const listener = await tcpTransport.listen({ hostname: "127.0.0.1", port: 0 }, accepted);
    const peer = await Deno.connect({ hostname: "127.0.0.1", port: listener.port });
    try {
      const conn = await ours;
      // The peer floods until told to stop, recording whether a write failed.
      const flood = new Uint8Array(16 * 1024).fill(0x42);
      let stop = false;
      let writeError: unknown;
      const writing = (async () => {
        try {
          while (!stop) {
            await peer.write(flood);
            await new Promise((r) => setTimeout(r, 1));
          }
        } catch (e) {
          writeError = e;
        }
      })();
      await new Promise((r) => setTimeout(r, 100));
      await conn.write(NOTIFICATION);
      conn.close();
      const closedAt = performance.now();
      // The peer is still busy sending for a while after our close.
      await new Promise((r) => setTimeout(r, 300));
      stop = true;
      await writing;
      assert.equal(writeError, undefined, `the peer's writes failed: ${writeError}`);
      const got: number[] = [];
      const buf = new Uint8Array(4096);
      for (;;) {
        const n = await peer.read(buf);
        if (n === null) break;
        got.push(...buf.subarray(0, n));
      }
      assert.deepEqual(got, [...NOTIFICATION]);
      peer.close();
      await conn.finished!();
      assert.ok(performance.now() - closedAt < 5000, "bounded linger");
    } finally {
      try {
        peer.close();
      } catch {
        // closed above
      }
      listener.close();
    }
  },
});
