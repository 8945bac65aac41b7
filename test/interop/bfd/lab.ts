/**
 * BFD interop lab for test/interop/bfd_*_test.ts: the namespace launchers of
 * src/lab/bfd_netns.ts plus bfdInteropTest(), which registers the tests.
 */
export {
  Agent,
  type AgentSessionConfig,
  type AgentStateEvent,
  BirdBfd,
  FrrBfd,
  isAlive,
  NetnsPair,
  run,
  sleep,
  waitUntil,
} from "../../../src/lab/bfd_netns.ts";
import { commandExists } from "../../../src/lab/mod.ts";

/**
 * Register a BFD interop test needing `binaries`. Missing ones make the test
 * ignored (named so) on a developer machine and a failure under CI=true.
 */
export async function bfdInteropTest(
  name: string,
  binaries: string[],
  fn: () => Promise<void>,
): Promise<void> {
  const missing: string[] = [];
  for (const b of ["ip", "unshare", ...binaries]) if (!(await commandExists(b))) missing.push(b);
  if (missing.length > 0 && Deno.env.get("CI") === "true") {
    Deno.test(name, () => {
      throw new Error(`Interop daemon missing under CI: ${missing.join(", ")}`);
    });
    return;
  }
  if (missing.length === 0 && Deno.uid() !== 0) missing.push("root (network namespaces)");
  Deno.test({
    name: missing.length > 0 ? `${name} (${missing.join(", ")} not available)` : name,
    ignore: missing.length > 0,
    fn,
  });
}
