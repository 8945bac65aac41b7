import assert from "node:assert/strict";
import { applyEvent, type BfdEvent, receiveEvent, TRANSITIONS } from "../../../src/bfd/fsm.ts";
import { BfdDiagnostic, BfdState } from "../../../src/bfd/packet.ts";

const { AdminDown, Down, Init, Up } = BfdState;
const EVENTS: BfdEvent[] = [
  "RecvAdminDown",
  "RecvDown",
  "RecvInit",
  "RecvUp",
  "DetectionTimeExpired",
  "AdminDown",
  "AdminUp",
];

Deno.test("TRANSITIONS has exactly one row per (state, event), each quoting RFC 5880", () => {
  for (const state of [AdminDown, Down, Init, Up]) {
    for (const event of EVENTS) {
      const rows = TRANSITIONS.filter((r) => r.from === state && r.event === event);
      assert.equal(rows.length, 1, `state ${state} event ${event}`);
      assert.match(rows[0]!.rfc, /§6\.\d/);
    }
  }
  assert.equal(TRANSITIONS.length, 28);
});

Deno.test("applyEvent() returns each table row", () => {
  for (const row of TRANSITIONS) {
    assert.deepEqual(applyEvent(row.from, row.event), { next: row.next, actions: row.actions });
  }
});

// RFC 5880 §6.8.6, "If bfd.SessionState is Down: If received State is Down, Set bfd.SessionState to Init"
Deno.test("applyEvent() Down + received Down -> Init and answers at once (§6.8.6)", () => {
  const { next, actions } = applyEvent(Down, "RecvDown");
  assert.equal(next, Init);
  assert.deepEqual(actions, [{ type: "transmitNow" }]);
});

// "Else if received State is Init, Set bfd.SessionState to Up"
Deno.test("applyEvent() Down + received Init -> Up, clients told (§6.8.6)", () => {
  const { next, actions } = applyEvent(Down, "RecvInit");
  assert.equal(next, Up);
  assert.ok(actions.some((a) => a.type === "notifyUp"));
});

Deno.test("applyEvent() Down + received Up stays Down (§6.2 diagram)", () => {
  assert.deepEqual(applyEvent(Down, "RecvUp"), { next: Down, actions: [] });
});

// "Else if bfd.SessionState is Init: If received State is Init or Up, Set bfd.SessionState to Up"
Deno.test("applyEvent() Init + received Init or Up -> Up (§6.8.6)", () => {
  assert.equal(applyEvent(Init, "RecvInit").next, Up);
  assert.equal(applyEvent(Init, "RecvUp").next, Up);
  assert.equal(applyEvent(Init, "RecvDown").next, Init);
});

// "Else (bfd.SessionState is Up): If received State is Down: Set bfd.LocalDiag to 3, Set bfd.SessionState to Down"
Deno.test("applyEvent() Up + received Down -> Down with diag 3 and clients told (§6.8.6)", () => {
  const { next, actions } = applyEvent(Up, "RecvDown");
  assert.equal(next, Down);
  assert.deepEqual(actions[0], {
    type: "setDiagnostic",
    diagnostic: BfdDiagnostic.NeighborSignaledSessionDown,
  });
  assert.ok(actions.some((a) => a.type === "notifyDown"));
});

// "If received state is AdminDown: If bfd.SessionState is not Down: Set bfd.LocalDiag to 3, Set bfd.SessionState to Down"
Deno.test("applyEvent() received AdminDown -> Down with diag 3, not a client failure (§6.8.6, RFC 5882 §3.2)", () => {
  for (const from of [Init, Up]) {
    const { next, actions } = applyEvent(from, "RecvAdminDown");
    assert.equal(next, Down);
    assert.ok(actions.some((a) => a.type === "setDiagnostic" && a.diagnostic === 3));
    assert.ok(!actions.some((a) => a.type === "notifyDown"));
  }
  assert.deepEqual(applyEvent(Down, "RecvAdminDown"), { next: Down, actions: [] });
});

// §6.8.4 / §6.8.1 detection time expiry
Deno.test("applyEvent() detection time expiry -> Down, diag 1, RemoteDiscr cleared (§6.8.4, §6.8.1)", () => {
  for (const from of [Init, Up]) {
    const { next, actions } = applyEvent(from, "DetectionTimeExpired");
    assert.equal(next, Down);
    assert.deepEqual(actions[0], { type: "setDiagnostic", diagnostic: 1 });
    assert.ok(actions.some((a) => a.type === "clearRemoteDiscriminator"));
  }
  assert.ok(applyEvent(Up, "DetectionTimeExpired").actions.some((a) => a.type === "notifyDown"));
  assert.ok(!applyEvent(Init, "DetectionTimeExpired").actions.some((a) => a.type === "notifyDown"));
});

// "If bfd.SessionState is AdminDown: Discard the packet"
Deno.test("applyEvent() AdminDown ignores every received state (§6.8.6)", () => {
  for (const event of ["RecvAdminDown", "RecvDown", "RecvInit", "RecvUp"] as const) {
    assert.deepEqual(applyEvent(AdminDown, event), { next: AdminDown, actions: [] });
  }
});

Deno.test("applyEvent() AdminDown from any state sets diag 7, AdminUp returns to Down (§6.8.16)", () => {
  for (const from of [Down, Init, Up]) {
    const { next, actions } = applyEvent(from, "AdminDown");
    assert.equal(next, AdminDown);
    assert.deepEqual(actions[0], { type: "setDiagnostic", diagnostic: 7 });
  }
  assert.equal(applyEvent(AdminDown, "AdminUp").next, Down);
});

Deno.test("receiveEvent() maps the State field to the Recv* events", () => {
  assert.deepEqual([0, 1, 2, 3].map((s) => receiveEvent(s as BfdState)), [
    "RecvAdminDown",
    "RecvDown",
    "RecvInit",
    "RecvUp",
  ]);
});
