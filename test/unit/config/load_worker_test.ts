/** The reload's off-thread loader gives the same config as the in-thread one, secrets included. */
import assert from "node:assert/strict";
import { loadConfig } from "../../../src/config/load.ts";
import { loadConfigOffThread } from "../../../src/config/load_worker.ts";
import { Secret } from "../../../src/config/secret.ts";
import { diffConfig } from "../../../src/daemon/reload.ts";

const YAML = `
speaker:
  asn: 64600
  routerId: 192.0.2.10
neighbors:
  - address: 192.0.2.254
    asn: 64599
    password: "s3cret-md5"
prefixes:
  - ipAddress: 198.51.100.1/32
`;

Deno.test("loadConfigOffThread() carries inline secrets across the worker as Secrets", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/config.yaml`, YAML);
    const here = await loadConfig(`${dir}/config.yaml`);
    const there = await loadConfigOffThread(`${dir}/config.yaml`);
    assert.ok(here.ok && there.ok);
    const password = there.config.neighbors[0]!.password;
    assert.ok(password instanceof Secret, "a Secret, not the {} structured clone leaves");
    assert.equal(password.reveal(), "s3cret-md5");
    // A reload of the same file changes nothing (a changed neighbor would be reset with 6/6).
    const diff = diffConfig(here.config, there.config);
    assert.equal(diff.neighbors.changed.length, 0);
    assert.equal(diff.prefixes.changed.length, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
