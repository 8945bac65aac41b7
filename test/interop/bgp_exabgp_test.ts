import { EXABGP_ASN, ExaBgpPeer } from "./harness/mod.ts";
import { PEER_ADDRESSES, registerBgpSuite } from "./bgp_suite.ts";

await registerBgpSuite({
  name: "ExaBGP",
  daemon: "exabgp",
  address: PEER_ADDRESSES.exabgp,
  asn: EXABGP_ASN,
  start: (opts) => ExaBgpPeer.start(opts),
  // ExaBGP keeps no RIB of received routes, so it has nothing to keep stale:
  // graceful restart is shown against GoBGP, BIRD and FRR.
  cases: [
    "ebgp-routes",
    "ibgp",
    "route-refresh",
    "four-octet-as",
    "peer-restart",
    "hold-timer",
    "passive",
  ],
  notApplicable: { "graceful-restart": "ExaBGP keeps no RIB, so no stale routes to observe" },
});
