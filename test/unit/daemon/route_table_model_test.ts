/**
 * Model test of the one route table (issue: health to wire in three hops):
 * random sequences of health changes, maintenance, reloads and session flaps
 * on a whole Daemon (fake time, in-memory BGP) must leave every peer holding
 * exactly what the policy wants: the same prefixes, with the same MED.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { FakeClock } from "../../../src/util/clock.ts";
import type { AnycastConfig, HandlerConfig, PrefixConfig } from "../../../src/config/model.ts";
import { BgpSpeaker } from "../../../src/bgp/speaker.ts";
import { MemoryNetwork } from "../../../src/bgp/transport.ts";
import { Daemon } from "../../../src/daemon/mod.ts";
import { flush, testConfig, testNeighbor } from "../_fixtures/daemon.ts";
import { attrs, tcpProbe } from "../health/_fixtures.ts";

const OURS = "10.253.0.1";
const PEERS = ["10.253.0.2", "10.253.0.3"];
const POOL = 6;
const prefixOf = (i: number) => `192.0.2.${i + 1}/32`;

function prefix(i: number, med: number): PrefixConfig {
  return {
    name: prefixOf(i),
    prefix: prefixOf(i),
    family: "ipv4-unicast",
    origin: "igp",
    nextHop: "203.0.113.1",
    attributes: attrs({ med }),
    withdrawOnDown: true,
    drainMs: 0,
    services: [],
    servicesMode: "all",
    // Even prefixes are static, odd ones follow a readiness probe (port = index).
    ...(i % 2 === 1
      ? {
        readinessProbe: {
          ...tcpProbe,
          failureThreshold: 1,
          handler: { kind: "tcp", host: "127.0.0.1", port: 1000 + i },
        },
      }
      : {}),
  } as PrefixConfig;
}

type Op =
  | { kind: "health"; i: number; up: boolean }
  | { kind: "maintenance"; i: number; on: boolean }
  | { kind: "reload"; present: boolean[]; med: number }
  | { kind: "flap"; peer: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("health" as const), i: fc.nat(POOL - 1), up: fc.boolean() }),
  fc.record({ kind: fc.constant("maintenance" as const), i: fc.nat(POOL - 1), on: fc.boolean() }),
  fc.record({
    kind: fc.constant("reload" as const),
    present: fc.array(fc.boolean(), { minLength: POOL, maxLength: POOL }),
    med: fc.integer({ min: 1, max: 3 }),
  }),
  fc.record({ kind: fc.constant("flap" as const), peer: fc.nat(PEERS.length - 1) }),
);

function configOf(present: boolean[], med: number): AnycastConfig {
  const config = testConfig(OURS, PEERS.map((p) => testNeighbor(p, { localAddress: OURS })), {
    bfd: false,
  });
  config.prefixes = present.flatMap((on, i) => on ? [prefix(i, med)] : []);
  return config;
}

/** Run `ops` and compare every peer with the policy after each one. */
async function runModel(ops: Op[]): Promise<void> {
  const clock = new FakeClock(1_000_000);
  const net = new MemoryNetwork();
  const health = new Map<number, boolean>();
  const maintenance = new Set<number>();
  let present = Array<boolean>(POOL).fill(true);
  let med = 1;
  const peers = PEERS.map((address) =>
    new BgpSpeaker({
      speaker: {
        asn: 65001,
        routerId: address,
        gracefulRestartEnabled: false,
        gracefulRestartRestartTime: 120,
        listenPort: 179,
      },
      neighbors: [testNeighbor(OURS, { asn: 64600, passive: true, localAddress: address })],
      transport: net.transport(address),
      clock,
    })
  );
  const daemon = new Daemon({
    config: configOf(present, med),
    clock,
    transport: net.transport(OURS),
    probeRunner: (h: HandlerConfig) => {
      const i = h.kind === "tcp" ? h.port - 1000 : -1;
      const ok = health.get(i) ?? true;
      return Promise.resolve({
        ok,
        reason: ok ? "ok" : "refused",
        durationMs: 1,
        target: "t",
        figures: {},
      });
    },
  });
  /** What the policy wants: prefix -> MED. */
  const wanted = () => {
    const out = new Map<string, number>();
    present.forEach((on, i) => {
      if (!on || maintenance.has(i)) return;
      if (i % 2 === 1 && !(health.get(i) ?? true)) return;
      out.set(prefixOf(i), med);
    });
    return out;
  };
  const holds = (peer: BgpSpeaker) =>
    new Map([...peer.sessions[0]!.adjRibIn.routes()].map((r) => [r.prefix, r.attributes.med]));
  const converged = () =>
    peers.every((p) => {
      const want = wanted();
      const have = holds(p);
      return p.peers()[0]!.state === "Established" && have.size === want.size &&
        [...want].every(([k, v]) => have.get(k) === v);
    });
  async function settle(what: string) {
    // Up to 120 s of fake time: a flapped session may back off before it reconnects.
    for (let t = 0; t < 120_000 && !converged(); t += 100) {
      clock.tick(100);
      await flush();
    }
    if (!converged()) {
      const detail = peers.map((p) => `${p.peers()[0]!.state} ${JSON.stringify([...holds(p)])}`)
        .join("; ");
      assert.fail(`after ${what}: want ${JSON.stringify([...wanted()])}, peers have ${detail}`);
    }
    // Our own Adj-RIB-Out says the same as each peer's Adj-RIB-In.
    for (const s of daemon.speaker.sessions) {
      const sent = s.adjRibOut.sentRoutes(s.resolve).map((r) => r.prefix).sort();
      assert.deepEqual(sent, [...wanted().keys()].sort(), `Adj-RIB-Out of ${s.neighbor.address}`);
    }
  }
  try {
    for (const p of peers) await p.start();
    await daemon.start();
    await settle("start");
    for (const op of ops) {
      switch (op.kind) {
        case "health":
          health.set(op.i, op.up);
          break;
        case "maintenance":
          if (!present[op.i]) continue;
          daemon.engine.setMaintenance(prefixOf(op.i), op.on);
          if (op.on) maintenance.add(op.i);
          else maintenance.delete(op.i);
          break;
        case "reload": {
          await daemon.reload(configOf(op.present, op.med));
          // A prefix removed and added again starts over: no maintenance from the API.
          op.present.forEach((on, i) => {
            if (!on || !present[i]) maintenance.delete(i);
          });
          present = op.present;
          med = op.med;
          break;
        }
        case "flap":
          peers[op.peer]!.sessions[0]!.stop({ communication: "flap" });
          await flush();
          peers[op.peer]!.sessions[0]!.start();
          break;
      }
      await settle(JSON.stringify(op));
    }
  } finally {
    await daemon.stop();
    for (const p of peers) await p.stop();
  }
}

Deno.test("model: health, maintenance, reloads and flaps leave every peer with what the policy wants", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 8 }), (ops) => runModel(ops)),
    { numRuns: 25, seed: 10 },
  );
});
