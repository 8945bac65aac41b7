import assert from "node:assert/strict";
import {
  type FsmConfig,
  type FsmEvent,
  fsmEvent,
  type FsmState,
  type FsmStateName,
  initialFsmState,
  negotiateHoldTime,
} from "../../../../src/bgp/fsm.ts";

const config: FsmConfig = { holdTime: 9, keepalive: 3, connectRetry: 5, passive: false };
const passive: FsmConfig = { ...config, passive: true };

function at(name: FsmStateName, counter = 0): FsmState {
  return {
    ...initialFsmState(),
    name,
    connectRetryCounter: counter,
    holdTime: 9,
    keepaliveTime: 3,
  };
}

const notif = { code: 1, subcode: 2 };

// [from, event, to, action types that must appear (in order), counter after]
const table: [FsmStateName, FsmEvent, FsmStateName, string[], number][] = [
  ["Idle", { type: "ManualStart" }, "Connect", ["start-timer", "listen", "initiate-connection"], 0],
  ["Idle", { type: "AutomaticStart" }, "Connect", ["initiate-connection"], 0],
  ["Idle", { type: "AutomaticStart_with_PassiveTcpEstablishment" }, "Active", ["listen"], 0],
  ["Idle", { type: "HoldTimer_Expires" }, "Idle", [], 1],
  ["Idle", { type: "ManualStop" }, "Idle", [], 1],
  ["Connect", { type: "ManualStop" }, "Idle", ["drop-connection"], 0],
  ["Connect", { type: "ConnectRetryTimer_Expires" }, "Connect", [
    "drop-connection",
    "start-timer",
    "initiate-connection",
  ], 1],
  ["Connect", { type: "Tcp_CR_Acked" }, "OpenSent", ["stop-timer", "send-open", "start-timer"], 1],
  ["Connect", { type: "TcpConnectionConfirmed" }, "OpenSent", ["send-open"], 1],
  ["Connect", { type: "TcpConnectionFails" }, "Idle", ["drop-connection"], 1],
  ["Connect", { type: "KeepAliveMsg" }, "Idle", ["release-resources", "drop-connection"], 2],
  ["Active", { type: "ConnectRetryTimer_Expires" }, "Connect", [
    "start-timer",
    "initiate-connection",
  ], 1],
  ["Active", { type: "TcpConnectionConfirmed" }, "OpenSent", ["send-open"], 1],
  ["Active", { type: "TcpConnectionFails" }, "Idle", ["drop-connection"], 2],
  ["Active", { type: "ManualStop" }, "Idle", ["drop-connection"], 0],
  ["OpenSent", { type: "BGPOpen", holdTime: 90 }, "OpenConfirm", [
    "stop-timer",
    "send-keepalive",
    "start-timer",
    "start-timer",
  ], 1],
  ["OpenSent", { type: "HoldTimer_Expires" }, "Idle", ["send-notification", "drop-connection"], 2],
  ["OpenSent", { type: "TcpConnectionFails" }, "Active", [
    "drop-connection",
    "start-timer",
    "listen",
  ], 1],
  ["OpenSent", { type: "BGPOpenMsgErr", notification: notif }, "Idle", ["send-notification"], 2],
  ["OpenSent", { type: "BGPHeaderErr", notification: notif }, "Idle", ["send-notification"], 2],
  ["OpenSent", { type: "OpenCollisionDump" }, "Idle", ["send-notification"], 2],
  ["OpenSent", { type: "NotifMsgVerErr" }, "Idle", ["drop-connection"], 1],
  ["OpenSent", { type: "KeepAliveMsg" }, "Idle", ["send-notification"], 2],
  ["OpenSent", { type: "ManualStop" }, "Idle", ["send-notification"], 0],
  ["OpenConfirm", { type: "KeepAliveMsg" }, "Established", ["start-timer", "established"], 1],
  ["OpenConfirm", { type: "KeepaliveTimer_Expires" }, "OpenConfirm", [
    "send-keepalive",
    "start-timer",
  ], 1],
  ["OpenConfirm", { type: "HoldTimer_Expires" }, "Idle", ["send-notification"], 2],
  ["OpenConfirm", { type: "NotifMsg" }, "Idle", ["drop-connection"], 2],
  ["OpenConfirm", { type: "UpdateMsg" }, "Idle", ["send-notification"], 2],
  ["OpenConfirm", { type: "OpenCollisionDump" }, "Idle", ["send-notification"], 2],
  ["Established", { type: "KeepAliveMsg" }, "Established", ["start-timer"], 1],
  ["Established", { type: "UpdateMsg" }, "Established", ["process-update", "start-timer"], 1],
  ["Established", { type: "KeepaliveTimer_Expires" }, "Established", [
    "send-keepalive",
    "start-timer",
  ], 1],
  [
    "Established",
    { type: "HoldTimer_Expires" },
    "Idle",
    ["send-notification", "release-resources"],
    2,
  ],
  ["Established", { type: "UpdateMsgErr", notification: { code: 3, subcode: 1 } }, "Idle", [
    "send-notification",
  ], 2],
  ["Established", { type: "TcpConnectionFails" }, "Idle", ["release-resources"], 2],
  ["Established", { type: "NotifMsg" }, "Idle", ["release-resources"], 2],
  ["Established", { type: "ManualStop" }, "Idle", ["send-notification"], 0],
  ["Established", { type: "AutomaticStop", notification: { code: 6, subcode: 1 } }, "Idle", [
    "send-notification",
  ], 2],
  ["Established", { type: "BGPOpen", holdTime: 9 }, "Idle", ["send-notification"], 2],
  ["Established", { type: "ConnectRetryTimer_Expires" }, "Idle", ["send-notification"], 2],
];

