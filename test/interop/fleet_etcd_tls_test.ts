/**
 * Fleet guard over TLS with client certificates and etcd auth (username +
 * passwordFile), against a real etcd member: `anycast run` registers its site,
 * `anycast fleet` reads it, a wrong password is a clear error. etcd listens on
 * 127.0.0.1:23790 as "localhost" (the TLS client needs a host name, not an IP).
 */
import assert from "node:assert/strict";
import { DaemonProcess, interopTest, runToolOk } from "./harness/mod.ts";
import { cli, RunDaemon, until } from "./_run_daemon.ts";

const CLIENT_URL = "https://localhost:23790";

async function openssl(dir: string, args: string[]): Promise<void> {
  await runToolOk("openssl", args.map((a) => a.replaceAll("$D", dir)));
}

await interopTest({
  name: "fleet guard over TLS + client certificates + etcd auth",
  daemons: ["etcd"],
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "acst-etcd-tls-" });
    let etcd: DaemonProcess | undefined;
    try {
      // A CA, a server certificate for localhost, a client certificate.
      await openssl(dir, [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "$D/ca.key",
        "-out",
        "$D/ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=acst-ca",
      ]);
      for (const [name, cn] of [["server", "etcd"], ["client", "anycast"]]) {
        await openssl(dir, [
          "req",
          "-newkey",
          "rsa:2048",
          "-nodes",
          "-keyout",
          `$D/${name}.key`,
          "-out",
          `$D/${name}.csr`,
          "-subj",
          `/CN=${cn}`,
        ]);
        await Deno.writeTextFile(`${dir}/san.ext`, "subjectAltName=DNS:localhost\n");
        await openssl(dir, [
          "x509",
          "-req",
          "-in",
          `$D/${name}.csr`,
          "-CA",
          "$D/ca.pem",
          "-CAkey",
          "$D/ca.key",
          "-CAcreateserial",
          "-out",
          `$D/${name}.pem`,
          "-days",
          "2",
          ...(name === "server" ? ["-extfile", "$D/san.ext"] : []),
        ]);
      }
      etcd = DaemonProcess.spawn("etcd", [
        "--name",
        "tls0",
        "--data-dir",
        `${dir}/data`,
        "--listen-client-urls",
        "https://127.0.0.1:23790",
        "--advertise-client-urls",
        CLIENT_URL,
        "--listen-peer-urls",
        "http://127.0.0.1:23800",
        "--initial-advertise-peer-urls",
        "http://127.0.0.1:23800",
        "--initial-cluster",
        "tls0=http://127.0.0.1:23800",
        "--cert-file",
        `${dir}/server.pem`,
        "--key-file",
        `${dir}/server.key`,
        "--trusted-ca-file",
        `${dir}/ca.pem`,
        "--client-cert-auth",
      ], { logFile: `${dir}/etcd.log` });
      const ctl = (...args: string[]) =>
        runToolOk("etcdctl", [
          "--endpoints",
          CLIENT_URL,
          "--cacert",
          `${dir}/ca.pem`,
          "--cert",
          `${dir}/client.pem`,
          "--key",
          `${dir}/client.key`,
          ...args,
        ]);
      await until(
        () => ctl("endpoint", "health").then(() => true, () => undefined),
        `etcd over TLS: ${dir}/etcd.log`,
        20_000,
      ).catch(async (e) => {
        const log = await Deno.readTextFile(`${dir}/etcd.log`).catch(() => "");
        throw new Error(`${e}\n${log.slice(-2000)}`);
      });
      await ctl("user", "add", "root:rootpw");
      await ctl("user", "grant-role", "root", "root");
      await ctl("user", "add", "anycast:s3cret");
      await ctl("role", "add", "fleet");
      await ctl("role", "grant-permission", "fleet", "--prefix=true", "readwrite", "/anycast/");
      await ctl("user", "grant-role", "anycast", "fleet");
      await ctl("auth", "enable");
      await Deno.writeTextFile(`${dir}/password`, "s3cret\n");

      await Deno.writeTextFile(
        `${dir}/config.yaml`,
        [
          "speaker: { asn: 64600, routerId: 192.0.2.10, listenPort: 0 }",
          `api: { socket: "${dir}/anycast.sock" }`,
          'prefixes: [{ ipAddress: "198.51.100.70/32" }]',
          "fleet:",
          "  site: tls1",
          "  etcd:",
          `    endpoints: ["${CLIENT_URL}"]`,
          `    ca: ${dir}/ca.pem`,
          `    cert: ${dir}/client.pem`,
          `    key: ${dir}/client.key`,
          "    username: anycast",
          `    passwordFile: ${dir}/password`,
          "",
        ].join("\n"),
      );
      await using daemon = RunDaemon.start(dir);
      await daemon.waitLog(/fleet: site tls1 joined etcd/, 20_000);
      const table = await until(async () => {
        const r = await cli(["fleet", "-c", `${dir}/config.yaml`, "--json"]);
        const t = JSON.parse(r.stdout || "{}") as {
          prefixes?: { prefix: string; sites: { site: string; state: string }[] }[];
        };
        return t.prefixes?.[0]?.sites[0]?.state === "announced" ? t : undefined;
      }, "the site's record over TLS");
      assert.equal(table.prefixes![0]!.prefix, "198.51.100.70/32");
      assert.equal(table.prefixes![0]!.sites[0]!.site, "tls1");

      await Deno.writeTextFile(`${dir}/password`, "wrong\n");
      const refused = await cli(["fleet", "-c", `${dir}/config.yaml`]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /authentication failed, invalid user ID or password/);
    } finally {
      await etcd?.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
