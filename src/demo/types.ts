/**
 * What the demo's parts exchange: the routes a peer holds, the events it
 * reports, and the event stream the demo prints (`--json` writes one per line).
 *
 * @module
 */
import type { Family } from "../config/model.ts";

/** One route in the peer's table, as shown by the live view. */
export interface ObservedRoute {
  prefix: string;
  family: Family;
  nextHop?: string;
  asPath: number[];
  med?: number;
  communities: string[];
  largeCommunities: string[];
}

/** What a peer saw on the wire (or in its RIB, for external daemons). */
export type PeerEvent =
  | { type: "announce"; route: ObservedRoute }
  | { type: "withdraw"; prefix: string }
  | { type: "session"; from: string; to: string; lastError?: string }
  | { type: "notification"; code: number; subcode: number; communication?: string };

/** The route receiver the daemon announces to: our observer or a real BGP daemon. */
export interface DemoPeer {
  readonly kind: string;
  readonly address: string;
  readonly port: number;
  readonly asn: number;
  /**
   * Whether events come off the wire in order, NOTIFICATIONs included (our
   * observer); false for daemons whose table is polled.
   */
  readonly seesNotifications: boolean;
  start(): Promise<void>;
  onEvent(listener: (event: PeerEvent) => void): () => void;
  established(): boolean | Promise<boolean>;
  table(): Promise<ObservedRoute[]>;
  stop(): Promise<void>;
}

/** One line of the demo's event stream. `t` is milliseconds since the demo started. */
export type DemoEvent =
  & { t: number }
  & (
    | { type: "start"; tempDir: string; socket: string; peer: string; prefixes: string[] }
    | { type: "narrate"; text: string }
    | { type: "command"; argv: string[]; exitCode: number; output: string }
    | { type: "daemon"; pid: number }
    | { type: "log"; line: string }
    | { type: "peer"; event: PeerEvent }
    | { type: "table"; routes: ObservedRoute[] }
    | { type: "step"; step: string; ok: boolean; detail: string }
    | {
      type: "cleanup";
      daemonPid?: number;
      daemonExited: boolean;
      tempDir: string;
      tempDirRemoved: boolean;
    }
    | { type: "summary"; ok: boolean; failed: string[] }
  );

/** `DemoEvent` without its timestamp (what the scenario emits; the runner stamps it). */
export type DemoEventBody = DemoEvent extends infer E ? E extends unknown ? Omit<E, "t"> : never
  : never;
