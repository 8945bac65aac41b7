/**
 * A small HTTP/1.1 server for the control API: one request per connection,
 * a fixed-length (or chunked) body read in full before the handler runs, and
 * `connection: close` on every answer.
 *
 * Why not `Deno.serve`: since Deno 2.8.3 its HTTP/1.1 path drops the request
 * body when the client half-closes after sending it (denoland/deno#36624,
 * #36809): a complete body followed by `shutdown(SHUT_WR)` reads as
 * "Cannot read request body as underlying resource unavailable". Here the
 * socket is read with `conn.read()`, which reports EOF without closing the
 * resource, so the answer still goes out on the half-closed connection
 * (RFC 9112 section 9.6 lets a client half-close after its request).
 *
 * @module
 */

/** Limits of one request. */
export interface Http1Options {
  /** Largest body; a larger one gets 413. Default 64 KiB. */
  maxBodyBytes?: number;
  /** Largest request line plus headers; larger gets 431. Default 16 KiB. */
  maxHeadBytes?: number;
  /** Time allowed to receive the whole request; then 408. Default 10 s. */
  requestTimeoutMs?: number;
  /** Host used to build the `Request` URL. Default "anycast". */
  host?: string;
  /** After answering, how long unread input is drained before close. Default 2 s. */
  lingerMs?: number;
}

