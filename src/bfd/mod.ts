/**
 * BFD: Bidirectional Forwarding Detection (RFC 5880) over UDP single hop
 * (RFC 5881) and multihop (RFC 5883), with BGP coupling (RFC 5882, RFC 9384).
 *
 * @module
 */
export * from "./packet.ts";
export {
  type BfdAuthConfig,
  type BfdAuthMode,
  type BfdAuthState,
  BfdKeyedAuthenticator,
} from "./auth.ts";
export {
  applyEvent,
  type BfdAction,
  type BfdEvent,
  type BfdTransition,
  TRANSITIONS,
} from "./fsm.ts";
export { jitteredInterval, type RandomSource, seededRandom } from "./jitter.ts";
export {
  type BfdAuthenticator,
  BfdSession,
  type BfdSessionInfo,
  type BfdSessionOptions,
  type BfdStateChange,
  type BfdTimerSettings,
  type MetricsReporter,
  noopMetrics,
  type PacketSender,
} from "./session.ts";
export {
  BFD_MULTIHOP_PORT,
  BFD_SINGLE_HOP_PORT,
  type BfdDatagram,
  type BfdEndpoint,
  type BfdTransport,
  type SessionSender,
  UdpTransport,
  type UdpTransportOptions,
} from "./transport.ts";
export { MemoryNetwork, type MemoryNetworkOptions } from "./memory_transport.ts";
export {
  BfdManager,
  type BfdManagerOptions,
  type BfdPeerConfig,
  type BfdStateListener,
} from "./manager.ts";
export { bfdMetrics, type BfdPacketSink, type BfdStateSink } from "./metrics.ts";
