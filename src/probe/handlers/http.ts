/**
 * Periphery/Kubernetes `http` probe. Plain HTTP uses our own small
 * HTTP/1.1 client (http_raw.ts), HTTPS node:https; both really send a Host
 * override (fetch forbids setting Host).
 *
 * @module
 */
import http from "node:http";
import https from "node:https";
import { isIP } from "node:net";
import type { HttpHandler } from "../../config/model.ts";
import { formatMs, type ProbeResult } from "../result.ts";
import { describeSocketError, joinHostPort } from "./_net.ts";
import {
  type PreparedHttpRequest,
  prepareRawHttpRequest,
  rawHttpRequest,
  sendRawHttpRequest,
} from "./http_raw.ts";

/** Bytes of the body kept for `bodyMatch` and messages. */
const BODY_LIMIT = 64 * 1024;

export interface HttpRequestSpec {
  url: URL;
  method: string;
  headers: [string, string][];
  body?: string;
  insecureSkipVerify: boolean;
  /** Read the body (for a body match); otherwise it is drained. */
  keepBody: boolean;
}

export interface HttpResponseSummary {
  status: number;
  body: string;
}

/** One HTTP/1.1 request on a fresh connection; rejects on socket errors and on abort. */
export function httpRequest(
  spec: HttpRequestSpec,
  signal: AbortSignal,
): Promise<HttpResponseSummary> {
  if (spec.url.protocol === "http:") return rawHttpRequest(spec, signal);
  return nodeHttpsRequest(spec, signal);
}

/** HTTPS through node:https, which can skip verification and set SNI. */
function nodeHttpsRequest(
  spec: HttpRequestSpec,
  signal: AbortSignal,
): Promise<HttpResponseSummary> {
  const { url } = spec;
  const secure = url.protocol === "https:";
  const hostname = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const headers: Record<string, string> = { "User-Agent": "anycast-probe/1" };
  for (const [name, value] of spec.headers) headers[name] = value;
  const hostHeader = Object.entries(headers).find(([k]) => k.toLowerCase() === "host")?.[1];
  // SNI follows the Host override when it is a name (RFC 6066 section 3: no IP literals).
  const sniName = (hostHeader ?? hostname).replace(/:\d+$/, "");
  const options: https.RequestOptions = {
    host: hostname,
    port: url.port === "" ? (secure ? 443 : 80) : Number(url.port),
    path: `${url.pathname}${url.search}`,
    method: spec.method,
    headers,
    agent: false,
    signal,
  };
  if (secure) {
    options.rejectUnauthorized = !spec.insecureSkipVerify;
    if (isIP(sniName) === 0) options.servername = sniName;
  }
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).request(options, (res) => {
      const chunks: Uint8Array[] = [];
      let kept = 0;
      res.on("data", (chunk: Uint8Array) => {
        if (spec.keepBody && kept < BODY_LIMIT) {
          chunks.push(chunk);
          kept += chunk.length;
        }
      });
      res.on("end", () => {
        const body = new TextDecoder().decode(concat(chunks).subarray(0, BODY_LIMIT));
        resolve({ status: res.statusCode ?? 0, body });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    if (spec.body !== undefined) req.write(spec.body);
    req.end();
  });
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

export function httpHandlerUrl(h: HttpHandler): string {
  const path = h.path.startsWith("/") ? h.path : `/${h.path}`;
  return `${h.scheme}://${joinHostPort(h.host, h.port)}${path}`;
}

export function statusAccepted(status: number, ranges: [number, number][]): boolean {
  const effective = ranges.length > 0 ? ranges : [[200, 399] as [number, number]];
  return effective.some(([lo, hi]) => status >= lo && status <= hi);
}

export function formatRanges(ranges: [number, number][]): string {
  return ranges.map(([lo, hi]) => (lo === hi ? `${lo}` : `${lo}-${hi}`)).join(",");
}

/** What every run of one handler shares: its URL, and for plain HTTP the request bytes. */
interface PreparedHandler {
  target: string;
  spec: HttpRequestSpec;
  raw?: PreparedHttpRequest;
}

/**
 * Prepared requests by handler object: a probe runs the same (never mutated)
 * handler config every period, so the URL is parsed and the request built once.
 */
const prepared = new WeakMap<HttpHandler, PreparedHandler>();

/** Throws like the request would (bad URL, a header with a line break); then nothing is kept. */
function prepare(h: HttpHandler, target: string): PreparedHandler {
  let p = prepared.get(h);
  if (p === undefined) {
    const spec: HttpRequestSpec = {
      url: new URL(target),
      method: h.method,
      headers: h.headers.map((x) => [x.name, x.value]),
      ...(h.body !== undefined ? { body: h.body } : {}),
      insecureSkipVerify: h.insecureSkipVerify,
      keepBody: h.bodyMatch !== undefined,
    };
    p = {
      target,
      spec,
      ...(spec.url.protocol === "http:" ? { raw: prepareRawHttpRequest(spec) } : {}),
    };
    prepared.set(h, p);
  }
  return p;
}

export async function runHttp(h: HttpHandler, signal: AbortSignal): Promise<ProbeResult> {
  const target = prepared.get(h)?.target ?? httpHandlerUrl(h);
  const started = performance.now();
  const figures: Record<string, number> = {};
  const done = (ok: boolean, reason: string): ProbeResult => {
    const durationMs = performance.now() - started;
    return {
      ok,
      durationMs,
      reason: reason.replace("{ms}", formatMs(durationMs)),
      target,
      figures,
    };
  };
  let res: HttpResponseSummary;
  try {
    const p = prepare(h, target);
    res = p.raw !== undefined
      ? await sendRawHttpRequest(p.raw, p.spec.keepBody, signal)
      : await httpRequest(p.spec, signal);
  } catch (e) {
    return done(false, `${describeHttpError(e, target)} after {ms}`);
  }
  figures.status = res.status;
  if (!statusAccepted(res.status, h.expectedStatus)) {
    const want = formatRanges(h.expectedStatus.length > 0 ? h.expectedStatus : [[200, 399]]);
    return done(false, `HTTP ${res.status} from ${target} after {ms} (expected ${want})`);
  }
  if (h.bodyMatch !== undefined && !new RegExp(h.bodyMatch).test(res.body)) {
    return done(
      false,
      `HTTP ${res.status} from ${target} after {ms} but the body does not match /${h.bodyMatch}/`,
    );
  }
  return done(true, `HTTP ${res.status} from ${target} after {ms}`);
}

export function describeHttpError(e: unknown, target: string): string {
  const code = (e as { code?: unknown })?.code;
  if (typeof code === "string" && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code)) {
    return `TLS verification of ${target} failed (${code}; set insecureSkipVerify to skip)`;
  }
  const message = e instanceof Error ? e.message : String(e);
  if (/certificate|self.signed|unknown ?issuer|UnknownIssuer/i.test(message)) {
    return `TLS verification of ${target} failed (${message}; set insecureSkipVerify to skip)`;
  }
  return describeSocketError(e, target);
}
