import type { ProbeConfig, RouteAttributes } from "../../../src/config/model.ts";
import type { PolicyPrefix } from "../../../src/health/policy.ts";

export function attrs(overrides: Partial<RouteAttributes> = {}): RouteAttributes {
  return {
    communities: [],
    largeCommunities: [],
    extendedCommunities: [],
    asPathPrepend: 0,
    ...overrides,
  };
}

export const tcpProbe: ProbeConfig = {
  initialDelayMs: 0,
  periodMs: 1000,
  timeoutMs: 500,
  failureThreshold: 3,
  successThreshold: 1,
  jitterMs: 0,
  handler: { kind: "tcp", host: "127.0.0.1", port: 80 },
};

export function prefixConfig(overrides: Partial<PolicyPrefix> = {}): PolicyPrefix {
  return {
    name: overrides.prefix ?? "192.0.2.1/32",
    prefix: "192.0.2.1/32",
    family: "ipv4-unicast",
    origin: "igp",
    attributes: attrs({ communities: ["65000:100"] }),
    withdrawOnDown: true,
    drainMs: 0,
    services: [],
    servicesMode: "all",
    ...overrides,
  };
}

/** Let every pending promise callback run (a macrotask turn; no time passes on the fake clock). */
export function flush(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
