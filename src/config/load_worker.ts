/**
 * Load a config off the main thread (SIGHUP reload). Parsing and validating
 * 100,000 prefixes takes seconds of CPU; on the daemon's thread that would
 * hold back KEEPALIVEs, BFD and signals. The worker returns the same
 * `LoadResult` as `loadConfig` (structured-cloned; secrets are carried
 * across by `_secret_transfer.ts`). If a worker
 * cannot be started (a runtime without them), the file is read in-thread.
 *
 * @module
 */
import { loadConfig, type LoadResult } from "./load.ts";
import { unpackSecrets } from "./_secret_transfer.ts";

const WORKER_URL = new URL("./_load_worker_entry.ts", import.meta.url);

export function loadConfigOffThread(path: string): Promise<LoadResult> {
  let worker: Worker;
  try {
    worker = new Worker(WORKER_URL, { type: "module" });
  } catch {
    return loadConfig(path);
  }
  return new Promise<LoadResult>((resolve) => {
    const done = (result: Promise<LoadResult> | LoadResult) => {
      worker.terminate();
      resolve(result);
    };
    worker.onmessage = (e: MessageEvent<LoadResult>) =>
      done(e.data.ok ? { ...e.data, config: unpackSecrets(e.data.config) } : e.data);
    // A worker that fails to load is no reason to refuse the reload: read it here.
    worker.onerror = (e) => {
      e.preventDefault();
      done(loadConfig(path));
    };
    worker.postMessage(path);
  });
}
