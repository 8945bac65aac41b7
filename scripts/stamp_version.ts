/**
 * Stamp the git revision into src/cli/_revision.ts so a compiled binary (which
 * has no .git beside it) still prints it in `anycast --version`.
 *
 *   deno run -A scripts/stamp_version.ts            # stamp `git rev-parse HEAD`
 *   deno run -A scripts/stamp_version.ts --reset    # back to the committed file
 *   deno run -A scripts/stamp_version.ts --compile  # stamp, deno compile, always reset
 *                                                   # (deno task compile)
 *
 * Without git (e.g. a container build whose context has no .git), the
 * revision comes from $ANYCAST_REVISION; without either, nothing is stamped
 * and `--version` prints the bare version.
 *
 * @module
 */
const target = new URL("../src/cli/_revision.ts", import.meta.url);

/**
 * V8 flags baked into the compiled binary (the `anycast` task and the Containerfile use the
 * same): a 1 MB young generation instead of V8's default of up to 16 MB per semi-space keeps
 * the idle daemon ~7 MB smaller and the daemon under 1,000 probes ~40 MB smaller, at the same
 * CPU (docs/operations.md, "Failover time and footprint").
 */
export const V8_FLAGS = "--max-semi-space-size=1";

const HEADER = `/**
 * The git revision stamped into a build by \`scripts/stamp_version.ts\`
 * (\`deno task compile\` stamps before compiling and resets after). Undefined in
 * a checkout, where \`--version\` reads \`.git\` itself.
 *
 * @module
 */
`;

/** The file's text for `revision` (undefined: the committed, unstamped file). */
export function revisionModule(revision: string | undefined): string {
  const value = revision === undefined ? "undefined" : JSON.stringify(revision);
  return `${HEADER}export const STAMPED_REVISION: string | undefined = ${value};\n`;
}

/** The 12-digit revision of HEAD, or $ANYCAST_REVISION, or undefined. */
export function currentRevision(): string | undefined {
  try {
    const out = new Deno.Command("git", {
      args: ["rev-parse", "--short=12", "HEAD"],
      cwd: new URL("..", import.meta.url),
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    const rev = new TextDecoder().decode(out.stdout).trim();
    if (out.success && /^[0-9a-f]{7,40}$/.test(rev)) return rev;
  } catch {
    // git not installed: fall through to the environment.
  }
  const env = Deno.env.get("ANYCAST_REVISION")?.trim().toLowerCase();
  return env && /^[0-9a-f]{7,40}$/.test(env) ? env.slice(0, 12) : undefined;
}

/** Stamp, compile dist/anycast, and put the committed file back even when compiling fails. */
async function compile(): Promise<number> {
  const revision = currentRevision();
  await Deno.writeTextFile(target, revisionModule(revision));
  try {
    const status = await new Deno.Command(Deno.execPath(), {
      args: [
        "compile",
        "-A",
        `--v8-flags=${V8_FLAGS}`,
        // Workers are separate modules: the reload's config loader runs in one.
        "--include",
        "src/config/_load_worker_entry.ts",
        "--output",
        "dist/anycast",
        "main.ts",
      ],
      cwd: new URL("..", import.meta.url),
    }).spawn().status;
    return status.code;
  } finally {
    await Deno.writeTextFile(target, revisionModule(undefined));
  }
}

if (import.meta.main && Deno.args.includes("--compile")) {
  Deno.exit(await compile());
} else if (import.meta.main) {
  const reset = Deno.args.includes("--reset");
  const revision = reset ? undefined : currentRevision();
  await Deno.writeTextFile(target, revisionModule(revision));
  console.error(
    reset ? "src/cli/_revision.ts reset" : `src/cli/_revision.ts stamped: ${revision ?? "unknown"}`,
  );
}