for (const [from, event, to, actionTypes, counter] of table) {
  Deno.test(`fsmEvent() moves ${from} + ${event.type} to ${to}`, () => {
    const start = at(from, 1);
    const { state, actions } = fsmEvent(start, event, config);
    assert.equal(state.name, to);
    const types = actions.map((a) => a.type);
    let i = 0;
    for (const t of types) if (t === actionTypes[i]) i++;
    assert.equal(i, actionTypes.length, `actions ${types.join(",")} lack ${actionTypes.join(",")}`);
    // Idle on an unexpected event keeps its counter; every other row states it.
    assert.equal(state.connectRetryCounter, from === "Idle" && to === "Idle" ? 1 : counter);
  });
}

Deno.test("fsmEvent() sends Hold Timer Expired (4/0) when the hold timer fires in Established", () => {
  const { actions } = fsmEvent(at("Established"), { type: "HoldTimer_Expires" }, config);
  assert.deepEqual(actions[0], {
    type: "send-notification",
    notification: { code: 4, subcode: 0 },
  });
});

Deno.test("fsmEvent() sends FSM Error with RFC 6608 subcode 1 for a KEEPALIVE in OpenSent", () => {
  const { actions } = fsmEvent(at("OpenSent"), { type: "KeepAliveMsg" }, config);
  assert.deepEqual(actions[0], {
    type: "send-notification",
    notification: { code: 5, subcode: 1 },
  });
});

Deno.test("fsmEvent() ManualStop carries the given shutdown communication", () => {
  const data = new Uint8Array([3, 98, 121, 101]);
  const { actions } = fsmEvent(
    at("Established"),
    { type: "ManualStop", notification: { code: 6, subcode: 2, data } },
    config,
  );
  assert.deepEqual(actions[0], {
    type: "send-notification",
    notification: { code: 6, subcode: 2, data },
  });
});

Deno.test("fsmEvent() on a passive neighbor never initiates a connection", () => {
  const started = fsmEvent(initialFsmState(), { type: "ManualStart" }, passive);
  assert.equal(started.state.name, "Active");
  assert.ok(
    !started.actions.some((a) => a.type === "initiate-connection" || a.type === "start-timer"),
  );
  const retry = fsmEvent(started.state, { type: "ConnectRetryTimer_Expires" }, passive);
  assert.equal(retry.state.name, "Active");
  assert.deepEqual(retry.actions, []);
});

Deno.test("fsmEvent() BGPOpen negotiates hold time 0 to no timers", () => {
  const { state, actions } = fsmEvent(at("OpenSent"), { type: "BGPOpen", holdTime: 0 }, config);
  assert.equal(state.holdTime, 0);
  assert.ok(!actions.some((a) => a.type === "start-timer"));
});

Deno.test("fsmEvent() BGPOpen starts keepalive and hold timers with negotiated values", () => {
  const { state, actions } = fsmEvent(
    at("OpenSent"),
    { type: "BGPOpen", holdTime: 6 },
    { ...config, holdTime: 90, keepalive: 30 },
  );
  assert.equal(state.holdTime, 6);
  assert.equal(state.keepaliveTime, 2);
  assert.deepEqual(actions.filter((a) => a.type === "start-timer"), [
    { type: "start-timer", timer: "keepalive", seconds: 2 },
    { type: "start-timer", timer: "hold", seconds: 6 },
  ]);
});

Deno.test("negotiateHoldTime() takes the minimum and caps keepalive at a third", () => {
  assert.deepEqual(negotiateHoldTime(90, 180, 30), { holdTime: 90, keepaliveTime: 30 });
  assert.deepEqual(negotiateHoldTime(90, 9, 30), { holdTime: 9, keepaliveTime: 3 });
  assert.deepEqual(negotiateHoldTime(9, 90, 1), { holdTime: 9, keepaliveTime: 1 });
  assert.deepEqual(negotiateHoldTime(0, 90, 30), { holdTime: 0, keepaliveTime: 0 });
  assert.deepEqual(negotiateHoldTime(90, 0, 30), { holdTime: 0, keepaliveTime: 0 });
  assert.deepEqual(negotiateHoldTime(3, 4, 30), { holdTime: 3, keepaliveTime: 1 });
});
