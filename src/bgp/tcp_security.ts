/**
 * What the socket of one BGP session needs, from its neighbor config:
 *
 * - GTSM (RFC 5082 §3): send TTL 255 and drop what arrives with less than
 *   256 − hops (`ttlSecurity: 1` = directly connected, minimum 255).
 * - eBGP: TTL 1 unless multihop, then `ebgpMultihopTtl` (as BIRD and FRR).
 *   iBGP keeps the system default (64), as BIRD's `multihop 64` default.
 * - TCP MD5 (RFC 2385) from `password` / `passwordFile`; TCP-AO (RFC 5925)
 *   from `tcpAo`. Files are read at each call, so a rotated key is used on
 *   the next connect.
 *
 * @module
 */
import type { NeighborConfig } from "../config/model.ts";
import { resolveSecret } from "../config/secret.ts";
import { tcpAoSupported, tcpAoUnsupportedMessage, type TcpSecurity } from "../net/tcp_security.ts";
import type { BgpConnection, BgpListener, ConnectOptions, Transport } from "./transport.ts";

/** The socket settings for `neighbor` (throws when a key file cannot be read). */
export function tcpSecurityFor(
  neighbor: NeighborConfig,
  localAsn: number,
  readTextFile?: (path: string) => string,
): TcpSecurity {
  const out: TcpSecurity = {};
  if (neighbor.ttlSecurity !== undefined) {
    out.ttl = 255;
    out.minTtl = 256 - neighbor.ttlSecurity;
  } else if (neighbor.asn !== localAsn) {
    out.ttl = neighbor.ebgpMultihopTtl;
  }
  const password = resolveSecret(
    neighbor.password,
    neighbor.passwordFile,
    "passwordFile",
    readTextFile,
  );
  if (password) out.md5Key = password.bytes();
  const ao = neighbor.tcpAo;
  if (ao) {
    const secret = resolveSecret(ao.secret, ao.secretFile, "tcpAo.secretFile", readTextFile);
    if (secret) {
      out.tcpAo = {
        sendId: ao.keyId,
        recvId: ao.rnextKeyId,
        algorithm: ao.algorithm,
        key: secret.bytes(),
      };
    }
  }
  return out;
}

/** A transport whose connects carry `security()` (evaluated at each connect). */
export function withSecurity(transport: Transport, security: () => TcpSecurity): Transport {
  return {
    connect(options: ConnectOptions): Promise<BgpConnection> {
      let s: TcpSecurity;
      try {
        s = options.security ?? security();
      } catch (e) {
        return Promise.reject(
          new Error(
            `Cannot connect to ${options.hostname}:${options.port}: ${
              e instanceof Error ? e.message : e
            }`,
          ),
        );
      }
      return transport.connect({ ...options, security: s });
    },
    listen: (options, onConnection): Promise<BgpListener> =>
      transport.listen(options, onConnection),
  };
}

/**
 * Refuse to start when a neighbor asks for what this host cannot do: a
 * TCP-AO key on a kernel without TCP-AO would otherwise only show as a
 * session that never comes up.
 */
export function assertSecuritySupported(neighbors: readonly NeighborConfig[]): void {
  const ao = neighbors.filter((n) => n.tcpAo !== undefined);
  if (ao.length > 0 && !tcpAoSupported()) {
    throw new Error(
      `Cannot start neighbor ${
        ao.map((n) => n.address).join(", ")
      } with tcpAo: ${tcpAoUnsupportedMessage()}`,
    );
  }
}
