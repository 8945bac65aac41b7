/** Small helpers shared by the socket handlers. */
import { errorText } from "../result.ts";

/** "host:port" with IPv6 literals bracketed. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Split "host:port" or "[v6]:port"; throws TypeError on bad input. */
export function splitHostPort(text: string, defaultPort?: number): { host: string; port: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  let host: string;
  let portText: string | undefined;
  if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2];
  } else {
    const colons = text.split(":").length - 1;
    if (colons === 1) {
      const at = text.lastIndexOf(":");
      host = text.slice(0, at);
      portText = text.slice(at + 1);
    } else {
      host = text;
    }
  }
  if (host === "") throw new TypeError(`Cannot parse address "${text}": missing host`);
  if (portText === undefined) {
    if (defaultPort === undefined) {
      throw new TypeError(`Cannot parse address "${text}": missing port`);
    }
    return { host, port: defaultPort };
  }
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
    throw new TypeError(`Cannot parse address "${text}": bad port "${portText}"`);
  }
  return { host, port };
}

/** A socket error in words an operator understands. */
export function describeSocketError(e: unknown, target: string): string {
  const code = (e as { code?: unknown })?.code;
  const name = (e as { name?: unknown })?.name;
  if (code === "ECONNREFUSED" || name === "ConnectionRefused") {
    return `connection refused by ${target}`;
  }
  if (code === "ECONNRESET" || name === "ConnectionReset") return `connection reset by ${target}`;
  if (code === "EHOSTUNREACH" || code === "ENETUNREACH") return `${target} is unreachable`;
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return `cannot resolve host of ${target}`;
  if (code === "ETIMEDOUT") return `${target} timed out`;
  return `${target}: ${errorText(e)}`;
}

/** Resolves when `signal` aborts (never rejects). */
export function whenAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) =>
    signal.addEventListener("abort", () => resolve(), { once: true })
  );
}

/** Sleep on real time, ending early (without throwing) when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
