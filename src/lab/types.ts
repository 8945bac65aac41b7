/** Address families the harness can configure on a peer. */
export type Family = "ipv4" | "ipv6";

/** BGP session state as every daemon reports it, normalised to RFC 4271 §8.2.2 names. */
export type SessionState =
  | "idle"
  | "connect"
  | "active"
  | "opensent"
  | "openconfirm"
  | "established"
  | "unknown";

/** One BGP neighbour of a peer daemon: usually our speaker. */
export interface NeighborOptions {
  /** Address of the neighbour (our speaker's), e.g. "127.0.0.1". */
  address: string;
  /** AS number of the neighbour. */
  asn: number;
  /** TCP port the peer connects to on the neighbour. Default 179. */
  port?: number;
  /** When true the peer only listens and never connects out. Default false. */
  passive?: boolean;
  /** Hold time the peer offers in seconds; keepalive is a third of it. Default 9. */
  holdTime?: number;
  /** Treat the neighbour as multihop (TTL 255). Default false (BIRD is always multihop on 127/8). */
  multihop?: boolean;
  /** Enable graceful restart (RFC 4724) with this restart time in seconds. Default off. */
  gracefulRestart?: { restartTime: number };
  /** Run BFD (RFC 5880/5881) with this neighbour; only BIRD and FRR, only inside a namespace. */
  bfd?: boolean;
  /** BIRD only: log every route received from this neighbour, with a millisecond time (benchmarks). */
  debugRoutes?: boolean;
  /** TCP MD5 password (RFC 2385): BIRD `password`, FRR `neighbor … password`, GoBGP `auth-password`, ExaBGP `md5-password`. */
  password?: string;
  /** GTSM (RFC 5082) with this many hops: BIRD `ttl security yes` (+ `multihop N` beyond one hop), FRR `ttl-security hops N`, GoBGP `ttl-security`. */
  ttlSecurity?: number;
}

/** BFD timers of a peer (BIRD `protocol bfd`, FRR bfdd profile). */
export interface BfdOptions {
  /** Default 100. */
  minRxMs?: number;
  /** Default 100. */
  minTxMs?: number;
  /** Detect multiplier. Default 3. */
  multiplier?: number;
  /** Sessions without BGP: neighbour addresses (BIRD `neighbor`, FRR `peer`). */
  peers?: { address: string; interface?: string }[];
}

/** A BFD session as the peer reports it. */
export interface BfdSessionInfo {
  peer: string;
  state: "up" | "down" | "init" | "admindown" | "unknown";
  interface?: string;
}

/** How to start a peer daemon. */
export interface PeerOptions {
  /** The daemon's own address, one of 127.0.0.x from the address plan. */
  address: string;
  /** The daemon's AS number. */
  asn: number;
  /** BGP identifier. Default: `address` when it is IPv4. */
  routerId?: string;
  /** Neighbours to configure. */
  neighbors: NeighborOptions[];
  /** Families to negotiate. Default ["ipv4"]. */
  families?: Family[];
  /** TCP port the daemon listens on. Default 179. */
  listenPort?: number;
  /** Directory for config, logs and sockets. Default: a fresh temporary directory, removed on stop. */
  workDir?: string;
  /** Run the daemon inside this network namespace (see netns.ts). Default: the root namespace. */
  netns?: string;
  /** Enable BFD (BIRD, FRR with zebra and bfdd). Needs `netns`: BFD does not work on loopback. */
  bfd?: BfdOptions;
  /** BIRD only: static routes in the config it starts with (cold-start benchmarks). */
  initialRoutes?: Iterable<{ prefix: string; nextHop: string }>;
}

/** Attributes a peer attaches to a route it announces to us. */
export interface AnnounceAttributes {
  origin?: "igp" | "egp" | "incomplete";
  med?: number;
  /** Only meaningful on iBGP sessions. */
  localPref?: number;
  /** "65000:100" */
  communities?: string[];
  /** "65000:1:2" */
  largeCommunities?: string[];
  /** Extra AS numbers put in front of the peer's own AS (its own AS repeated = prepend). */
  asPathPrepend?: number[];
}

/** A route as the peer holds it, normalised across daemons. */
export interface Route {
  prefix: string;
  nextHop: string;
  asPath: number[];
  origin: "igp" | "egp" | "incomplete";
  med?: number;
  localPref?: number;
  communities: string[];
  largeCommunities: string[];
  extendedCommunities: string[];
  /** Kept as stale during a graceful restart of the sender (RFC 4724 §4.2). */
  stale?: boolean;
  /** Address of the neighbour the route came from, when the daemon says. */
  from?: string;
}

/** One UPDATE (or session event) in arrival order, as ExaBGP reports it. */
export type UpdateRecord =
  | { kind: "update"; time: number; neighbor: string; announced: Route[]; withdrawn: string[] }
  | { kind: "state"; time: number; neighbor: string; state: string }
  | { kind: "notification"; time: number; neighbor: string; code: number; subcode: number }
  /** End-of-RIB marker (RFC 4724 §2) for `family` ("ipv4 unicast"). */
  | { kind: "eor"; time: number; neighbor: string; family: string }
  /** ROUTE-REFRESH (RFC 2918) received; `subtype` per RFC 7313 ("query", "begin", "end"). */
  | { kind: "refresh"; time: number; neighbor: string; family: string; subtype: string };

/** The surface every peer daemon implementation offers to the interop suites. */
export interface PeerDaemon extends AsyncDisposable {
  /** "gobgp" | "bird" | "frr" | "exabgp" */
  readonly kind: string;
  readonly options: PeerOptions;
  /** Directory holding this run's config, logs and control socket. */
  readonly workDir: string;
  /** Process id of the daemon (its process group leader). */
  readonly pid: number;

  stop(): Promise<void>;
  kill(signal?: Deno.Signal): Promise<void>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Stop and start again with the same configuration and routes. */
  restart(): Promise<void>;

  sessionState(neighbor: string): Promise<SessionState>;
  /** Seconds the session has been established, or undefined when the daemon does not say. */
  sessionUptime(neighbor: string): Promise<number | undefined>;
  waitEstablished(neighbor: string, timeoutMs?: number): Promise<void>;

  /** Routes the peer received (from any neighbour, or only from `neighbor`). */
  rib(family?: Family, neighbor?: string): Promise<Route[]>;
  waitForRoute(
    prefix: string,
    predicate?: (route: Route) => boolean,
    timeoutMs?: number,
  ): Promise<Route>;
  waitForNoRoute(prefix: string, timeoutMs?: number): Promise<void>;

  /** Make the peer announce `prefix` to its neighbours. */
  announce(prefix: string, nextHop: string, attrs?: AnnounceAttributes): Promise<void>;
  withdraw(prefix: string): Promise<void>;
  /** Make the peer send a ROUTE-REFRESH (RFC 2918) to `neighbor`. */
  routeRefresh(neighbor: string): Promise<void>;

  /** The last `n` lines of the daemon's log. */
  logTail(n?: number): Promise<string>;
}
