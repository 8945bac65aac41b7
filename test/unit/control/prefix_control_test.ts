import assert from "node:assert/strict";
import { PrefixControl } from "../../../src/control/prefix_control.ts";
import { ControlError } from "../../../src/control/types.ts";
import { PolicyEngine, UnknownPrefixError } from "../../../src/health/engine.ts";
import type { RouteSpec } from "../../../src/health/policy.ts";
import { FakeClock } from "../../../src/util/clock.ts";
import { prefixConfig, tcpProbe } from "../health/_fixtures.ts";

/** `null`: no api.allowedPrefixes at all. */
function setup(allowedPrefixes: readonly string[] | null = ["198.51.100.0/24"]) {
  const clock = new FakeClock(10_000);
  const rib = new Map<string, RouteSpec>();
  // The route table as the daemon gives it to the engine and the control API.
  const table = {
    setDesired: (p: string, r: RouteSpec | undefined) => void (r ? rib.set(p, r) : rib.delete(p)),
    announced: rib,
  };
  const engine = new PolicyEngine(
    [
      prefixConfig({ prefix: "192.0.2.1/32", drainMs: 5000 }),
      prefixConfig({ prefix: "192.0.2.2/32", readinessProbe: tcpProbe }),
    ],
    table,
    { clock },
  );
  engine.start();
  const control = new PrefixControl(engine, table, {
    clock,
    probeResults: (p) => p === "192.0.2.2/32" ? [{ probe: "readiness", ok: false }] : [],
    ...(allowedPrefixes ? { allowedPrefixes } : {}),
  });
  return { clock, rib, engine, control };
}

const status = (control: PrefixControl, prefix: string) =>
  control.prefixes().find((p) => p.prefix === prefix)!;

Deno.test("PrefixControl.prefixes() lists states, announce status and probe results", () => {
  const { control, clock } = setup();
  clock.tick(3000);
  const one = status(control, "192.0.2.1/32");
  assert.equal(one.state, "up");
  assert.equal(one.announced, true);
  assert.equal(one.sinceSeconds, 3);
  const two = status(control, "192.0.2.2/32");
  assert.equal(two.state, "unknown");
  assert.deepEqual(two.probes, [{ probe: "readiness", ok: false }]);
});

Deno.test("PrefixControl announces and withdraws operator prefixes, not configured ones", async () => {
  const { control, rib } = setup();
  control.announce({
    prefix: "198.51.100.0/24",
    communities: ["65000:1"],
    largeCommunities: [],
    med: 9,
  });
  assert.equal(rib.get("198.51.100.0/24")?.attributes.med, 9);
  assert.equal(status(control, "198.51.100.0/24").state, "manual");
  assert.throws(
    () => control.announce({ prefix: "192.0.2.1/32", communities: [], largeCommunities: [] }),
    (e) => e instanceof ControlError && e.status === 409,
  );
  assert.throws(() => control.withdraw("192.0.2.1/32"), /use drain or maintenance/);
  await assert.rejects(() => control.drain({ prefix: "198.51.100.0/24" }), /withdraw it instead/);
  control.withdraw("198.51.100.0/24");
  assert.equal(rib.has("198.51.100.0/24"), false);
  assert.throws(
    () => control.withdraw("198.51.100.0/24"),
    (e) => e instanceof ControlError && e.status === 404,
  );
});

Deno.test("PrefixControl drain and maintenance drive the engine", async () => {
  const { control, rib, clock, engine } = setup();
  assert.deepEqual(await control.drain({ all: true }), ["192.0.2.1/32", "192.0.2.2/32"]);
  assert.ok(rib.get("192.0.2.1/32")?.attributes.communities.includes("65535:0"));
  clock.tick(5000);
  assert.equal(rib.has("192.0.2.1/32"), false);
  await control.undrain({ prefix: "192.0.2.1/32" });
  control.maintenance("192.0.2.1/32", true);
  assert.equal(engine.status("192.0.2.1/32").state, "disabled");
  assert.equal(status(control, "192.0.2.1/32").maintenance, true);
  assert.throws(
    () => control.maintenance("203.0.113.0/24", true),
    /Unknown prefix 203\.0\.113\.0\/24/,
  );
  assert.throws(() => engine.drain("203.0.113.0/24"), UnknownPrefixError);
});

const manual = (prefix: string) => ({ prefix, communities: [], largeCommunities: [] });

function refusedWith(status: number, message: RegExp) {
  return (e: unknown) =>
    e instanceof ControlError && e.status === status && message.test(e.message);
}

Deno.test("PrefixControl without api.allowedPrefixes announces nothing new and says why", async () => {
  const { control, rib } = setup(null);
  assert.throws(
    () => control.announce(manual("198.51.100.7/32")),
    refusedWith(
      403,
      /^Refused 198\.51\.100\.7\/32: api\.allowedPrefixes is not set, so the control API acts only on configured prefixes \(drain, undrain, maintenance\)/,
    ),
  );
  assert.equal(rib.has("198.51.100.7/32"), false);
  // Configured prefixes still answer to drain and maintenance.
  assert.deepEqual(await control.drain({ prefix: "192.0.2.1/32" }), ["192.0.2.1/32"]);
  control.maintenance("192.0.2.2/32", true);
});

Deno.test("PrefixControl with an empty api.allowedPrefixes announces nothing new", () => {
  const { control } = setup([]);
  assert.throws(
    () => control.announce(manual("198.51.100.7/32")),
    refusedWith(403, /api\.allowedPrefixes is empty/),
  );
});

Deno.test("PrefixControl allows the range itself and more specifics of api.allowedPrefixes", () => {
  const { control, rib } = setup(["198.51.100.0/24", "2001:db8:100::/48"]);
  for (const p of ["198.51.100.0/24", "198.51.100.128/25", "198.51.100.9/32"]) {
    control.announce(manual(p));
  }
  control.announce(manual("2001:db8:100::/48"));
  control.announce(manual("2001:db8:100:5::/64"));
  for (const p of ["198.51.100.0/24", "198.51.100.9/32", "2001:db8:100:5::/64"]) {
    assert.ok(rib.has(p), p);
  }
  for (const p of ["198.51.100.0/23", "198.51.101.0/24", "192.0.2.128/25", "2001:db8::/32"]) {
    assert.throws(
      () => control.announce(manual(p)),
      refusedWith(
        403,
        new RegExp(
          `^Refused ${
            p.replace(/[./]/g, "\\$&")
          }: not inside api\\.allowedPrefixes \\(198\\.51\\.100\\.0/24, 2001:db8:100::/48\\)$`,
        ),
      ),
      p,
    );
    assert.equal(rib.has(p), false);
  }
});

Deno.test("PrefixControl refuses special-purpose ranges even when api.allowedPrefixes covers them", () => {
  const { control } = setup(["0.0.0.0/0", "::/0"]);
  const cases: [string, RegExp][] = [
    ["0.0.0.0/0", /never announces a default route/],
    ["::/0", /never announces a default route/],
    ["127.0.0.0/8", /is 127\.0\.0\.0\/8 \(loopback/],
    ["10.0.0.0/8", /^$/],
  ];
  for (const [p, message] of cases) {
    if (message.source === "^$") {
      control.announce(manual(p)); // an ordinary prefix inside 0.0.0.0/0 is allowed
      continue;
    }
    assert.throws(() => control.announce(manual(p)), refusedWith(400, message), p);
  }
});
