/**
 * The BFD session state machine (RFC 5880 §6.2, reception rules §6.8.6,
 * timers §6.8.4, administrative control §6.8.16) as a pure function over a
 * transition table. The session object only carries out the actions.
 *
 * ```
 *                             +--+
 *                             |  | UP, ADMIN DOWN, TIMER
 *                             |  V
 *                     DOWN  +------+  INIT
 *              +------------|      |------------+
 *              |            | DOWN |            |
 *              |  +-------->|      |<--------+  |
 *              |  |         +------+         |  |
 *              |  |                          |  |
 *              |  |               ADMIN DOWN,|  |
 *              |  |ADMIN DOWN,          DOWN,|  |
 *              |  |TIMER                TIMER|  |
 *              V  |                          |  V
 *            +------+                      +------+
 *       +----|      |                      |      |----+
 *   DOWN|    | INIT |--------------------->|  UP  |    |INIT, UP
 *       +--->|      | INIT, UP             |      |<---+
 *            +------+                      +------+
 * ```
 *
 * @module
 */
import { BfdDiagnostic, BfdState } from "./packet.ts";

export type BfdEvent =
  /** A valid packet arrived carrying State = AdminDown / Down / Init / Up. */
  | "RecvAdminDown"
  | "RecvDown"
  | "RecvInit"
  | "RecvUp"
  /** A Detection Time passed without a valid packet (RFC 5880 §6.8.4). */
  | "DetectionTimeExpired"
  /** Local administrative control (RFC 5880 §6.8.16). */
  | "AdminDown"
  | "AdminUp";

export type BfdAction =
  /** Set bfd.LocalDiag. */
  | { type: "setDiagnostic"; diagnostic: BfdDiagnostic }
  /** bfd.RemoteDiscr := 0 (RFC 5880 §6.8.1). */
  | { type: "clearRemoteDiscriminator" }
  /** Send a Control packet now rather than at the next periodic slot, so the peer learns the new state. */
  | { type: "transmitNow" }
  /** Tell clients (BGP) the path is usable (RFC 5882 §3). */
  | { type: "notifyUp" }
  /** Tell clients the path failed (RFC 5882 §3.2); not sent for AdminDown received from the peer. */
  | { type: "notifyDown" };

export interface BfdTransition {
  from: BfdState;
  event: BfdEvent;
  next: BfdState;
  actions: readonly BfdAction[];
  /** The RFC text this row implements. */
  rfc: string;
}

const { AdminDown, Down, Init, Up } = BfdState;
const diag = (diagnostic: BfdDiagnostic): BfdAction => ({ type: "setDiagnostic", diagnostic });
const NOW: BfdAction = { type: "transmitNow" };
const CLEAR_REMOTE: BfdAction = { type: "clearRemoteDiscriminator" };
const UP: BfdAction = { type: "notifyUp" };
const DOWN: BfdAction = { type: "notifyDown" };
const SIGNALED = diag(BfdDiagnostic.NeighborSignaledSessionDown);
const EXPIRED = diag(BfdDiagnostic.ControlDetectionTimeExpired);
const ADMIN = diag(BfdDiagnostic.AdministrativelyDown);

const S6_8_6_ADMIN = "§6.8.6: If bfd.SessionState is AdminDown, Discard the packet";
const S6_8_6_RECV_ADMIN =
  "§6.8.6: If received state is AdminDown, If bfd.SessionState is not Down, Set bfd.LocalDiag to 3 (Neighbor signaled session down), Set bfd.SessionState to Down";
const S6_8_4 =
  "§6.8.4/§6.8.1: If a period of a Detection Time passes without the receipt of a valid, authenticated BFD packet from the remote system, this session is declared to be down (bfd.LocalDiag 1, Control Detection Time Expired) and bfd.RemoteDiscr MUST be set to zero";
const S6_8_16_DOWN =
  "§6.8.16: the session MUST be placed in AdminDown state, bfd.LocalDiag set to 7 (Administratively Down)";
const S6_8_16_UP = "§6.8.16: When the session is re-enabled, bfd.SessionState MUST be set to Down";

