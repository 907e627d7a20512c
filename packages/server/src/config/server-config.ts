import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, resolve } from 'node:path';
import { type DatabaseLocation, parseDatabaseUrl } from '../store/database.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Every setting of `tessera serve`, validated. */
export interface ServerConfig {
  readonly database: DatabaseLocation;
  readonly host: string;
  readonly port: number;
  /** Undefined until the port is known, when it is derived from host and port. */
  readonly issuer: string | undefined;
  readonly tls: { readonly cert: Buffer; readonly key: Buffer } | undefined;
  /**
   * Client certificates (RFC 8705): the CAs they must chain to (a PEM bundle), and the
   * addresses of TLS-terminating proxies whose `Client-Cert` header (RFC 9440) is believed.
   */
  readonly clientCertificates:
    | { readonly ca: Buffer; readonly trustedProxies: readonly string[] }
    | undefined;
  /**
   * Addresses of TLS-terminating proxies in front of this server: the client address they
   * report (`X-Forwarded-For`) is believed from them, for sign-in throttling.
   */
  readonly trustedProxies: readonly string[];
  /** Serve an `http://` issuer on a non-loopback address. Only behind a TLS-terminating proxy that you trust. */
  readonly allowInsecureHttpIssuer: boolean;
  readonly logLevel: LogLevel;
  readonly bodyLimit: number;
  readonly masterKey: { readonly fromEnv: string | undefined; readonly file: string };
}

/** The settings as they are written: in a config file, env vars (`TESSERA_*`) or flags. */
export interface RawSettings {
  db?: string;
  host?: string;
  port?: string | number;
  issuer?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsClientCa?: string;
  /** IP addresses; in env, separated by commas or spaces. */
  trustedProxies?: string | readonly string[];
  allowInsecureHttpIssuer?: string | boolean;
  logLevel?: string;
  bodyLimit?: string | number;
}

/** The embedded defaults: SQLite under ./.tessera, loopback, port 8080. */
export const DEFAULT_SETTINGS = {
  db: 'sqlite:./.tessera/tessera.db',
  host: '127.0.0.1',
  port: 8080,
  allowInsecureHttpIssuer: false,
  logLevel: 'info',
  bodyLimit: 32 * 1024,
} as const;

const ENV_NAMES: Record<keyof RawSettings, string> = {
  db: 'TESSERA_DB',
  host: 'TESSERA_HOST',
  port: 'TESSERA_PORT',
  issuer: 'TESSERA_ISSUER',
  tlsCert: 'TESSERA_TLS_CERT',
  tlsKey: 'TESSERA_TLS_KEY',
  tlsClientCa: 'TESSERA_TLS_CLIENT_CA',
  trustedProxies: 'TESSERA_TRUSTED_PROXIES',
  allowInsecureHttpIssuer: 'TESSERA_ALLOW_INSECURE_HTTP_ISSUER',
  logLevel: 'TESSERA_LOG_LEVEL',
  bodyLimit: 'TESSERA_BODY_LIMIT',
};

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
  }
}

/** Reads the settings of env vars; flags and then env override a config file. */
export function settingsFromEnv(env: NodeJS.ProcessEnv): RawSettings {
  const settings: RawSettings = {};
  for (const [name, envName] of Object.entries(ENV_NAMES) as [keyof RawSettings, string][]) {
    const value = env[envName];
    if (value !== undefined && value !== '') settings[name] = value;
  }
  return settings;
}

export function settingsFromFile(file: string): RawSettings {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    // Neither the parser's message nor the file's text is echoed: the file may hold secrets.
    const reason =
      (error as NodeJS.ErrnoException).code === undefined ? 'is not valid JSON' : 'cannot be read';
    throw new ConfigError([`config file ${file}: ${reason}`]);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError([`config file ${file}: must be a JSON object`]);
  }
  const unknown = Object.keys(parsed).filter((key) => !Object.hasOwn(ENV_NAMES, key));
  if (unknown.length > 0)
    throw new ConfigError(unknown.map((key) => `config file ${file}: unknown setting ${key}`));
  return parsed as RawSettings;
}

