/**
 * The BGP transport on our own sockets (`src/net/tcp.ts`): TTL, GTSM (RFC
 * 5082), TCP MD5 (RFC 2385) and TCP-AO (RFC 5925) are set before the first
 * segment, then the fd is handed to `node:net`'s stream, so reading, writing,
 * back-pressure and close are exactly those of the `node:net` transport.
 *
 * @module
 */
import net from "node:net";
import { type ConnectedFd, ConnectError, connectFd, NativeListener } from "../net/tcp.ts";
import {
  type BgpConnection,
  type BgpListener,
  type ConnectOptions,
  type ListenOptions,
  TcpConnection,
  type Transport,
} from "./transport.ts";

export interface NativeTransportOptions {
  /** Where the "check the password" hint goes (default: nowhere). */
  log?: (level: "debug" | "info" | "warning" | "error", message: string) => void;
  /** Unanswered connects in a row to a keyed peer before the hint is logged (default 3). */
  noAnswerHintAfter?: number;
}

function wrap(conn: ConnectedFd): BgpConnection {
  const socket = new net.Socket({ fd: conn.fd, readable: true, writable: true });
  return new TcpConnection(socket, conn);
}

/** A transport whose sockets are made through libc. */
export function nativeTransport(options: NativeTransportOptions = {}): Transport {
  const hintAfter = options.noAnswerHintAfter ?? 3;
  const unanswered = new Map<string, number>();
  return {
    async connect(o: ConnectOptions): Promise<BgpConnection> {
      const where = `${o.hostname}:${o.port}`;
      try {
        const conn = await connectFd({
          hostname: o.hostname,
          port: o.port,
          ...(o.localAddress ? { localAddress: o.localAddress } : {}),
          ...(o.security ? { security: o.security } : {}),
          ...(o.signal ? { signal: o.signal } : {}),
        });
        unanswered.delete(where);
        return wrap(conn);
      } catch (e) {
        const keyed = o.security?.md5Key !== undefined || o.security?.tcpAo !== undefined;
        if (e instanceof ConnectError && e.noAnswer && keyed) {
          // Linux drops segments with a missing or wrong signature without a word
          // (RFC 2385 §3.2, RFC 5925 §7.3): silence is all we see.
          const n = (unanswered.get(where) ?? 0) + 1;
          unanswered.set(where, n);
          if (n % hintAfter === 0) {
            const kind = o.security?.md5Key ? "TCP MD5 password" : "TCP-AO key";
            options.log?.(
              "warning",
              `no answer from ${where} after ${n} attempts; check the ${kind} (the peer's kernel drops badly signed segments silently)`,
            );
          }
        }
        throw e;
      }
    },

    listen(o: ListenOptions, onConnection: (conn: BgpConnection) => void): Promise<BgpListener> {
      try {
        const listener = NativeListener.open({
          hostname: o.hostname,
          port: o.port,
          ...(o.peers ? { peers: o.peers } : {}),
          onConnection: (conn) => onConnection(wrap(conn)),
          onError: (e) =>
            options.log?.("warning", `listener ${o.hostname}:${o.port}: ${e.message}`),
        });
        return Promise.resolve({
          hostname: listener.hostname,
          port: listener.port,
          setPeers: (peers) => listener.setPeers(peers),
          close: () => void listener.close(),
        });
      } catch (e) {
        return Promise.reject(e);
      }
    },
  };
}
