/**
 * A small reading of Python argparse's command-line rules, enough to read an
 * ExaBGP healthcheck command line the way the healthcheck itself does:
 * `--opt value`, `--opt=value`, `-o value`, `-ovalue`, unique prefixes of
 * long options (`--fast` = `--fast-interval`), and `nargs='?'` options.
 *
 * @module
 */

/** How an option takes its value. */
export type OptionArity = "flag" | "value" | "append" | "optional";

export interface OptionSpec {
  /** Every spelling, long and short: ["--interval", "-i"]. */
  names: readonly string[];
  /** Key the parsed value is stored under. */
  dest: string;
  arity: OptionArity;
  /** Value stored for an `optional` option given without one (argparse `const`). */
  constant?: string;
}

/** Parsed options: a flag is `true`, a value a string, an appended option a string list. */
export type ParsedOptions = Record<string, string | true | string[]>;

/** One option as written, for error messages and the unsupported-option report. */
export interface SeenOption {
  /** The canonical (first) spelling of the option. */
  name: string;
  dest: string;
}

/**
 * Parse `argv` against `specs`. Throws `SyntaxError` for an unknown or
 * ambiguous option, a missing value, or a positional argument (the
 * healthcheck takes none).
 */
export function parseArgs(
  args: readonly string[],
  specs: readonly OptionSpec[],
): { options: ParsedOptions; seen: SeenOption[] } {
  let argv = [...args];
  const options: ParsedOptions = {};
  const seen: SeenOption[] = [];
  const longNames = specs.flatMap((s) => s.names.filter((n) => n.startsWith("--")));
  const byName = new Map(specs.flatMap((s) => s.names.map((n) => [n, s] as const)));

  const lookupLong = (written: string): OptionSpec => {
    const exact = byName.get(written);
    if (exact) return exact;
    // argparse accepts any unique prefix of a long option.
    const matches = longNames.filter((n) => n.startsWith(written));
    const owners = new Set(matches.map((n) => byName.get(n)));
    if (owners.size === 1) return byName.get(matches[0]!)!;
    if (owners.size > 1) {
      throw new SyntaxError(
        `Cannot parse healthcheck option ${written}: ambiguous (${matches.join(", ")})`,
      );
    }
    throw new SyntaxError(`Cannot parse healthcheck option ${written}: unknown option`);
  };

  let i = 0;
  while (i < argv.length) {
    const arg = argv[i++]!;
    if (arg === "--") {
      if (i < argv.length) {
        throw new SyntaxError(
          `Cannot parse healthcheck arguments: unexpected argument "${argv[i]}"`,
        );
      }
      break;
    }
    let spec: OptionSpec;
    let inline: string | undefined;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const written = eq === -1 ? arg : arg.slice(0, eq);
      inline = eq === -1 ? undefined : arg.slice(eq + 1);
      spec = lookupLong(written);
    } else if (arg.startsWith("-") && arg.length > 1 && !/^-[0-9.]/.test(arg)) {
      // Short options: "-sF" is one option in the healthcheck, so try the longest match first.
      const whole = byName.get(arg);
      if (whole) spec = whole;
      else {
        const short = byName.get(arg.slice(0, 2));
        if (!short) {
          throw new SyntaxError(`Cannot parse healthcheck option ${arg}: unknown option`);
        }
        spec = short;
        inline = arg.slice(2).replace(/^=/, "");
      }
    } else {
      throw new SyntaxError(
        `Cannot parse healthcheck arguments: unexpected argument "${arg}" (the healthcheck takes only options)`,
      );
    }
    const name = spec.names[0]!;
    seen.push({ name, dest: spec.dest });
    if (spec.arity === "flag") {
      if (inline !== undefined && inline !== "" && !arg.startsWith("--")) {
        // Clustered short flags, as argparse reads them: "-sd" is "-s -d".
        options[spec.dest] = true;
        i--;
        argv = [...argv.slice(0, i), `-${inline}`, ...argv.slice(i + 1)];
        continue;
      }
      if (inline !== undefined) {
        throw new SyntaxError(`Cannot parse healthcheck option ${name}: it takes no value`);
      }
      options[spec.dest] = true;
      continue;
    }
    let value = inline;
    if (value === undefined) {
      const next = argv[i];
      const nextIsValue = next !== undefined && (!next.startsWith("-") || /^-[0-9]/.test(next));
      if (nextIsValue) {
        value = next;
        i++;
      } else if (spec.arity === "optional") {
        value = spec.constant ?? "";
      } else {
        throw new SyntaxError(`Cannot parse healthcheck option ${name}: expected a value`);
      }
    }
    if (spec.arity === "append") {
      const list = options[spec.dest];
      options[spec.dest] = Array.isArray(list) ? [...list, value] : [value];
    } else {
      options[spec.dest] = value;
    }
  }
  return { options, seen };
}

/**
 * The healthcheck's `--config FILE` format: one long option per line,
 * `name = value` or a bare `name`, `#` comments. Returns the equivalent
 * arguments, as the healthcheck builds them.
 */
export function configFileArgs(text: string): string[] {
  return text.split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .flatMap((line) => {
      const eq = line.indexOf("=");
      return eq === -1
        ? [`--${line}`]
        : [`--${line.slice(0, eq).trim()}`, line.slice(eq + 1).trim()];
    });
}

/** Quote one argument for a POSIX shell only when it needs it. */
export function shellQuote(arg: string): string {
  if (arg !== "" && /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'"'"'`)}'`;
}
