/**
 * Bounds-checked byte reader and growable writer for the BGP codecs. A read
 * past the end throws the BgpDecodeError the reader was built with, so each
 * wire unit decides which NOTIFICATION a truncation means.
 *
 * @module
 */
import type { BgpDecodeError } from "./message/types.ts";

/** Builds the error thrown when a read runs past the end. */
export type ShortReadError = (what: string) => BgpDecodeError;

export class ByteReader {
  readonly buf: Uint8Array;
  pos: number;
  readonly end: number;
  readonly #short: ShortReadError;

  constructor(buf: Uint8Array, short: ShortReadError, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    this.#short = short;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  #need(n: number, what: string): void {
    if (this.pos + n > this.end) throw this.#short(what);
  }

  u8(what = "byte"): number {
    this.#need(1, what);
    return this.buf[this.pos++]!;
  }

  u16(what = "2-byte field"): number {
    this.#need(2, what);
    const b = this.buf;
    const v = (b[this.pos]! << 8) | b[this.pos + 1]!;
    this.pos += 2;
    return v;
  }

  u32(what = "4-byte field"): number {
    this.#need(4, what);
    const b = this.buf;
    const p = this.pos;
    const v = ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
    this.pos += 4;
    return v;
  }

  /** A view (not a copy) of the next `n` bytes. */
  bytes(n: number, what = "bytes"): Uint8Array {
    this.#need(n, what);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** A reader over the next `n` bytes with another short-read error; advances this one past them. */
  sub(n: number, short: ShortReadError, what = "bytes"): ByteReader {
    this.#need(n, what);
    const r = new ByteReader(this.buf, short, this.pos, this.pos + n);
    this.pos += n;
    return r;
  }
}

export class ByteWriter {
  #buf: Uint8Array;
  #view: DataView;
  length = 0;

  constructor(initial = 64) {
    this.#buf = new Uint8Array(initial);
    this.#view = new DataView(this.#buf.buffer);
  }

  #grow(n: number): void {
    if (this.length + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.length));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }

  u8(v: number): this {
    this.#grow(1);
    this.#buf[this.length++] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    this.#grow(2);
    this.#view.setUint16(this.length, v & 0xffff);
    this.length += 2;
    return this;
  }

  u32(v: number): this {
    this.#grow(4);
    this.#view.setUint32(this.length, v >>> 0);
    this.length += 4;
    return this;
  }

  bytes(v: Uint8Array): this {
    this.#grow(v.length);
    this.#buf.set(v, this.length);
    this.length += v.length;
    return this;
  }

  /** Writes a zero 1-byte length placeholder and returns its offset (for `fillU8`). */
  placeholderU8(): number {
    const at = this.length;
    this.u8(0);
    return at;
  }

  /** Writes a zero 2-byte length placeholder and returns its offset (for `fillU16`). */
  placeholderU16(): number {
    const at = this.length;
    this.u16(0);
    return at;
  }

  /** Fills a 1-byte length at `at` with the number of bytes written after it. */
  fillU8(at: number): number {
    const n = this.length - at - 1;
    if (n > 0xff) throw new RangeError(`Cannot encode length ${n} in one byte`);
    this.#buf[at] = n;
    return n;
  }

  /** Fills a 2-byte length at `at` with the number of bytes written after it (minus `minus`). */
  fillU16(at: number, minus = 0): number {
    const n = this.length - at - 2 + minus;
    if (n > 0xffff) throw new RangeError(`Cannot encode length ${n} in two bytes`);
    this.#view.setUint16(at, n);
    return n;
  }

  setU16(at: number, v: number): void {
    this.#view.setUint16(at, v);
  }

  setU8(at: number, v: number): void {
    this.#buf[at] = v;
  }

  /** A copy of the bytes written so far. */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.length);
  }
}

export function hex(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += x.toString(16).padStart(2, "0");
  return s;
}

export function fromHex(s: string): Uint8Array {
  const clean = s.replace(/[\s:]/g, "");
  if (clean.length % 2 !== 0 || /[^0-9a-f]/i.test(clean)) {
    throw new SyntaxError(`Cannot parse hex: "${s}"`);
  }
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function u16be(v: number): Uint8Array {
  return new Uint8Array([(v >> 8) & 0xff, v & 0xff]);
}
