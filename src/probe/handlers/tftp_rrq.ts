/**
 * anycastd `tftp_rrq`: fetch a file with a TFTP read request (RFC 1350) in
 * octet mode, optionally comparing its SHA-256.
 *
 * ```
 *   RRQ    | 01 | filename | 0 | mode | 0 |
 *   DATA   | 03 | block #  | data (0-512 octets) |
 *   ACK    | 04 | block #  |
 *   ERROR  | 05 | code     | message | 0 |
 * ```
 *
 * @module
 */
import dgram from "node:dgram";
import { isIP } from "node:net";
import type { TftpRrqHandler } from "../../config/model.ts";
import { errorText, formatMs } from "../result.ts";
import { whenAborted } from "./_net.ts";
import type { TryOutcome } from "./_retry.ts";

const OP_RRQ = 1;
const OP_DATA = 3;
const OP_ACK = 4;
const OP_ERROR = 5;
/** RFC 1350 section 2: a DATA block shorter than 512 octets ends the transfer. */
const BLOCK_SIZE = 512;
/** Retransmit the last packet after this much silence (RFC 1350 section 2 timeouts). */
const RETRANSMIT_MS = 1000;
/** Refuse to buffer more than this. */
const MAX_FILE_BYTES = 64 * 1024 * 1024;

export function encodeRrq(filename: string, mode = "octet"): Uint8Array {
  const name = new TextEncoder().encode(filename);
  const m = new TextEncoder().encode(mode);
  const out = new Uint8Array(2 + name.length + 1 + m.length + 1);
  out[1] = OP_RRQ;
  out.set(name, 2);
  out.set(m, 3 + name.length);
  return out;
}

export function encodeAck(block: number): Uint8Array {
  const out = new Uint8Array(4);
  const view = new DataView(out.buffer);
  view.setUint16(0, OP_ACK);
  view.setUint16(2, block);
  return out;
}

export type TftpPacket =
  | { op: "data"; block: number; data: Uint8Array }
  | { op: "error"; code: number; message: string }
  | { op: "other"; opcode: number };

export function decodeTftp(packet: Uint8Array): TftpPacket {
  if (packet.length < 4) throw new RangeError("Cannot parse TFTP packet: shorter than 4 octets");
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  const opcode = view.getUint16(0);
  if (opcode === OP_DATA) return { op: "data", block: view.getUint16(2), data: packet.subarray(4) };
  if (opcode === OP_ERROR) {
    const end = packet.indexOf(0, 4);
    const message = new TextDecoder().decode(packet.subarray(4, end === -1 ? undefined : end));
    return { op: "error", code: view.getUint16(2), message };
  }
  return { op: "other", opcode };
}

/** Download `path` from host:port; resolves with the file or rejects with a readable error. */
export function tftpGet(
  host: string,
  port: number,
  path: string,
  signal: AbortSignal,
): Promise<Uint8Array> {
  const socket = dgram.createSocket(isIP(host) === 6 ? "udp6" : "udp4");
  const chunks: Uint8Array[] = [];
  let size = 0;
  let expected = 1;
  let serverPort: number | undefined;
  let lastPacket = encodeRrq(path);
  let lastPort = port;
  let retransmit: ReturnType<typeof setTimeout> | undefined;
  const send = (packet: Uint8Array, to: number) => {
    lastPacket = packet;
    lastPort = to;
    socket.send(packet, to, host);
    clearTimeout(retransmit);
    retransmit = setTimeout(() => send(lastPacket, lastPort), RETRANSMIT_MS);
  };
  const transfer = new Promise<Uint8Array>((resolve, reject) => {
    socket.on("error", reject);
    socket.on("message", (msg: Uint8Array, rinfo: { port: number }) => {
      // RFC 1350 section 4: the server answers from a new port (its TID); stick to it.
      if (serverPort !== undefined && rinfo.port !== serverPort) return;
      let packet: TftpPacket;
      try {
        packet = decodeTftp(new Uint8Array(msg));
      } catch (e) {
        reject(e);
        return;
      }
      if (packet.op === "error") {
        reject(new Error(`server error ${packet.code}: ${packet.message || "(no message)"}`));
        return;
      }
      if (packet.op !== "data") return;
      serverPort ??= rinfo.port;
      if (packet.block === expected) {
        chunks.push(packet.data.slice());
        size += packet.data.length;
        if (size > MAX_FILE_BYTES) {
          reject(new Error(`file larger than ${MAX_FILE_BYTES} bytes`));
          return;
        }
        send(encodeAck(packet.block), serverPort);
        expected = (expected + 1) & 0xffff;
        if (packet.data.length < BLOCK_SIZE) {
          const out = new Uint8Array(size);
          let at = 0;
          for (const c of chunks) {
            out.set(c, at);
            at += c.length;
          }
          resolve(out);
        }
      } else if (packet.block === ((expected - 1) & 0xffff)) {
        // Our ACK was lost: acknowledge the duplicate again (Sorcerer's Apprentice safe: no resend of DATA).
        socket.send(encodeAck(packet.block), serverPort, host);
      }
    });
  });
  send(lastPacket, port);
  const aborted = whenAborted(signal).then(() => {
    throw new DOMException(`no complete transfer (${size} bytes so far)`, "TimeoutError");
  });
  return Promise.race([transfer, aborted]).finally(() => {
    clearTimeout(retransmit);
    socket.close();
  });
}

export function parseTftpUrl(url: string): { host: string; port: number; path: string } {
  const parsed = new URL(url);
  if (parsed.protocol !== "tftp:") {
    throw new TypeError(`Cannot parse TFTP URL "${url}": scheme is not tftp`);
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
  const port = parsed.port === "" ? 69 : Number(parsed.port);
  // anycastd sends the request URI (with its leading slash) as the file name.
  return { host, port, path: decodeURIComponent(parsed.pathname) };
}

export async function tftpTry(h: TftpRrqHandler, signal: AbortSignal): Promise<TryOutcome> {
  const started = performance.now();
  let host: string, port: number, path: string;
  try {
    ({ host, port, path } = parseTftpUrl(h.url));
  } catch (e) {
    return { ok: false, reason: errorText(e), figures: {} };
  }
  try {
    const file = await tftpGet(host, port, path, signal);
    const ms = performance.now() - started;
    const figures = { bytes: file.length, transferMs: ms };
    if (h.sha256 !== undefined) {
      const digest = new Uint8Array(
        await crypto.subtle.digest("SHA-256", file as Uint8Array<ArrayBuffer>),
      );
      const actual = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
      if (actual !== h.sha256.toLowerCase()) {
        return {
          ok: false,
          reason: `${h.url}: SHA-256 ${actual} differs from expected ${h.sha256}`,
          figures,
        };
      }
    }
    return { ok: true, reason: `${h.url}: ${file.length} bytes in ${formatMs(ms)}`, figures };
  } catch (e) {
    const ms = formatMs(performance.now() - started);
    return { ok: false, reason: `${h.url}: ${errorText(e)} after ${ms}`, figures: {} };
  }
}
