/**
 * A sender of unix datagrams (SOCK_DGRAM), the transport of /dev/log and of
 * journald's native socket. Sends are queued so a synchronous log sink can
 * use it; `close()` waits for the queue.
 *
 * @module
 */

export interface DatagramSender {
  /** Queue one datagram; never throws (failures are counted). */
  send(bytes: Uint8Array): void;
  /** Datagrams that could not be delivered. */
  readonly failures: number;
  /** Wait for queued datagrams, then release the socket. */
  close(): Promise<void>;
}

/**
 * Open an unbound (autobound, abstract) unix datagram socket that sends to
 * `path`. Needs `--unstable-net` (deno.json `"unstable": ["net"]`).
 */
export function unixDatagramSender(path: string): DatagramSender {
  if (typeof Deno.listenDatagram !== "function") {
    throw new TypeError(
      'Cannot open a unix datagram socket: run Deno with --unstable-net (deno.json "unstable": ["net"])',
    );
  }
  // An empty path autobinds an abstract address: nothing to clean up on disk.
  const conn = Deno.listenDatagram({ path: "", transport: "unixpacket" });
  let queue: Promise<void> = Promise.resolve();
  let failures = 0;
  return {
    send(bytes) {
      queue = queue.then(() => conn.send(bytes, { transport: "unixpacket", path })).then(
        () => {},
        () => void failures++,
      );
    },
    get failures() {
      return failures;
    },
    async close() {
      await queue;
      conn.close();
    },
  };
}
