/// <reference lib="deno.worker" />
/** Worker entry of `loadConfigOffThread`: one path in, one `LoadResult` out. */
import { loadConfig } from "./load.ts";
import { packSecrets } from "./_secret_transfer.ts";

self.onmessage = async (e: MessageEvent<string>) => {
  const result = await loadConfig(e.data);
  self.postMessage(result.ok ? { ...result, config: packSecrets(result.config) } : result);
};
