/**
 * Route policy: what a prefix's health says about its route. Pure functions
 * only; `PolicyEngine` carries out the timer actions.
 *
 * A prefix is in one of five states:
 *
 * | state    | when                                               | route                                            |
 * | -------- | -------------------------------------------------- | ------------------------------------------------ |
 * | unknown  | no probe or service result yet                     | withdrawn                                        |
 * | up       | ready (or static: no probe and no service)         | `attributes`                                     |
 * | down     | not ready                                          | withdrawn, or `downAttributes` if !withdrawOnDown |
 * | disabled | maintenance (file or API), or drained              | `disabledAttributes`, else withdrawn             |
 * | draining | operator drain or shutdown, until `drainMs` passed | current route + GRACEFUL_SHUTDOWN (RFC 8326)     |
 * | held     | down, but the fleet guard keeps it (engine.ts)      | the route it had                                 |
 *
 * @module
 */
import type { PrefixConfig, RouteAttributes } from "../config/model.ts";

/** RFC 8326 section 3: the GRACEFUL_SHUTDOWN well-known community. */
export const GRACEFUL_SHUTDOWN = "65535:0";

export type Readiness = "unknown" | "ready" | "not-ready";
export type PrefixState = "unknown" | "up" | "down" | "disabled" | "draining" | "held";

/** Where a prefix's health comes from. */
export type Gating = "static" | "probe" | "services";

/** Operator drain, or shutdown drain: announced with GRACEFUL_SHUTDOWN, then withdrawn. */
export type DrainPhase = "none" | "draining" | "drained";

/** A prefix config as the policy reads it; `drainAttributes` is optional until the model has it. */
export type PolicyPrefix = PrefixConfig & { drainAttributes?: RouteAttributes };

/** What the speaker should announce for one prefix: the route table's entry type. */
export type { RouteSpec } from "../bgp/route.ts";
import type { RouteSpec } from "../bgp/route.ts";

/** The desired route: undefined = withdrawn. */
export type DesiredRoute = RouteSpec | undefined;

export interface PolicyInputs {
  health: Readiness;
  /** What made the health not ready ("process exit: process 12 exited"); shown as the reason. */
  healthReason?: string;
  /** The prefix's maintenance file exists. */
  maintenanceFile: boolean;
  /** Maintenance switched on over the control API. */
  maintenanceApi: boolean;
  drain: DrainPhase;
  /** Set by shutdown: undrain is refused from then on. */
  shuttingDown: boolean;
}

export interface Decision {
  state: PrefixState;
  /** Why, in words for `anycast` output and logs. */
  reason: string;
  route: DesiredRoute;
}

export const initialInputs = (gating: Gating): PolicyInputs => ({
  // A prefix with no probe and no service is announced unconditionally.
  health: gating === "static" ? "ready" : "unknown",
  maintenanceFile: false,
  maintenanceApi: false,
  drain: "none",
  shuttingDown: false,
});

/** Where the prefix's health comes from, from its config. */
export function gatingOf(prefix: PrefixConfig): Gating {
  if (prefix.services.length > 0) return "services";
  if (prefix.readinessProbe || prefix.livenessProbe || prefix.startupProbe) return "probe";
  return "static";
}

/**
 * Combine anycastd service states for a prefix: "all" = ready while every
 * gating service is up, "any" = ready while at least one is. A service with
 * no result yet counts as unknown; a decision is made as soon as it cannot change.
 */
export function combineServices(
  states: ReadonlyMap<string, boolean | undefined>,
  gating: readonly string[],
  mode: "all" | "any",
): Readiness {
  const values = gating.map((name) => states.get(name));
  if (mode === "all") {
    if (values.some((v) => v === false)) return "not-ready";
    return values.every((v) => v === true) ? "ready" : "unknown";
  }
  if (values.some((v) => v === true)) return "ready";
  return values.every((v) => v === false) ? "not-ready" : "unknown";
}

function routeWith(prefix: PolicyPrefix, attributes: RouteAttributes): RouteSpec {
  const route: RouteSpec = {
    prefix: prefix.prefix,
    family: prefix.family,
    origin: prefix.origin,
    attributes,
  };
  if (prefix.nextHop !== undefined) route.nextHop = prefix.nextHop;
  if (prefix.nextHopLinkLocal !== undefined) route.nextHopLinkLocal = prefix.nextHopLinkLocal;
  if (prefix.prependAsn !== undefined) route.prependAsn = prefix.prependAsn;
  return route;
}

