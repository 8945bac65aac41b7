/**
 * One BFD session in Asynchronous mode (RFC 5880 §6.8). The state machine
 * lives in fsm.ts; this class keeps the state variables of §6.8.1, runs the
 * transmit and detection timers on an injected {@link Clock}, sends through
 * an injected {@link PacketSender} and carries out the FSM's actions.
 *
 * Units: intervals are microseconds inside (as on the wire), timers are ms.
 *
 * @module
 */
import { type Clock, systemClock, type TimerId } from "../util/clock.ts";
import { applyEvent, type BfdEvent, receiveEvent } from "./fsm.ts";
import { jitteredInterval, type RandomSource } from "./jitter.ts";
import {
  type BfdControlPacket,
  BfdDiagnostic,
  type BfdDropReason,
  BfdState,
  type BfdStateName,
  diagnosticName,
  encodeControlPacket,
  stateName,
} from "./packet.ts";

/** Where a session's encoded packets go (a UDP socket, or another session in tests). */
export interface PacketSender {
  send(packet: Uint8Array): void;
}

/** Counters and events for metrics; every method is optional to implement via {@link noopMetrics}. */
export interface MetricsReporter {
  stateChanged(peer: string, from: BfdStateName, to: BfdStateName, diagnostic: string): void;
  packetSent(peer: string): void;
  packetReceived(peer: string): void;
  packetDropped(peer: string | undefined, reason: BfdDropReason): void;
}

export const noopMetrics: MetricsReporter = {
  stateChanged() {},
  packetSent() {},
  packetReceived() {},
  packetDropped() {},
};

/** Signs outgoing and verifies incoming packets (RFC 5880 §6.7); see auth.ts. */
export interface BfdAuthenticator {
  sign(packet: BfdControlPacket): BfdControlPacket;
  verify(packet: BfdControlPacket, bytes?: Uint8Array): boolean;
  /** No valid packet for twice the Detection Time (RFC 5880 §6.8.1: forget the peer's sequence number). */
  sessionTimedOut?(): void;
}

export interface BfdStateChange {
  peer: string;
  from: BfdStateName;
  to: BfdStateName;
  /** bfd.LocalDiag after the change. */
  diagnostic: string;
  /** "up" when clients should start using the path, "down" when it failed (RFC 5882 §3.2). */
  notify?: "up" | "down";
  /** Clock time of the change (ms). */
  at: number;
}

export interface BfdTimerSettings {
  /** bfd.DesiredMinTxInterval once Up (ms). */
  desiredMinTxMs: number;
  /** bfd.RequiredMinRxInterval (ms). */
  requiredMinRxMs: number;
  /** bfd.DetectMult. */
  multiplier: number;
}

export interface BfdSessionOptions extends BfdTimerSettings {
  /** Peer address, used as the session's name. */
  peer: string;
  /** bfd.LocalDiscr: nonzero and unique on this system (the manager picks it). */
  localDiscriminator: number;
  /** Wait for the peer's first packet before sending (RFC 5880 §6.1). Default false. */
  passive?: boolean;
  sender: PacketSender;
  /** Default the system clock. */
  clock?: Clock;
  /** Default Math.random; used for jitter only. */
  random?: RandomSource;
  /** Default {@link noopMetrics}. */
  metrics?: MetricsReporter;
  onStateChange?: (change: BfdStateChange) => void;
  /** Authentication in use; undefined = none (packets with the A bit are dropped). */
  auth?: BfdAuthenticator;
}

/** A read-only view of a session for `anycast peers`, metrics and logs. */
export interface BfdSessionInfo {
  peer: string;
  state: BfdStateName;
  remoteState: BfdStateName;
  localDiscriminator: number;
  remoteDiscriminator: number;
  localDiagnostic: string;
  remoteDiagnostic: string;
  /** Negotiated transmit interval before jitter (ms). */
  transmitIntervalMs: number;
  /** Current Detection Time (ms); 0 before the first packet. */
  detectionTimeMs: number;
  remoteMultiplier: number;
  pollInProgress: boolean;
  packetsSent: number;
  packetsReceived: number;
  /** Clock time of the last state change (ms). */
  lastChangeAt: number;
  /** Clock time the last valid packet was accepted (ms); undefined before the first. */
  lastReceivedAt?: number;
  /** Event-loop stalls of our own that postponed the Detection Time (see #checkStall). */
  stalls: number;
}

