/**
 * What the fleet needs of etcd, as a small interface: the real client
 * (etcd_store.ts, npm `etcd3`) in production, an in-memory store with the
 * same revision and lease rules in unit tests (memory_store.ts).
 *
 * @module
 */

export interface StoredKey {
  key: string;
  value: string;
  /** etcd mod_revision: the store revision of the key's last change. */
  modRevision: number;
}

export interface RangeResult {
  /** The store revision the read was served at. */
  revision: number;
  kvs: StoredKey[];
}

/** A put that happens only if nothing in a key range changed since a read. */
export interface GuardedPut {
  key: string;
  value: string;
  /** Every key of this range must have mod_revision <= `revision` (no key added or changed). */
  range: string;
  revision: number;
  /** ... and each of these keys must still be there with this mod_revision (none expired). */
  unchanged: readonly StoredKey[];
}

export interface FleetStore {
  /**
   * Grant a lease of `ttlSeconds` and keep it alive. `onLost` is called once when
   * it cannot be kept alive any more (etcd unreachable past the TTL, or revoked).
   */
  grantLease(ttlSeconds: number, onLost: (error: unknown) => void): Promise<void>;
  /** Revoke the lease: every key under it goes at once. */
  revokeLease(): Promise<void>;
  /** Every key starting with `prefix`. */
  range(prefix: string): Promise<RangeResult>;
  /** Put under the lease. */
  put(key: string, value: string): Promise<void>;
  /** The atomic guard step: true when the put happened (all compares held). */
  guardedPut(put: GuardedPut): Promise<boolean>;
  /** Call `onChange(key)` for every put or delete under `prefix`; resolves to a cancel function. */
  watch(prefix: string, onChange: (key: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
