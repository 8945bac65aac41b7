/**
 * Configuration: both dialects (native, a superset of Periphery's
 * config.yaml, and runityru/anycastd's file) parsed into one model.
 *
 * @module
 */
export type * from "./model.ts";
export {
  DEFAULT_CONFIG_PATH,
  detectDialect,
  loadConfig,
  type LoadResult,
  parseConfig,
  resolveConfigPath,
} from "./load.ts";
export { type ConfigError, didYouMean, formatConfigError, formatConfigWarning } from "./errors.ts";
export { nativeJsonSchema } from "./json_schema.ts";
export { nativeSchema } from "./native_schema.ts";
export { anycastdSchema } from "./anycastd_schema.ts";
export {
  formatDuration,
  isDurationString,
  parseDuration,
  parseDurationString,
} from "./duration.ts";
export {
  parseCommunity,
  parseExtendedCommunity,
  parseLargeCommunity,
  WELL_KNOWN_COMMUNITIES,
} from "./communities.ts";
