/**
 * The git revision stamped into a build by `scripts/stamp_version.ts`
 * (`deno task compile` stamps before compiling and resets after). Undefined in
 * a checkout, where `--version` reads `.git` itself.
 *
 * @module
 */
export const STAMPED_REVISION: string | undefined = undefined;