const CRLF2 = new Uint8Array([13, 10, 13, 10]);

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function indexOf(hay: Uint8Array, needle: Uint8Array, from = 0): number {
  outer: for (let i = from; i <= hay.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Buffered reads from a connection; `conn.read()` leaves the resource open at EOF. */
class Input {
  #conn: Deno.Conn;
  #buf: Uint8Array = new Uint8Array(0);
  #eof = false;

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  async #fill(): Promise<boolean> {
    if (this.#eof) return false;
    const chunk = new Uint8Array(16 * 1024);
    const n = await this.#conn.read(chunk);
    if (n === null) {
      this.#eof = true;
      return false;
    }
    this.#buf = concat(this.#buf, chunk.subarray(0, n));
    return true;
  }

  /** Bytes up to and including `delimiter`, at most `limit` bytes. */
  async until(delimiter: Uint8Array, limit: number, tooLong: HttpError): Promise<Uint8Array> {
    for (;;) {
      const at = indexOf(this.#buf, delimiter);
      if (at >= 0) {
        const end = at + delimiter.length;
        if (end > limit) throw tooLong;
        const out = this.#buf.slice(0, end);
        this.#buf = this.#buf.subarray(end);
        return out;
      }
      if (this.#buf.length > limit) throw tooLong;
      if (!(await this.#fill())) throw new HttpError(400, "Connection closed mid-request");
    }
  }

  async exactly(n: number): Promise<Uint8Array> {
    while (this.#buf.length < n) {
      if (!(await this.#fill())) throw new HttpError(400, "Connection closed mid-body");
    }
    const out = this.#buf.slice(0, n);
    this.#buf = this.#buf.subarray(n);
    return out;
  }
}

interface Head {
  method: string;
  target: string;
  headers: Headers;
}

function parseHead(bytes: Uint8Array): Head {
  const text = new TextDecoder().decode(bytes.subarray(0, bytes.length - 4));
  const [line, ...fields] = text.split("\r\n");
  const m = /^([A-Z]+) (\S+) HTTP\/1\.[01]$/.exec(line ?? "");
  if (!m) throw new HttpError(400, "Malformed request line");
  // Origin form ("/v1/status"), or absolute form ("http://anycast/v1/status"),
  // which a client sends when the unix socket is configured as its proxy.
  let target = m[2]!;
  if (!target.startsWith("/")) {
    const url = URL.parse(target);
    if (url === null || (url.protocol !== "http:" && url.protocol !== "https:")) {
      throw new HttpError(400, "Malformed request target");
    }
    target = url.pathname + url.search;
  }
  const headers = new Headers();
  for (const field of fields) {
    const colon = field.indexOf(":");
    if (colon <= 0) throw new HttpError(400, "Malformed header line");
    try {
      headers.append(field.slice(0, colon).trim(), field.slice(colon + 1).trim());
    } catch {
      throw new HttpError(400, "Malformed header line");
    }
  }
  return { method: m[1]!, target, headers };
}

async function readChunked(input: Input, max: number, tooBig: HttpError): Promise<Uint8Array> {
  const CRLF = new Uint8Array([13, 10]);
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const sizeLine = new TextDecoder().decode(
      await input.until(CRLF, 1024, new HttpError(400, "Malformed chunk size")),
    ).trim();
    const m = /^([0-9a-fA-F]{1,8})(;.*)?$/.exec(sizeLine);
    if (!m) throw new HttpError(400, "Malformed chunk size");
    const size = parseInt(m[1]!, 16);
    if (size === 0) {
      // Trailer section: lines up to an empty one.
      for (;;) {
        const line = await input.until(CRLF, 8192, new HttpError(431, "Trailer too large"));
        if (line.length === 2) break;
      }
      break;
    }
    total += size;
    if (total > max) throw tooBig;
    parts.push(await input.exactly(size));
    const end = await input.exactly(2);
    if (end[0] !== 13 || end[1] !== 10) throw new HttpError(400, "Malformed chunk");
  }
  return parts.reduce((a, b) => concat(a, b), new Uint8Array(0));
}

async function readRequest(
  conn: Deno.Conn,
  input: Input,
  options: Required<Http1Options>,
): Promise<Request> {
  const head = parseHead(
    await input.until(
      CRLF2,
      options.maxHeadBytes,
      new HttpError(431, "Request header fields too large"),
    ),
  );
  const tooBig = new HttpError(413, `Request body over ${options.maxBodyBytes} bytes`);
  const te = head.headers.get("transfer-encoding");
  const cl = head.headers.get("content-length");
  if (te !== null && cl !== null) throw new HttpError(400, "Both content-length and chunked");
  if (te !== null && te.toLowerCase() !== "chunked") {
    throw new HttpError(501, `Transfer-Encoding ${te} is not supported`);
  }
  let length = 0;
  if (cl !== null) {
    if (!/^[0-9]{1,15}$/.test(cl)) throw new HttpError(400, "Malformed content-length");
    length = Number(cl);
    if (length > options.maxBodyBytes) throw tooBig;
  }
  if ((te !== null || length > 0) && head.headers.get("expect")?.toLowerCase() === "100-continue") {
    await writeAll(conn, new TextEncoder().encode("HTTP/1.1 100 Continue\r\n\r\n"));
  }
  const body = te !== null
    ? await readChunked(input, options.maxBodyBytes, tooBig)
    : await input.exactly(length);
  const init: RequestInit = { method: head.method, headers: head.headers };
  if (head.method !== "GET" && head.method !== "HEAD") init.body = new Uint8Array(body);
  try {
    return new Request(`http://${options.host}${head.target}`, init);
  } catch {
    throw new HttpError(400, "Malformed request target");
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}

async function writeResponse(conn: Deno.Conn, response: Response): Promise<void> {
  const body = new Uint8Array(await response.arrayBuffer());
  let head = `HTTP/1.1 ${response.status} ${response.statusText || "Status"}\r\n`;
  for (const [name, value] of response.headers) {
    if (name === "content-length" || name === "connection" || name === "transfer-encoding") {
      continue;
    }
    head += `${name}: ${value}\r\n`;
  }
  head += `content-length: ${body.length}\r\nconnection: close\r\n\r\n`;
  await writeAll(conn, concat(new TextEncoder().encode(head), body));
}

function errorResponse(status: number, message: string): Response {
  return new Response(JSON.stringify({ error: message }, null, 2) + "\n", {
    status,
    headers: { "content-type": "application/json" },
  });
}

/**
 * Lingering close (RFC 9112 section 9.6): shut the write side, then read and
 * discard until the client closes or `ms` pass, so that input we did not read
 * (an oversized body) does not make the kernel answer with a reset that
 * destroys the response before the client reads it.
 */
async function linger(conn: Deno.Conn, ms: number): Promise<void> {
  await conn.closeWrite();
  const deadline = Date.now() + ms;
  const sink = new Uint8Array(16 * 1024);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
  });
  try {
    while (Date.now() < deadline) {
      if (await Promise.race([conn.read(sink), timeout]) === null) return;
    }
  } finally {
    clearTimeout(timer);
  }
}

/** Answer one request on `conn`, then close it. Never throws. */
export async function serveConnection(
  conn: Deno.Conn,
  handler: (request: Request) => Promise<Response>,
  options: Http1Options = {},
): Promise<void> {
  const opts: Required<Http1Options> = {
    maxBodyBytes: options.maxBodyBytes ?? 64 * 1024,
    maxHeadBytes: options.maxHeadBytes ?? 16 * 1024,
    requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
    host: options.host ?? "anycast",
    lingerMs: options.lingerMs ?? 2000,
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const input = new Input(conn);
    let response: Response;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new HttpError(408, "Request not received in time")),
          opts.requestTimeoutMs,
        );
      });
      const request = await Promise.race([readRequest(conn, input, opts), timeout]);
      clearTimeout(timer);
      response = await handler(request);
    } catch (e) {
      clearTimeout(timer);
      if (!(e instanceof HttpError)) throw e;
      response = errorResponse(e.status, e.message);
    }
    await writeResponse(conn, response);
    await linger(conn, opts.lingerMs);
  } catch {
    // The peer went away; nothing to answer.
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // already closed
    }
  }
}

/** Serves `listener` until `close()`; `close()` waits for requests in flight. */
export class Http1Server {
  #listener: Deno.Listener;
  #inFlight = new Set<Promise<void>>();
  #accepting: Promise<void>;

  constructor(
    listener: Deno.Listener,
    handler: (request: Request) => Promise<Response>,
    options: Http1Options = {},
  ) {
    this.#listener = listener;
    this.#accepting = (async () => {
      for (;;) {
        let conn: Deno.Conn;
        try {
          conn = await listener.accept();
        } catch {
          return; // listener closed
        }
        const done = serveConnection(conn, handler, options);
        this.#inFlight.add(done);
        void done.finally(() => this.#inFlight.delete(done));
      }
    })();
  }

  get addr(): Deno.Addr {
    return this.#listener.addr;
  }

  async close(): Promise<void> {
    try {
      this.#listener.close();
    } catch {
      // already closed
    }
    await this.#accepting;
    await Promise.all(this.#inFlight);
  }
}
