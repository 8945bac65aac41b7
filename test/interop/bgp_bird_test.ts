import { BIRD_ASN, BirdPeer } from "./harness/mod.ts";
import { PEER_ADDRESSES, registerBgpSuite } from "./bgp_suite.ts";

await registerBgpSuite({
  name: "BIRD",
  daemon: "bird",
  address: PEER_ADDRESSES.bird,
  asn: BIRD_ASN,
  start: (opts) => BirdPeer.start(opts),
});
