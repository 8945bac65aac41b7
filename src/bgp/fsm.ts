/**
 * The BGP finite state machine of RFC 4271 §8 as one pure function.
 *
 * `fsmEvent(state, event, config)` returns the next state and the actions the
 * session must carry out (send a message, start a timer, drop the TCP
 * connection...). Nothing here does I/O or reads a clock: timer expiries and
 * connection outcomes arrive as events, named as in RFC 4271 §8.1.
 *
 * Options of RFC 4271 §8.1.1 this machine fixes:
 * - AllowAutomaticStart: the session restarts itself from Idle (the delay,
 *   jitter and back-off live in the session, RFC 4271 §8.1.1 IdleHoldTimer);
 * - PassiveTcpEstablishment: per neighbor (`passive`): such a peer never
 *   connects out, so no ConnectRetryTimer runs in Active;
 * - DelayOpen, SendNOTIFICATIONwithoutOPEN, CollisionDetectEstablishedState: off
 *   (collisions are resolved by the session, RFC 4271 §6.8, and an extra
 *   connection while Established is refused).
 *
 * @module
 */

import { CeaseSubcode, ErrorCode, FsmSubcode, type NotificationFields } from "./message/types.ts";

export type FsmStateName =
  | "Idle"
  | "Connect"
  | "Active"
  | "OpenSent"
  | "OpenConfirm"
  | "Established";

export interface FsmState {
  name: FsmStateName;
  /** RFC 4271 §8: ConnectRetryCounter. */
  connectRetryCounter: number;
  /** Negotiated hold time in seconds (0 = no keepalives), valid from OpenConfirm on. */
  holdTime: number;
  /** Keepalive interval in seconds derived from the negotiated hold time. */
  keepaliveTime: number;
}

export interface FsmConfig {
  /** Proposed hold time in seconds: 0 or >= 3. */
  holdTime: number;
  /** Configured keepalive interval in seconds. */
  keepalive: number;
  /** Base ConnectRetryTime in seconds. */
  connectRetry: number;
  /** Accept only: never initiate the TCP connection. */
  passive: boolean;
}

/**
 * A NOTIFICATION to send: error code, subcode, data; a shutdown
 * communication only on Cease 2 and 4 (RFC 9003 §2, enforced by the type).
 */
export type NotificationSpec = NotificationFields;

/** RFC 4271 §8.1.2-§8.1.5 events (numbers in comments). */
export type FsmEvent =
  /** 1 */
  | { type: "ManualStart" }
  /** 2: `notification` is the Cease to send (RFC 9003 communication only on 6/2 and 6/4). */
  | { type: "ManualStop"; notification?: NotificationSpec }
  /** 3 */
  | { type: "AutomaticStart" }
  /** 5 */
  | { type: "AutomaticStart_with_PassiveTcpEstablishment" }
  /** 8: e.g. the prefix limit (RFC 4486 Cease subcode 1). */
  | { type: "AutomaticStop"; notification: NotificationSpec }
  /** 9 */
  | { type: "ConnectRetryTimer_Expires" }
  /** 10 */
  | { type: "HoldTimer_Expires" }
  /** 11 */
  | { type: "KeepaliveTimer_Expires" }
  /** 16: our outgoing connection completed. */
  | { type: "Tcp_CR_Acked" }
  /** 17: the peer's connection was accepted. */
  | { type: "TcpConnectionConfirmed" }
  /** 18 */
  | { type: "TcpConnectionFails" }
  /** 19: a valid OPEN; `holdTime` is the peer's proposal. */
  | { type: "BGPOpen"; holdTime: number }
  /** 21 */
  | { type: "BGPHeaderErr"; notification: NotificationSpec }
  /** 22 */
  | { type: "BGPOpenMsgErr"; notification: NotificationSpec }
  /** 23 */
  | { type: "OpenCollisionDump" }
  /** 24 */
  | { type: "NotifMsgVerErr" }
  /** 25 */
  | { type: "NotifMsg" }
  /** 26 */
  | { type: "KeepAliveMsg" }
  /** 27 */
  | { type: "UpdateMsg" }
  /** 28 */
  | { type: "UpdateMsgErr"; notification: NotificationSpec };

export type FsmEventType = FsmEvent["type"];

export type TimerName = "connectRetry" | "hold" | "keepalive";

