/**
 * A minimal HTTP/1.1 client over Deno.connect for plain-text probes: one
 * request per connection (`Connection: close`), the Host header exactly as
 * configured. Several times cheaper than node:http, which matters with a
 * thousand probes a second. HTTPS goes through node:https (see http.ts).
 *
 * @module
 */
import type { HttpRequestSpec, HttpResponseSummary } from "./http.ts";

const BODY_LIMIT = 64 * 1024;
const HEAD_LIMIT = 64 * 1024;

/** Connection errors carry a `code` like node's so messages stay uniform. */
class HttpClientError extends Error {
  code: string;
  constructor(message: string, code: string) {
    super(message);
    this.code = code;
  }
}

/** Stateless decode/encode only (no `stream`), so one of each serves every request. */
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A request ready to send: where to, and its bytes (head and body). */
export interface PreparedHttpRequest {
  hostname: string;
  port: number;
  bytes: Uint8Array;
}

/**
 * The bytes of `spec`'s request. A probe sends the same request every period,
 * so callers may prepare once and send many times. Throws TypeError when a
 * header contains a line break.
 */
export function prepareRawHttpRequest(
  spec: Pick<HttpRequestSpec, "url" | "method" | "headers" | "body">,
): PreparedHttpRequest {
  const { url } = spec;
  const hostname = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const port = url.port === "" ? 80 : Number(url.port);
  const headers: [string, string][] = [];
  const has = (name: string) => spec.headers.some(([k]) => k.toLowerCase() === name);
  // RFC 9112 section 3.2: Host is required; a configured one replaces ours.
  if (!has("host")) {
    headers.push(["Host", url.port === "" ? url.hostname : `${url.hostname}:${url.port}`]);
  }
  if (!has("user-agent")) headers.push(["User-Agent", "anycast-probe/1"]);
  headers.push(...spec.headers.filter(([k]) => k.toLowerCase() !== "connection"));
  headers.push(["Connection", "close"]);
  const body = spec.body !== undefined ? encoder.encode(spec.body) : undefined;
  if (body !== undefined && !has("content-length")) {
    headers.push(["Content-Length", String(body.length)]);
  }
  for (const [k, v] of headers) {
    if (/[\r\n]/.test(k) || /[\r\n]/.test(v)) {
      throw new TypeError(`Header ${JSON.stringify(k)} contains a line break`);
    }
  }
  const head = encoder.encode(
    `${spec.method} ${url.pathname}${url.search} HTTP/1.1\r\n` +
      headers.map(([k, v]) => `${k}: ${v}\r\n`).join("") + "\r\n",
  );
  return { hostname, port, bytes: body === undefined ? head : append(head, body) };
}

export async function rawHttpRequest(
  spec: HttpRequestSpec,
  signal: AbortSignal,
): Promise<HttpResponseSummary> {
  return await sendRawHttpRequest(prepareRawHttpRequest(spec), spec.keepBody, signal);
}

/** One request on a fresh connection; rejects on socket errors and on abort. */
export async function sendRawHttpRequest(
  request: PreparedHttpRequest,
  keepBody: boolean,
  signal: AbortSignal,
): Promise<HttpResponseSummary> {
  if (signal.aborted) throw new DOMException("aborted while connecting", "AbortError");
  // One abort listener for the whole request: while connecting it ends the
  // wait, once connected it closes the connection.
  let conn: Deno.TcpConn | undefined;
  let stopWaiting: (() => void) | undefined;
  const close = () => {
    if (conn === undefined) {
      stopWaiting?.();
      return;
    }
    try {
      conn.close();
    } catch { /* already closed */ }
  };
  signal.addEventListener("abort", close, { once: true });
  try {
    const connecting = Deno.connect({
      hostname: request.hostname,
      port: request.port,
      transport: "tcp",
    }).catch((e) => {
      if (e instanceof Deno.errors.ConnectionRefused) {
        throw new HttpClientError(e.message, "ECONNREFUSED");
      }
      throw e;
    });
    const aborted = new Promise<undefined>((resolve) => stopWaiting = () => resolve(undefined));
    const winner = await Promise.race([connecting, aborted]);
    if (!winner) {
      connecting.then((c) => c.close(), () => {});
      throw new DOMException("aborted while connecting", "AbortError");
    }
    conn = winner;
    // Aborted in the same turn the connection arrived: close it as the listener would have.
    if (signal.aborted) close();
    await writeAll(conn, request.bytes);
    return await readResponse(conn, keepBody);
  } finally {
    signal.removeEventListener("abort", close);
    close();
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let at = 0;
  while (at < bytes.length) at += await conn.write(bytes.subarray(at));
}

async function readResponse(conn: Deno.Conn, keepBody: boolean): Promise<HttpResponseSummary> {
  let buf: Uint8Array = new Uint8Array(0);
  const chunk = new Uint8Array(16 * 1024);
  let headEnd = -1;
  while (headEnd < 0) {
    const n = await conn.read(chunk);
    if (n === null) throw new HttpClientError("connection closed before a response", "ECONNRESET");
    buf = append(buf, chunk.subarray(0, n));
    headEnd = indexOfCrlfCrlf(buf);
    if (headEnd < 0 && buf.length > HEAD_LIMIT) throw new Error("response head larger than 64 KiB");
  }
  const headText = decoder.decode(buf.subarray(0, headEnd));
  const [statusLine, ...headerLines] = headText.split("\r\n");
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? "");
  if (!m) {
    throw new Error(`not an HTTP response: ${JSON.stringify((statusLine ?? "").slice(0, 40))}`);
  }
  const status = Number(m[1]);
  if (!keepBody) return { status, body: "" };
  const header = (name: string) =>
    headerLines.find((l) => l.toLowerCase().startsWith(`${name}:`))?.slice(name.length + 1).trim();
  const contentLength = header("content-length");
  const chunked = /chunked/i.test(header("transfer-encoding") ?? "");
  let bodyBytes: Uint8Array = buf.subarray(headEnd + 4);
  const want = contentLength !== undefined
    ? Math.min(Number(contentLength), BODY_LIMIT)
    : BODY_LIMIT;
  while (bodyBytes.length < want) {
    if (chunked && isChunkedComplete(bodyBytes)) break;
    const n = await conn.read(chunk);
    if (n === null) break;
    bodyBytes = append(bodyBytes, chunk.subarray(0, n));
  }
  const decoded = chunked ? dechunk(bodyBytes) : bodyBytes.subarray(0, want);
  return { status, body: decoder.decode(decoded.subarray(0, BODY_LIMIT)) };
}

function append(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function indexOfCrlfCrlf(buf: Uint8Array): number {
  for (let i = 0; i + 3 < buf.length; i++) {
    if (buf[i] === 13 && buf[i + 1] === 10 && buf[i + 2] === 13 && buf[i + 3] === 10) return i;
  }
  return -1;
}

/** RFC 9112 section 7.1 chunked coding, tolerant of a truncated tail. */
export function dechunk(bytes: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    let lineEnd = at;
    while (lineEnd + 1 < bytes.length && !(bytes[lineEnd] === 13 && bytes[lineEnd + 1] === 10)) {
      lineEnd++;
    }
    const size = parseInt(decoder.decode(bytes.subarray(at, lineEnd)).split(";")[0]!, 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return parts.reduce(append, new Uint8Array(0));
}

function isChunkedComplete(bytes: Uint8Array): boolean {
  const tail = decoder.decode(bytes.subarray(Math.max(0, bytes.length - 7)));
  return /(^|\r\n)0\r\n\r\n$/.test(tail);
}
