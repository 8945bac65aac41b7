/**
 * An in-memory `FleetStore` with etcd's rules: one store revision bumped by
 * every change, mod_revision per key, leases whose keys vanish together, range
 * compares. Several `MemoryStore` clients share one `MemoryCluster`. Unit and
 * model tests use it; `cluster.down = true` makes every call fail like an
 * unreachable etcd.
 *
 * @module
 */
import type { FleetStore, GuardedPut, RangeResult, StoredKey } from "./store.ts";

export class EtcdUnavailableError extends Error {
  override name = "EtcdUnavailableError";
  constructor() {
    super("etcd unavailable");
  }
}

interface Entry {
  value: string;
  modRevision: number;
  lease: number;
}

export class MemoryCluster {
  revision = 1;
  down = false;
  readonly keys = new Map<string, Entry>();
  #nextLease = 1;
  #leases = new Map<number, () => void>();
  #watchers = new Set<{ prefix: string; fn: (key: string) => void }>();

  check(): void {
    if (this.down) throw new EtcdUnavailableError();
  }

  grant(onLost: () => void): number {
    this.check();
    const id = this.#nextLease++;
    this.#leases.set(id, onLost);
    return id;
  }

  /** Expire (or revoke) a lease: its keys are deleted in one revision. */
  expire(lease: number): void {
    const onLost = this.#leases.get(lease);
    if (!onLost) return;
    this.#leases.delete(lease);
    const gone = [...this.keys].filter(([, e]) => e.lease === lease).map(([k]) => k);
    if (gone.length > 0) this.revision++;
    for (const k of gone) this.keys.delete(k);
    for (const k of gone) this.#notify(k);
    onLost();
  }

  leaseAlive(lease: number): boolean {
    return this.#leases.has(lease);
  }

  set(key: string, value: string, lease: number): void {
    this.revision++;
    this.keys.set(key, { value, modRevision: this.revision, lease });
    this.#notify(key);
  }

  range(prefix: string): RangeResult {
    const kvs: StoredKey[] = [...this.keys]
      .filter(([k]) => k.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, e]) => ({ key, value: e.value, modRevision: e.modRevision }));
    return { revision: this.revision, kvs };
  }

  watch(prefix: string, fn: (key: string) => void): () => void {
    const w = { prefix, fn };
    this.#watchers.add(w);
    return () => this.#watchers.delete(w);
  }

  #notify(key: string): void {
    for (const w of this.#watchers) if (key.startsWith(w.prefix)) queueMicrotask(() => w.fn(key));
  }
}

/** One daemon's client of a `MemoryCluster`. */
export class MemoryStore implements FleetStore {
  readonly cluster: MemoryCluster;
  lease: number | undefined;
  #cancels = new Set<() => void>();

  constructor(cluster: MemoryCluster) {
    this.cluster = cluster;
  }

  grantLease(_ttlSeconds: number, onLost: (error: unknown) => void): Promise<void> {
    this.cluster.check();
    this.lease = this.cluster.grant(() => onLost(new Error("lease expired")));
    return Promise.resolve();
  }

  revokeLease(): Promise<void> {
    this.cluster.check();
    if (this.lease !== undefined) this.cluster.expire(this.lease);
    this.lease = undefined;
    return Promise.resolve();
  }

  range(prefix: string): Promise<RangeResult> {
    this.cluster.check();
    return Promise.resolve(this.cluster.range(prefix));
  }

  put(key: string, value: string): Promise<void> {
    this.cluster.check();
    this.cluster.set(key, value, this.#lease());
    return Promise.resolve();
  }

  guardedPut(put: GuardedPut): Promise<boolean> {
    this.cluster.check();
    const lease = this.#lease();
    const now = this.cluster.range(put.range);
    const rangeOk = now.kvs.every((kv) => kv.modRevision <= put.revision);
    const keysOk = put.unchanged.every((u) =>
      this.cluster.keys.get(u.key)?.modRevision === u.modRevision
    );
    if (!rangeOk || !keysOk) return Promise.resolve(false);
    this.cluster.set(put.key, put.value, lease);
    return Promise.resolve(true);
  }

  watch(prefix: string, onChange: (key: string) => void): Promise<() => Promise<void>> {
    this.cluster.check();
    const cancel = this.cluster.watch(prefix, onChange);
    this.#cancels.add(cancel);
    return Promise.resolve(() => {
      cancel();
      this.#cancels.delete(cancel);
      return Promise.resolve();
    });
  }

  close(): Promise<void> {
    for (const c of this.#cancels) c();
    this.#cancels.clear();
    return Promise.resolve();
  }

  #lease(): number {
    if (this.lease === undefined || !this.cluster.leaseAlive(this.lease)) {
      throw new Error("no live lease");
    }
    return this.lease;
  }
}
