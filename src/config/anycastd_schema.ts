/**
 * runityru/anycastd's configuration file, accepted unchanged (snake_case,
 * Go durations). Each check's `spec` is validated against the schema of its
 * `kind`; issues found there are re-reported under `spec.`.
 *
 * @module
 */
import { z } from "zod";
import {
  asn,
  bool,
  count,
  goDuration,
  guard,
  hostPort,
  intRange,
  ipAddress,
  ipv4,
  list,
  mapping,
  nonEmpty,
  oneOf,
  port,
  prefix,
  record,
  str,
} from "./_fields.ts";
import { parseAddress, parsePrefix } from "./_net.ts";
import { keysOfObjectSchema } from "./_schema_walk.ts";
import { assignedAddress } from "./_assigned_address.ts";
import { anycastdFleet } from "./fleet_schema.ts";

const retry = {
  tries: count().optional(),
  interval: goDuration().optional(),
  timeout: goDuration().optional(),
};

export const ANYCASTD_CHECK_SPECS = {
  dns_lookup: mapping({ query: nonEmpty(), resolver: hostPort(), ...retry }),
  http_2xx: mapping({
    url: z.url({ error: "expected an http or https URL", protocol: /^https?$/ }),
    method: nonEmpty().optional(),
    headers: record(str()).optional(),
    payload: str().optional(),
    ...retry,
  }),
  tls_certificate: mapping({
    local: mapping({ path: nonEmpty() }).optional(),
    remote: mapping({
      host: nonEmpty(),
      port: port(),
      server_name: nonEmpty().optional(),
      insecure: bool().optional(),
    })
      .optional(),
    common_name: str().optional(),
    dns_names: list(str()).optional(),
    ip_addresses: list(ipAddress()).optional(),
    issuer: str().optional(),
    ...retry,
  }).superRefine(guard((v, ctx) => {
    if ((v.local === undefined) === (v.remote === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: [],
        input: v,
        message: "expected exactly one of local or remote",
      });
    }
  })),
  assigned_address: assignedAddress,
  icmp_ping: mapping({
    static: mapping({ host: nonEmpty() }),
    ...retry,
  }),
  tftp_rrq: mapping({
    url: z.string({ error: 'expected a URL "tftp://host[:port]/file"' }).regex(
      /^tftp:\/\/[^/]+\/.+$/,
      'expected a URL "tftp://host[:port]/file"',
    ),
    ...retry,
  }),
  ntpq: mapping({
    server: nonEmpty(),
    src_addr: ipAddress().optional(),
    offset_threshold: goDuration(),
    ...retry,
  }),
} as const;

export type AnycastdCheckKind = keyof typeof ANYCASTD_CHECK_SPECS;
export const ANYCASTD_CHECK_KINDS = Object.keys(ANYCASTD_CHECK_SPECS) as [
  AnycastdCheckKind,
  ...AnycastdCheckKind[],
];

const check = mapping({
  kind: oneOf(ANYCASTD_CHECK_KINDS),
  spec: z.unknown(),
  group: nonEmpty().optional(),
}).superRefine(guard((v, ctx) => {
  const specSchema = ANYCASTD_CHECK_SPECS[v.kind];
  const result = specSchema.safeParse(v.spec, { reportInput: true });
  if (result.success) return;
  for (const issue of result.error.issues) {
    // Re-report under "spec" and keep what the formatter needs (known keys for hints).
    ctx.addIssue({
      ...issue,
      code: "custom",
      path: ["spec", ...issue.path],
      input: issue.input,
      message: issue.message,
      params: {
        originalCode: issue.code,
        ...(issue.code === "unrecognized_keys"
          ? { keys: issue.keys, knownKeys: keysOfObjectSchema(specSchema, issue.path) }
          : {}),
        ...(issue.code === "invalid_value" ? { values: issue.values } : {}),
      },
    });
  }
}));

const service = mapping({
  name: nonEmpty(),
  check_interval: goDuration().optional(),
  strategy: oneOf(["at_least_one", "all", "all_in_group", "at_least_n_percentage"]).optional(),
  // anycastd reads n as a fraction (0.5); values above 1 are taken as percent.
  strategy_options: mapping({
    n: z.number({ error: "expected a number 0-100" }).min(0, "expected a number 0-100").max(
      100,
      "expected a number 0-100",
    ),
  }).optional(),
  checks: list(check).min(1, "expected at least one check"),
}).superRefine(guard((v, ctx) => {
  if (v.strategy === "at_least_n_percentage" && v.strategy_options === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["strategy"],
      input: v.strategy,
      message: "at_least_n_percentage needs strategy_options: { n: <fraction 0-1 or percent> }",
    });
  }
}));

const peer = mapping({
  name: nonEmpty(),
  remote_address: ipAddress(),
  remote_asn: asn(),
  enable_multihop: bool().optional(),
  multihop_ttl: intRange(1, 255).optional(),
});

export const anycastdSchema = mapping({
  announcer: mapping({
    router_id: ipv4(),
    local_address: ipAddress(),
    local_asn: asn(),
    routes: list(prefix()),
    routes_mode: oneOf(["all", "any"]).optional(),
    peers: list(peer).min(1, "expected at least one peer").superRefine(guard((peers, ctx) => {
      const seen = new Map<string, number>();
      peers.forEach((p, i) => {
        const key = parseAddress(p.remote_address)?.canonical ?? p.remote_address;
        const first = seen.get(key);
        if (first === undefined) seen.set(key, i);
        else {
          ctx.addIssue({
            code: "custom",
            path: [i, "remote_address"],
            input: p.remote_address,
            message: `duplicate neighbor ${key} (first at index ${first})`,
          });
        }
      });
    })),
  }).superRefine(guard((v, ctx) => {
    const seen = new Map<string, number>();
    v.routes.forEach((r, i) => {
      const p = parsePrefix(r);
      if (!p.ok) return;
      const first = seen.get(p.canonical);
      if (first === undefined) seen.set(p.canonical, i);
      else {
        ctx.addIssue({
          code: "custom",
          path: ["routes", i],
          input: r,
          message: `duplicate prefix ${p.canonical} (first at index ${first})`,
        });
      }
    });
  })),
  services: list(service).optional().superRefine(guard((services, ctx) => {
    const seen = new Map<string, number>();
    (services ?? []).forEach((s, i) => {
      const first = seen.get(s.name);
      if (first === undefined) seen.set(s.name, i);
      else {
        ctx.addIssue({
          code: "custom",
          path: [i, "name"],
          input: s.name,
          message: `duplicate service ${s.name} (first at index ${first})`,
        });
      }
    });
  })),
  metrics: mapping({ enabled: bool().optional(), address: hostPort().optional() })
    .optional(),
  /** anycast's own key (not anycastd's): the fleet guard, docs/fleet.md. */
  fleet: anycastdFleet.optional(),
});

export type AnycastdFile = z.infer<typeof anycastdSchema>;
export type AnycastdCheck = z.infer<typeof check>;
