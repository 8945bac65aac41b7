import { GOBGP_ASN, GoBgpPeer } from "./harness/mod.ts";
import { PEER_ADDRESSES, registerBgpSuite } from "./bgp_suite.ts";

await registerBgpSuite({
  name: "GoBGP",
  daemon: "gobgp",
  address: PEER_ADDRESSES.gobgp,
  asn: GOBGP_ASN,
  start: (opts) => GoBgpPeer.start(opts),
  // `gobgp neighbor X softresetin` only re-filters GoBGP's own Adj-RIB-In: it sends no
  // ROUTE-REFRESH, so route refresh is shown against BIRD and FRR.
  cases: [
    "ebgp-routes",
    "ibgp",
    "four-octet-as",
    "peer-restart",
    "hold-timer",
    "graceful-restart",
    "passive",
  ],
  notApplicable: { "route-refresh": "GoBGP's CLI cannot make it send a ROUTE-REFRESH" },
});
