import { commandExists } from "./_process.ts";

/** Peer kinds the lab can start, and the binaries each needs. */
export const DAEMON_BINARIES = {
  gobgp: { binaries: ["gobgpd", "gobgp"], package: "gobgpd" },
  bird: { binaries: ["bird", "birdc"], package: "bird2" },
  frr: { binaries: ["/usr/lib/frr/bgpd", "vtysh"], package: "frr" },
  frrBfd: {
    binaries: ["/usr/lib/frr/zebra", "/usr/lib/frr/bfdd", "/usr/lib/frr/bgpd", "vtysh"],
    package: "frr",
  },
  exabgp: { binaries: ["exabgp", "python3"], package: "exabgp" },
  netns: { binaries: ["ip", "unshare"], package: "iproute2" },
  etcd: { binaries: ["etcd", "etcdctl"], package: "etcd-server etcd-client" },
} as const;

export type DaemonName = keyof typeof DAEMON_BINARIES;

/** The binaries of `name` that are not installed. */
export async function missingBinaries(name: DaemonName): Promise<string[]> {
  const missing: string[] = [];
  for (const b of DAEMON_BINARIES[name].binaries) if (!(await commandExists(b))) missing.push(b);
  return missing;
}
