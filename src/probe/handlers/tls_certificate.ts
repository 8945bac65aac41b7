/**
 * anycastd `tls_certificate`: read the leaf certificate from a PEM file or
 * from a TLS server (with SNI) and check its validity window, names and
 * issuer. The leaf is the first certificate that is not a CA, as in
 * anycastd, so a bundle with intermediates is judged by its server
 * certificate.
 *
 * @module
 */
import { X509Certificate } from "node:crypto";
import tls from "node:tls";
import { isIP } from "node:net";
import type { TlsCertificateHandler } from "../../config/model.ts";
import { errorText } from "../result.ts";
import { joinHostPort, whenAborted } from "./_net.ts";
import type { TryOutcome } from "./_retry.ts";

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export function parsePemBundle(text: string): X509Certificate[] {
  return (text.match(PEM_BLOCK) ?? []).map((pem) => new X509Certificate(pem));
}

/** The server certificate of a chain: the first one that is not a CA. */
export function pickLeaf(chain: X509Certificate[]): X509Certificate | undefined {
  return chain.find((c) => !c.ca);
}

/** Value of one attribute ("CN") in a node:crypto distinguished name ("C=X\nCN=name"). */
export function dnAttribute(dn: string, key: string): string | undefined {
  for (const line of dn.split("\n")) {
    const at = line.indexOf("=");
    if (at > 0 && line.slice(0, at).trim() === key) return line.slice(at + 1).trim();
  }
  return undefined;
}

/** SAN entries of one kind: "DNS" or "IP Address". */
export function sanEntries(cert: X509Certificate, kind: "DNS" | "IP Address"): string[] {
  const san = cert.subjectAltName ?? "";
  return san.split(/,\s*/).filter((e) => e.startsWith(`${kind}:`)).map((e) =>
    e.slice(kind.length + 1).trim()
  );
}

function normaliseIp(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  // Expand then compress so "0:0::1" and "::1" compare equal.
  try {
    return new URL(`http://[${ip}]/`).hostname.replace(/^\[|\]$/g, "");
  } catch {
    return ip.toLowerCase();
  }
}

/** Check one certificate against the handler's expectations at `nowMs` (wall clock). */
export function judgeCertificate(
  cert: X509Certificate,
  h: TlsCertificateHandler,
  nowMs: number,
  source: string,
): TryOutcome {
  const notBefore = Date.parse(cert.validFrom);
  const notAfter = Date.parse(cert.validTo);
  const expiresInSeconds = Math.floor((notAfter - nowMs) / 1000);
  const figures = {
    certificateExpiresInSeconds: expiresInSeconds,
    notAfterUnixSeconds: Math.floor(notAfter / 1000),
  };
  const cn = dnAttribute(cert.subject, "CN") ?? "";
  const who = `certificate "${cn}" from ${source}`;
  const fail = (why: string): TryOutcome => ({ ok: false, reason: `${who} ${why}`, figures });
  if (nowMs < notBefore) return fail(`is not valid before ${new Date(notBefore).toISOString()}`);
  if (nowMs >= notAfter) {
    return fail(
      `expired ${new Date(notAfter).toISOString()} (${
        Math.round(-expiresInSeconds / 86400 * 10) / 10
      } days ago)`,
    );
  }
  if (h.expiryWarningMs > 0 && notAfter - nowMs <= h.expiryWarningMs) {
    return fail(
      `expires ${new Date(notAfter).toISOString()}, within the ${
        Math.round(h.expiryWarningMs / 86_400_000 * 10) / 10
      }-day warning window`,
    );
  }
  if (h.commonName !== undefined && h.commonName !== cn) {
    return fail(`has common name "${cn}", expected "${h.commonName}"`);
  }
  const dnsNames = new Set(sanEntries(cert, "DNS"));
  for (const name of h.dnsNames) {
    if (!dnsNames.has(name)) {
      return fail(`lacks DNS name ${name} (has ${[...dnsNames].join(", ") || "none"})`);
    }
  }
  const ips = new Set(sanEntries(cert, "IP Address").map(normaliseIp));
  for (const ip of h.ipAddresses) {
    if (!ips.has(normaliseIp(ip))) {
      return fail(`lacks IP address ${ip} (has ${[...ips].join(", ") || "none"})`);
    }
  }
  const issuer = dnAttribute(cert.issuer, "CN") ?? "";
  if (h.issuer !== undefined && h.issuer !== issuer) {
    return fail(`was issued by "${issuer}", expected "${h.issuer}"`);
  }
  const days = Math.floor(expiresInSeconds / 86400);
  return { ok: true, reason: `${who} valid, expires in ${days} days`, figures };
}

