/** Two sessions wired back to back on a fake clock, with per-direction cuts and a wire log. */
import { type Clock, FakeClock, type TimerId } from "../../../src/util/clock.ts";
import { type BfdControlPacket, decodeControlPacket } from "../../../src/bfd/packet.ts";
import {
  BfdSession,
  type BfdSessionOptions,
  type BfdStateChange,
} from "../../../src/bfd/session.ts";
import { seededRandom } from "../../../src/bfd/jitter.ts";

/** A FakeClock whose time can also jump without firing timers: an event-loop stall. */
export class StallClock implements Clock {
  readonly inner = new FakeClock(0);
  #offset = 0;
  now(): number {
    return this.inner.now() + this.#offset;
  }
  setTimeout(fn: () => void, ms: number): TimerId {
    return this.inner.setTimeout(fn, ms);
  }
  clearTimeout(id: TimerId): void {
    this.inner.clearTimeout(id);
  }
  tick(ms: number): void {
    this.inner.tick(ms);
  }
  /** Time passes, nothing runs. */
  stall(ms: number): void {
    this.#offset += ms;
  }
}

export interface WireEntry {
  from: "a" | "b";
  at: number;
  packet: BfdControlPacket;
}

type SideOptions = Partial<
  Omit<BfdSessionOptions, "sender" | "clock" | "peer" | "localDiscriminator">
>;

export class Pair {
  readonly clock: StallClock;
  readonly wire: WireEntry[] = [];
  readonly changes: (BfdStateChange & { side: "a" | "b" })[] = [];
  readonly a: BfdSession;
  readonly b: BfdSession;
  readonly cut = { ab: false, ba: false };
  readonly latencyMs = 1;

  constructor(a: SideOptions = {}, b: SideOptions = {}, clock = new StallClock()) {
    this.clock = clock;
    const base = { desiredMinTxMs: 50, requiredMinRxMs: 50, multiplier: 3 };
    this.a = new BfdSession({
      ...base,
      random: seededRandom(1),
      ...a,
      peer: "10.0.0.2",
      localDiscriminator: 0xa1,
      clock,
      sender: { send: (bytes) => this.#deliver("a", bytes) },
      onStateChange: (c) => this.changes.push({ ...c, side: "a" }),
    });
    this.b = new BfdSession({
      ...base,
      random: seededRandom(2),
      ...b,
      peer: "10.0.0.1",
      localDiscriminator: 0xb2,
      clock,
      sender: { send: (bytes) => this.#deliver("b", bytes) },
      onStateChange: (c) => this.changes.push({ ...c, side: "b" }),
    });
  }

  #deliver(from: "a" | "b", bytes: Uint8Array): void {
    const packet = decodeControlPacket(bytes);
    this.wire.push({ from, at: this.clock.now(), packet });
    if (from === "a" ? this.cut.ab : this.cut.ba) return;
    const to = from === "a" ? this.b : this.a;
    this.clock.setTimeout(() => to.receive(packet, bytes), this.latencyMs);
  }

  start(): void {
    this.a.start();
    this.b.start();
  }

  /** Times between consecutive packets sent by one side within [from, to). */
  gaps(side: "a" | "b", from = 0, to = Infinity): number[] {
    const at = this.wire.filter((w) => w.from === side && w.at >= from && w.at < to).map((w) =>
      w.at
    );
    return at.slice(1).map((t, i) => t - at[i]!);
  }
}
