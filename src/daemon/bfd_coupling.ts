/**
 * Coupling of BFD to BGP (RFC 5882 §4.3, RFC 9384): a neighbor with BFD has
 * its BGP session torn down the moment BFD declares the path down, and may be
 * held down until BFD is Up again. The speaker implements the tiny
 * {@link BfdCoupledSpeaker} interface; nothing here knows BGP internals.
 *
 * @module
 */
import type { BfdDefaults, NeighborConfig } from "../config/model.ts";
import { CeaseSubcode } from "../bgp/message/types.ts";
import { resolveSecret } from "../config/secret.ts";
import type { BfdManager } from "../bfd/manager.ts";
import type { BfdStateName } from "../bfd/packet.ts";
import type { BfdSessionInfo, BfdStateChange } from "../bfd/session.ts";

/** The manager's auth settings from the config (reads `secretFile` now). */
function bfdAuthConfig(a: NonNullable<NonNullable<NeighborConfig["bfd"]>["auth"]>) {
  const secret = resolveSecret(a.secret, a.secretFile, "bfd auth secretFile");
  if (!secret) throw new Error("Cannot start BFD authentication: no secret or secretFile");
  return { mode: a.type, keyId: a.keyId, secret: secret.reveal() };
}

/** NOTIFICATION Cease subcode "BFD Down" (RFC 9384 §3), from the one NOTIFICATION table. */
export const CEASE_SUBCODE_BFD_DOWN = CeaseSubcode.BFD_DOWN;

/** What the BGP speaker must provide. */
export interface BfdCoupledSpeaker {
  /**
   * BFD declared the path to `peer` down: close the BGP session now with
   * NOTIFICATION Cease, subcode {@link CEASE_SUBCODE_BFD_DOWN} (RFC 9384).
   */
  bfdDown(peer: string, reason: string): void;
  /** BFD to `peer` is Up: a session held by {@link BfdBgpCoupling.mayStartBgp} may start. */
  bfdUp(peer: string): void;
}

/** BFD as seen by `anycast peers`, metrics and logs. */
export interface NeighborBfdStatus {
  peer: string;
  state: BfdStateName;
  holdBgpUntilUp: boolean;
  session: BfdSessionInfo;
}

const isIpv6 = (address: string) => address.includes(":");

/** The configured listen address when its family fits the peer's, else that family's wildcard. */
export function localAddressFor(peer: string, listenAddress: string): string {
  if (isIpv6(peer) === isIpv6(listenAddress)) return listenAddress;
  return isIpv6(peer) ? "::" : "0.0.0.0";
}

interface Coupled {
  holdBgpUntilUp: boolean;
}

export class BfdBgpCoupling {
  #manager: BfdManager;
  #speaker: BfdCoupledSpeaker;
  #defaults: BfdDefaults;
  #neighbors = new Map<string, Coupled>();
  #unsubscribe: () => void;

  constructor(manager: BfdManager, speaker: BfdCoupledSpeaker, defaults: BfdDefaults) {
    this.#manager = manager;
    this.#speaker = speaker;
    this.#defaults = defaults;
    this.#unsubscribe = manager.onStateChange((change) => this.#onChange(change));
  }

  /** Start BFD for a neighbor whose config has a `bfd` block; returns false when BFD is off for it. */
  async addNeighbor(neighbor: NeighborConfig): Promise<boolean> {
    const bfd = neighbor.bfd;
    if (!bfd || !this.#defaults.enabled) return false;
    const localAddress = neighbor.localAddress ??
      localAddressFor(neighbor.address, this.#defaults.listenAddress);
    await this.#manager.addSession(neighbor.address, {
      localAddress,
      multihop: bfd.multihop,
      minTxMs: bfd.minTxMs,
      minRxMs: bfd.minRxMs,
      multiplier: bfd.multiplier,
      passive: bfd.passive,
      ...(bfd.minimumTtl !== undefined ? { minimumTtl: bfd.minimumTtl } : {}),
      ...(bfd.auth ? { auth: bfdAuthConfig(bfd.auth) } : {}),
    });
    this.#neighbors.set(neighbor.address, { holdBgpUntilUp: bfd.holdBgpUntilUp });
    return true;
  }

  removeNeighbor(peer: string): void {
    this.#neighbors.delete(peer);
    this.#manager.removeSession(peer);
  }

  /** Whether the speaker may open (or accept) the BGP session to `peer` now. */
  mayStartBgp(peer: string): boolean {
    const coupled = this.#neighbors.get(peer);
    if (!coupled || !coupled.holdBgpUntilUp) return true;
    return this.#manager.state(peer) === "Up";
  }

  /**
   * Administrative shutdown of a neighbor: BFD goes AdminDown first, so the
   * peer does not take the BGP close for a path failure (RFC 5882 §3.2).
   * Call before the speaker sends its Cease.
   */
  shutdown(peer: string): void {
    this.#manager.adminDown(peer);
  }

  /** Re-enable after {@link shutdown}. */
  enable(peer: string): void {
    this.#manager.adminUp(peer);
  }

  status(peer: string): NeighborBfdStatus | undefined {
    const coupled = this.#neighbors.get(peer);
    const session = this.#manager.session(peer);
    if (!coupled || !session) return undefined;
    return { peer, state: session.state, holdBgpUntilUp: coupled.holdBgpUntilUp, session };
  }

  close(): void {
    this.#unsubscribe();
  }

  #onChange(change: BfdStateChange): void {
    if (!this.#neighbors.has(change.peer)) return;
    if (change.notify === "down") this.#speaker.bfdDown(change.peer, `BFD ${change.diagnostic}`);
    else if (change.notify === "up") this.#speaker.bfdUp(change.peer);
  }
}
