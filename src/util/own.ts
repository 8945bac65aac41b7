/**
 * Lookups by a key that came from outside (a config file, a request body):
 * only an object's own properties count, so `constructor`, `toString` or
 * `__proto__` are ordinary unknown keys rather than members of
 * `Object.prototype`.
 *
 * @module
 */

/** `record[key]` when `key` is an own property of `record`, else undefined. */
export function ownValue<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
