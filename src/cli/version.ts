/** Release version; `--version` adds the git revision when known. */
export const VERSION = "0.1.0";
