import assert from "node:assert/strict";

// The interop suites need real peers. Under CI=true a missing daemon is a
// failure, never a silent skip; on a developer machine the suite says what to install.
const DAEMONS = [
  ["gobgpd", "gobgpd"],
  ["gobgp", "gobgpd"],
  ["bird", "bird2"],
  ["birdc", "bird2"],
  ["/usr/lib/frr/bgpd", "frr"],
  ["/usr/lib/frr/bfdd", "frr"],
  ["/usr/lib/frr/zebra", "frr"],
  ["exabgp", "exabgp"],
];

async function which(cmd: string): Promise<boolean> {
  if (cmd.startsWith("/")) {
    return await Deno.stat(cmd).then((s) => s.isFile, () => false);
  }
  const out = await new Deno.Command("sh", { args: ["-c", `command -v ${cmd}`], stdout: "null" })
    .output();
  return out.success;
}

Deno.test("interop peers are installed (gobgpd, bird2, frr, exabgp)", async () => {
  const missing: string[] = [];
  for (const [cmd, pkg] of DAEMONS) if (!(await which(cmd!))) missing.push(`${cmd} (${pkg})`);
  assert.deepEqual(missing, [], `missing interop daemons: ${missing.join(", ")}; run .ci/run`);
});
