/**
 * Zod building blocks shared by both dialect schemas. Every message starts
 * with "expected ..." so the error formatter can append ", got <value>"
 * taken from the document; `%got%` marks where it goes when a hint follows.
 *
 * @module
 */
import { z } from "zod";
import { DURATION_PATTERN, isDurationString } from "./duration.ts";
import { isIPv4, parseAddress, parseHostPort, parsePrefix } from "./_net.ts";
import { parseCommunity, parseExtendedCommunity, parseLargeCommunity } from "./communities.ts";

/**
 * Wrap an object-level refinement. zod runs these even when a field inside
 * already failed, so the value may not have the declared type; any throw
 * then means "already reported", never a crash.
 */
export function guard<T>(
  check: (value: T, ctx: z.RefinementCtx<T>) => void,
): (value: T, ctx: z.RefinementCtx<T>) => void {
  return (value, ctx) => {
    try {
      check(value, ctx);
    } catch {
      // The input has the wrong shape; a field-level issue already says so.
    }
  };
}

/** A mapping that rejects unknown keys (each reported with a did-you-mean hint). */
export function mapping<T extends z.core.$ZodLooseShape>(shape: T) {
  return z.strictObject(shape, { error: "expected a mapping" });
}

export const str = () => z.string({ error: "expected a string" });
export const nonEmpty = () =>
  z.string({ error: "expected a non-empty string" }).min(1, "expected a non-empty string");
export const bool = () => z.boolean({ error: "expected true or false" });

/** An integer in [min, max] with one message for every way of missing it. */
export function intRange(min: number, max: number, what = "integer") {
  const message = max === Number.MAX_SAFE_INTEGER
    ? `expected ${what} >= ${min}`
    : `expected ${what} ${min}-${max}`;
  return z.int({ error: message }).min(min, message).max(max, message);
}

export const port = () => intRange(1, 65535);
export const asn = () => intRange(1, 4294967295, "AS number");
export const threshold = () => intRange(1, 1_000_000);
export const count = () => intRange(1, 1_000_000);

export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: `expected one of ${values.join(", ")}` });
}

export function list<T extends z.ZodType>(item: T) {
  return z.array(item, { error: "expected a list" });
}

export function record<T extends z.ZodType>(value: T) {
  return z.record(z.string(), value, { error: "expected a mapping of names to values" });
}

/** Native duration: "10s", "300ms", "1m30s" or integer seconds (as Kubernetes probes). */
export const duration = () => {
  const message = 'expected a duration such as "10s" or "300ms", or integer seconds';
  // Each branch carries the message too: zod reports a branch's own issue
  // when the input has that branch's type.
  return z.union([
    z.int({ error: message }).min(0, message),
    z.string({ error: message }).regex(new RegExp(DURATION_PATTERN), message),
  ], { error: message });
};

/**
 * anycastd duration: Go's time.ParseDuration string. anycastd itself reads a
 * bare YAML number as nanoseconds, which is never what was meant.
 */
export const goDuration = () =>
  z.string({
    error: (issue) =>
      typeof issue.input === "number"
        ? `expected a duration string such as "10s"%got% (anycastd reads a bare number as nanoseconds: write "${issue.input}s" for seconds)`
        : 'expected a duration string such as "10s" or "300ms"',
  }).refine(isDurationString, 'expected a duration string such as "10s" or "300ms"');

export const ipv4 = () =>
  z.string({ error: "expected an IPv4 address" }).refine(isIPv4, "expected an IPv4 address")
    .meta({ format: "ipv4" });

export const ipAddress = () =>
  z.string({ error: "expected an IP address" })
    .refine((s) => parseAddress(s) !== undefined, "expected an IP address");

export const hostPort = () =>
  z.string({ error: 'expected "host:port"' })
    .refine((s) => parseHostPort(s) !== undefined, 'expected "host:port" (port 1-65535)');

/** A CIDR prefix with host bits zero (a bare address means a host route). */
export const prefix = () =>
  z.string({ error: 'expected a prefix such as "192.0.2.1/32"' }).superRefine((text, ctx) => {
    const p = parsePrefix(text);
    if (p.ok) return;
    ctx.addIssue({
      code: "custom",
      input: text,
      message: p.reason === "syntax"
        ? 'expected a prefix such as "192.0.2.1/32"'
        : `expected a network with host bits zero%got% (did you mean "${p.network}"?)`,
    });
  });

function checked(parse: (s: string) => unknown, message: string) {
  return z.string({ error: message }).refine((s) => {
    try {
      parse(s);
      return true;
    } catch {
      return false;
    }
  }, message);
}

export const community = () =>
  checked(
    parseCommunity,
    'expected a community "asn:value" (0-65535 each) or no-export, no-advertise, no-export-subconfed, graceful-shutdown, blackhole',
  );
export const largeCommunity = () =>
  checked(
    parseLargeCommunity,
    'expected a large community "global:local1:local2" (0-4294967295 each)',
  );
export const extendedCommunity = () =>
  checked(
    parseExtendedCommunity,
    'expected an extended community such as "rt:65000:100" or "soo:192.0.2.1:7"',
  );
