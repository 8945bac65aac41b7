/** RFC 1997 COMMUNITIES. @module */
export const WELL_KNOWN_COMMUNITIES: Readonly<Record<string, string>> = {
  "graceful-shutdown": "65535:0",
  "blackhole": "65535:666",
  "no-export": "65535:65281",
  "no-advertise": "65535:65282",
  "no-export-subconfed": "65535:65283",
};
export function parseCommunity(_text: string): number {
  throw new Error("not implemented");
}
export function formatCommunity(_value: number): string {
  throw new Error("not implemented");
}
