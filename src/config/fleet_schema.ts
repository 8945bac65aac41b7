/**
 * The `fleet` block (docs/fleet.md): the same fields in both dialects,
 * camelCase in the native one and snake_case under anycastd's own `fleet` key.
 *
 * @module
 */
import { z } from "zod";
import {
  duration,
  goDuration,
  guard,
  intRange,
  list,
  mapping,
  nonEmpty,
  oneOf,
  prefix,
} from "./_fields.ts";
import type { FleetConfig } from "./model.ts";
import { parseDuration } from "./duration.ts";
import { parseAddress, parsePrefix } from "./_net.ts";

const SITE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const site = () =>
  z.string({ error: "expected a site name (letters, digits, . _ -)" }).regex(
    SITE,
    "expected a site name (letters, digits, . _ -; no /)",
  );
const endpoint = () =>
  z.string({ error: 'expected an etcd endpoint such as "http://10.0.0.1:2379"' }).regex(
    /^(https?:\/\/)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):[0-9]{1,5}$/,
    'expected an etcd endpoint such as "http://10.0.0.1:2379"',
  );
const keyPrefix = () =>
  z.string({ error: 'expected a key prefix such as "/anycast/"' }).min(
    1,
    'expected a key prefix such as "/anycast/"',
  );

/** Field names per dialect: [native, anycastd]. */
const NAMES = {
  minSites: ["minSites", "min_sites"],
  minPercent: ["minPercent", "min_percent"],
  passwordFile: ["passwordFile", "password_file"],
  onEtcdLoss: ["onEtcdLoss", "on_etcd_loss"],
  leaseTtl: ["leaseTtl", "lease_ttl"],
} as const;

function fleetSchema(dialect: 0 | 1) {
  const d = dialect === 0 ? duration : goDuration;
  const n = (k: keyof typeof NAMES) => NAMES[k][dialect];
  const etcd = mapping({
    endpoints: list(endpoint()).min(1, "expected at least one endpoint").describe(
      'etcd client URLs, e.g. ["http://10.0.0.1:2379"] (https:// when ca is set)',
    ),
    prefix: keyPrefix().optional().describe('Key prefix of every fleet key (default "/anycast/")'),
    ca: nonEmpty().optional().describe("PEM file of the CA that signed etcd's certificate (TLS)"),
    cert: nonEmpty().optional().describe("PEM client certificate file (etcd --client-cert-auth)"),
    key: nonEmpty().optional().describe("PEM client key file, with cert"),
    username: nonEmpty().optional().describe("etcd user (etcd auth)"),
    password: z.string({ error: "expected a string" }).optional().describe("etcd password"),
    [n("passwordFile")]: nonEmpty().optional().describe("File holding the etcd password"),
    timeout: d().optional().describe("Deadline of each etcd call (default 2s)"),
  }).superRefine(guard((v: Record<string, unknown>, ctx) => {
    if (v.password !== undefined && v[n("passwordFile")] !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: [n("passwordFile")],
        input: v[n("passwordFile")],
        message: `expected password or ${n("passwordFile")}, not both`,
      });
    }
    if ((v.password !== undefined || v[n("passwordFile")] !== undefined) && !v.username) {
      ctx.addIssue({
        code: "custom",
        path: ["username"],
        input: undefined,
        message: "expected a username with the password",
      });
    }
    if (v.ca !== undefined && Array.isArray(v.endpoints)) {
      (v.endpoints as unknown[]).forEach((e, i) => {
        const host = typeof e === "string"
          ? e.replace(/^https?:\/\//, "").replace(/:[0-9]+$/, "").replace(/^\[|\]$/g, "")
          : "";
        if (parseAddress(host) === undefined) return;
        ctx.addIssue({
          code: "custom",
          path: ["endpoints", i],
          input: e,
          message:
            "expected a host name with TLS (ca): the TLS client refuses an IP address as server name; use a name in etcd's certificate",
        });
      });
    }
    if ((v.cert === undefined) !== (v.key === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: [v.cert === undefined ? "cert" : "key"],
        input: undefined,
        message: "expected cert and key together",
      });
    }
  }));
  const guardBlock = mapping({
    [n("minSites")]: intRange(0, 100_000).optional().describe(
      "A health-driven withdraw may not leave fewer sites announcing the prefix (default 1)",
    ),
    [n("minPercent")]: intRange(0, 100).optional().describe(
      "... nor fewer than this percentage of the live sites, rounded up (default 0 = off)",
    ),
    exclude: list(prefix()).optional().describe("Prefixes the guard never holds (opt-out)"),
  });
  return mapping({
    site: site().optional().describe("This site's name (default the hostname)"),
    etcd,
    guard: guardBlock.optional(),
    [n("onEtcdLoss")]: oneOf(["local", "hold"]).optional().describe(
      "Without etcd: local decides as without a fleet (default), hold keeps the announcements",
    ),
    [n("leaseTtl")]: d().optional().describe(
      "TTL of the site's etcd lease, whole seconds (default 5s): a dead site drops out after it",
    ),
  }).describe("Fleet guard on etcd: never withdraw a prefix from every site at once");
}

