/**
 * Secrets across a worker boundary. Structured clone drops a class's private
 * fields, so a `Secret` would arrive as `{}`: the worker packs each one as a
 * tagged plain value and the daemon's thread unpacks it into a `Secret` again.
 * Only the config's settings are walked, never the (possibly 100,000) prefixes.
 *
 * @module
 */
import type { AnycastConfig } from "./model.ts";
import { Secret } from "./secret.ts";

const TAG = "$anycastSecret";

type Packed = { [TAG]: string };

function isPacked(v: unknown): v is Packed {
  return typeof v === "object" && v !== null && typeof (v as Packed)[TAG] === "string";
}

function mapDeep(v: unknown, f: (x: unknown) => unknown | undefined): unknown {
  const replaced = f(v);
  if (replaced !== undefined) return replaced;
  if (Array.isArray(v)) return v.map((x) => mapDeep(x, f));
  if (v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = mapDeep(x, f);
    return out;
  }
  return v;
}

/** Every part of the config but the prefix list, with `f` applied deeply. */
function mapSettings(config: AnycastConfig, f: (x: unknown) => unknown | undefined): AnycastConfig {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) out[k] = k === "prefixes" ? v : mapDeep(v, f);
  return out as unknown as AnycastConfig;
}

/** In the worker: secrets become tagged plain values that survive structured clone. */
export function packSecrets(config: AnycastConfig): AnycastConfig {
  return mapSettings(config, (x) => x instanceof Secret ? { [TAG]: x.reveal() } : undefined);
}

/** On the daemon's thread: tagged values become `Secret`s again. */
export function unpackSecrets(config: AnycastConfig): AnycastConfig {
  return mapSettings(config, (x) => isPacked(x) ? new Secret(x[TAG]) : undefined);
}