/** The peer's chain (leaf first) from a TLS handshake; verification as asked. */
export function fetchRemoteChain(
  host: string,
  port: number,
  serverName: string | undefined,
  insecure: boolean,
  signal: AbortSignal,
): Promise<X509Certificate[]> {
  return new Promise((resolve, reject) => {
    const sni = serverName ?? (isIP(host) === 0 ? host : undefined);
    const socket = tls.connect({
      host,
      port,
      ...(sni !== undefined ? { servername: sni } : {}),
      rejectUnauthorized: !insecure,
    }, () => {
      try {
        const chain: X509Certificate[] = [];
        const seen = new Set<string>();
        // deno-lint-ignore no-explicit-any
        let peer: any = socket.getPeerCertificate(true);
        while (peer && peer.raw && !seen.has(peer.fingerprint256)) {
          seen.add(peer.fingerprint256);
          chain.push(new X509Certificate(peer.raw));
          peer = peer.issuerCertificate;
        }
        resolve(chain);
      } catch (e) {
        reject(e);
      } finally {
        socket.end();
        socket.destroy();
      }
    });
    socket.on("error", reject);
    whenAborted(signal).then(() => {
      socket.destroy();
      reject(new DOMException("no TLS handshake", "TimeoutError"));
    });
  });
}

export async function tlsTry(
  h: TlsCertificateHandler,
  signal: AbortSignal,
  nowMs: () => number = Date.now,
): Promise<TryOutcome> {
  let chain: X509Certificate[];
  let source: string;
  try {
    if (h.local !== undefined) {
      source = h.local.path;
      chain = parsePemBundle(await Deno.readTextFile(h.local.path));
      if (chain.length === 0) {
        return { ok: false, reason: `${source} holds no PEM certificate`, figures: {} };
      }
    } else if (h.remote !== undefined) {
      source = joinHostPort(h.remote.host, h.remote.port);
      chain = await fetchRemoteChain(
        h.remote.host,
        h.remote.port,
        h.remote.serverName,
        h.remote.insecure ?? false,
        signal,
      );
    } else {
      return {
        ok: false,
        reason: "tls_certificate needs a local path or a remote host",
        figures: {},
      };
    }
  } catch (e) {
    const where = h.local?.path ?? (h.remote ? joinHostPort(h.remote.host, h.remote.port) : "?");
    if (e instanceof Deno.errors.NotFound) {
      return { ok: false, reason: `${where}: no such file`, figures: {} };
    }
    if (e instanceof Deno.errors.PermissionDenied) {
      return { ok: false, reason: `${where}: permission denied`, figures: {} };
    }
    const code = (e as { code?: string }).code;
    if (code === "ECONNREFUSED") {
      return { ok: false, reason: `connection refused by ${where}`, figures: {} };
    }
    return {
      ok: false,
      reason: `cannot get certificate from ${where}: ${errorText(e)}`,
      figures: {},
    };
  }
  const leaf = pickLeaf(chain);
  if (leaf === undefined) {
    return {
      ok: false,
      reason: `${source}: only CA certificates, no server certificate`,
      figures: {},
    };
  }
  return judgeCertificate(leaf, h, nowMs(), source);
}
