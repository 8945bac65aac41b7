/** Shared helpers for probe tests. */
import type { FakeClock } from "../../../src/util/clock.ts";
import type { ExecHandler, HandlerConfig, ProbeConfig } from "../../../src/config/model.ts";
import type { ProbeResult } from "../../../src/probe/mod.ts";

/** Let pending promise callbacks run (no real time passes). */
export async function flush(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

/** Advance fake time 1 ms at a time, letting promise chains settle between steps. */
export async function advance(clock: FakeClock, ms: number): Promise<void> {
  await flush();
  for (let i = 0; i < ms; i++) {
    clock.tick(1);
    await flush();
  }
}

export function result(ok: boolean, reason = ok ? "fine" : "broken"): ProbeResult {
  return { ok, durationMs: 1, reason, target: "fake", figures: {} };
}

/** A handler that only names itself; fake runners dispatch on `command`. */
export function fakeHandler(name: string): ExecHandler {
  return { kind: "exec", command: name, args: [], env: {}, exitCodes: [0] };
}

export function probe(name: string, overrides: Partial<ProbeConfig> = {}): ProbeConfig {
  return {
    initialDelayMs: 0,
    periodMs: 1000,
    timeoutMs: 500,
    failureThreshold: 1,
    successThreshold: 1,
    jitterMs: 0,
    handler: fakeHandler(name),
    ...overrides,
  };
}

/** The name a fake handler carries. */
export function nameOf(h: HandlerConfig): string {
  return h.kind === "exec" ? h.command : h.kind;
}

/** Pick a free loopback TCP port by binding port 0. */
export function freeTcpPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}
