/**
 * A secret from the config (TCP MD5 password, TCP-AO key, BFD key). It
 * prints as `<redacted#N>` everywhere (JSON, `validate --print`, logs,
 * `Deno.inspect`); only `reveal()` gives the value, and only the socket and
 * BFD code call it.
 *
 * N is the same for equal values within one process, so a reload still sees
 * a changed password as a change, without the printed form saying anything
 * about the value.
 *
 * @module
 */

const ids = new Map<string, number>();

export class Secret {
  readonly #value: string;
  readonly #id: number;

  constructor(value: string) {
    this.#value = value;
    let id = ids.get(value);
    if (id === undefined) {
      id = ids.size + 1;
      ids.set(value, id);
    }
    this.#id = id;
  }

  /** The secret itself. */
  reveal(): string {
    return this.#value;
  }

  /** The secret's bytes (UTF-8). */
  bytes(): Uint8Array {
    return new TextEncoder().encode(this.#value);
  }

  toString(): string {
    return `<redacted#${this.#id}>`;
  }

  toJSON(): string {
    return this.toString();
  }

  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

/**
 * The secret named by `inline` or read from `file` (first line, trimmed);
 * undefined when neither is set. Reading happens at use, so a rotated file
 * is picked up on the next connect.
 */
export function resolveSecret(
  inline: Secret | undefined,
  file: string | undefined,
  what: string,
  readTextFile: (path: string) => string = Deno.readTextFileSync,
): Secret | undefined {
  if (inline) return inline;
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = readTextFile(file);
  } catch (e) {
    throw new Error(`Cannot read ${what} file ${file}: ${e instanceof Error ? e.message : e}`);
  }
  const value = text.split("\n")[0]!.trim();
  if (value === "") throw new Error(`Cannot use ${what} file ${file}: it is empty`);
  return new Secret(value);
}
