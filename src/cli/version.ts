import { STAMPED_REVISION } from "./_revision.ts";

/** Release version; `--version` adds the git revision when known. */
export const VERSION = "0.1.0";

/**
 * The git revision of the checkout this file runs from, read straight from
 * `.git` (no subprocess); undefined in a compiled binary or outside git.
 */
export function gitRevision(): string | undefined {
  try {
    const gitDir = new URL("../../.git/", import.meta.url);
    const head = Deno.readTextFileSync(new URL("HEAD", gitDir)).trim();
    if (!head.startsWith("ref: ")) return head.slice(0, 12);
    const ref = head.slice(5);
    try {
      return Deno.readTextFileSync(new URL(ref, gitDir)).trim().slice(0, 12);
    } catch {
      const packed = Deno.readTextFileSync(new URL("packed-refs", gitDir));
      const line = packed.split("\n").find((l) => l.endsWith(` ${ref}`));
      return line?.slice(0, 12);
    }
  } catch {
    return undefined;
  }
}

/** "0.1.0 (git 1a2b3c4d5e6f)" or just "0.1.0". */
export function versionString(): string {
  // A checkout's .git wins; a compiled binary has none and uses the stamp (scripts/stamp_version.ts).
  const rev = gitRevision() ?? STAMPED_REVISION;
  return rev ? `${VERSION} (git ${rev})` : VERSION;
}
