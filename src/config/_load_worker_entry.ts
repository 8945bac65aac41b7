/// <reference lib="deno.worker" />
/** Worker entry of `loadConfigOffThread`: one path in, one `LoadResult` out. */
import { loadConfig } from "./load.ts";

self.onmessage = async (e: MessageEvent<string>) => {
  self.postMessage(await loadConfig(e.data));
};
