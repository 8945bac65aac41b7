/** `force` on withdraw, drain and maintenance (fleet guard override, docs/fleet.md). */
import assert from "node:assert/strict";
import { controlHandler } from "../../../src/control/server.ts";
import type { ControlBackend, OperatorOptions } from "../../../src/control/types.ts";

function backend(seen: unknown[]): ControlBackend {
  return {
    withdraw: (_p: string, o?: OperatorOptions) => void seen.push(["withdraw", o]),
    drain: (_t: unknown, o?: OperatorOptions) => (seen.push(["drain", o]), ["192.0.2.1/32"]),
    maintenance: (_p: string, _on: boolean, o?: OperatorOptions) =>
      void seen.push(["maintenance", o]),
  } as unknown as ControlBackend;
}

const post = (path: string, body: unknown) =>
  new Request(`http://anycast${path}`, { method: "POST", body: JSON.stringify(body) });

Deno.test("control API passes force to withdraw, drain and maintenance", async () => {
  const seen: unknown[] = [];
  const handle = controlHandler(backend(seen));
  for (
    const [path, body] of [
      ["/v1/withdraw", { prefix: "192.0.2.1/32", force: true }],
      ["/v1/drain", { prefix: "192.0.2.1/32", force: true }],
      ["/v1/maintenance", { prefix: "192.0.2.1/32", on: true, force: true }],
      ["/v1/drain", { prefix: "192.0.2.1/32" }],
    ] as const
  ) {
    const r = await handle(post(path, body));
    assert.equal(r.status, 200, await r.text());
  }
  assert.deepEqual(seen, [
    ["withdraw", { force: true }],
    ["drain", { force: true }],
    ["maintenance", { force: true }],
    ["drain", {}],
  ]);
});

Deno.test("control API rejects a force that is not a boolean", async () => {
  const handle = controlHandler(backend([]));
  const r = await handle(post("/v1/drain", { prefix: "192.0.2.1/32", force: "yes" }));
  assert.equal(r.status, 400);
  assert.match((await r.json()).error, /Invalid force: expected true or false/);
});
