// Daemons of a test run that died (Ctrl-C, crash, SIGKILL) outlive it: they run
// in their own sessions. Each work dir records its owner; a later run reaps the
// daemons whose owner is gone, so their addresses become free again.

const OWNER_FILE = "acst-owner.json";

interface OwnerRecord {
  /** pid of the Deno process that started the daemon. */
  owner: number;
  /** Process group (= pid) of the daemon. */
  pgid: number;
}

/** Record that this Deno process owns the daemon group `pgid` running from `workDir`. */
export async function recordOwner(workDir: string, pgid: number): Promise<void> {
  const record: OwnerRecord = { owner: Deno.pid, pgid };
  await Deno.writeTextFile(`${workDir}/${OWNER_FILE}`, JSON.stringify(record));
}

const processExists = (pid: number) => Deno.stat(`/proc/${pid}`).then(() => true, () => false);

/**
 * Kill daemon groups in `acst-*` temp dirs whose owning process no longer
 * exists, and remove those dirs. A group is killed only if its leader still runs
 * from that dir (its command line names it), so a reused pid is never hit.
 * Returns the dirs reaped.
 */
export async function reapOrphanedDaemons(): Promise<string[]> {
  const tmp = Deno.env.get("TMPDIR") ?? "/tmp";
  const reaped: string[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(tmp));
  } catch {
    return reaped;
  }
  for (const e of entries) {
    if (!e.isDirectory || !e.name.startsWith("acst-")) continue;
    const dir = `${tmp}/${e.name}`;
    let record: OwnerRecord;
    try {
      record = JSON.parse(await Deno.readTextFile(`${dir}/${OWNER_FILE}`)) as OwnerRecord;
    } catch {
      continue; // not a harness dir, or its daemon is still starting
    }
    if (!Number.isInteger(record.owner) || !Number.isInteger(record.pgid)) continue;
    if (await processExists(record.owner)) continue;
    const cmdline = await Deno.readTextFile(`/proc/${record.pgid}/cmdline`).catch(() => "");
    if (cmdline.includes(dir)) {
      try {
        Deno.kill(-record.pgid, "SIGKILL");
      } catch { /* already gone */ }
    }
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    reaped.push(dir);
  }
  return reaped;
}