/** RFC 5880 §6.8.3: not less than one second while the session is not Up. */
const SLOW_TX_US = 1_000_000;

interface IntervalPair {
  txUs: number;
  rxUs: number;
}

export class BfdSession {
  readonly peer: string;
  readonly localDiscriminator: number;
  readonly passive: boolean;
  #sender: PacketSender;
  #clock: Clock;
  #random: RandomSource;
  #metrics: MetricsReporter;
  #onStateChange: ((change: BfdStateChange) => void) | undefined;
  #auth: BfdAuthenticator | undefined;

  // RFC 5880 §6.8.1 state variables.
  #state: BfdState = BfdState.Down;
  #remoteState: BfdState = BfdState.Down;
  #remoteDiscriminator = 0;
  #localDiag: number = BfdDiagnostic.None;
  #remoteDiag: number = BfdDiagnostic.None;
  #configuredTxUs: number;
  #configuredRxUs: number;
  #multiplier: number;
  #remoteMinRxUs = 1;
  #remoteDesiredMinTxUs = 0;
  #remoteMultiplier = 0;

  // Intervals actually used, and what the peer has acknowledged (RFC 5880 §6.8.3).
  #txInEffectUs = SLOW_TX_US;
  #rxInEffectUs: number;
  #acked: IntervalPair;
  #poll: IntervalPair | undefined;

  #txTimer: TimerId | undefined;
  #nextTxDue: number | undefined;
  #detectTimer: TimerId | undefined;
  #detectDeadline: number | undefined;
  /** Until this clock time, received packets cannot bring the session Up (see #checkStall). */
  #quarantineUntil = -Infinity;
  #running = false;
  #packetsSent = 0;
  #packetsReceived = 0;
  #lastChangeAt: number;
  #lastReceivedAt: number | undefined;
  /** Last packet accepted outside a stall backlog window. */
  #lastFreshAt: number | undefined;
  #stalls = 0;
  /** Clock time after which bfd.AuthSeqKnown is reset (RFC 5880 §6.8.1: 2 × Detection Time). */
  #authSeqDeadline: number | undefined;

  constructor(options: BfdSessionOptions) {
    if (!Number.isInteger(options.localDiscriminator) || options.localDiscriminator <= 0) {
      throw new RangeError(`Invalid BFD local discriminator: ${options.localDiscriminator}`);
    }
    validateTimers(options);
    this.peer = options.peer;
    this.localDiscriminator = options.localDiscriminator;
    this.passive = options.passive ?? false;
    this.#sender = options.sender;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#metrics = options.metrics ?? noopMetrics;
    this.#onStateChange = options.onStateChange;
    this.#auth = options.auth;
    this.#configuredTxUs = Math.round(options.desiredMinTxMs * 1000);
    this.#configuredRxUs = Math.round(options.requiredMinRxMs * 1000);
    this.#multiplier = options.multiplier;
    this.#txInEffectUs = this.#advertisedTxUs();
    this.#rxInEffectUs = this.#configuredRxUs;
    this.#acked = { txUs: this.#txInEffectUs, rxUs: this.#rxInEffectUs };
    this.#lastChangeAt = this.#clock.now();
  }

  get state(): BfdState {
    return this.#state;
  }

  /** Start transmitting (an active session) or waiting for the peer's first packet (passive). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#scheduleTx(0);
  }

  /** Stop all timers; sends nothing more. */
  stop(): void {
    this.#running = false;
    this.#cancelTx();
    this.#cancelDetect();
  }

