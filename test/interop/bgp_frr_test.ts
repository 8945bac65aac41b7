import { FRR_ASN, FrrPeer } from "./harness/mod.ts";
import { PEER_ADDRESSES, registerBgpSuite } from "./bgp_suite.ts";

await registerBgpSuite({
  name: "FRR",
  daemon: "frr",
  address: PEER_ADDRESSES.frr,
  asn: FRR_ASN,
  start: (opts) => FrrPeer.start(opts),
});