export type FsmAction =
  | { type: "initiate-connection" }
  | { type: "listen" }
  | { type: "drop-connection" }
  | { type: "release-resources" }
  | { type: "send-open" }
  | { type: "send-keepalive" }
  | { type: "send-notification"; notification: NotificationSpec }
  /** `seconds` for the hold and keepalive timers; the session jitters connectRetry itself. */
  | { type: "start-timer"; timer: TimerName; seconds: number }
  | { type: "stop-timer"; timer: TimerName }
  | { type: "established" }
  | { type: "process-update" };

export interface FsmResult {
  state: FsmState;
  actions: FsmAction[];
}

/** RFC 4271 §8.2.2: "a large value" for the hold timer while waiting for OPEN; 4 minutes suggested. */
export const LARGE_HOLD_TIME = 240;

/** The state a session starts in. */
export function initialFsmState(): FsmState {
  return { name: "Idle", connectRetryCounter: 0, holdTime: 0, keepaliveTime: 0 };
}

/**
 * RFC 4271 §4.2 and §10: the hold time is the smaller of both proposals; the
 * keepalive interval is the configured one, but at most a third of the hold
 * time; a hold time of 0 means no keepalives at all.
 */
export function negotiateHoldTime(
  local: number,
  peer: number,
  keepalive: number,
): { holdTime: number; keepaliveTime: number } {
  const holdTime = Math.min(local, peer);
  if (holdTime === 0) return { holdTime: 0, keepaliveTime: 0 };
  const third = Math.floor(holdTime / 3);
  const keepaliveTime = Math.max(1, keepalive > 0 ? Math.min(keepalive, third) : third);
  return { holdTime, keepaliveTime };
}

/** RFC 6608 subcodes of the Finite State Machine Error. */
function fsmErrorSubcode(state: FsmStateName): number {
  switch (state) {
    case "OpenSent":
      return FsmSubcode.UNEXPECTED_IN_OPEN_SENT;
    case "OpenConfirm":
      return FsmSubcode.UNEXPECTED_IN_OPEN_CONFIRM;
    case "Established":
      return FsmSubcode.UNEXPECTED_IN_ESTABLISHED;
    default:
      return FsmSubcode.UNSPECIFIED;
  }
}

const adminShutdown: NotificationSpec = {
  code: ErrorCode.CEASE,
  subcode: CeaseSubcode.ADMINISTRATIVE_SHUTDOWN,
};

/** The common tail of every transition to Idle after an error. */
function toIdle(
  state: FsmState,
  counter: "keep" | "increment" | "reset",
  notification?: NotificationSpec,
): FsmResult {
  const actions: FsmAction[] = [];
  if (notification) actions.push({ type: "send-notification", notification });
  actions.push(
    { type: "stop-timer", timer: "connectRetry" },
    { type: "stop-timer", timer: "hold" },
    { type: "stop-timer", timer: "keepalive" },
    { type: "release-resources" },
    { type: "drop-connection" },
  );
  const connectRetryCounter = counter === "reset"
    ? 0
    : counter === "increment"
    ? state.connectRetryCounter + 1
    : state.connectRetryCounter;
  return { state: { ...state, name: "Idle", connectRetryCounter }, actions };
}

function stay(state: FsmState, actions: FsmAction[] = []): FsmResult {
  return { state, actions };
}

/** After the TCP connection is up: send OPEN and wait with a large hold timer (RFC 4271 §8.2.2). */
function connectionUp(state: FsmState): FsmResult {
  return {
    state: { ...state, name: "OpenSent" },
    actions: [
      { type: "stop-timer", timer: "connectRetry" },
      { type: "send-open" },
      { type: "start-timer", timer: "hold", seconds: LARGE_HOLD_TIME },
    ],
  };
}

