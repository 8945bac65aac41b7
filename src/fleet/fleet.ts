/**
 * The fleet guard: this site's lease and per-prefix records in etcd, and the
 * guard the health engine consults before a health-driven withdraw.
 *
 * A withdraw goes through in one etcd transaction that writes this site's
 * record as `withdrawn` only if the prefix's key range is unchanged since the
 * read the decision was made on (guard.ts decides, store.ts carries it out).
 * Until the transaction has answered, the prefix stays announced ("held").
 * When it is refused by the floor the prefix is `held`, and a watch on the
 * prefixes re-decides whenever another site's record changes.
 *
 * @module
 */
import type { FleetConfig } from "../config/model.ts";
import { type Clock, systemClock, type TimerId } from "../util/clock.ts";
import {
  decideWithdraw,
  type FloorSettings,
  isAnnouncing,
  type SiteRecord,
  type SiteState,
} from "./guard.ts";
import {
  decodeRecord,
  encodeRecord,
  parseSiteKey,
  prefixesRange,
  prefixRange,
  siteKey,
} from "./keys.ts";
import type { FleetStore, StoredKey } from "./store.ts";

export type FleetLogLevel = "debug" | "info" | "warning" | "error";

export interface FleetOptions {
  config: FleetConfig;
  store: FleetStore;
  /** Default the system clock. */
  clock?: Clock;
  log?: (level: FleetLogLevel, message: string) => void;
  /**
   * The guard's answer for `prefix` may have changed (a decision came back, a
   * site recovered, etcd was lost): the engine re-evaluates the prefix.
   */
  onVerdict?: (prefix: string) => void;
  /** Wall-clock time for records' `since` (default Date.now). */
  wallClock?: () => number;
}

/** How long to wait before reconnecting to etcd after a loss. */
const RECONNECT_MS = 1000;
/** Attempts of the read-decide-transaction loop before waiting for a change. */
const MAX_ATTEMPTS = 8;
/** Longest wait for the lease revoke on stop. */
const STOP_WAIT_MS = 1000;
/** Retry delay of a failed etcd call. */
const RETRY_MS = 300;

/** The fleet state of a prefix from its engine decision. */
export function siteStateOf(status: { state: string; route: unknown }): SiteState {
  if (status.route === undefined) return "withdrawn";
  if (status.state === "held") return "held";
  if (status.state === "draining") return "draining";
  return "announced";
}

interface PrefixEntry {
  /** What this site last decided (from the engine). */
  state: SiteState;
  reason: string;
  since: number;
  /** The engine wants to withdraw for health reasons and asked the guard. */
  wantsWithdraw: boolean;
  /** The transaction went through: the next guard call lets the withdraw pass. */
  permit: boolean;
  /** Why the withdraw is held, once a decision said so. */
  held: string | undefined;
  deciding: boolean;
  /** A change arrived while deciding: decide again afterwards. */
  again: boolean;
  retryTimer: TimerId | undefined;
}

export interface FleetPrefixView {
  prefix: string;
  state: SiteState;
  reason: string;
  held?: string;
}

export class Fleet {
  readonly site: string;
  #config: FleetConfig;
  #store: FleetStore;
  #clock: Clock;
  #log: NonNullable<FleetOptions["log"]>;
  #onVerdict: NonNullable<FleetOptions["onVerdict"]>;
  #wall: () => number;
  #prefixes = new Map<string, PrefixEntry>();
  #connected = false;
  #stopped = false;
  #reconnectTimer: TimerId | undefined;
  #cancelWatch: (() => Promise<void>) | undefined;
  /** Per-prefix chain of etcd writes, so they land in the order decided. */
  #queues = new Map<string, Promise<void>>();
  #lossLogged = false;

  constructor(options: FleetOptions) {
    this.#config = options.config;
    this.site = options.config.site;
    this.#store = options.store;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.log ?? (() => {});
    this.#onVerdict = options.onVerdict ?? (() => {});
    this.#wall = options.wallClock ?? Date.now;
  }

  /** etcd answered the last call and the lease is alive. */
  get connected(): boolean {
    return this.#connected;
  }

  get config(): FleetConfig {
    return this.#config;
  }

  /** Connect (lease, records, watch). Never throws for an unreachable etcd: it retries. */
  async start(): Promise<void> {
    await this.#connect();
  }

