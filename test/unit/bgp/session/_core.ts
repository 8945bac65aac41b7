/** The session suite that runs both on the in-memory transport and on loopback TCP. */
import assert from "node:assert/strict";
import { flush, route, startPair, state, type TestNet } from "./_net.ts";

export function coreSuite(label: string, makeNet: () => TestNet): void {
  const t = (name: string, fn: (net: TestNet) => Promise<void>) =>
    Deno.test({
      name: `${name} (${label})`,
      sanitizeOps: false,
      sanitizeResources: false,
      fn: () => fn(makeNet()),
    });

  t("BgpSpeaker pair reaches Established with negotiated timers and families", async (net) => {
    const p = await startPair(net, { bNeighbor: { holdTime: 30, keepalive: 10 } });
    try {
      await net.waitFor(() => state(p.a) === "Established", "A Established");
      await net.waitFor(() => state(p.b) === "Established", "B Established");
      const a = p.a.peers()[0]!;
      const b = p.b.peers()[0]!;
      assert.equal(a.holdTime, 9);
      assert.equal(b.holdTime, 9);
      assert.equal(a.keepaliveTime, 3);
      assert.equal(b.keepaliveTime, 3);
      assert.deepEqual([...a.families].sort(), ["ipv4-unicast", "ipv6-unicast"]);
      assert.equal(a.peerRouterId, "10.0.0.2");
    } finally {
      await p.stop();
    }
  });

  t("BgpSpeaker sends the initial table then End-of-RIB for every family", async (net) => {
    const p = await startPair(net);
    try {
      p.a.setRoutes([route("192.0.2.1/32"), route("2001:db8::1/128")]);
      await net.waitFor(() => p.b.peers()[0]!.endOfRibReceived.length === 2, "EoR both families");
      const session = p.b.sessions[0]!;
      assert.equal(session.adjRibIn.size, 2);
      const v4 = session.adjRibIn.get("192.0.2.1/32")!;
      assert.deepEqual(v4.attributes.asPath, [{ type: "sequence", asns: [64600, 64600] }]);
      assert.equal(v4.attributes.med, 10);
      assert.deepEqual(v4.attributes.communities, ["65000:100"]);
      assert.deepEqual(v4.attributes.largeCommunities, ["65000:1:2"]);
      assert.equal(v4.attributes.nextHop, "203.0.113.1");
      assert.equal(v4.attributes.localPref, undefined);
      assert.ok(session.adjRibIn.has("2001:db8::1/128"));
      assert.equal(p.a.peers()[0]!.prefixesSent, 2);
      assert.equal(p.b.peers()[0]!.prefixesReceived, 2);
    } finally {
      await p.stop();
    }
  });

  t("BgpSpeaker sends withdrawals and attribute changes", async (net) => {
    const p = await startPair(net);
    try {
      p.a.setRoutes([route("192.0.2.1/32"), route("192.0.2.2/32")]);
      const rib = p.b.sessions[0]!.adjRibIn;
      await net.waitFor(() => rib.size === 2, "two routes");
      p.a.withdraw("192.0.2.2/32");
      await net.waitFor(() => !rib.has("192.0.2.2/32"), "withdraw");
      p.a.announce(
        "192.0.2.1/32",
        route("192.0.2.1/32", {
          attributes: {
            communities: ["65000:200"],
            largeCommunities: [],
            extendedCommunities: [],
            med: 77,
            asPathPrepend: 0,
          },
        }),
      );
      await net.waitFor(() => rib.get("192.0.2.1/32")?.attributes.med === 77, "MED change");
      assert.deepEqual(rib.get("192.0.2.1/32")!.attributes.communities, ["65000:200"]);
      assert.equal(rib.size, 1);
    } finally {
      await p.stop();
    }
  });

  t("BgpSpeaker answers a ROUTE-REFRESH by re-sending its Adj-RIB-Out", async (net) => {
    const p = await startPair(net);
    try {
      p.a.setRoutes([route("192.0.2.1/32")]);
      await net.waitFor(() => p.b.peers()[0]!.endOfRibReceived.length === 2, "EoR");
      const before = p.b.peers()[0]!.messagesReceived.update;
      assert.ok(p.b.sessions[0]!.requestRouteRefresh("ipv4-unicast"));
      await net.waitFor(
        () => p.a.peers()[0]!.messagesReceived["route-refresh"] === 1,
        "refresh received",
      );
      await net.waitFor(
        () => p.b.peers()[0]!.messagesReceived.update > before,
        "refreshed update",
      );
      assert.ok(p.b.sessions[0]!.adjRibIn.has("192.0.2.1/32"));
      // RFC 7313 is negotiated between two of our speakers: BoRR and EoRR frame the refresh.
      await net.waitFor(
        () => p.b.peers()[0]!.messagesReceived["route-refresh"] === 2,
        "BoRR and EoRR",
      );
    } finally {
      await p.stop();
    }
  });

  t(
    "BgpSpeaker.stop() withdraws, then sends Cease with the shutdown communication",
    async (net) => {
      const p = await startPair(net);
      try {
        p.a.setRoutes([route("192.0.2.1/32")]);
        await net.waitFor(() => p.b.sessions[0]!.adjRibIn.size === 1, "route");
        const updatesBefore = p.b.peers()[0]!.messagesReceived.update;
        await p.a.stop({ communication: "maintenance window" });
        await net.waitFor(() => state(p.b) !== "Established", "B leaves Established");
        const b = p.b.peers()[0]!;
        assert.ok(b.messagesReceived.update > updatesBefore, "withdrawal UPDATE before the Cease");
        assert.equal(b.messagesReceived.notification, 1);
        assert.match(b.lastError ?? "", /6\/2 .*maintenance window/);
        assert.equal(state(p.a), "Idle");
      } finally {
        await p.stop();
        await flush();
      }
    },
  );

  t("BgpSpeaker on iBGP sends LOCAL_PREF and no own AS", async (net) => {
    const p = await startPair(net, { bSpeaker: { asn: 64600 } });
    try {
      p.a.setRoutes([route("192.0.2.1/32", {
        attributes: {
          communities: [],
          largeCommunities: [],
          extendedCommunities: [],
          asPathPrepend: 0,
        },
      })]);
      const rib = p.b.sessions[0]!.adjRibIn;
      await net.waitFor(() => rib.size === 1, "route");
      assert.equal(rib.get("192.0.2.1/32")!.attributes.localPref, 100);
      assert.deepEqual(rib.get("192.0.2.1/32")!.attributes.asPath, []);
    } finally {
      await p.stop();
    }
  });

  t("BgpSpeaker with a four-octet ASN reaches Established", async (net) => {
    const p = await startPair(net, { aSpeaker: { asn: 4200000001 } });
    try {
      p.a.setRoutes([route("192.0.2.1/32")]);
      const rib = p.b.sessions[0]!.adjRibIn;
      await net.waitFor(() => rib.size === 1, "route");
      assert.deepEqual(rib.get("192.0.2.1/32")!.attributes.asPath, [
        { type: "sequence", asns: [4200000001, 4200000001] },
      ]);
    } finally {
      await p.stop();
    }
  });

  t("BgpSpeaker enforces maxPrefixes with Cease subcode 1 (RFC 4486)", async (net) => {
    const p = await startPair(net, { bNeighbor: { maxPrefixes: 1 } });
    try {
      p.a.setRoutes([route("192.0.2.1/32"), route("192.0.2.2/32", { nextHop: "203.0.113.2" })]);
      await net.waitFor(() => /6\/1/.test(p.a.peers()[0]!.lastError ?? ""), "Cease 6/1 at A");
      assert.match(p.b.peers()[0]!.lastError ?? "", /prefix limit 1/);
      assert.equal(p.b.sessions[0]!.adjRibIn.size, 0);
    } finally {
      await p.stop();
    }
  });

  t(
    "BgpSpeaker pair that connects both ways keeps one session (collision, RFC 4271 §6.8)",
    async (net) => {
      const p = await startPair(net, { bothActive: true });
      try {
        await net.waitFor(
          () => state(p.a) === "Established" && state(p.b) === "Established",
          "both Established",
        );
        // Both connected out: an OPEN each way on both connections; the loser got Cease 6/7.
        const opens = p.a.peers()[0]!.messagesSent.open + p.b.peers()[0]!.messagesSent.open;
        const ceases = p.a.peers()[0]!.messagesSent.notification +
          p.b.peers()[0]!.messagesSent.notification;
        assert.equal(opens, 4, `expected two connections with an OPEN each way, saw ${opens}`);
        assert.ok(ceases >= 1, "the losing connection was closed with a Cease");
        p.a.setRoutes([route("192.0.2.1/32")]);
        await net.waitFor(() => p.b.sessions[0]!.adjRibIn.size === 1, "route over the survivor");
        await net.advance(2_000);
        assert.equal(state(p.a), "Established");
        assert.equal(state(p.b), "Established");
        assert.equal(p.a.peers()[0]!.flaps + p.b.peers()[0]!.flaps, 0);
      } finally {
        await p.stop();
      }
    },
  );

  t(
    "BgpSpeaker pair with equal BGP identifiers keeps one connection by AS number (RFC 6286 §2.3)",
    async (net) => {
      // Both speakers have identifier 10.0.0.1: §6.8 alone cannot pick, so each side
      // used to keep the other's connection and both died; the larger AS (65001, B) wins.
      const p = await startPair(net, { bothActive: true, bSpeaker: { routerId: "10.0.0.1" } });
      try {
        await net.waitFor(
          () => state(p.a) === "Established" && state(p.b) === "Established",
          "both Established",
        );
        const a = p.a.peers()[0]!, b = p.b.peers()[0]!;
        // One round of OPENs on two connections, no retry.
        assert.equal(a.messagesSent.open + b.messagesSent.open, 4);
        assert.equal(a.flaps + b.flaps, 0);
        assert.equal(a.peerRouterId, "10.0.0.1");
        await net.advance(2_000);
        assert.equal(state(p.a), "Established");
        assert.equal(state(p.b), "Established");
      } finally {
        await p.stop();
      }
    },
  );
}
