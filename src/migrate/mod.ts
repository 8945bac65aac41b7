/**
 * Importers that turn other tools' configuration into anycast's native config.
 *
 * @module
 */
export {
  HEALTHCHECK_DEFAULTS,
  HEALTHCHECK_OPTIONS,
  importExabgpHealthcheck,
  type ImportOptions,
  type ImportResult,
  type NativeConfigData,
  parsePeer,
  type PeerSpec,
  renderConfig,
  stripProgram,
} from "./exabgp_healthcheck.ts";
export {
  type ConfStatement,
  type ExabgpSetup,
  exabgpSetup,
  importExabgpConf,
  parseExabgpConf,
} from "./exabgp_conf.ts";
