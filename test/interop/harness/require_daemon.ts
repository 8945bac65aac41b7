import {
  commandExists,
  DAEMON_BINARIES,
  type DaemonName,
  missingBinaries,
} from "../../../src/lab/mod.ts";

/**
 * Whether `name` is installed. Under CI=true a missing daemon throws (so the
 * test run fails); elsewhere it returns false and the caller marks the test ignored.
 */
export async function requireDaemon(name: DaemonName): Promise<boolean> {
  const d = DAEMON_BINARIES[name];
  return await requireBinaries(d.binaries, d.package);
}

/** requireDaemon() for any list of binaries (absolute paths or names on PATH). */
export async function requireBinaries(
  binaries: readonly string[],
  packageName: string,
): Promise<boolean> {
  const missing: string[] = [];
  for (const b of binaries) if (!(await commandExists(b))) missing.push(b);
  if (missing.length === 0) return true;
  const message = `${missing.join(", ")} not installed (Debian package ${packageName})`;
  if (Deno.env.get("CI") === "true") throw new Error(`Interop daemon missing under CI: ${message}`);
  return false;
}

export interface InteropTestDefinition {
  name: string;
  /** Daemons the test needs; if one is missing the test is ignored, visibly (failed under CI). */
  daemons: DaemonName[];
  fn: (t: Deno.TestContext) => Promise<void>;
  /** Passed through to Deno.test. Default: sanitizers on. */
  sanitizeOps?: boolean;
  sanitizeResources?: boolean;
}

/**
 * Register an interop test. When a daemon is missing the test is still listed,
 * as ignored with "(gobgpd not installed)" in its name; under CI=true it fails instead.
 */
export async function interopTest(def: InteropTestDefinition): Promise<void> {
  const missing: string[] = [];
  for (const d of def.daemons) missing.push(...(await missingBinaries(d)));
  const unique = [...new Set(missing)];
  if (unique.length > 0 && Deno.env.get("CI") === "true") {
    Deno.test(def.name, () => {
      throw new Error(`Interop daemon missing under CI: ${unique.join(", ")}`);
    });
    return;
  }
  Deno.test({
    name: unique.length > 0 ? `${def.name} (${unique.join(", ")} not installed)` : def.name,
    ignore: unique.length > 0,
    fn: def.fn,
    ...(def.sanitizeOps !== undefined ? { sanitizeOps: def.sanitizeOps } : {}),
    ...(def.sanitizeResources !== undefined ? { sanitizeResources: def.sanitizeResources } : {}),
  });
}