/**
 * Validates the merged settings once, at start-up, with one line per bad setting.
 *
 * @example resolveServerConfig({ ...settingsFromEnv(process.env), port: '9000' }, process.cwd(), process.env)
 */
export function resolveServerConfig(raw: RawSettings, cwd: string, env: NodeJS.ProcessEnv): ServerConfig {
  const problems: string[] = [];
  const settings = { ...DEFAULT_SETTINGS, ...raw };

  const database = typeof settings.db === 'string' ? parseDatabaseUrl(settings.db, cwd) : null;
  // The URL is not echoed: it may hold a password.
  if (database === null) problems.push('db: must be sqlite:PATH or postgres://…');

  const port = wholeNumber(settings.port);
  if (port === null || port > 65535) {
    problems.push(`port: must be a whole number from 0 to 65535 (got ${JSON.stringify(settings.port)})`);
  }
  const host = typeof settings.host === 'string' ? settings.host : '';
  const hostValid = host !== '' && !/[\s/]/.test(host);
  if (!hostValid)
    problems.push(`host: must be a host name or IP address (got ${JSON.stringify(settings.host)})`);

  const allowInsecureHttpIssuer = parseBoolean(settings.allowInsecureHttpIssuer);
  if (allowInsecureHttpIssuer === null) problems.push('allowInsecureHttpIssuer: must be true or false');

  if (!(LOG_LEVELS as readonly string[]).includes(String(settings.logLevel))) {
    problems.push(`logLevel: must be one of ${LOG_LEVELS.join(', ')}`);
  }
  const bodyLimit = wholeNumber(settings.bodyLimit);
  if (bodyLimit === null || bodyLimit < 1024 || bodyLimit > 1024 * 1024) {
    problems.push('bodyLimit: must be a number of bytes from 1024 to 1048576');
  }

  let tls: ServerConfig['tls'];
  const { tlsCert, tlsKey } = settings;
  if ((tlsCert === undefined) !== (tlsKey === undefined)) {
    problems.push('tls: --tls-cert and --tls-key go together');
  } else if (tlsCert !== undefined && tlsKey !== undefined) {
    if (typeof tlsCert !== 'string' || typeof tlsKey !== 'string') {
      problems.push('tls: --tls-cert and --tls-key must be file paths');
    } else {
      const cert = readSetting(tlsCert, 'tls-cert', problems);
      const key = readSetting(tlsKey, 'tls-key', problems);
      if (cert && key) tls = { cert, key };
    }
  }

  const trustedProxies = addressList(settings.trustedProxies);
  if (trustedProxies === null) {
    problems.push('trustedProxies: must be IP addresses (in env: separated by commas or spaces)');
  }
  const clientCertificates = resolveClientCertificates(
    settings,
    tls !== undefined,
    trustedProxies ?? [],
    problems,
  );

  let issuer: string | undefined;
  if (settings.issuer !== undefined) {
    issuer = checkIssuer(String(settings.issuer), allowInsecureHttpIssuer === true, problems);
  } else if (!hostValid) {
    // Nothing to derive an issuer from: the host's own line says what is wrong.
  } else if (isAllInterfaces(host)) {
    problems.push(`issuer: set --issuer to the public URL of this server when listening on ${host}`);
  } else if (!isLoopback(host) && tls === undefined && allowInsecureHttpIssuer !== true) {
    problems.push(
      `issuer: http://${host} is neither https nor loopback; serve TLS (--tls-cert/--tls-key), set an https --issuer behind a TLS proxy, or set TESSERA_ALLOW_INSECURE_HTTP_ISSUER=true`,
    );
  }

  if (problems.length > 0 || database === null || port === null || bodyLimit === null) {
    throw new ConfigError(problems);
  }
  return {
    database,
    host,
    port,
    issuer,
    tls,
    clientCertificates,
    trustedProxies: trustedProxies ?? [],
    allowInsecureHttpIssuer: allowInsecureHttpIssuer === true,
    logLevel: settings.logLevel as LogLevel,
    bodyLimit,
    masterKey: { fromEnv: env.TESSERA_MASTER_KEY, file: masterKeyFile(database, cwd) },
  };
}

