/**
 * Lab: start real GoBGP, BIRD 2, FRR and ExaBGP peers on loopback (and BFD
 * peers in network namespaces), query what they received, make them announce.
 * Used by `anycast demo --peer`, the benchmarks (scripts/) and the interop
 * tests (test/interop/harness/mod.ts adds the test-only helpers). Nothing
 * here registers tests or asserts. See README.md.
 *
 * @module
 */
export * from "./types.ts";
export * from "./addresses.ts";
export { goBgpConfig, GoBgpPeer, parseGoBgpPath } from "./gobgp.ts";
export { BirdPeer, birdProtocolName, parseBirdBfdSessions, parseBirdRoutes } from "./bird.ts";
export {
  commandExists,
  DaemonProcess,
  PollAborted,
  pollUntil,
  runTool,
  runToolOk,
  sleep,
} from "./_process.ts";
export { FrrPeer, parseFrrPath, parseJsonDocuments } from "./frr.ts";
export { ExaBgpPeer, parseExaBgpUpdate } from "./exabgp.ts";
export { EtcdCluster, type EtcdClusterOptions } from "./etcd.ts";
export { DAEMON_BINARIES, type DaemonName, missingBinaries } from "./binaries.ts";
export {
  NetnsPair,
  type NetnsPairOptions,
  type NetnsSide,
  reapOrphanedNamespaces,
  strayNamespaces,
} from "./netns.ts";
export { encodeTableDumpV2, hostPrefixes, type MrtRoute } from "./mrt.ts";
export { reapOrphanedDaemons } from "./_reaper.ts";
// The BFD lab's own namespace pair (fixed per-test tag, explicit addresses) and launchers.
export {
  Agent as BfdAgent,
  type AgentSessionConfig as BfdAgentSessionConfig,
  type AgentStateEvent as BfdAgentStateEvent,
  BirdBfd,
  FrrBfd,
  NetnsPair as BfdNetnsPair,
  waitUntil,
} from "./bfd_netns.ts";