export const nativeFleet = fleetSchema(0);
export const anycastdFleet = fleetSchema(1);

function hostname(): string {
  try {
    return Deno.hostname().replace(/[^A-Za-z0-9._-]/g, "-").slice(0, 63) || "anycast";
  } catch {
    return "anycast";
  }
}

/** Either dialect's validated `fleet` block to the model. */
export function translateFleet(
  raw: Record<string, unknown> | undefined,
  dialect: "native" | "anycastd",
): FleetConfig | undefined {
  if (raw === undefined) return undefined;
  const i = dialect === "native" ? 0 : 1;
  const get = (o: Record<string, unknown> | undefined, k: keyof typeof NAMES | string) =>
    o?.[k in NAMES ? NAMES[k as keyof typeof NAMES][i] : k];
  const etcd = raw.etcd as Record<string, unknown>;
  const g = raw.guard as Record<string, unknown> | undefined;
  const tls = etcd.ca !== undefined;
  const endpoints = (etcd.endpoints as string[]).map((e) =>
    /^https?:\/\//.test(e) ? e : `${tls ? "https" : "http"}://${e}`
  );
  let keyPrefix = (etcd.prefix as string | undefined) ?? "/anycast/";
  if (!keyPrefix.endsWith("/")) keyPrefix += "/";
  const ttl = get(raw, "leaseTtl") as string | number | undefined;
  const timeout = etcd.timeout as string | number | undefined;
  const optional = (k: string, v: unknown) => (v === undefined ? {} : { [k]: v as string });
  return {
    site: (raw.site as string | undefined) ?? hostname(),
    etcd: {
      endpoints,
      prefix: keyPrefix,
      ...optional("ca", etcd.ca),
      ...optional("cert", etcd.cert),
      ...optional("key", etcd.key),
      ...optional("username", etcd.username),
      ...optional("password", etcd.password),
      ...optional("passwordFile", get(etcd, "passwordFile")),
      timeoutMs: timeout === undefined ? 2000 : parseDuration(timeout),
    },
    leaseTtlSeconds: ttl === undefined ? 5 : Math.max(1, Math.ceil(parseDuration(ttl) / 1000)),
    guard: {
      minSites: (get(g, "minSites") as number | undefined) ?? 1,
      minPercent: (get(g, "minPercent") as number | undefined) ?? 0,
      exclude: ((g?.exclude as string[] | undefined) ?? []).map((p) => {
        const parsed = parsePrefix(p);
        return parsed.ok ? parsed.canonical : p;
      }),
    },
    onEtcdLoss: (get(raw, "onEtcdLoss") as "local" | "hold" | undefined) ?? "local",
  };
}