// §8.2.2 Idle
function fromIdle(state: FsmState, event: FsmEvent, config: FsmConfig): FsmResult {
  switch (event.type) {
    // §8.2.2 Idle, Events 1 and 3: reset the counter, start the ConnectRetryTimer,
    // initiate the connection and listen.
    case "ManualStart":
    case "AutomaticStart":
      if (config.passive) {
        return fsmEvent(state, { type: "AutomaticStart_with_PassiveTcpEstablishment" }, config);
      }
      return {
        state: { ...state, name: "Connect", connectRetryCounter: 0 },
        actions: [
          { type: "start-timer", timer: "connectRetry", seconds: config.connectRetry },
          { type: "listen" },
          { type: "initiate-connection" },
        ],
      };
    // §8.2.2 Idle, Events 4 and 5: listen only, go to Active.
    case "AutomaticStart_with_PassiveTcpEstablishment":
      return {
        state: { ...state, name: "Active", connectRetryCounter: 0 },
        actions: config.passive ? [{ type: "listen" }] : [
          { type: "start-timer", timer: "connectRetry", seconds: config.connectRetry },
          { type: "listen" },
        ],
      };
    // §8.2.2 Idle: "Any other event (Events 9-12, 15-28) received in the Idle state
    // does not cause change in the state of the local system."
    default:
      return stay(state);
  }
}

// §8.2.2 Connect
function fromConnect(state: FsmState, event: FsmEvent, config: FsmConfig): FsmResult {
  switch (event.type) {
    case "ManualStart":
    case "AutomaticStart":
    case "AutomaticStart_with_PassiveTcpEstablishment":
      return stay(state);
    // §8.2.2 Connect, Event 2: drop the connection, reset the counter, Idle.
    case "ManualStop":
      return toIdle(state, "reset");
    // §8.2.2 Connect, Event 9: drop the connection, restart the timer, connect again.
    case "ConnectRetryTimer_Expires":
      return stay(state, [
        { type: "drop-connection" },
        { type: "start-timer", timer: "connectRetry", seconds: config.connectRetry },
        { type: "initiate-connection" },
      ]);
    // §8.2.2 Connect, Events 16-17 (DelayOpen off): send OPEN, OpenSent.
    case "Tcp_CR_Acked":
    case "TcpConnectionConfirmed":
      return connectionUp(state);
    // §8.2.2 Connect, Event 18 (no DelayOpenTimer running): stop the ConnectRetryTimer,
    // drop the connection, release resources, Idle.
    case "TcpConnectionFails":
      return toIdle(state, "keep");
    // §8.2.2 Connect, Event 8 and 10-15, 19, 21-28: Idle with the counter incremented.
    default:
      return toIdle(state, "increment");
  }
}

// §8.2.2 Active
function fromActive(state: FsmState, event: FsmEvent, config: FsmConfig): FsmResult {
  switch (event.type) {
    case "ManualStart":
    case "AutomaticStart":
    case "AutomaticStart_with_PassiveTcpEstablishment":
      return stay(state);
    // §8.2.2 Active, Event 2.
    case "ManualStop":
      return toIdle(state, "reset");
    // §8.2.2 Active, Event 9: restart the timer, initiate a connection, Connect.
    case "ConnectRetryTimer_Expires":
      if (config.passive) return stay(state);
      return {
        state: { ...state, name: "Connect" },
        actions: [
          { type: "start-timer", timer: "connectRetry", seconds: config.connectRetry },
          { type: "initiate-connection" },
        ],
      };
    // §8.2.2 Active, Events 16-17: send OPEN, OpenSent.
    case "Tcp_CR_Acked":
    case "TcpConnectionConfirmed":
      return connectionUp(state);
    // §8.2.2 Active, Event 18: restart the timer, release resources, counter + 1, Idle.
    case "TcpConnectionFails":
      return toIdle(state, "increment");
    // §8.2.2 Active, Event 8, 10-15, 19, 21-28.
    default:
      return toIdle(state, "increment");
  }
}

