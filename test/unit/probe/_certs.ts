/** Test certificates made with openssl in a temporary directory. */

export interface CertSet {
  dir: string;
  caPem: string;
  leafPem: string;
  leafKey: string;
  /** CA first, then the leaf: the picker must still choose the leaf. */
  bundlePath: string;
  leafPath: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  const out = await new Deno.Command("openssl", { args, cwd, stdout: "null", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
}

/** A CA "Test CA" and a leaf "leaf.test" (SAN DNS:leaf.test, DNS:localhost, IP:127.0.0.1) valid for `days`. */
export async function makeCerts(days = 30): Promise<CertSet> {
  const dir = await Deno.makeTempDir({ prefix: "anycast-certs-" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await openssl([
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "30",
    "-subj",
    "/CN=Test CA",
  ], dir);
  await openssl(
    ["req", ...ec, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=leaf.test"],
    dir,
  );
  await Deno.writeTextFile(
    `${dir}/ext.cnf`,
    "basicConstraints=critical,CA:FALSE\nsubjectAltName=DNS:leaf.test,DNS:localhost,IP:127.0.0.1\n",
  );
  await openssl([
    "x509",
    "-req",
    "-in",
    "leaf.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "leaf.pem",
    "-days",
    String(days),
    "-extfile",
    "ext.cnf",
  ], dir);
  const caPem = await Deno.readTextFile(`${dir}/ca.pem`);
  const leafPem = await Deno.readTextFile(`${dir}/leaf.pem`);
  await Deno.writeTextFile(`${dir}/bundle.pem`, caPem + leafPem);
  return {
    dir,
    caPem,
    leafPem,
    leafKey: await Deno.readTextFile(`${dir}/leaf.key`),
    bundlePath: `${dir}/bundle.pem`,
    leafPath: `${dir}/leaf.pem`,
  };
}
