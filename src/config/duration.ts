/**
 * Durations in config files. The native dialect accepts Go/Kubernetes style
 * strings ("10s", "300ms", "1m30s") and plain integers meaning seconds, as
 * Kubernetes probe fields do. anycastd's file is read by Go's
 * `time.ParseDuration`, so there only strings are durations.
 *
 * @module
 */

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** One or more `<number><unit>` groups, as Go's time.ParseDuration accepts (without sign). */
export const DURATION_PATTERN = "^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$|^0$";
const DURATION_RE = new RegExp(DURATION_PATTERN);
const GROUP_RE = /([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/g;

/** Whether `text` is a duration string ("10s", "1m30s", "300ms", "0"). */
export function isDurationString(text: string): boolean {
  return DURATION_RE.test(text);
}

/**
 * Parse a duration string into milliseconds (fractions of a millisecond are
 * rounded). Throws `SyntaxError` on anything else.
 */
export function parseDurationString(text: string): number {
  if (!DURATION_RE.test(text)) throw new SyntaxError(`Cannot parse duration: "${text}"`);
  if (text === "0") return 0;
  let ms = 0;
  for (const [, amount, unit] of text.matchAll(GROUP_RE)) {
    ms += Number(amount) * (UNIT_MS[unit ?? "s"] ?? 1000);
  }
  return Math.round(ms);
}

/**
 * Parse a native-dialect duration: a duration string or a non-negative
 * integer number of seconds. Returns milliseconds.
 */
export function parseDuration(value: string | number): number {
  if (typeof value === "number") {
    if (!Number.isInteger(value) || value < 0) {
      throw new RangeError(`Cannot parse duration: ${value} is not a whole number of seconds`);
    }
    return value * 1000;
  }
  return parseDurationString(value);
}

/** Format milliseconds back to the shortest duration string ("1m30s", "300ms"). */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  let rest = ms;
  let out = "";
  for (const [unit, size] of [["h", 3_600_000], ["m", 60_000], ["s", 1000]] as const) {
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  if (rest > 0) out += `${rest}ms`;
  return out;
}
