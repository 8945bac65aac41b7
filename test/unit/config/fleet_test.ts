import assert from "node:assert/strict";
import { formatConfigError, parseConfig } from "../../../src/config/mod.ts";

const NATIVE_HEAD = "speaker: { asn: 64600, routerId: 192.0.2.10 }\n";
const ANYCASTD_HEAD = `announcer:
  router_id: 192.0.2.10
  local_address: 192.0.2.10
  local_asn: 64600
  routes: ["198.51.100.1/32"]
  peers: [{ name: r1, remote_address: 192.0.2.254, remote_asn: 64599 }]
`;

function errors(text: string): string[] {
  const r = parseConfig(text, "f.yaml");
  assert.equal(r.ok, false, "expected the config to be invalid");
  return r.ok ? [] : r.errors.map(formatConfigError);
}

Deno.test("parseConfig() reads a native fleet block with its defaults", () => {
  const r = parseConfig(
    NATIVE_HEAD + 'fleet: { site: fra1, etcd: { endpoints: ["10.0.0.1:2379"] } }\n',
    "f.yaml",
  );
  assert.ok(r.ok);
  assert.deepEqual(r.config.fleet, {
    site: "fra1",
    etcd: { endpoints: ["http://10.0.0.1:2379"], prefix: "/anycast/", timeoutMs: 2000 },
    leaseTtlSeconds: 5,
    guard: { minSites: 1, minPercent: 0, exclude: [] },
    onEtcdLoss: "local",
  });
});

Deno.test("parseConfig() reads every native fleet field", () => {
  const r = parseConfig(
    NATIVE_HEAD + `fleet:
  site: ams2
  etcd:
    endpoints: ["etcd1:2379", "https://etcd2:2379"]
    prefix: /prod/anycast
    ca: /ca.pem
    cert: /c.pem
    key: /k.pem
    username: anycast
    passwordFile: /pw
    timeout: 500ms
  leaseTtl: 2500ms
  guard: { minSites: 2, minPercent: 40, exclude: ["198.51.100.9"] }
  onEtcdLoss: hold
`,
    "f.yaml",
  );
  assert.ok(r.ok);
  assert.deepEqual(r.config.fleet, {
    site: "ams2",
    etcd: {
      endpoints: ["https://etcd1:2379", "https://etcd2:2379"],
      prefix: "/prod/anycast/",
      ca: "/ca.pem",
      cert: "/c.pem",
      key: "/k.pem",
      username: "anycast",
      passwordFile: "/pw",
      timeoutMs: 500,
    },
    leaseTtlSeconds: 3,
    guard: { minSites: 2, minPercent: 40, exclude: ["198.51.100.9/32"] },
    onEtcdLoss: "hold",
  });
});

Deno.test("parseConfig() reads the anycastd dialect's own fleet key in snake_case", () => {
  const r = parseConfig(
    ANYCASTD_HEAD + `fleet:
  site: fra1
  etcd: { endpoints: ["http://10.0.0.1:2379"], username: u, password_file: /pw, timeout: 1s }
  guard: { min_sites: 3, min_percent: 10 }
  on_etcd_loss: hold
  lease_ttl: 4s
`,
    "f.yaml",
  );
  assert.ok(r.ok);
  assert.equal(r.config.dialect, "anycastd");
  assert.deepEqual(r.config.fleet?.guard, { minSites: 3, minPercent: 10, exclude: [] });
  assert.equal(r.config.fleet?.etcd.passwordFile, "/pw");
  assert.equal(r.config.fleet?.leaseTtlSeconds, 4);
  assert.equal(r.config.fleet?.onEtcdLoss, "hold");
});

Deno.test("parseConfig() reports bad fleet fields, each with its path", () => {
  const e = errors(
    NATIVE_HEAD + `fleet:
  site: "a/b"
  etcd: { endpoints: [], password: x, passwordFile: y, cert: /c.pem }
  guard: { minSites: -1, minPercent: 101, exclude: ["10.0.0.1/8"] }
  onEtcdLoss: maybe
  leaseTtl: soon
`,
  ).join("\n");
  for (
    const want of [
      /fleet\.site: expected a site name/,
      /fleet\.etcd\.endpoints: expected at least one endpoint/,
      /fleet\.etcd\.passwordFile: expected password or passwordFile, not both/,
      /fleet\.etcd\.username: expected a username with the password/,
      /fleet\.etcd\.key: expected cert and key together/,
      /fleet\.guard\.minSites: expected integer 0-100000/,
      /fleet\.guard\.minPercent: expected integer 0-100/,
      /fleet\.guard\.exclude\[0\]: expected a network with host bits zero/,
      /fleet\.onEtcdLoss: expected one of local, hold/,
      /fleet\.leaseTtl: expected a duration/,
    ]
  ) assert.match(e, want);
});

Deno.test("parseConfig() rejects an anycastd fleet duration given as a bare number", () => {
  const e = errors(
    ANYCASTD_HEAD + 'fleet: { etcd: { endpoints: ["10.0.0.1:2379"] }, lease_ttl: 5 }\n',
  );
  assert.match(e.join("\n"), /fleet\.lease_ttl: expected a duration string/);
});

Deno.test("parseConfig() rejects an IP endpoint with TLS (the TLS client needs a server name)", () => {
  const e = errors(
    NATIVE_HEAD +
      'fleet: { etcd: { endpoints: ["https://10.0.0.1:2379", "etcd2:2379"], ca: /ca.pem } }\n',
  );
  assert.equal(e.length, 1);
  assert.match(e[0]!, /fleet\.etcd\.endpoints\[0\]: expected a host name with TLS/);
});
