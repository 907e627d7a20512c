import { startServer } from '../../app/server.js';
import {
  type RawSettings,
  resolveServerConfig,
  settingsFromEnv,
  settingsFromFile,
} from '../../config/server-config.js';
import { DB_FLAG, parseFlags } from '../parse-flags.js';

export const SERVE_USAGE = `tessera serve [--port N] [--host H] [--issuer URL] [--tls-cert FILE --tls-key FILE]
              [--tls-client-ca FILE] [--trusted-proxy ADDRESS…] [--config FILE] [--log-level LEVEL] [--db URL]`;

/** Runs the server until SIGTERM or SIGINT, then shuts down cleanly and exits 0. */
export async function serveCommand(args: string[]): Promise<number> {
  const { values } = parseFlags(args, {
    ...DB_FLAG,
    port: { type: 'string' },
    host: { type: 'string' },
    issuer: { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'tls-client-ca': { type: 'string' },
    'trusted-proxy': { type: 'string', multiple: true },
    config: { type: 'string' },
    'log-level': { type: 'string' },
  });
  const flags: RawSettings = {};
  if (values.db !== undefined) flags.db = values.db;
  if (values.port !== undefined) flags.port = values.port;
  if (values.host !== undefined) flags.host = values.host;
  if (values.issuer !== undefined) flags.issuer = values.issuer;
  if (values['tls-cert'] !== undefined) flags.tlsCert = values['tls-cert'];
  if (values['tls-key'] !== undefined) flags.tlsKey = values['tls-key'];
  if (values['tls-client-ca'] !== undefined) flags.tlsClientCa = values['tls-client-ca'];
  if (values['trusted-proxy'] !== undefined) flags.trustedProxies = values['trusted-proxy'];
  if (values['log-level'] !== undefined) flags.logLevel = values['log-level'];
  const configFile = values.config ?? process.env.TESSERA_CONFIG;
  const fromFile = configFile === undefined ? {} : settingsFromFile(configFile);
  const config = resolveServerConfig(
    { ...fromFile, ...settingsFromEnv(process.env), ...flags },
    process.cwd(),
    process.env,
  );

  // Listen for the signals before the URL line tells anyone the server is up.
  const stopRequested = new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  const server = await startServer(config);
  process.stdout.write(`Tessera authorization server listening on ${server.url}\nissuer: ${server.issuer}\n`);
  await stopRequested;
  server.logger.info('shutting down');
  await server.close();
  return 0;
}