  /** Config reload: new guard settings apply to the next decision; held prefixes re-decide. */
  reload(config: FleetConfig): void {
    const etcdChanged = JSON.stringify(config.etcd) !== JSON.stringify(this.#config.etcd) ||
      config.site !== this.#config.site || config.leaseTtlSeconds !== this.#config.leaseTtlSeconds;
    if (etcdChanged) {
      this.#log(
        "warning",
        "reload: fleet site, lease and etcd settings take effect after a restart",
      );
    }
    this.#config = { ...config, site: this.site, etcd: this.#config.etcd };
    for (const [prefix, entry] of this.#prefixes) {
      if (entry.held !== undefined) this.#decideSoon(prefix);
    }
  }

  /**
   * Stop: revoke the lease, so every other site counts this one out at once.
   * Bounded by the store's deadline; never throws.
   */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#reconnectTimer !== undefined) this.#clock.clearTimeout(this.#reconnectTimer);
    for (const e of this.#prefixes.values()) {
      if (e.retryTimer !== undefined) this.#clock.clearTimeout(e.retryTimer);
    }
    try {
      await this.#cancelWatch?.();
    } catch { /* closing anyway */ }
    if (this.#connected) {
      // Bounded: shutdown never waits long on etcd; an unrevoked lease expires by itself.
      let timer: TimerId | undefined;
      const late = new Promise<void>((resolve) => {
        timer = this.#clock.setTimeout(() => {
          this.#log("warning", "fleet: lease revoke took over 1 s; it expires by itself");
          resolve();
        }, STOP_WAIT_MS);
      });
      await Promise.race([
        this.#store.revokeLease().catch((e) =>
          this.#log("warning", `fleet: lease revoke failed (${errorText(e)}); it expires by itself`)
        ),
        late,
      ]);
      if (timer !== undefined) this.#clock.clearTimeout(timer);
    }
    this.#connected = false;
    await this.#store.close().catch(() => {});
  }

  // ------------------------------------------------------------ the engine's side

  /**
   * The engine's decision for `prefix` changed (or was first made): record it in
   * etcd. Health recovered: any pending withdraw decision is void.
   */
  record(prefix: string, state: SiteState, reason: string): void {
    const entry = this.#entry(prefix);
    if (state !== entry.state) entry.since = this.#wall();
    entry.state = state;
    entry.reason = reason;
    if (state !== "held") {
      entry.wantsWithdraw = false;
      entry.permit = false;
      entry.held = undefined;
    }
    // While the guard is still asking, the record stays as it was ("announced" counts
    // the same as "held"): no write in front of the decision's read and transaction.
    if (state === "held" && entry.held === undefined && entry.wantsWithdraw) return;
    this.#enqueue(prefix, async () => {
      if (!this.#connected) return;
      await this.#store.put(
        siteKey(this.#config.etcd.prefix, prefix, this.site),
        encodeRecord(this.#recordOf(prefix, entry)),
      );
    });
  }

  /**
   * The guard hook: health wants to withdraw `prefix`. undefined = go ahead;
   * a string = keep the route, held for that reason.
   */
  holdWithdraw(prefix: string): string | undefined {
    if (this.#stopped || this.#config.guard.exclude.includes(prefix)) return undefined;
    const entry = this.#entry(prefix);
    if (entry.permit) {
      entry.permit = false;
      entry.wantsWithdraw = false;
      entry.held = undefined;
      return undefined;
    }
    if (!this.#connected) return this.#onLoss();
    if (!entry.wantsWithdraw) {
      entry.wantsWithdraw = true;
      // After the engine's record of "held" for this very call is queued: a "held" put
      // landing after the transaction's "withdrawn" would count this site in again.
      queueMicrotask(() => this.#decideSoon(prefix));
    }
    return entry.held ?? "fleet guard: asking the fleet";
  }

  /** What this site holds, for the API and logs. */
  views(): FleetPrefixView[] {
    return [...this.#prefixes].map(([prefix, e]) => ({
      prefix,
      state: e.state,
      reason: e.reason,
      ...(e.held !== undefined ? { held: e.held } : {}),
    }));
  }

  /**
   * Operator withdraws (drain, maintenance, shutdown): which of `prefixes` would
   * leave fewer sites than the floor, with why. Excluded prefixes and those this
   * site does not announce never do. Without etcd: none under `local`, all under `hold`.
   */
  async breaches(prefixes: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const prefix of prefixes) {
      if (this.#config.guard.exclude.includes(prefix)) continue;
      const entry = this.#prefixes.get(prefix);
      if (entry && !isAnnouncing(entry.state)) continue;
      if (!this.#connected) {
        if (this.#config.onEtcdLoss === "hold") {
          out.set(prefix, "etcd is unreachable, the fleet floor cannot be checked");
        }
        continue;
      }
      try {
        const { records } = await this.#read(prefix);
        const verdict = decideWithdraw(this.site, records, this.#floor());
        if (!verdict.allow) out.set(prefix, verdict.reason);
      } catch (e) {
        if (this.#config.onEtcdLoss === "hold") {
          out.set(
            prefix,
            `etcd is unreachable (${errorText(e)}), the fleet floor cannot be checked`,
          );
        }
      }
    }
    return out;
  }

  // ------------------------------------------------------------ decisions

  #floor(): FloorSettings {
    return { minSites: this.#config.guard.minSites, minPercent: this.#config.guard.minPercent };
  }

  #onLoss(): string | undefined {
    if (this.#config.onEtcdLoss === "hold") {
      return "fleet guard: etcd unreachable, keeping the route (onEtcdLoss: hold)";
    }
    if (!this.#lossLogged) {
      this.#lossLogged = true;
      this.#log("warning", "fleet: etcd unreachable: deciding locally (onEtcdLoss: local)");
    }
    return undefined;
  }

  #decideSoon(prefix: string): void {
    const entry = this.#prefixes.get(prefix);
    if (!entry || this.#stopped) return;
    if (entry.deciding) {
      entry.again = true;
      return;
    }
    entry.deciding = true;
    this.#enqueue(prefix, () => this.#decide(prefix, entry));
  }

  async #read(
    prefix: string,
  ): Promise<{ revision: number; kvs: StoredKey[]; records: SiteRecord[] }> {
    const range = prefixRange(this.#config.etcd.prefix, prefix);
    const { revision, kvs } = await this.#store.range(range);
    const records: SiteRecord[] = [];
    for (const kv of kvs) {
      try {
        records.push(decodeRecord(kv.value));
      } catch (e) {
        this.#log("warning", `fleet: ignoring ${kv.key}: ${errorText(e)}`);
      }
    }
    return { revision, kvs, records };
  }

  async #decide(prefix: string, entry: PrefixEntry): Promise<void> {
    try {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        if (!entry.wantsWithdraw || this.#stopped || this.#prefixes.get(prefix) !== entry) return;
        if (!this.#connected) {
          this.#onVerdict(prefix);
          return;
        }
        const { revision, kvs, records } = await this.#read(prefix);
        const verdict = decideWithdraw(this.site, records, this.#floor());
        if (!verdict.allow) {
          const held = `fleet guard: ${verdict.reason}`;
          if (held !== entry.held) {
            entry.held = held;
            this.#log("warning", `prefix ${prefix}: held (${held})`);
            this.#onVerdict(prefix);
          }
          return;
        }
        const record: SiteRecord = {
          ...this.#recordOf(prefix, entry),
          state: "withdrawn",
          reason: `unhealthy (fleet guard allowed: ${verdict.reason})`,
          since: new Date(this.#wall()).toISOString(),
        };
        const ok = await this.#store.guardedPut({
          key: siteKey(this.#config.etcd.prefix, prefix, this.site),
          value: encodeRecord(record),
          range: prefixRange(this.#config.etcd.prefix, prefix),
          revision,
          unchanged: kvs,
        });
        if (ok) {
          if (!entry.wantsWithdraw) return; // recovered meanwhile; its record follows in the queue
          entry.permit = true;
          entry.held = undefined;
          this.#log(
            "info",
            `prefix ${prefix}: fleet guard allows the withdraw (${verdict.reason})`,
          );
          this.#onVerdict(prefix);
          return;
        }
        this.#log("debug", `prefix ${prefix}: fleet changed during the decision, deciding again`);
      }
      // Heavy contention: hold and try again shortly.
      entry.held ??= "fleet guard: the fleet keeps changing, deciding again";
      this.#onVerdict(prefix);
      entry.retryTimer = this.#clock.setTimeout(() => {
        entry.retryTimer = undefined;
        this.#decideSoon(prefix);
      }, 200);
    } catch (e) {
      if (entry.wantsWithdraw && entry.held === undefined) {
        entry.held = "fleet guard: etcd did not answer, asking again";
        this.#onVerdict(prefix);
      }
      throw e;
    } finally {
      entry.deciding = false;
      if (entry.again) {
        entry.again = false;
        if (entry.wantsWithdraw) this.#decideSoon(prefix);
      }
    }
  }

  // ------------------------------------------------------------ etcd connection

  #entry(prefix: string): PrefixEntry {
    let entry = this.#prefixes.get(prefix);
    if (!entry) {
      entry = {
        state: "withdrawn",
        reason: "starting",
        since: this.#wall(),
        wantsWithdraw: false,
        permit: false,
        held: undefined,
        deciding: false,
        again: false,
        retryTimer: undefined,
      };
      this.#prefixes.set(prefix, entry);
    }
    return entry;
  }

  #recordOf(_prefix: string, entry: PrefixEntry): SiteRecord {
    return {
      site: this.site,
      state: entry.state,
      reason: entry.held ?? entry.reason,
      since: new Date(entry.since).toISOString(),
      minSites: this.#config.guard.minSites,
      minPercent: this.#config.guard.minPercent,
    };
  }

  #enqueue(prefix: string, fn: () => Promise<void>): void {
    const previous = this.#queues.get(prefix) ?? Promise.resolve();
    const next = previous.then(fn).catch((e) => this.#opFailed(prefix, e));
    this.#queues.set(prefix, next);
    void next.finally(() => {
      if (this.#queues.get(prefix) === next) this.#queues.delete(prefix);
    });
  }

  /** Writes and decisions queued so far have finished (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#queues.size > 0) await Promise.all([...this.#queues.values()]);
  }

  /**
   * One etcd call failed (a leader election, a slow member): the lease decides
   * whether etcd is lost, so retry this prefix's record and decision shortly.
   */
  #opFailed(prefix: string, e: unknown): void {
    if (this.#stopped) return;
    this.#log("debug", `fleet: etcd call for ${prefix} failed: ${errorText(e)}`);
    const entry = this.#prefixes.get(prefix);
    if (!entry || entry.retryTimer !== undefined) return;
    entry.retryTimer = this.#clock.setTimeout(() => {
      entry.retryTimer = undefined;
      if (!this.#connected || this.#prefixes.get(prefix) !== entry) return;
      this.record(prefix, entry.state, entry.reason);
      if (entry.wantsWithdraw) this.#decideSoon(prefix);
    }, RETRY_MS);
  }

  /** The lease could not be kept alive: etcd is lost until a new lease is granted. */
  #lost(e: unknown): void {
    if (this.#stopped) return;
    if (this.#connected) {
      this.#connected = false;
      this.#log(
        "warning",
        `fleet: lost etcd (${errorText(e)}); onEtcdLoss: ${this.#config.onEtcdLoss}`,
      );
      // Held and pending prefixes follow the loss policy now.
      for (const [prefix, entry] of this.#prefixes) {
        if (entry.wantsWithdraw) {
          entry.held = undefined;
          this.#onVerdict(prefix);
        }
      }
    }
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (this.#stopped || this.#reconnectTimer !== undefined) return;
    this.#reconnectTimer = this.#clock.setTimeout(() => {
      this.#reconnectTimer = undefined;
      void this.#connect();
    }, RECONNECT_MS);
  }

  async #connect(): Promise<void> {
    if (this.#stopped || this.#connected) return;
    try {
      await this.#store.grantLease(this.#config.leaseTtlSeconds, (e) => this.#lost(e));
      if (!this.#cancelWatch) {
        this.#cancelWatch = await this.#store.watch(
          prefixesRange(this.#config.etcd.prefix),
          (key) => this.#changed(key),
        );
      }
      // Write every record under the new lease before counting as connected.
      for (const [prefix, entry] of this.#prefixes) {
        await this.#store.put(
          siteKey(this.#config.etcd.prefix, prefix, this.site),
          encodeRecord(this.#recordOf(prefix, entry)),
        );
      }
    } catch (e) {
      this.#log("debug", `fleet: etcd connect failed: ${errorText(e)}`);
      if (!this.#lossLogged && this.#config.onEtcdLoss === "local") this.#onLoss();
      this.#scheduleReconnect();
      return;
    }
    if (this.#stopped) return;
    this.#connected = true;
    this.#lossLogged = false;
    this.#log(
      "info",
      `fleet: site ${this.site} joined etcd (${this.#config.etcd.endpoints.join(", ")})`,
    );
    // Prefixes waiting on the guard decide again with etcd back.
    for (const [prefix, entry] of this.#prefixes) {
      if (entry.wantsWithdraw || entry.state === "held") {
        entry.wantsWithdraw = true;
        this.#decideSoon(prefix);
      }
    }
  }

  /** Another site's record changed: held prefixes decide again. */
  #changed(key: string): void {
    const parsed = parseSiteKey(this.#config.etcd.prefix, key);
    if (!parsed || parsed.site === this.site) return;
    const entry = this.#prefixes.get(parsed.prefix);
    if (entry?.wantsWithdraw) this.#decideSoon(parsed.prefix);
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
