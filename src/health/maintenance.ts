/**
 * Watches maintenance files (Periphery `maintenance`): while the file exists
 * the prefix is disabled. With `watchFs` the files' directories are watched
 * with inotify (Deno.watchFs), so an operator's touch takes effect at once;
 * the stat poll stays as a slow safety net, so a file created before its
 * directory exists, or on a remounted filesystem, is still seen.
 *
 * @module
 */
import { dirname, resolve } from "node:path";
import { type Clock, systemClock, type TimerId } from "../util/clock.ts";

/** The file system as the watcher sees it. */
export interface FileProbe {
  /** True when the path exists; throws on errors other than "not found". */
  exists(path: string): Promise<boolean>;
}

export const denoFileProbe: FileProbe = {
  async exists(path) {
    try {
      await Deno.stat(path);
      return true;
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return false;
      throw e;
    }
  },
};

export interface MaintenanceWatcherOptions {
  /** Default the system clock. */
  clock?: Clock;
  /** Default the real file system. */
  fs?: FileProbe;
  /** Poll interval (default 1000 ms). */
  intervalMs?: number;
  /** A stat failed for another reason than "not found"; the last known state is kept. */
  onError?: (path: string, error: unknown) => void;
  /** Also watch the files' directories with inotify (Deno.watchFs); default false. */
  watchFs?: boolean;
}

export interface WatchedFile {
  prefix: string;
  path: string;
}

export class MaintenanceWatcher {
  #files: WatchedFile[];
  #onChange: (prefix: string, exists: boolean) => void;
  #clock: Clock;
  #fs: FileProbe;
  #intervalMs: number;
  #onError: MaintenanceWatcherOptions["onError"];
  #watchFs: boolean;
  #fsWatchers: Deno.FsWatcher[] = [];
  #known = new Map<string, boolean>();
  #timer: TimerId | undefined;
  #running = false;
  /** Bumped by stop(): checks started before it report nothing. */
  #generation = 0;

  constructor(
    files: readonly WatchedFile[],
    onChange: (prefix: string, exists: boolean) => void,
    options: MaintenanceWatcherOptions = {},
  ) {
    this.#files = [...files];
    this.#onChange = onChange;
    this.#clock = options.clock ?? systemClock;
    this.#fs = options.fs ?? denoFileProbe;
    this.#intervalMs = options.intervalMs ?? 1000;
    this.#onError = options.onError;
    this.#watchFs = options.watchFs ?? false;
  }

  /** Check every file now (reporting each one's initial state), then keep polling. */
  async start(): Promise<void> {
    this.#running = true;
    if (this.#watchFs) this.#startFsWatch();
    await this.poll();
    this.#schedule();
  }

  /** inotify on each file's directory; any event naming a watched file re-checks at once. */
  #startFsWatch(): void {
    const byDir = new Map<string, Set<string>>();
    for (const { path } of this.#files) {
      const file = resolve(path);
      const dir = dirname(file);
      if (!byDir.has(dir)) byDir.set(dir, new Set());
      byDir.get(dir)!.add(file);
    }
    const generation = this.#generation;
    for (const [dir, files] of byDir) {
      let watcher: Deno.FsWatcher;
      try {
        watcher = Deno.watchFs(dir, { recursive: false });
      } catch (e) {
        // A directory that does not exist yet: the safety poll covers it.
        if (!(e instanceof Deno.errors.NotFound)) this.#onError?.(dir, e);
        continue;
      }
      this.#fsWatchers.push(watcher);
      void (async () => {
        try {
          for await (const event of watcher) {
            if (generation !== this.#generation) return;
            if (event.paths.some((p) => files.has(p))) await this.poll();
          }
        } catch (e) {
          if (generation === this.#generation) this.#onError?.(dir, e);
        }
      })();
    }
  }

  /** One round of checks; reports the files whose state changed. */
  async poll(): Promise<void> {
    const generation = this.#generation;
    await Promise.all(this.#files.map(async ({ prefix, path }) => {
      let exists: boolean;
      try {
        exists = await this.#fs.exists(path);
      } catch (e) {
        if (generation === this.#generation) this.#onError?.(path, e);
        return;
      }
      // Stopped meanwhile (a reload): a late answer could undo the new watcher's report.
      if (generation !== this.#generation) return;
      if (this.#known.get(prefix) === exists) return;
      this.#known.set(prefix, exists);
      this.#onChange(prefix, exists);
    }));
  }

  stop(): void {
    this.#running = false;
    this.#generation++;
    for (const w of this.#fsWatchers.splice(0)) {
      try {
        w.close();
      } catch { /* closed already */ }
    }
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  [Symbol.dispose](): void {
    this.stop();
  }

  #schedule(): void {
    if (!this.#running || this.#files.length === 0) return;
    this.#timer = this.#clock.setTimeout(async () => {
      this.#timer = undefined;
      await this.poll();
      this.#schedule();
    }, this.#intervalMs);
  }
}

/** The watched files of a config: every prefix with a `maintenanceFile`. */
export function maintenanceFilesOf(
  prefixes: readonly { prefix: string; maintenanceFile?: string }[],
): WatchedFile[] {
  return prefixes.flatMap((p) =>
    p.maintenanceFile === undefined ? [] : [{ prefix: p.prefix, path: p.maintenanceFile }]
  );
}
