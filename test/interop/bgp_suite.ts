/**
 * The BGP interop suite our speaker runs against each real peer daemon
 * (bgp_{gobgp,bird,frr,exabgp}_test.ts pick the cases their peer supports).
 */
import assert from "node:assert/strict";
import { BgpSpeaker } from "../../src/bgp/speaker.ts";
import type { RouteSpec } from "../../src/bgp/route.ts";
import type { NeighborConfig, SpeakerConfig } from "../../src/config/model.ts";
import {
  type DaemonName,
  interopTest,
  NEXT_HOP_V4,
  NEXT_HOP_V6,
  type PeerDaemon,
  type PeerOptions,
  type Route,
  SPARE_ADDRESSES,
  SPEAKER_ASN,
} from "./harness/mod.ts";

/**
 * The BGP suites use their own slice of the spare addresses (speaker .39,
 * peers .40-.43), so they never meet daemons other suites start on the
 * default plan.
 */
export const SPEAKER_ADDRESS = SPARE_ADDRESSES[29]!;
export const PEER_ADDRESSES = {
  gobgp: SPARE_ADDRESSES[30]!,
  bird: SPARE_ADDRESSES[31]!,
  frr: SPARE_ADDRESSES[32]!,
  exabgp: SPARE_ADDRESSES[33]!,
} as const;

export const V4 = "198.51.100.1/32";
export const V6 = "2001:db8:100::1/128";
/** Port our speaker listens on in the passive case (not 179: nothing else may be there). */
const PASSIVE_PORT = 1790;

export interface PeerKind {
  name: string;
  daemon: DaemonName;
  address: string;
  asn: number;
  start(opts: PeerOptions): Promise<PeerDaemon>;
  /** The harness cannot tell stale routes apart for this daemon. */
  reportsStale?: boolean;
  /** Cases to run; default all that apply. */
  cases?: CaseName[];
  /** Why a case left out of `cases` cannot run against this peer; shown as an ignored test. */
  notApplicable?: Partial<Record<CaseName, string>>;
}

export type CaseName =
  | "ebgp-routes"
  | "ibgp"
  | "route-refresh"
  | "four-octet-as"
  | "peer-restart"
  | "hold-timer"
  | "graceful-restart"
  | "passive";

export function routeSpec(prefix: string, over: Partial<RouteSpec["attributes"]> = {}): RouteSpec {
  const v6 = prefix.includes(":");
  return {
    prefix,
    family: v6 ? "ipv6-unicast" : "ipv4-unicast",
    origin: "igp",
    nextHop: v6 ? NEXT_HOP_V6 : NEXT_HOP_V4,
    attributes: {
      communities: ["65000:100", "65000:200"],
      largeCommunities: ["64600:1:2"],
      extendedCommunities: [],
      med: 50,
      asPathPrepend: 2,
      ...over,
    },
  };
}

export function ourSpeaker(
  kind: PeerKind,
  over: {
    speaker?: Partial<SpeakerConfig>;
    neighbor?: Partial<NeighborConfig>;
    restarting?: boolean;
  } = {},
): BgpSpeaker {
  return new BgpSpeaker(
    {
      speaker: {
        asn: SPEAKER_ASN,
        routerId: "10.255.0.1",
        gracefulRestartEnabled: false,
        gracefulRestartRestartTime: 60,
        listenPort: PASSIVE_PORT,
        ...over.speaker,
      },
      neighbors: [{
        name: kind.name,
        address: kind.address,
        asn: kind.asn,
        port: 179,
        localAddress: SPEAKER_ADDRESS,
        passive: false,
        holdTime: 9,
        keepalive: 3,
        connectRetry: 1,
        ebgpMultihop: true,
        ebgpMultihopTtl: 255,
        families: ["ipv4-unicast", "ipv6-unicast"],
        ...over.neighbor,
      }],
      ...(over.restarting ? { restarting: true } : {}),
      log: Deno.env.get("BGP_DEBUG")
        ? (level, message) => console.error(`[speaker ${level}] ${message}`)
        : undefined,
    } as ConstructorParameters<typeof BgpSpeaker>[0],
  );
}

