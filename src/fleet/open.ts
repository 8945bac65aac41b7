/**
 * Build the etcd `FleetStore` from the config: read the TLS files and the
 * password file, then load the etcd client (npm `etcd3` and gRPC cost memory,
 * so they are loaded only when a fleet is configured).
 *
 * @module
 */
import type { EtcdConfig } from "../config/model.ts";
import type { FleetStore } from "./store.ts";

async function readConfigFile(what: string, path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    throw new Error(
      `Cannot read fleet.etcd.${what} ${path}: ${e instanceof Error ? e.message : e}`,
    );
  }
}

export async function openFleetStore(etcd: EtcdConfig): Promise<FleetStore> {
  const { EtcdStore } = await import("./etcd_store.ts");
  const password = etcd.password ??
    (etcd.passwordFile !== undefined
      ? (await readConfigFile("passwordFile", etcd.passwordFile)).trim()
      : undefined);
  return new EtcdStore({
    endpoints: etcd.endpoints,
    timeoutMs: etcd.timeoutMs,
    ...(etcd.ca !== undefined ? { ca: await readConfigFile("ca", etcd.ca) } : {}),
    ...(etcd.cert !== undefined ? { cert: await readConfigFile("cert", etcd.cert) } : {}),
    ...(etcd.key !== undefined ? { key: await readConfigFile("key", etcd.key) } : {}),
    ...(etcd.username !== undefined ? { username: etcd.username } : {}),
    ...(password !== undefined ? { password } : {}),
  });
}
