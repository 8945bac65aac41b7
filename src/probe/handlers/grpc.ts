/**
 * `grpc` probe: grpc.health.v1.Health/Check; only SERVING passes
 * (the Kubernetes gRPC probe rule).
 *
 * @module
 */
import { isIP } from "node:net";
import { checkServerIdentity, type PeerCertificate } from "node:tls";
import type { GrpcHandler } from "../../config/model.ts";
import { errorText, formatMs, type ProbeResult } from "../result.ts";
import { joinHostPort } from "./_net.ts";

// grpc-js is heavy; load it only when a gRPC probe actually runs.
let clientConstructor: Promise<HealthClientConstructor> | undefined;

interface HealthClient {
  Check(
    request: { service: string },
    options: { deadline: Date },
    callback: (
      error: (Error & { code?: number; details?: string }) | null,
      response?: { status?: string },
    ) => void,
  ): { cancel(): void };
  close(): void;
}
type HealthClientConstructor = new (
  address: string,
  credentials: unknown,
  options: Record<string, unknown>,
) => HealthClient;

async function loadGrpc() {
  const grpc = await import("@grpc/grpc-js");
  const health = await import("grpc-health-check");
  return { grpc, health };
}

function healthClient(): Promise<HealthClientConstructor> {
  clientConstructor ??= loadGrpc().then(({ grpc, health }) =>
    grpc.makeClientConstructor(
      // deno-lint-ignore no-explicit-any
      health.service as any,
      "grpc.health.v1.Health",
    ) as unknown as HealthClientConstructor
  );
  return clientConstructor;
}

export async function runGrpc(
  h: GrpcHandler,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<ProbeResult> {
  const target = joinHostPort(h.host, h.port);
  const label = h.service === "" ? target : `${target} service "${h.service}"`;
  const started = performance.now();
  const done = (ok: boolean, reason: string): ProbeResult => {
    const durationMs = performance.now() - started;
    return {
      ok,
      durationMs,
      reason: reason.replace("{ms}", formatMs(durationMs)),
      target,
      figures: {},
    };
  };
  const Client = await healthClient();
  const { grpc } = await loadGrpc();
  const ipLiteral = isIP(h.host) !== 0;
  const verify = h.insecureSkipVerify
    ? { checkServerIdentity: () => undefined, rejectUnauthorized: false }
    : ipLiteral
    // The name check grpc-js would do against our placeholder SNI, done against the address.
    ? {
      checkServerIdentity: (_: string, cert: PeerCertificate) => checkServerIdentity(h.host, cert),
    }
    : {};
  const credentials = h.tls
    ? grpc.credentials.createSsl(null, null, null, verify)
    : grpc.credentials.createInsecure();
  const options: Record<string, unknown> = { "grpc.max_reconnect_backoff_ms": 1000 };
  // RFC 6066 section 3 forbids IP literals as SNI and node:tls refuses them; send a placeholder.
  if (h.tls && ipLiteral) options["grpc.ssl_target_name_override"] = "ip-literal.invalid";
  const client = new Client(target, credentials, options);
  try {
    const status = await new Promise<string>((resolve, reject) => {
      const call = client.Check(
        { service: h.service },
        { deadline: new Date(Date.now() + timeoutMs) },
        (error, response) => (error ? reject(error) : resolve(response?.status ?? "UNKNOWN")),
      );
      signal.addEventListener("abort", () => call.cancel(), { once: true });
    });
    if (status === "SERVING") return done(true, `gRPC health of ${label}: SERVING after {ms}`);
    return done(false, `gRPC health of ${label}: ${status} after {ms} (only SERVING passes)`);
  } catch (e) {
    const code = (e as { code?: number }).code;
    const details = (e as { details?: string }).details ?? errorText(e);
    if (code === 5) {
      return done(
        false,
        `gRPC health of ${label}: service unknown to the server (NOT_FOUND) after {ms}`,
      );
    }
    if (code === 12) {
      return done(false, `${target} does not implement grpc.health.v1 (UNIMPLEMENTED) after {ms}`);
    }
    if (code === 4 || signal.aborted) {
      return done(false, `gRPC health of ${label}: no answer after {ms}`);
    }
    if (code === 14) {
      if (/ECONNREFUSED/.test(details)) {
        return done(false, `connection refused by ${target} after {ms}`);
      }
      const short = details.replace(/\s*Resolution note:.*$/, "").replace(
        /^No connection established\. Last error: /,
        "",
      );
      return done(false, `gRPC ${target} unavailable: ${short} after {ms}`);
    }
    return done(false, `gRPC health of ${label} failed: ${details} after {ms}`);
  } finally {
    client.close();
  }
}