function peerOptions(
  kind: PeerKind,
  over: {
    asn?: number;
    neighbor?: Partial<PeerOptions["neighbors"][number]>;
  } = {},
): PeerOptions {
  return {
    address: kind.address,
    asn: kind.asn,
    families: ["ipv4", "ipv6"],
    neighbors: [{
      address: SPEAKER_ADDRESS,
      asn: SPEAKER_ASN,
      holdTime: 9,
      multihop: true,
      ...over.neighbor,
    }],
  };
}

/** Poll a synchronous condition every 100 ms. */
export async function until(
  what: string,
  cond: () => boolean,
  opts: { timeoutMs?: number } = {},
): Promise<void> {
  const end = Date.now() + (opts.timeoutMs ?? 20_000);
  while (Date.now() < end) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export async function waitState(
  speaker: BgpSpeaker,
  want: string,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  await until(what, () => speaker.peers()[0]!.state === want, { timeoutMs });
}

/** The peer's route for `prefix` restricted to what the suite compares. */
function comparable(r: Route) {
  return {
    prefix: r.prefix,
    nextHop: r.nextHop,
    asPath: r.asPath,
    origin: r.origin,
    med: r.med,
    communities: [...r.communities].sort(),
    largeCommunities: [...r.largeCommunities].sort(),
  };
}

async function withPeer(
  kind: PeerKind,
  opts: PeerOptions,
  fn: (peer: PeerDaemon) => Promise<void>,
): Promise<void> {
  const peer = await kind.start(opts);
  try {
    await fn(peer);
  } catch (e) {
    const tail = await peer.logTail(40).catch(() => "");
    throw new Error(`${e instanceof Error ? e.message : e}\n--- ${kind.name} log ---\n${tail}`, {
      cause: e,
    });
  } finally {
    await peer.stop();
  }
}

async function withSpeaker(speaker: BgpSpeaker, fn: () => Promise<void>): Promise<void> {
  await speaker.start();
  try {
    await fn();
  } finally {
    await speaker.stop({ communication: "interop test done" });
  }
}

/** Registers the cases; await it at the top level of the test module. */
export async function registerBgpSuite(kind: PeerKind): Promise<void> {
  const enabled = (c: CaseName) => !kind.cases || kind.cases.includes(c);
  const pending: Promise<void>[] = [];
  const t = (c: CaseName, name: string, fn: () => Promise<void>) => {
    if (!enabled(c)) {
      const why = kind.notApplicable?.[c];
      // Visible in the test report, never a silent gap.
      if (why) {
        Deno.test({ name: `${kind.name}: ${name} (not applicable: ${why})`, ignore: true, fn });
      }
      return;
    }
    pending.push(interopTest({
      name: `${kind.name}: ${name}`,
      daemons: [kind.daemon],
      sanitizeOps: false,
      sanitizeResources: false,
      fn: () => fn(),
    }));
  };

  t(
    "ebgp-routes",
    "eBGP session carries /32 and /128 with exact attributes, changes and withdrawals",
    () =>
      withPeer(kind, peerOptions(kind), async (peer) => {
        const speaker = ourSpeaker(kind);
        speaker.setRoutes([routeSpec(V4), routeSpec(V6)]);
        await withSpeaker(speaker, async () => {
          await peer.waitEstablished(SPEAKER_ADDRESS, 30_000);
          await waitState(speaker, "Established", "our side Established");
          const v4 = await peer.waitForRoute(V4, undefined, 20_000);
          const v6 = await peer.waitForRoute(V6, undefined, 20_000);
          const want = (prefix: string, nextHop: string) => ({
            prefix,
            nextHop,
            asPath: [SPEAKER_ASN, SPEAKER_ASN, SPEAKER_ASN],
            origin: "igp",
            med: 50,
            communities: ["65000:100", "65000:200"],
            largeCommunities: ["64600:1:2"],
          });
          assert.deepEqual(comparable(v4), want(V4, NEXT_HOP_V4));
          assert.deepEqual(comparable(v6), want(V6, NEXT_HOP_V6));
          // Attribute change: one replacement UPDATE.
          speaker.announce(V4, routeSpec(V4, { med: 77, communities: ["65000:300"] }));
          const changed = await peer.waitForRoute(
            V4,
            (r) => r.med === 77 && r.communities.includes("65000:300"),
            20_000,
          );
          assert.deepEqual(changed.communities, ["65000:300"]);
          // Withdrawal.
          speaker.withdraw(V6);
          await peer.waitForNoRoute(V6, 20_000);
          assert.ok((await peer.rib("ipv4")).some((r) => r.prefix === V4));
        });
      }),
  );

  t(
    "ibgp",
    "iBGP session sends LOCAL_PREF and no own AS",
    () =>
      withPeer(kind, peerOptions(kind, { neighbor: { asn: kind.asn } }), async (peer) => {
        const speaker = ourSpeaker(kind, { speaker: { asn: kind.asn } });
        speaker.setRoutes([routeSpec(V4, { asPathPrepend: 0, localPref: 200 })]);
        await withSpeaker(speaker, async () => {
          await peer.waitEstablished(SPEAKER_ADDRESS, 30_000);
          const r = await peer.waitForRoute(V4, undefined, 20_000);
          assert.equal(r.localPref, 200);
          assert.deepEqual(r.asPath, []);
          assert.equal(r.med, 50);
        });
      }),
  );

  t(
    "route-refresh",
    "a ROUTE-REFRESH from the peer is answered with the Adj-RIB-Out",
    () =>
      withPeer(kind, peerOptions(kind), async (peer) => {
        const speaker = ourSpeaker(kind);
        speaker.setRoutes([routeSpec(V4)]);
        await withSpeaker(speaker, async () => {
          await peer.waitEstablished(SPEAKER_ADDRESS, 30_000);
          await peer.waitForRoute(V4, undefined, 20_000);
          await until(
            "EoR sent",
            () => speaker.peers()[0]!.messagesSent.update >= 2,
          );
          const before = speaker.peers()[0]!.messagesSent.update;
          await peer.routeRefresh(SPEAKER_ADDRESS);
          await until(
            "ROUTE-REFRESH received",
            () => speaker.peers()[0]!.messagesReceived["route-refresh"] >= 1,
            { timeoutMs: 20_000 },
          );
          await until(
            "routes re-sent",
            () => speaker.peers()[0]!.messagesSent.update > before,
            { timeoutMs: 20_000 },
          );
          await peer.waitForRoute(V4, undefined, 10_000);
          assert.equal(speaker.peers()[0]!.state, "Established");
        });
      }),
  );

  t(
    "four-octet-as",
    "a four-octet local AS (4200000001) is carried in AS_PATH",
    () =>
      withPeer(kind, peerOptions(kind, { neighbor: { asn: 4200000001 } }), async (peer) => {
        const speaker = ourSpeaker(kind, { speaker: { asn: 4200000001 } });
        speaker.setRoutes([routeSpec(V4, { asPathPrepend: 1 })]);
        await withSpeaker(speaker, async () => {
          await peer.waitEstablished(SPEAKER_ADDRESS, 30_000);
          const r = await peer.waitForRoute(V4, undefined, 20_000);
          assert.deepEqual(r.asPath, [4200000001, 4200000001]);
        });
      }),
  );

  t(
    "peer-restart",
    "after the peer restarts we reconnect and announce again",
    () =>
      withPeer(kind, peerOptions(kind), async (peer) => {
        const speaker = ourSpeaker(kind);
        speaker.setRoutes([routeSpec(V4)]);
        await withSpeaker(speaker, async () => {
          await peer.waitEstablished(SPEAKER_ADDRESS, 30_000);
          await peer.waitForRoute(V4, undefined, 20_000);
          await peer.restart();
          await peer.waitEstablished(SPEAKER_ADDRESS, 40_000);
          await peer.waitForRoute(V4, undefined, 20_000);
          await waitState(speaker, "Established", "Established again");
          assert.ok(speaker.peers()[0]!.flaps >= 1);
        });
      }),
  );

  t(
    "hold-timer",
    "a SIGSTOPped peer trips our hold timer; we recover after SIGCONT",
    () =>
      withPeer(kind, peerOptions(kind), async (peer) => {
        const speaker = ourSpeaker(kind, { neighbor: { holdTime: 3, keepalive: 1 } });
        speaker.setRoutes([routeSpec(V4)]);
        await withSpeaker(speaker, async () => {
          await peer.waitEstablished(SPEAKER_ADDRESS, 30_000);
          await waitState(speaker, "Established", "Established");
          await peer.pause();
          try {
            await until(
              "hold timer expiry",
              () => /Hold Timer Expired/.test(speaker.peers()[0]!.lastError ?? ""),
              { timeoutMs: 10_000 },
            );
            assert.notEqual(speaker.peers()[0]!.state, "Established");
          } finally {
            await peer.resume();
          }
          await waitState(speaker, "Established", "Established after SIGCONT", 60_000);
          await peer.waitForRoute(V4, undefined, 30_000);
        });
      }),
  );

  t("passive", "passive neighbor: the peer connects to our listener", () =>
    withPeer(
      kind,
      peerOptions(kind, { neighbor: { port: PASSIVE_PORT } }),
      async (peer) => {
        const speaker = ourSpeaker(kind, { neighbor: { passive: true } });
        speaker.setRoutes([routeSpec(V4)]);
        await withSpeaker(speaker, async () => {
          await waitState(speaker, "Established", "Established via the peer's connection", 40_000);
          await peer.waitForRoute(V4, undefined, 20_000);
          assert.equal(speaker.peers()[0]!.messagesSent.open, 1);
        });
      },
    ));

  t(
    "graceful-restart",
    "graceful restart: the peer keeps our routes stale until our End-of-RIB",
    () =>
      withPeer(
        kind,
        peerOptions(kind, { neighbor: { gracefulRestart: { restartTime: 60 } } }),
        async (peer) => {
          const gr = { speaker: { gracefulRestartEnabled: true, gracefulRestartRestartTime: 60 } };
          const first = ourSpeaker(kind, gr);
          first.setRoutes([routeSpec(V4), routeSpec("198.51.100.2/32")]);
          await first.start();
          try {
            await peer.waitEstablished(SPEAKER_ADDRESS, 30_000);
            await peer.waitForRoute("198.51.100.2/32", undefined, 20_000);
            await peer.waitForRoute(V4, undefined, 20_000);
          } finally {
            await first.stop({ keepRoutes: true });
          }
          // Once the peer has noticed we are gone, it still holds both routes (marked stale).
          for (
            let i = 0;
            i < 100 && (await peer.sessionState(SPEAKER_ADDRESS)) === "established";
            i++
          ) {
            await new Promise((r) => setTimeout(r, 100));
          }
          assert.notEqual(await peer.sessionState(SPEAKER_ADDRESS), "established");
          const stale = kind.reportsStale === false
            ? await peer.waitForRoute(V4, undefined, 5_000)
            : await peer.waitForRoute(V4, (r) => r.stale === true, 15_000);
          assert.equal(stale.prefix, V4);
          assert.ok((await peer.rib("ipv4")).some((r) => r.prefix === "198.51.100.2/32"));
          // We come back (R bit set) with only V4: after our End-of-RIB the other stale route goes.
          const second = ourSpeaker(kind, { ...gr, restarting: true });
          second.setRoutes([routeSpec(V4, { med: 60 })]);
          await withSpeaker(second, async () => {
            await waitState(second, "Established", "Established after restart", 40_000);
            await peer.waitForNoRoute("198.51.100.2/32", 20_000);
            const fresh = await peer.waitForRoute(V4, (r) => r.med === 60 && !r.stale, 20_000);
            assert.equal(fresh.med, 60);
          });
        },
      ),
  );
  await Promise.all(pending);
}