// §8.2.2 OpenSent
function fromOpenSent(state: FsmState, event: FsmEvent, config: FsmConfig): FsmResult {
  switch (event.type) {
    case "ManualStart":
    case "AutomaticStart":
    case "AutomaticStart_with_PassiveTcpEstablishment":
    case "Tcp_CR_Acked":
    case "TcpConnectionConfirmed":
      // A second connection is tracked by the session (§6.8), not by this machine.
      return stay(state);
    // §8.2.2 OpenSent, Event 2: Cease, counter reset, Idle.
    case "ManualStop":
      return toIdle(state, "reset", event.notification ?? adminShutdown);
    // §8.2.2 OpenSent, Event 8.
    case "AutomaticStop":
      return toIdle(state, "increment", event.notification);
    // §8.2.2 OpenSent, Event 10: NOTIFICATION Hold Timer Expired.
    case "HoldTimer_Expires":
      return toIdle(state, "increment", { code: ErrorCode.HOLD_TIMER_EXPIRED, subcode: 0 });
    // §8.2.2 OpenSent, Event 18: close, restart the ConnectRetryTimer, Active.
    case "TcpConnectionFails": {
      const actions: FsmAction[] = [
        { type: "stop-timer", timer: "hold" },
        { type: "drop-connection" },
      ];
      if (!config.passive) {
        actions.push({
          type: "start-timer",
          timer: "connectRetry",
          seconds: config.connectRetry,
        });
      }
      actions.push({ type: "listen" });
      return { state: { ...state, name: "Active" }, actions };
    }
    // §8.2.2 OpenSent, Event 19: KEEPALIVE, negotiated timers, OpenConfirm.
    case "BGPOpen": {
      const negotiated = negotiateHoldTime(config.holdTime, event.holdTime, config.keepalive);
      const actions: FsmAction[] = [
        { type: "stop-timer", timer: "connectRetry" },
        { type: "send-keepalive" },
      ];
      if (negotiated.holdTime > 0) {
        actions.push(
          { type: "start-timer", timer: "keepalive", seconds: negotiated.keepaliveTime },
          { type: "start-timer", timer: "hold", seconds: negotiated.holdTime },
        );
      } else {
        actions.push({ type: "stop-timer", timer: "hold" });
      }
      return { state: { ...state, name: "OpenConfirm", ...negotiated }, actions };
    }
    // §8.2.2 OpenSent, Events 21-22: NOTIFICATION with the error found, Idle.
    case "BGPHeaderErr":
    case "BGPOpenMsgErr":
      return toIdle(state, "increment", event.notification);
    // §8.2.2 OpenSent, Event 23: Cease (RFC 4486 subcode 7), Idle.
    case "OpenCollisionDump":
      return toIdle(state, "increment", {
        code: ErrorCode.CEASE,
        subcode: CeaseSubcode.CONNECTION_COLLISION_RESOLUTION,
      });
    // §8.2.2 OpenSent, Event 24: Idle, counter unchanged.
    case "NotifMsgVerErr":
      return toIdle(state, "keep");
    // §8.2.2 OpenSent, Events 9, 11-14, 20, 25-28: FSM Error (RFC 6608 subcode 1).
    default:
      return toIdle(state, "increment", {
        code: ErrorCode.FSM,
        subcode: fsmErrorSubcode(state.name),
      });
  }
}

// §8.2.2 OpenConfirm
function fromOpenConfirm(state: FsmState, event: FsmEvent, _config: FsmConfig): FsmResult {
  switch (event.type) {
    case "ManualStart":
    case "AutomaticStart":
    case "AutomaticStart_with_PassiveTcpEstablishment":
    case "Tcp_CR_Acked":
    case "TcpConnectionConfirmed":
      return stay(state);
    // §8.2.2 OpenConfirm, Event 2.
    case "ManualStop":
      return toIdle(state, "reset", event.notification ?? adminShutdown);
    case "AutomaticStop":
      return toIdle(state, "increment", event.notification);
    // §8.2.2 OpenConfirm, Event 10.
    case "HoldTimer_Expires":
      return toIdle(state, "increment", { code: ErrorCode.HOLD_TIMER_EXPIRED, subcode: 0 });
    // §8.2.2 OpenConfirm, Event 11: KEEPALIVE, restart the KeepaliveTimer.
    case "KeepaliveTimer_Expires":
      return stay(state, [
        { type: "send-keepalive" },
        { type: "start-timer", timer: "keepalive", seconds: state.keepaliveTime },
      ]);
    // §8.2.2 OpenConfirm, Events 18 and 25: Idle, counter + 1.
    case "TcpConnectionFails":
    case "NotifMsg":
      return toIdle(state, "increment");
    // §8.2.2 OpenConfirm, Event 24.
    case "NotifMsgVerErr":
      return toIdle(state, "keep");
    // §8.2.2 OpenConfirm, Events 21-22.
    case "BGPHeaderErr":
    case "BGPOpenMsgErr":
      return toIdle(state, "increment", event.notification);
    // §8.2.2 OpenConfirm, Event 23.
    case "OpenCollisionDump":
      return toIdle(state, "increment", {
        code: ErrorCode.CEASE,
        subcode: CeaseSubcode.CONNECTION_COLLISION_RESOLUTION,
      });
    // §8.2.2 OpenConfirm, Event 26: restart the hold timer, Established.
    case "KeepAliveMsg": {
      const actions: FsmAction[] = [];
      if (state.holdTime > 0) {
        actions.push({ type: "start-timer", timer: "hold", seconds: state.holdTime });
      }
      actions.push({ type: "established" });
      return { state: { ...state, name: "Established" }, actions };
    }
    // §8.2.2 OpenConfirm, Events 9, 12-14, 19 (without a collision), 20, 27-28.
    default:
      return toIdle(state, "increment", {
        code: ErrorCode.FSM,
        subcode: fsmErrorSubcode(state.name),
      });
  }
}

