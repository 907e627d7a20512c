export { type RunningServer, type StartServerOptions, startServer } from './app/server.js';
export {
  DEFAULT_ACCESS_TOKEN_TTL,
  JWKS_MAX_AGE,
  MAX_ACCESS_TOKEN_TTL,
  openTessera,
  type Tessera,
  type TesseraOptions,
} from './app/tessera.js';
export { main } from './cli/main.js';
export {
  ConfigError,
  DEFAULT_SETTINGS,
  type RawSettings,
  resolveServerConfig,
  type ServerConfig,
  settingsFromEnv,
  settingsFromFile,
} from './config/server-config.js';
