/**
 * TCP MD5 (RFC 2385) against the four peers on loopback: the right password
 * reaches Established; a wrong one never does, and our log says the password
 * is the likely cause (Linux drops badly signed segments without a word).
 */
import assert from "node:assert/strict";
import { BgpSpeaker } from "../../src/bgp/speaker.ts";
import { Secret } from "../../src/config/secret.ts";
import {
  BIRD_ASN,
  BirdPeer,
  type DaemonName,
  EXABGP_ASN,
  ExaBgpPeer,
  FRR_ASN,
  FrrPeer,
  GOBGP_ASN,
  GoBgpPeer,
  interopTest,
  type PeerDaemon,
  type PeerOptions,
  SPEAKER_ASN,
} from "./harness/mod.ts";
import { PEER_ADDRESSES, SPEAKER_ADDRESS, until } from "./bgp_suite.ts";

const PASSWORD = "md5-interop-pw";

interface Kind {
  name: string;
  daemon: DaemonName;
  address: string;
  asn: number;
  start(opts: PeerOptions): Promise<PeerDaemon>;
}

const KINDS: Kind[] = [
  {
    name: "BIRD",
    daemon: "bird",
    address: PEER_ADDRESSES.bird,
    asn: BIRD_ASN,
    start: (o) => BirdPeer.start(o),
  },
  {
    name: "FRR",
    daemon: "frr",
    address: PEER_ADDRESSES.frr,
    asn: FRR_ASN,
    start: (o) => FrrPeer.start(o),
  },
  {
    name: "GoBGP",
    daemon: "gobgp",
    address: PEER_ADDRESSES.gobgp,
    asn: GOBGP_ASN,
    start: (o) => GoBgpPeer.start(o),
  },
  {
    name: "ExaBGP",
    daemon: "exabgp",
    address: PEER_ADDRESSES.exabgp,
    asn: EXABGP_ASN,
    start: (o) => ExaBgpPeer.start(o),
  },
];

function speaker(kind: Kind, password: string, logs: string[]): BgpSpeaker {
  return new BgpSpeaker({
    speaker: {
      asn: SPEAKER_ASN,
      routerId: "10.255.0.1",
      gracefulRestartEnabled: false,
      gracefulRestartRestartTime: 60,
      listenPort: 0,
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
      families: ["ipv4-unicast"],
      password: new Secret(password),
    }],
    log: (level, message) => logs.push(`${level} ${message}`),
  });
}

for (const kind of KINDS) {
  await interopTest({
    name:
      `${kind.name}: TCP MD5 with the right password reaches Established; a wrong one does not and the log says why`,
    daemons: [kind.daemon],
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      const peer = await kind.start({
        address: kind.address,
        asn: kind.asn,
        neighbors: [{
          address: SPEAKER_ADDRESS,
          asn: SPEAKER_ASN,
          holdTime: 9,
          multihop: true,
          password: PASSWORD,
        }],
      });
      try {
        const logs: string[] = [];
        const right = speaker(kind, PASSWORD, logs);
        await right.start();
        try {
          await until("our side Established", () => right.peers()[0]!.state === "Established", {
            timeoutMs: 30_000,
          });
          await peer.waitEstablished(SPEAKER_ADDRESS, 15_000);
        } finally {
          await right.stop();
        }
        assert.ok(logs.every((l) => !l.includes(PASSWORD)), "the password is never logged");

        const wrongLogs: string[] = [];
        const wrong = speaker(kind, "not-the-password", wrongLogs);
        await wrong.start();
        try {
          await until(
            "the MD5 hint in our log",
            () => wrongLogs.some((l) => l.includes("check the TCP MD5 password")),
            { timeoutMs: 30_000 },
          );
          assert.notEqual(wrong.peers()[0]!.state, "Established");
          assert.notEqual(await peer.sessionState(SPEAKER_ADDRESS), "established");
          const hint = wrongLogs.find((l) => l.includes("check the TCP MD5 password"))!;
          assert.match(
            hint,
            new RegExp(
              `^warning no answer from ${
                kind.address.replaceAll(".", "\\.")
              }:179 after \\d+ attempts; check the TCP MD5 password`,
            ),
          );
          assert.ok(wrongLogs.every((l) => !l.includes("not-the-password")));
        } finally {
          await wrong.stop();
        }
      } catch (e) {
        const tail = await peer.logTail(30).catch(() => "");
        throw new Error(
          `${e instanceof Error ? e.message : e}\n--- ${kind.name} log ---\n${tail}`,
          {
            cause: e,
          },
        );
      } finally {
        await peer.stop();
      }
    },
  });
}