// §8.2.2 Established
function fromEstablished(state: FsmState, event: FsmEvent, _config: FsmConfig): FsmResult {
  switch (event.type) {
    case "ManualStart":
    case "AutomaticStart":
    case "AutomaticStart_with_PassiveTcpEstablishment":
    case "Tcp_CR_Acked":
    case "TcpConnectionConfirmed":
      return stay(state);
    // §8.2.2 Established, Event 2: Cease, delete routes, counter reset, Idle.
    case "ManualStop":
      return toIdle(state, "reset", event.notification ?? adminShutdown);
    // §8.2.2 Established, Event 8.
    case "AutomaticStop":
      return toIdle(state, "increment", event.notification);
    // §8.2.2 Established, Event 10.
    case "HoldTimer_Expires":
      return toIdle(state, "increment", { code: ErrorCode.HOLD_TIMER_EXPIRED, subcode: 0 });
    // §8.2.2 Established, Event 11: KEEPALIVE, restart the KeepaliveTimer.
    case "KeepaliveTimer_Expires":
      return stay(state, [
        { type: "send-keepalive" },
        { type: "start-timer", timer: "keepalive", seconds: state.keepaliveTime },
      ]);
    // §8.2.2 Established, Events 18, 24, 25: Idle, counter + 1.
    case "TcpConnectionFails":
    case "NotifMsgVerErr":
    case "NotifMsg":
      return toIdle(state, "increment");
    // §8.2.2 Established, Event 23.
    case "OpenCollisionDump":
      return toIdle(state, "increment", {
        code: ErrorCode.CEASE,
        subcode: CeaseSubcode.CONNECTION_COLLISION_RESOLUTION,
      });
    // §8.2.2 Established, Event 26: restart the hold timer.
    case "KeepAliveMsg":
      return stay(
        state,
        state.holdTime > 0 ? [{ type: "start-timer", timer: "hold", seconds: state.holdTime }] : [],
      );
    // §8.2.2 Established, Event 27: process the UPDATE, restart the hold timer.
    case "UpdateMsg": {
      const actions: FsmAction[] = [{ type: "process-update" }];
      if (state.holdTime > 0) {
        actions.push({ type: "start-timer", timer: "hold", seconds: state.holdTime });
      }
      return stay(state, actions);
    }
    // §8.2.2 Established, Event 28: NOTIFICATION Update error, Idle.
    case "UpdateMsgErr":
      return toIdle(state, "increment", event.notification);
    // §8.2.2 Established, Events 21-22: §6.1/§6.2 say which NOTIFICATION a malformed
    // message earns; send that rather than a generic FSM error.
    case "BGPHeaderErr":
    case "BGPOpenMsgErr":
      return toIdle(state, "increment", event.notification);
    // §8.2.2 Established, "any other event" (9, 12-13, 19-20): FSM Error (RFC 6608 subcode 3).
    default:
      return toIdle(state, "increment", {
        code: ErrorCode.FSM,
        subcode: fsmErrorSubcode(state.name),
      });
  }
}

/**
 * Apply one event. Unlisted (state, event) pairs follow RFC 4271 §8.2.2's
 * "any other event" rule of that state.
 */
export function fsmEvent(state: FsmState, event: FsmEvent, config: FsmConfig): FsmResult {
  switch (state.name) {
    case "Idle":
      return fromIdle(state, event, config);
    case "Connect":
      return fromConnect(state, event, config);
    case "Active":
      return fromActive(state, event, config);
    case "OpenSent":
      return fromOpenSent(state, event, config);
    case "OpenConfirm":
      return fromOpenConfirm(state, event, config);
    case "Established":
      return fromEstablished(state, event, config);
  }
}
