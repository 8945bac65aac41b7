/**
 * The per-prefix metric families (`anycast_prefix_state`,
 * `anycast_prefix_transitions_total`, `anycast_prefix_announced`), kept in
 * plain maps and written in the Prometheus text format at scrape time.
 *
 * prom-client hashes a label set on every `set()`: with 100,000 prefixes and
 * a one-hot state gauge that was 600,000 series and seconds of CPU at start.
 * Here a change costs one Map write, and a scrape renders in slices so it
 * never stalls the event loop.
 *
 * @module
 */
import { nextTurn, SLICE_MS } from "../util/slice.ts";

interface PrefixEntry {
  state: string;
  announced: 0 | 1 | undefined;
  /** "from\tto" -> count */
  transitions: Map<string, number> | undefined;
}

function escapeLabel(value: string): string {
  return value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
}

export class PrefixSeries {
  #entries = new Map<string, PrefixEntry>();
  readonly states: readonly string[];

  constructor(states: readonly string[]) {
    this.states = states;
  }

  #entry(prefix: string): PrefixEntry {
    let e = this.#entries.get(prefix);
    if (!e) {
      e = { state: "unknown", announced: undefined, transitions: undefined };
      this.#entries.set(prefix, e);
    }
    return e;
  }

  setState(prefix: string, state: string, previous?: string): void {
    const e = this.#entry(prefix);
    e.state = state;
    if (previous !== undefined && previous !== state) {
      e.transitions ??= new Map();
      const key = `${previous}\t${state}`;
      e.transitions.set(key, (e.transitions.get(key) ?? 0) + 1);
    }
  }

  setAnnounced(prefix: string, announced: boolean): void {
    this.#entry(prefix).announced = announced ? 1 : 0;
  }

  /**
   * The three families in the text exposition format, one family after the
   * other, as chunks of 2,048 prefixes; the loop yields between chunks, so a
   * scrape of 100,000 prefixes (600,000 lines) never holds the event loop
   * for long, and the metrics server streams the chunks instead of building
   * one 30 MB string.
   */
  async *chunks(): AsyncGenerator<string> {
    yield "# HELP anycast_prefix_state Route policy state of the prefix, one-hot " +
      `(${this.states.join(", ")})\n# TYPE anycast_prefix_state gauge\n`;
    yield* this.#family((p, e, out) => {
      const all = this.states.includes(e.state) ? this.states : [...this.states, e.state];
      for (const st of all) {
        out.push(
          `anycast_prefix_state{prefix="${p}",state="${escapeLabel(st)}"} ${
            st === e.state ? 1 : 0
          }`,
        );
      }
    });
    yield "# HELP anycast_prefix_transitions_total Route policy state changes of the prefix\n" +
      "# TYPE anycast_prefix_transitions_total counter\n";
    yield* this.#family((p, e, out) => {
      for (const [key, count] of e.transitions ?? []) {
        const [from, to] = key.split("\t");
        out.push(
          `anycast_prefix_transitions_total{prefix="${p}",from="${escapeLabel(from!)}",` +
            `to="${escapeLabel(to!)}"} ${count}`,
        );
      }
    });
    yield "# HELP anycast_prefix_announced 1 while the speaker announces the prefix\n" +
      "# TYPE anycast_prefix_announced gauge\n";
    yield* this.#family((p, e, out) => {
      if (e.announced !== undefined) {
        out.push(`anycast_prefix_announced{prefix="${p}"} ${e.announced}`);
      }
    });
  }

  async *#family(
    lines: (escapedPrefix: string, e: PrefixEntry, out: string[]) => void,
  ): AsyncGenerator<string> {
    let out: string[] = [];
    let n = 0;
    let started = performance.now();
    for (const [prefix, e] of this.#entries) {
      lines(escapeLabel(prefix), e, out);
      if (++n % 2048 === 0) {
        if (out.length) yield out.join("\n") + "\n";
        out = [];
        if (performance.now() - started >= SLICE_MS) {
          await nextTurn();
          started = performance.now();
        }
      }
    }
    if (out.length) yield out.join("\n") + "\n";
  }

  /** All chunks as one string (tests and small tables). */
  async render(): Promise<string> {
    const parts: string[] = [];
    for await (const chunk of this.chunks()) parts.push(chunk);
    return parts.join("");
  }
}