/** The decision ignoring any drain. */
function baseDecision(prefix: PolicyPrefix, inputs: PolicyInputs): Decision {
  if (inputs.maintenanceFile || inputs.maintenanceApi) {
    const reason = inputs.maintenanceFile
      ? `maintenance file ${prefix.maintenanceFile ?? ""} exists`
      : "maintenance switched on by operator";
    return {
      state: "disabled",
      reason,
      route: prefix.disabledAttributes ? routeWith(prefix, prefix.disabledAttributes) : undefined,
    };
  }
  switch (inputs.health) {
    case "unknown":
      return { state: "unknown", reason: "no health result yet", route: undefined };
    case "ready":
      return { state: "up", reason: "healthy", route: routeWith(prefix, prefix.attributes) };
    case "not-ready":
      return {
        state: "down",
        reason: inputs.healthReason !== undefined
          ? `unhealthy: ${inputs.healthReason}`
          : "unhealthy",
        route: prefix.withdrawOnDown || !prefix.downAttributes
          ? undefined
          : routeWith(prefix, prefix.downAttributes),
      };
  }
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

/** RFC 8326 section 4: the route as announced while draining. */
export function drainAttributes(base: RouteAttributes, extra?: RouteAttributes): RouteAttributes {
  const attributes: RouteAttributes = {
    communities: unique([...base.communities, ...(extra?.communities ?? []), GRACEFUL_SHUTDOWN]),
    largeCommunities: unique([...base.largeCommunities, ...(extra?.largeCommunities ?? [])]),
    extendedCommunities: unique([
      ...base.extendedCommunities,
      ...(extra?.extendedCommunities ?? []),
    ]),
    asPathPrepend: Math.max(base.asPathPrepend, extra?.asPathPrepend ?? 0),
  };
  // The explicit prepend list (Herald's form) wins over the count, as in route.ts.
  const asns = extra?.asPathPrependAsns ?? base.asPathPrependAsns;
  if (asns !== undefined && (extra?.asPathPrepend ?? 0) <= asns.length) {
    attributes.asPathPrependAsns = asns;
  }
  const med = extra?.med ?? base.med;
  if (med !== undefined) attributes.med = med;
  const localPref = extra?.localPref ?? base.localPref;
  if (localPref !== undefined) attributes.localPref = localPref;
  return attributes;
}

/** The prefix's state and desired route for the given inputs. */
export function decide(prefix: PolicyPrefix, inputs: PolicyInputs): Decision {
  const base = baseDecision(prefix, inputs);
  const who = inputs.shuttingDown ? "shutdown" : "operator";
  if (inputs.drain === "drained") {
    return { state: "disabled", reason: `drained by ${who}`, route: undefined };
  }
  // A failing service or maintenance while draining withdraws at once.
  if (inputs.drain === "draining" && base.route) {
    return {
      state: "draining",
      reason: `draining by ${who}, withdraw after ${prefix.drainMs} ms`,
      route: {
        ...base.route,
        attributes: drainAttributes(base.route.attributes, prefix.drainAttributes),
      },
    };
  }
  return base;
}

export type PolicyEvent =
  | { type: "health"; health: Readiness; reason?: string }
  | { type: "maintenance-file"; exists: boolean }
  | { type: "maintenance-api"; on: boolean }
  | { type: "drain" }
  | { type: "undrain" }
  | { type: "drain-timer-expired" }
  | { type: "shutdown" };

export type PolicyAction =
  | { type: "start-drain-timer"; ms: number }
  | { type: "cancel-drain-timer" };

export interface Transition {
  next: PolicyInputs;
  actions: PolicyAction[];
}

function startDrain(prefix: PolicyPrefix, inputs: PolicyInputs): Transition {
  if (inputs.drain !== "none") return { next: inputs, actions: [] };
  // Nothing announced, or no drain time: withdraw at once.
  if (prefix.drainMs <= 0 || !baseDecision(prefix, inputs).route) {
    return { next: { ...inputs, drain: "drained" }, actions: [] };
  }
  return {
    next: { ...inputs, drain: "draining" },
    actions: [{ type: "start-drain-timer", ms: prefix.drainMs }],
  };
}

/** One step of the per-prefix machine: new inputs and the timer actions to carry out. */
export function applyEvent(
  prefix: PolicyPrefix,
  inputs: PolicyInputs,
  event: PolicyEvent,
): Transition {
  switch (event.type) {
    case "health": {
      const { healthReason: _, ...rest } = inputs;
      const next: PolicyInputs = { ...rest, health: event.health };
      if (event.reason !== undefined && event.health === "not-ready") {
        next.healthReason = event.reason;
      }
      return { next, actions: [] };
    }
    case "maintenance-file":
      return { next: { ...inputs, maintenanceFile: event.exists }, actions: [] };
    case "maintenance-api":
      return { next: { ...inputs, maintenanceApi: event.on }, actions: [] };
    case "drain":
      return startDrain(prefix, inputs);
    case "undrain":
      if (inputs.shuttingDown || inputs.drain === "none") return { next: inputs, actions: [] };
      return {
        next: { ...inputs, drain: "none" },
        actions: inputs.drain === "draining" ? [{ type: "cancel-drain-timer" }] : [],
      };
    case "drain-timer-expired":
      if (inputs.drain !== "draining") return { next: inputs, actions: [] };
      return { next: { ...inputs, drain: "drained" }, actions: [] };
    case "shutdown":
      return startDrain(prefix, { ...inputs, shuttingDown: true });
  }
}
