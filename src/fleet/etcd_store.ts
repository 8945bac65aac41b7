/**
 * `FleetStore` on a real etcd v3 cluster through npm `etcd3` (gRPC over
 * @grpc/grpc-js). The guarded put is one etcd Txn whose compares are a
 * mod_revision compare over the prefix's whole key range (`range_end`,
 * etcd >= 3.3) plus one per counted key; every call has a deadline, so an
 * unreachable cluster is an error within `timeoutMs`, never a hang.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { Etcd3, type IOptions, type Lease } from "etcd3";
import type { FleetStore, GuardedPut, RangeResult } from "./store.ts";
import { rangeEnd } from "./keys.ts";

export interface EtcdStoreOptions {
  /** "http://127.0.0.1:2379", "https://etcd1:2379" */
  endpoints: string[];
  /** PEM text. */
  ca?: string;
  cert?: string;
  key?: string;
  username?: string;
  password?: string;
  /** Deadline of each call (default 2000 ms). */
  timeoutMs?: number;
}

export class EtcdStore implements FleetStore {
  readonly client: Etcd3;
  #timeoutMs: number;
  #lease: Lease | undefined;
  #leaseId: string | undefined;
  #watchdog: ReturnType<typeof setInterval> | undefined;

  constructor(options: EtcdStoreOptions) {
    this.#timeoutMs = options.timeoutMs ?? 2000;
    const config: IOptions = {
      hosts: options.endpoints,
      dialTimeout: this.#timeoutMs,
    };
    if (options.ca !== undefined) {
      config.credentials = {
        rootCertificate: Buffer.from(options.ca),
        ...(options.key !== undefined ? { privateKey: Buffer.from(options.key) } : {}),
        ...(options.cert !== undefined ? { certChain: Buffer.from(options.cert) } : {}),
      };
    }
    if (options.username !== undefined) {
      config.auth = { username: options.username, password: options.password ?? "" };
    }
    this.client = new Etcd3(config);
  }

  #call() {
    return { deadline: new Date(Date.now() + this.#timeoutMs) };
  }

  /** Reject after the deadline even if the client retries on its own. */
  #bounded<T>(what: string, p: Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`etcd ${what}: no answer in ${this.#timeoutMs} ms`)),
        this.#timeoutMs + 500,
      );
    });
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
  }

  async grantLease(ttlSeconds: number, onLost: (error: unknown) => void): Promise<void> {
    this.#lease?.release();
    const lease = this.client.lease(ttlSeconds, { autoKeepAlive: true });
    let lost = false;
    const loseOnce = (e: unknown) => {
      if (lost) return;
      lost = true;
      onLost(e);
    };
    lease.on("lost", loseOnce);
    try {
      this.#leaseId = await this.#bounded("lease grant", lease.grant());
    } catch (e) {
      lost = true;
      lease.release();
      throw e;
    }
    this.#lease = lease;
    // Past the TTL without a keepalive answer the server has expired the lease (and the
    // other sites count this one out): say so then, not at etcd3's own 2 x TTL.
    // The keepalive stream stays on one member: when that member dies the stream can
    // stall for longer than the TTL. Past half the TTL without an answer, renew with a
    // unary call, which the client sends to whichever member answers.
    let last = Date.now();
    let probing = false;
    lease.on("keepaliveSucceeded", () => (last = Date.now()));
    clearInterval(this.#watchdog);
    const watchdog = setInterval(() => {
      if (this.#lease !== lease || lost) return clearInterval(watchdog);
      const silent = Date.now() - last;
      if (silent > ttlSeconds * 1000) {
        clearInterval(watchdog);
        lease.release();
        loseOnce(new Error(`no lease keepalive answer for ${ttlSeconds} s`));
        return;
      }
      if (silent > (ttlSeconds * 1000) / 2 && !probing) {
        probing = true;
        const sent = Date.now();
        lease.keepaliveOnce({ deadline: new Date(sent + (ttlSeconds * 1000) / 2) })
          .then((res) => {
            if (Number(res.TTL) > 0) last = Math.max(last, sent);
            else {
              lease.release();
              loseOnce(new Error("etcd says the lease has expired"));
            }
          }, () => {})
          .finally(() => (probing = false));
      }
    }, 250);
    this.#watchdog = watchdog;
  }

  async revokeLease(): Promise<void> {
    clearInterval(this.#watchdog);
    const lease = this.#lease;
    this.#lease = undefined;
    this.#leaseId = undefined;
    if (lease) await this.#bounded("lease revoke", lease.revoke(this.#call()));
  }

  async range(prefix: string): Promise<RangeResult> {
    const res = await this.#bounded(
      "range",
      this.client.kv.range(
        { key: Buffer.from(prefix), range_end: Buffer.from(rangeEnd(prefix)) },
        this.#call(),
      ),
    );
    return {
      revision: Number(res.header.revision),
      kvs: res.kvs.map((kv) => ({
        key: kv.key.toString(),
        value: kv.value.toString(),
        modRevision: Number(kv.mod_revision),
      })),
    };
  }

  async put(key: string, value: string): Promise<void> {
    await this.#bounded(
      "put",
      this.client.kv.put(
        { key: Buffer.from(key), value: Buffer.from(value), lease: this.#leaseOrThrow() },
        this.#call(),
      ),
    );
  }

  async guardedPut(put: GuardedPut): Promise<boolean> {
    const res = await this.#bounded(
      "txn",
      this.client.kv.txn({
        compare: [
          {
            // Nothing in the prefix's range was added or changed after the read.
            key: Buffer.from(put.range),
            range_end: Buffer.from(rangeEnd(put.range)),
            target: "Mod",
            result: "Less",
            mod_revision: put.revision + 1,
          },
          // Nothing counted has gone (a lease expiry deletes keys, which the range
          // compare cannot see).
          ...put.unchanged.map((u) => ({
            key: Buffer.from(u.key),
            target: "Mod" as const,
            result: "Equal" as const,
            mod_revision: u.modRevision,
          })),
        ],
        success: [{
          request_put: {
            key: Buffer.from(put.key),
            value: Buffer.from(put.value),
            lease: this.#leaseOrThrow(),
          },
        }],
        failure: [],
      }, this.#call()),
    );
    return res.succeeded;
  }

  async watch(prefix: string, onChange: (key: string) => void): Promise<() => Promise<void>> {
    const watcher = await this.#bounded(
      "watch",
      this.client.watch().prefix(prefix).create(),
    );
    watcher.on("put", (kv) => onChange(kv.key.toString()));
    watcher.on("delete", (kv) => onChange(kv.key.toString()));
    // The client reconnects the watch by itself; errors only say it is trying.
    watcher.on("error", () => {});
    return () => watcher.cancel();
  }

  close(): Promise<void> {
    clearInterval(this.#watchdog);
    this.#lease?.release();
    this.#lease = undefined;
    this.client.close();
    return Promise.resolve();
  }

  #leaseOrThrow(): string {
    if (this.#leaseId === undefined) throw new Error("no etcd lease");
    return this.#leaseId;
  }
}