  /** RFC 5880 §6.8.16: AdminDown with diagnostic 7; the peer is told at once. */
  adminDown(): void {
    this.#fsm("AdminDown");
  }

  adminUp(): void {
    this.#fsm("AdminUp");
  }

  /** Change the timers; while Up this starts a Poll Sequence (RFC 5880 §6.8.3). */
  setTimers(settings: BfdTimerSettings): void {
    validateTimers(settings);
    this.#configuredTxUs = Math.round(settings.desiredMinTxMs * 1000);
    this.#configuredRxUs = Math.round(settings.requiredMinRxMs * 1000);
    this.#multiplier = settings.multiplier;
    this.#intervalsChanged();
  }

  info(): BfdSessionInfo {
    const info: BfdSessionInfo = {
      peer: this.peer,
      state: stateName(this.#state),
      remoteState: stateName(this.#remoteState),
      localDiscriminator: this.localDiscriminator,
      remoteDiscriminator: this.#remoteDiscriminator,
      localDiagnostic: diagnosticName(this.#localDiag),
      remoteDiagnostic: diagnosticName(this.#remoteDiag),
      transmitIntervalMs: this.#transmitIntervalUs() / 1000,
      detectionTimeMs: this.#detectionTimeUs() / 1000,
      remoteMultiplier: this.#remoteMultiplier,
      pollInProgress: this.#poll !== undefined,
      packetsSent: this.#packetsSent,
      packetsReceived: this.#packetsReceived,
      lastChangeAt: this.#lastChangeAt,
      stalls: this.#stalls,
    };
    if (this.#lastReceivedAt !== undefined) info.lastReceivedAt = this.#lastReceivedAt;
    return info;
  }

  /**
   * Process a decoded packet already matched to this session (RFC 5880
   * §6.8.6, after the packet-intrinsic checks). Returns the drop reason when
   * the packet is discarded.
   */
  receive(packet: BfdControlPacket, bytes?: Uint8Array): BfdDropReason | undefined {
    const now = this.#clock.now();
    // A Detection Time that passed while this packet waited is honoured first
    // (the packet is not proof the peer is alive now), unless our own stall
    // explains the wait (#checkStall then gives the peer a fresh Detection Time).
    if (
      !this.#checkStall(now) && this.#detectDeadline !== undefined && now >= this.#detectDeadline
    ) {
      this.#detectionExpired();
    }
    const stale = now < this.#quarantineUntil;

    // §6.8.1: bfd.AuthSeqKnown is reset after twice the Detection Time without a valid packet.
    if (this.#authSeqDeadline !== undefined && now >= this.#authSeqDeadline) {
      this.#authSeqDeadline = undefined;
      this.#auth?.sessionTimedOut?.();
    }
    // §6.8.6: A bit set and no authentication in use, or clear while in use: discard.
    if ((packet.auth !== undefined) !== (this.#auth !== undefined)) {
      return this.#drop("auth-mismatch");
    }
    if (this.#auth && !this.#auth.verify(packet, bytes)) return this.#drop("auth-mismatch");

    this.#packetsReceived++;
    this.#lastReceivedAt = now;
    this.#metrics.packetReceived(this.peer);
    this.#remoteDiscriminator = packet.myDiscriminator;
    this.#remoteState = packet.state;
    this.#remoteDiag = packet.diagnostic;
    this.#remoteMinRxUs = packet.requiredMinRxUs;
    this.#remoteDesiredMinTxUs = packet.desiredMinTxUs;
    this.#remoteMultiplier = packet.detectMultiplier;

    // §6.8.6: "If the Final (F) bit is set ... terminate the Poll Sequence".
    if (packet.final && this.#poll) {
      const confirmed = this.#poll;
      this.#poll = undefined;
      this.#acked = confirmed;
      this.#txInEffectUs = confirmed.txUs;
      this.#rxInEffectUs = confirmed.rxUs;
      this.#intervalsChanged(false);
    }
    this.#rescheduleIfSooner();
    if (this.#auth) this.#authSeqDeadline = now + 2 * (this.#detectionTimeUs() / 1000);

    // §6.8.6: "If bfd.SessionState is AdminDown: Discard the packet": before the
    // Poll is answered with a Final and before the detection timer restarts.
    if (this.#state === BfdState.AdminDown) return this.#drop("admin-down");

    const event = receiveEvent(packet.state);
    const { next } = applyEvent(this.#state, event);
    if (next === BfdState.Up && this.#state !== BfdState.Up && stale) {
      // Up needs a handshake we know is current, not one replayed from a stall backlog.
      this.#metrics.packetDropped(this.peer, "stale-after-stall");
      return "stale-after-stall";
    }
    const transmit = this.#fsm(event, false);
    // §6.8.6: "If the Poll (P) bit is set, send a BFD Control packet ... with the Final (F) bit set".
    if (packet.poll || transmit) this.#transmit(packet.poll);
    // §6.8.4: reset the detection timer on every packet not discarded; but a
    // packet from a stall backlog is not fresh and does not extend it.
    if (!stale) {
      this.#lastFreshAt = now;
      this.#armDetect(now);
    } else if (this.#detectDeadline === undefined) {
      this.#armDetect(now);
    }
    // A passive session starts sending once it knows the peer (§6.8.7).
    if (this.#txTimer === undefined) this.#scheduleTx();
    return undefined;
  }

  // ---------------------------------------------------------------- FSM

  /** Run one event through the table and carry out its actions; returns whether a packet is due now. */
  #fsm(event: BfdEvent, transmitNow = true): boolean {
    const from = this.#state;
    const { next, actions } = applyEvent(from, event);
    let transmit = false;
    let notify: "up" | "down" | undefined;
    for (const action of actions) {
      switch (action.type) {
        case "setDiagnostic":
          this.#localDiag = action.diagnostic;
          break;
        case "clearRemoteDiscriminator":
          this.#remoteDiscriminator = 0;
          break;
        case "transmitNow":
          transmit = true;
          break;
        case "notifyUp":
          notify = "up";
          break;
        case "notifyDown":
          notify = "down";
          break;
      }
    }
    this.#state = next;
    if (next !== from) {
      this.#lastChangeAt = this.#clock.now();
      if (from === BfdState.Up || next === BfdState.Up) {
        // Entering or leaving Up changes the advertised DesiredMinTx (§6.8.3).
        // The transition's own packet (transmitNow) carries the Poll bit.
        if (next !== BfdState.Up) this.#poll = undefined;
        this.#intervalsChanged(false);
      }
      const change: BfdStateChange = {
        peer: this.peer,
        from: stateName(from),
        to: stateName(next),
        diagnostic: diagnosticName(this.#localDiag),
        at: this.#lastChangeAt,
      };
      if (notify) change.notify = notify;
      this.#metrics.stateChanged(this.peer, change.from, change.to, change.diagnostic);
      this.#onStateChange?.(change);
    }
    if (transmit && transmitNow) this.#transmit(false);
    return transmit;
  }

  // ---------------------------------------------------------------- intervals

  /** bfd.DesiredMinTxInterval as advertised now (§6.8.3: at least 1 s unless Up). */
  #advertisedTxUs(): number {
    return this.#state === BfdState.Up
      ? this.#configuredTxUs
      : Math.max(this.#configuredTxUs, SLOW_TX_US);
  }

  /** §6.8.7: the larger of bfd.DesiredMinTxInterval and bfd.RemoteMinRxInterval. */
  #transmitIntervalUs(): number {
    return Math.max(this.#txInEffectUs, this.#remoteMinRxUs);
  }

  /** §6.8.4: remote Detect Mult × max(bfd.RequiredMinRxInterval, last received Desired Min TX). */
  #detectionTimeUs(): number {
    return this.#remoteMultiplier * Math.max(this.#rxInEffectUs, this.#remoteDesiredMinTxUs);
  }

  /**
   * Apply a change of the advertised intervals (RFC 5880 §6.8.3): outside Up
   * they take effect at once; while Up an increase of DesiredMinTx and a
   * decrease of RequiredMinRx wait for the Poll Sequence to end, the other
   * directions take effect at once.
   */
  #intervalsChanged(sendPollNow = true): void {
    const wanted: IntervalPair = { txUs: this.#advertisedTxUs(), rxUs: this.#configuredRxUs };
    if (this.#state !== BfdState.Up) {
      this.#txInEffectUs = wanted.txUs;
      this.#rxInEffectUs = wanted.rxUs;
      this.#acked = wanted;
      this.#poll = undefined;
    } else {
      if (wanted.txUs < this.#txInEffectUs) this.#txInEffectUs = wanted.txUs;
      if (wanted.rxUs > this.#rxInEffectUs) this.#rxInEffectUs = wanted.rxUs;
      // §6.5: one Poll Sequence at a time; a change during one is polled when it ends.
      const changed = wanted.txUs !== this.#acked.txUs || wanted.rxUs !== this.#acked.rxUs;
      if (changed && !this.#poll) {
        this.#poll = wanted;
        if (sendPollNow) this.#transmit(false);
      }
    }
    this.#rescheduleIfSooner();
  }

  // ---------------------------------------------------------------- transmit

  #mayTransmitPeriodically(): boolean {
    // §6.8.7: not while passive and the peer is unknown; not if the peer asks for no packets.
    if (this.passive && this.#remoteDiscriminator === 0) return false;
    return this.#remoteMinRxUs !== 0;
  }

  #transmit(final: boolean): void {
    if (!this.#running) return;
    if (this.passive && this.#remoteDiscriminator === 0) return;
    let packet: BfdControlPacket = {
      diagnostic: this.#localDiag,
      state: this.#state,
      // §6.8.7: never both P and F.
      poll: !final && this.#poll !== undefined,
      final,
      controlPlaneIndependent: false,
      demand: false,
      multipoint: false,
      detectMultiplier: this.#multiplier,
      myDiscriminator: this.localDiscriminator,
      yourDiscriminator: this.#remoteDiscriminator,
      desiredMinTxUs: this.#poll?.txUs ?? this.#advertisedTxUs(),
      requiredMinRxUs: this.#poll?.rxUs ?? this.#configuredRxUs,
      requiredMinEchoRxUs: 0, // No Echo function (§6.4): tell the peer not to send echoes.
    };
    if (this.#auth) packet = this.#auth.sign(packet);
    try {
      this.#sender.send(encodeControlPacket(packet));
      this.#packetsSent++;
      this.#metrics.packetSent(this.peer);
    } catch {
      // A send error (interface down, no route) is what BFD exists to detect: the
      // peer's silence will expire our Detection Time; never let it crash the loop.
    }
  }

  #scheduleTx(delayMs?: number): void {
    this.#cancelTx();
    if (!this.#running || !this.#mayTransmitPeriodically()) return;
    const interval = delayMs ??
      jitteredInterval(this.#transmitIntervalUs() / 1000, this.#multiplier, this.#random);
    this.#nextTxDue = this.#clock.now() + interval;
    this.#txTimer = this.#clock.setTimeout(() => {
      this.#txTimer = undefined;
      this.#checkStall(this.#clock.now());
      this.#transmit(false);
      this.#scheduleTx();
    }, interval);
  }

  /** After an interval got shorter, don't wait out the old, longer one. */
  #rescheduleIfSooner(): void {
    if (!this.#running || this.#txTimer === undefined || this.#nextTxDue === undefined) return;
    const interval = this.#transmitIntervalUs() / 1000;
    if (this.#nextTxDue - this.#clock.now() > interval) this.#scheduleTx();
  }

  #cancelTx(): void {
    if (this.#txTimer !== undefined) this.#clock.clearTimeout(this.#txTimer);
    this.#txTimer = undefined;
    this.#nextTxDue = undefined;
  }

  // ---------------------------------------------------------------- detection

  #armDetect(now: number): void {
    this.#cancelDetect();
    const ms = this.#detectionTimeUs() / 1000;
    if (!this.#running || ms <= 0) return;
    this.#detectDeadline = now + ms;
    this.#detectTimer = this.#clock.setTimeout(() => {
      this.#detectTimer = undefined;
      // If the loop was stalled, #checkStall re-armed the timer instead.
      if (this.#checkStall(this.#clock.now())) return;
      this.#detectionExpired();
    }, ms);
  }

  #cancelDetect(): void {
    if (this.#detectTimer !== undefined) this.#clock.clearTimeout(this.#detectTimer);
    this.#detectTimer = undefined;
    this.#detectDeadline = undefined;
  }

  #detectionExpired(): void {
    this.#cancelDetect();
    // bfd.AuthSeqKnown survives one Detection Time: it is reset after two (§6.8.1),
    // checked when the next packet arrives (see receive()).
    this.#fsm("DetectionTimeExpired");
  }

  /**
   * Detect an event-loop stall of our own: the transmit timer (due every
   * interval) is overdue by more than a third of the Detection Time. Then:
   *
   * - packets processed in the next moments may have waited in the socket
   *   buffer through the stall: they may not bring the session Up and do not
   *   extend the Detection Time (no false Up from a backlog);
   * - our stall is not a path failure: the peer gets a full Detection Time
   *   from now to show it is alive, bounded to three Detection Times after
   *   its last fresh packet, so a persistent lag cannot hide a dead peer.
   *
   * Returns true when the detection timer was re-armed for that reason.
   */
  #checkStall(now: number): boolean {
    if (this.#nextTxDue === undefined) return false;
    const detectMs = this.#detectionTimeUs() / 1000;
    const overdue = now - this.#nextTxDue;
    if (overdue <= Math.max(25, detectMs / 3)) return false;
    // Backlog window: the socket buffer drains within milliseconds of resuming;
    // half the peer's transmit interval covers it with room to spare.
    const remoteTxMs = Math.max(this.#remoteDesiredMinTxUs, this.#rxInEffectUs) / 1000;
    this.#quarantineUntil = Math.max(
      this.#quarantineUntil,
      now + Math.min(500, Math.max(10, remoteTxMs / 2)),
    );
    if (this.#detectDeadline === undefined || detectMs <= 0) return false;
    const limit = (this.#lastFreshAt ?? now) + 3 * detectMs;
    const deadline = Math.min(now + detectMs, limit);
    if (deadline <= now || deadline <= this.#detectDeadline) return false;
    this.#cancelDetect();
    this.#detectDeadline = deadline;
    this.#detectTimer = this.#clock.setTimeout(() => {
      this.#detectTimer = undefined;
      if (this.#checkStall(this.#clock.now())) return;
      this.#detectionExpired();
    }, deadline - now);
    this.#stalls++;
    return true;
  }

  #drop(reason: BfdDropReason): BfdDropReason {
    this.#metrics.packetDropped(this.peer, reason);
    return reason;
  }
}

function validateTimers(settings: BfdTimerSettings): void {
  const { desiredMinTxMs, requiredMinRxMs, multiplier } = settings;
  // Wire fields are 32-bit microseconds; Detect Mult is one nonzero octet.
  if (!(desiredMinTxMs > 0 && desiredMinTxMs * 1000 <= 0xffffffff)) {
    throw new RangeError(`Invalid BFD transmit interval: ${desiredMinTxMs} ms`);
  }
  if (!(requiredMinRxMs >= 0 && requiredMinRxMs * 1000 <= 0xffffffff)) {
    throw new RangeError(`Invalid BFD receive interval: ${requiredMinRxMs} ms`);
  }
  if (!Number.isInteger(multiplier) || multiplier < 1 || multiplier > 255) {
    throw new RangeError(`Invalid BFD detect multiplier: ${multiplier}`);
  }
}
