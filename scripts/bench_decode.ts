/**
 * UPDATE decode throughput: 1,000,000 IPv4 /32s packed into maximum-size
 * (4096-byte) UPDATEs with a realistic attribute set, then decoded with
 * `decodeMessage`. Prints routes/s. Bounded: a fixed number of rounds.
 *
 * Usage: `deno task bench:decode [routes=1000000] [rounds=3]`
 *
 * @module
 */
import {
  type CodecContext,
  decodeMessage,
  encodeUpdates,
  type UpdateMessage,
} from "../src/bgp/mod.ts";

const routes = Number(Deno.args[0] ?? 1_000_000);
const rounds = Number(Deno.args[1] ?? 3);
const ctx: CodecContext = {
  fourOctetAs: true,
  extendedMessage: false,
  ibgp: false,
  families: ["ipv4-unicast"],
};

const prefixes = new Array<string>(routes);
for (let i = 0; i < routes; i++) {
  const a = 10 + (i >>> 24), v = i & 0xffffff;
  prefixes[i] = `${a}.${v >>> 16}.${(v >>> 8) & 255}.${v & 255}/32`;
}
const encodeStart = performance.now();
const frames = encodeUpdates({
  family: "ipv4-unicast",
  prefixes,
  attributes: {
    origin: "igp",
    asPath: [{ type: "sequence", asns: [65001, 65002, 4200000001] }],
    med: 10,
    communities: ["65001:100", "65535:65281"],
    largeCommunities: ["65001:1:2"],
  },
  nextHop: "192.0.2.1",
}, ctx);
const encodeSeconds = (performance.now() - encodeStart) / 1000;
const bytes = frames.reduce((n, f) => n + f.length, 0);
console.log(
  `bench_decode: ${routes} IPv4 /32 routes in ${frames.length} UPDATEs (${
    (bytes / 1e6).toFixed(1)
  } MB)`,
);
console.log(
  `  packing + encoding: ${encodeSeconds.toFixed(3)} s, ${
    Math.round(routes / encodeSeconds).toLocaleString("en")
  } routes/s`,
);

let best = 0;
for (let round = 0; round < rounds; round++) {
  let decoded = 0;
  const t0 = performance.now();
  for (const f of frames) decoded += (decodeMessage(f, ctx).message as UpdateMessage).nlri.length;
  const s = (performance.now() - t0) / 1000;
  if (decoded !== routes) throw new Error(`decoded ${decoded} routes, expected ${routes}`);
  const rate = routes / s;
  best = Math.max(best, rate);
  console.log(
    `  round ${round + 1}: ${s.toFixed(3)} s, ${Math.round(rate).toLocaleString("en")} routes/s`,
  );
}
console.log(`best: ${Math.round(best).toLocaleString("en")} routes/s (target >= 500,000)`);

// Prefix strings are built lazily by V8 (cons strings); a RIB hashes them.
// Measure decode + insert into a Map as well, which forces flattening.
const t0 = performance.now();
const rib = new Map<string, UpdateMessage["attributes"]>();
for (const f of frames) {
  const u = decodeMessage(f, ctx).message as UpdateMessage;
  for (const p of u.nlri) rib.set(p, u.attributes);
}
const s = (performance.now() - t0) / 1000;
console.log(
  `decode + Map insert: ${s.toFixed(3)} s, ${
    Math.round(rib.size / s).toLocaleString("en")
  } routes/s`,
);
