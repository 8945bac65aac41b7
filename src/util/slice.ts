/**
 * Cutting work proportional to the table into slices, so the event loop
 * keeps serving signals, keepalives, BFD and the API (docs: "never block the loop").
 *
 * @module
 */

/** Default slice length: a few milliseconds of work, then a turn of the event loop. */
export const SLICE_MS = 5;

/** One turn of the event loop (a macrotask: timers and I/O run in between). */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Calls `fn` for each item, yielding to the event loop whenever a slice has
 * run for `sliceMs`. The first slice runs before the returned promise is
 * first awaited, so small inputs finish synchronously.
 */
export async function forEachSliced<T>(
  items: Iterable<T>,
  fn: (item: T) => void,
  sliceMs: number = SLICE_MS,
): Promise<void> {
  let started = performance.now();
  let n = 0;
  for (const item of items) {
    fn(item);
    // performance.now() costs ~50 ns: look at the time every 64 items.
    if ((++n & 63) === 0 && performance.now() - started >= sliceMs) {
      await nextTurn();
      started = performance.now();
    }
  }
}