/** Every (state, event) pair, so the table is total. */
export const TRANSITIONS: readonly BfdTransition[] = [
  // ---- AdminDown
  { from: AdminDown, event: "RecvAdminDown", next: AdminDown, actions: [], rfc: S6_8_6_ADMIN },
  { from: AdminDown, event: "RecvDown", next: AdminDown, actions: [], rfc: S6_8_6_ADMIN },
  { from: AdminDown, event: "RecvInit", next: AdminDown, actions: [], rfc: S6_8_6_ADMIN },
  { from: AdminDown, event: "RecvUp", next: AdminDown, actions: [], rfc: S6_8_6_ADMIN },
  {
    from: AdminDown,
    event: "DetectionTimeExpired",
    next: AdminDown,
    actions: [CLEAR_REMOTE],
    rfc:
      "§6.2: no transition out of AdminDown except by administrative action; §6.8.1 bfd.RemoteDiscr MUST be set to zero",
  },
  { from: AdminDown, event: "AdminDown", next: AdminDown, actions: [], rfc: S6_8_16_DOWN },
  {
    from: AdminDown,
    event: "AdminUp",
    next: Down,
    actions: [diag(BfdDiagnostic.None), NOW],
    rfc: S6_8_16_UP,
  },
  // ---- Down
  {
    from: Down,
    event: "RecvAdminDown",
    next: Down,
    actions: [],
    rfc:
      "§6.8.6: If received state is AdminDown, If bfd.SessionState is not Down ... (it is Down: nothing)",
  },
  {
    from: Down,
    event: "RecvDown",
    next: Init,
    actions: [NOW],
    rfc:
      "§6.8.6: If bfd.SessionState is Down, If received State is Down, Set bfd.SessionState to Init",
  },
  {
    from: Down,
    event: "RecvInit",
    next: Up,
    actions: [diag(BfdDiagnostic.None), NOW, UP],
    rfc:
      "§6.8.6: If bfd.SessionState is Down, Else if received State is Init, Set bfd.SessionState to Up",
  },
  {
    from: Down,
    event: "RecvUp",
    next: Down,
    actions: [],
    rfc:
      "§6.2: (Down) UP: stays Down; §6.8.6 lists only Down and Init as received states that move a Down session",
  },
  {
    from: Down,
    event: "DetectionTimeExpired",
    next: Down,
    actions: [CLEAR_REMOTE],
    rfc: "§6.2: (Down) TIMER: stays Down; §6.8.1 bfd.RemoteDiscr MUST be set to zero",
  },
  { from: Down, event: "AdminDown", next: AdminDown, actions: [ADMIN, NOW], rfc: S6_8_16_DOWN },
  { from: Down, event: "AdminUp", next: Down, actions: [], rfc: "§6.8.16: already enabled" },
  // ---- Init
  {
    from: Init,
    event: "RecvAdminDown",
    next: Down,
    actions: [SIGNALED, NOW],
    rfc: S6_8_6_RECV_ADMIN,
  },
  {
    from: Init,
    event: "RecvDown",
    next: Init,
    actions: [],
    rfc: "§6.2: (Init) DOWN: stays Init; §6.8.6 only Init or Up move an Init session",
  },
  {
    from: Init,
    event: "RecvInit",
    next: Up,
    actions: [diag(BfdDiagnostic.None), NOW, UP],
    rfc:
      "§6.8.6: Else if bfd.SessionState is Init, If received State is Init or Up, Set bfd.SessionState to Up",
  },
  {
    from: Init,
    event: "RecvUp",
    next: Up,
    actions: [diag(BfdDiagnostic.None), NOW, UP],
    rfc:
      "§6.8.6: Else if bfd.SessionState is Init, If received State is Init or Up, Set bfd.SessionState to Up",
  },
  {
    from: Init,
    event: "DetectionTimeExpired",
    next: Down,
    actions: [EXPIRED, CLEAR_REMOTE, NOW],
    rfc: S6_8_4,
  },
  { from: Init, event: "AdminDown", next: AdminDown, actions: [ADMIN, NOW], rfc: S6_8_16_DOWN },
  { from: Init, event: "AdminUp", next: Init, actions: [], rfc: "§6.8.16: already enabled" },
  // ---- Up
  {
    from: Up,
    event: "RecvAdminDown",
    next: Down,
    // RFC 5882 §3.2: a peer's AdminDown must not be taken as a path failure by clients.
    actions: [SIGNALED, NOW],
    rfc: S6_8_6_RECV_ADMIN + "; RFC 5882 §3.2: clients SHOULD NOT treat it as a failure",
  },
  {
    from: Up,
    event: "RecvDown",
    next: Down,
    actions: [SIGNALED, NOW, DOWN],
    rfc:
      "§6.8.6: Else (bfd.SessionState is Up), If received State is Down, Set bfd.LocalDiag to 3 (Neighbor signaled session down), Set bfd.SessionState to Down",
  },
  {
    from: Up,
    event: "RecvInit",
    next: Up,
    actions: [],
    rfc: "§6.2: (Up) INIT, UP: stays Up",
  },
  { from: Up, event: "RecvUp", next: Up, actions: [], rfc: "§6.2: (Up) INIT, UP: stays Up" },
  {
    from: Up,
    event: "DetectionTimeExpired",
    next: Down,
    actions: [EXPIRED, CLEAR_REMOTE, NOW, DOWN],
    rfc: S6_8_4,
  },
  {
    from: Up,
    event: "AdminDown",
    next: AdminDown,
    actions: [ADMIN, NOW],
    rfc: S6_8_16_DOWN + "; RFC 5882 §3.2: clients are not told of a failure",
  },
  { from: Up, event: "AdminUp", next: Up, actions: [], rfc: "§6.8.16: already enabled" },
];

const INDEX = new Map<string, BfdTransition>(
  TRANSITIONS.map((row) => [`${row.from}/${row.event}`, row]),
);

/** The received-state event for a packet's State field. */
export function receiveEvent(state: BfdState): BfdEvent {
  return (["RecvAdminDown", "RecvDown", "RecvInit", "RecvUp"] as const)[state];
}

/** Apply one event: the next state and the actions the session must carry out, in order. */
export function applyEvent(
  state: BfdState,
  event: BfdEvent,
): { next: BfdState; actions: readonly BfdAction[] } {
  const row = INDEX.get(`${state}/${event}`);
  if (!row) throw new TypeError(`No BFD transition for state ${state} and event ${event}`);
  return { next: row.next, actions: row.actions };
}
