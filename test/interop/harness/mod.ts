// Interop harness: start real GoBGP, BIRD 2, FRR and ExaBGP peers on loopback
// (and BFD peers in network namespaces), query what they received, make them announce.
export * from "./types.ts";
export * from "./addresses.ts";
export { goBgpConfig, GoBgpPeer, parseGoBgpPath } from "./gobgp.ts";
export { BirdPeer, birdProtocolName, parseBirdRoutes } from "./bird.ts";
export { DaemonProcess, PollAborted, pollUntil, runTool, runToolOk, sleep } from "./_process.ts";
export { FrrPeer, parseFrrPath, parseJsonDocuments } from "./frr.ts";
export { ExaBgpPeer, parseExaBgpUpdate } from "./exabgp.ts";
export {
  DAEMON_BINARIES,
  type DaemonName,
  interopTest,
  type InteropTestDefinition,
  missingBinaries,
  requireBinaries,
  requireDaemon,
} from "./require_daemon.ts";
export {
  NetnsPair,
  type NetnsPairOptions,
  type NetnsSide,
  reapOrphanedNamespaces,
  strayNamespaces,
} from "./netns.ts";
export { parseBirdBfdSessions } from "./bird.ts";
export { encodeTableDumpV2, hostPrefixes, type MrtRoute } from "./mrt.ts";
export { reapOrphanedDaemons } from "./_reaper.ts";
