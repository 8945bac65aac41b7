/**
 * The control API refuses default routes, special-purpose ranges and next
 * hops that cannot forward, each with a 400 that says why, before the
 * backend sees the request.
 */
import assert from "node:assert/strict";
import { controlHandler } from "../../../src/control/server.ts";
import { allowingRange, nextHopRefusal, prefixRefusal } from "../../../src/control/route_safety.ts";
import { FakeBackend } from "./_fake_backend.ts";

async function announce(body: Record<string, unknown>) {
  const backend = new FakeBackend();
  const response = await controlHandler(backend)(
    new Request("http://anycast/v1/announce", { method: "POST", body: JSON.stringify(body) }),
  );
  return { status: response.status, body: await response.json(), calls: backend.calls };
}

const SPECIAL = "a special-purpose range the control API never announces";

/** Every refused prefix, with the exact message. */
const REFUSED_PREFIXES: [string, string][] = [
  ["0.0.0.0/0", "Refused 0.0.0.0/0: the control API never announces a default route"],
  ["::/0", "Refused ::/0: the control API never announces a default route"],
  [
    "0.0.0.0/8",
    `Refused 0.0.0.0/8: it is 0.0.0.0/8 ("this network", RFC 791/RFC 6890), ${SPECIAL}`,
  ],
  [
    "0.0.0.0/32",
    `Refused 0.0.0.0/32: it lies inside 0.0.0.0/8 ("this network", RFC 791/RFC 6890), ${SPECIAL}`,
  ],
  ["127.0.0.0/8", `Refused 127.0.0.0/8: it is 127.0.0.0/8 (loopback, RFC 1122), ${SPECIAL}`],
  [
    "127.0.0.1",
    `Refused 127.0.0.1/32: it lies inside 127.0.0.0/8 (loopback, RFC 1122), ${SPECIAL}`,
  ],
  ["224.0.0.0/4", `Refused 224.0.0.0/4: it is 224.0.0.0/4 (multicast, RFC 5771), ${SPECIAL}`],
  [
    "239.1.2.0/24",
    `Refused 239.1.2.0/24: it lies inside 224.0.0.0/4 (multicast, RFC 5771), ${SPECIAL}`,
  ],
  ["240.0.0.0/4", `Refused 240.0.0.0/4: it is 240.0.0.0/4 (reserved, RFC 1112), ${SPECIAL}`],
  [
    "255.255.255.255/32",
    `Refused 255.255.255.255/32: it lies inside 240.0.0.0/4 (reserved, RFC 1112), ${SPECIAL}`,
  ],
  ["::/128", `Refused ::/128: it is ::/128 (unspecified address, RFC 4291), ${SPECIAL}`],
  ["::1/128", `Refused ::1/128: it is ::1/128 (loopback, RFC 4291), ${SPECIAL}`],
  ["ff00::/8", `Refused ff00::/8: it is ff00::/8 (multicast, RFC 4291), ${SPECIAL}`],
  ["ff02::1", `Refused ff02::1/128: it lies inside ff00::/8 (multicast, RFC 4291), ${SPECIAL}`],
  ["fe80::/10", `Refused fe80::/10: it is fe80::/10 (link-local unicast, RFC 4291), ${SPECIAL}`],
  [
    "fe80::1/128",
    `Refused fe80::1/128: it lies inside fe80::/10 (link-local unicast, RFC 4291), ${SPECIAL}`,
  ],
  [
    "::ffff:0:0/96",
    `Refused ::ffff:0:0/96: it is ::ffff:0:0/96 (IPv4-mapped addresses, RFC 4291), ${SPECIAL}`,
  ],
  // Less specifics that cover a special range are refused too.
  [
    "0.0.0.0/1",
    `Refused 0.0.0.0/1: it covers 0.0.0.0/8 ("this network", RFC 791/RFC 6890), ${SPECIAL}`,
  ],
  [
    "192.0.0.0/2",
    `Refused 192.0.0.0/2: it covers 224.0.0.0/4 (multicast, RFC 5771), ${SPECIAL}`,
  ],
  ["::/1", `Refused ::/1: it covers ::/128 (unspecified address, RFC 4291), ${SPECIAL}`],
];

for (const [prefix, message] of REFUSED_PREFIXES) {
  Deno.test(`POST /v1/announce refuses ${prefix} with 400 and says why`, async () => {
    const r = await announce({ prefix });
    assert.equal(r.status, 400);
    assert.equal(r.body.error, message);
    assert.deepEqual(r.calls, [], "the backend must not be asked");
  });
}

const REFUSED_NEXT_HOPS: [string, string, string][] = [
  ["198.51.100.0/24", "0.0.0.0", 'unspecified or "this network" address (in 0.0.0.0/8)'],
  ["198.51.100.0/24", "0.1.2.3", 'unspecified or "this network" address (in 0.0.0.0/8)'],
  ["198.51.100.0/24", "127.0.0.1", "loopback address (in 127.0.0.0/8)"],
  ["198.51.100.0/24", "224.0.0.5", "multicast address (in 224.0.0.0/4)"],
  ["198.51.100.0/24", "255.255.255.255", "reserved or broadcast address (in 240.0.0.0/4)"],
  ["2001:db8:1::/48", "::", "unspecified address (in ::/128)"],
  ["2001:db8:1::/48", "::1", "loopback address (in ::1/128)"],
  ["2001:db8:1::/48", "ff02::2", "multicast address (in ff00::/8)"],
];

for (const [prefix, nextHop, what] of REFUSED_NEXT_HOPS) {
  Deno.test(`POST /v1/announce refuses nextHop ${nextHop} with 400 and says why`, async () => {
    const r = await announce({ prefix, nextHop });
    assert.equal(r.status, 400);
    assert.equal(r.body.error, `Refused nextHop ${nextHop}: a ${what} cannot forward traffic`);
    assert.deepEqual(r.calls, []);
  });
}

Deno.test("POST /v1/announce passes ordinary prefixes and next hops to the backend", async () => {
  for (
    const [prefix, nextHop] of [
      ["198.51.100.0/24", "203.0.113.1"],
      ["1.0.0.0/8", "192.0.2.1"],
      ["2001:db8:1::/48", "2001:db8::1"],
    ]
  ) {
    const r = await announce({ prefix, nextHop });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.calls.length, 1);
  }
});

Deno.test("prefixRefusal() and nextHopRefusal() pass what is not special", () => {
  assert.equal(prefixRefusal("198.51.100.0/24"), undefined);
  assert.equal(prefixRefusal("128.0.0.0/2"), undefined);
  assert.equal(prefixRefusal("2001:db8::/32"), undefined);
  assert.equal(nextHopRefusal("203.0.113.9"), undefined);
  assert.equal(nextHopRefusal("fe80::1"), undefined);
});

Deno.test("allowingRange() finds the range itself or one that covers the prefix", () => {
  const allowed = ["198.51.100.0/24", "2001:db8:100::/48"];
  assert.equal(allowingRange("198.51.100.0/24", allowed), "198.51.100.0/24");
  assert.equal(allowingRange("198.51.100.64/26", allowed), "198.51.100.0/24");
  assert.equal(allowingRange("2001:db8:100:1::/64", allowed), "2001:db8:100::/48");
  assert.equal(allowingRange("198.51.100.0/23", allowed), undefined);
  assert.equal(allowingRange("198.51.101.0/24", allowed), undefined);
  assert.equal(allowingRange("2001:db8::/32", allowed), undefined);
  // An IPv4 range never allows an IPv6 prefix, whatever the bits.
  assert.equal(allowingRange("::/96", ["0.0.0.0/0"]), undefined);
});