/** The issuer once the port is known: the configured one, or derived from where we listen. */
export function issuerFor(config: ServerConfig, port: number): string {
  if (config.issuer !== undefined) return config.issuer;
  const host = isIP(config.host) === 6 ? `[${config.host}]` : config.host;
  return `${config.tls ? 'https' : 'http'}://${host}:${port}`;
}

/** The master key file sits beside the SQLite file, or in ./.tessera for PostgreSQL. */
export function masterKeyFile(database: DatabaseLocation, cwd: string): string {
  return database.dialect === 'sqlite'
    ? resolve(dirname(database.path), 'master.key')
    : resolve(cwd, '.tessera', 'master.key');
}

function checkIssuer(value: string, allowInsecure: boolean, problems: string[]): string | undefined {
  if (!URL.canParse(value)) {
    problems.push(`issuer: must be an absolute URL (got ${JSON.stringify(value)})`);
    return undefined;
  }
  const url = new URL(value);
  if (url.search !== '' || url.hash !== '' || value.includes('?') || value.includes('#')) {
    problems.push('issuer: must have no query or fragment (RFC 8414)');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') problems.push('issuer: must be an https URL');
  if (url.protocol === 'http:' && !isLoopback(url.hostname) && !allowInsecure) {
    problems.push(
      `issuer: ${value} is http on a non-loopback host; use https, or set TESSERA_ALLOW_INSECURE_HTTP_ISSUER=true behind a TLS-terminating proxy`,
    );
  }
  return value.replace(/\/+$/, '');
}

function resolveClientCertificates(
  settings: RawSettings,
  serveTls: boolean,
  trustedProxies: readonly string[],
  problems: string[],
): ServerConfig['clientCertificates'] {
  const { tlsClientCa } = settings;
  if (tlsClientCa === undefined) return undefined;
  if (typeof tlsClientCa !== 'string') {
    problems.push('tls-client-ca: must be a file path');
    return undefined;
  }
  if (!serveTls && trustedProxies.length === 0) {
    problems.push(
      'tls-client-ca: needs --tls-cert and --tls-key, or --trusted-proxy for the certificates a TLS-terminating proxy forwards',
    );
  }
  const ca = readSetting(tlsClientCa, 'tls-client-ca', problems);
  if (ca === undefined) return undefined;
  const pems =
    ca.toString('utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  try {
    if (pems.length === 0) throw new Error('no certificate');
    for (const pem of pems) new X509Certificate(pem);
  } catch {
    problems.push(`tls-client-ca: ${tlsClientCa} is not a bundle of PEM certificates`);
    return undefined;
  }
  return { ca, trustedProxies };
}

/** IP addresses, from a list or a string separated by commas or spaces; null when one is not. */
function addressList(value: RawSettings['trustedProxies']): string[] | null {
  if (value === undefined) return [];
  const items = typeof value === 'string' ? value.split(/[\s,]+/).filter((item) => item !== '') : value;
  if (!Array.isArray(items)) return null;
  return items.every((item) => typeof item === 'string' && isIP(item) !== 0) ? [...items] : null;
}

function readSetting(file: string, name: string, problems: string[]): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch (error) {
    problems.push(`${name}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    return undefined;
  }
}

/** A whole number of the settings, written as digits in text or as a JSON number. */
function wholeNumber(value: unknown): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : null;
  return typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : null;
}

function parseBoolean(value: string | boolean): boolean | null {
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  return null;
}

export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  return bare === 'localhost' || bare === '::1' || (isIP(bare) === 4 && bare.startsWith('127.'));
}

const isAllInterfaces = (host: string) => host === '0.0.0.0' || host === '::' || host === '[::]';
