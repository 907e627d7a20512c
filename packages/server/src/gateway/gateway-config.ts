/**
 * The gateway's JSON configuration (the contract's "The gateway" section), validated once at
 * start-up with one line per problem.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, resolve } from 'node:path';
import { parseScope } from '@tessera/core';
import { parseDuration } from '../config/duration.js';
import { ConfigError, isLoopback } from '../config/server-config.js';
import { PROTECTED_RESOURCE_METADATA_PATH } from './protected-resource-metadata.js';

/** Every scheme the contract names; only those in {@link SUPPORTED_SCHEMES} work yet. */
export const KNOWN_SCHEMES = ['bearer', 'dpop', 'apikey', 'sigv4', 'mtls'] as const;
export type GatewayScheme = (typeof KNOWN_SCHEMES)[number];
export const SUPPORTED_SCHEMES: readonly GatewayScheme[] = ['bearer', 'dpop', 'apikey', 'sigv4', 'mtls'];

export const DEFAULT_LISTEN = { host: '127.0.0.1', port: 8081 } as const;
/** How long the upstream may take to send its response headers. */
export const DEFAULT_UPSTREAM_TIMEOUT_MS = 30_000;

export interface GatewayRoute {
  readonly method: string;
  readonly path: string;
  readonly scopes: readonly string[];
  readonly public: boolean;
}

export interface GatewayConfig {
  readonly listen: { readonly host: string; readonly port: number };
  /** Without a trailing slash. */
  readonly issuer: string;
  readonly audience: string;
  /** The upstream's origin, `http(s)://host:port`. */
  readonly upstream: string;
  readonly credentials: { readonly clientId: string; readonly clientSecret: string } | undefined;
  readonly schemes: readonly GatewayScheme[];
  readonly sigv4: { readonly region: string; readonly service: string } | undefined;
  readonly routes: readonly GatewayRoute[];
  readonly tls:
    | { readonly cert: Buffer; readonly key: Buffer; readonly clientCa: Buffer | undefined }
    | undefined;
  /**
   * Client certificates (RFC 8705), with `tls.client_ca`: the CAs they must chain to, and the
   * TLS-terminating proxies whose `Client-Cert` header (RFC 9440) is believed (`trusted_proxies`).
   */
  readonly clientCertificates:
    | { readonly ca: Buffer; readonly trustedProxies: readonly string[] }
    | undefined;
  /**
   * The gateway's resource identifier (RFC 9728) as clients reach it; derived from `listen`
   * when unset. When set, it is also the origin DPoP proofs name in `htu`.
   */
  readonly resource: string | undefined;
  /**
   * The key DPoP nonces are made with (`dpop.nonce_key_file`, 32 bytes or more), shared by
   * gateway instances so that each accepts the others' nonces; random per process when unset.
   */
  readonly dpop: { readonly nonceKey: Buffer } | undefined;
  readonly upstreamTimeoutMs: number;
}

const MEMBERS = [
  'listen',
  'issuer',
  'audience',
  'upstream',
  'credentials',
  'schemes',
  'sigv4',
  'routes',
  'tls',
  'trusted_proxies',
  'resource',
  'dpop',
  'upstream_timeout',
] as const;

// RFC 9110 token characters; methods are case-sensitive, and every registered one is upper case.
const METHOD = /^[A-Z][A-Z0-9!#$%&'*+.^_`|~-]*$/;
// What Node's HTTP parser accepts in a request target, less the query and fragment delimiters.
const PATH = /^\/[\x21-\x22\x24-\x3e\x40-\x7e]*$/;

/**
 * Reads and validates a gateway config file. Relative `tls` file paths are taken from the
 * config file's directory. Every problem is reported at once in a {@link ConfigError}.
 *
 * @example const config = readGatewayConfig('./gateway.json');
 */
export function readGatewayConfig(file: string): GatewayConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError([`config file ${file}: cannot be read (${(error as NodeJS.ErrnoException).code})`]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError([`config file ${file}: not JSON (${(error as Error).message.split('\n')[0]})`]);
  }
  return parseGatewayConfig(parsed, { baseDir: dirname(resolve(file)), source: `config file ${file}` });
}

export interface ParseGatewayConfigOptions {
  /** Where relative file paths (`tls`) are resolved. */
  readonly baseDir: string;
  /** Prefixed to each problem, e.g. `config file ./gateway.json`. */
  readonly source?: string;
}

/**
 * Validates a parsed gateway config.
 *
 * @example
 * ```ts
 * parseGatewayConfig(
 *   { issuer: 'http://127.0.0.1:8080', audience: 'api', upstream: 'http://127.0.0.1:9000',
 *     routes: [{ method: 'GET', path: '/health', public: true }] },
 *   { baseDir: process.cwd() },
 * );
 * ```
 */
export function parseGatewayConfig(raw: unknown, options: ParseGatewayConfigOptions): GatewayConfig {
  const problems: string[] = [];
  const problem = (text: string) => problems.push(options.source ? `${options.source}: ${text}` : text);

  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problem('must be a JSON object');
    throw new ConfigError(problems);
  }
  const config = raw as Record<string, unknown>;
  for (const name of Object.keys(config)) {
    if (!(MEMBERS as readonly string[]).includes(name)) problem(`unknown member ${JSON.stringify(name)}`);
  }

  const listen = parseListen(config.listen, problem);
  const issuer = parseIssuer(config.issuer, problem);
  const audience = nonEmptyString(config.audience, 'audience', problem);
  if (audience !== undefined && /[\s\p{Cc}]/u.test(audience)) {
    problem('audience: must have no spaces or control characters');
  }
  const upstream = parseUpstream(config.upstream, problem);
  const schemes = parseSchemes(config.schemes, problem);
  const sigv4 = parseSigv4(config.sigv4, problem);
  if (schemes.includes('sigv4') && config.sigv4 === undefined) {
    problem('sigv4: the sigv4 scheme needs {"region": …, "service": …}, the scope requests are signed for');
  }
  const routes = parseRoutes(config.routes, problem);
  const credentials = parseCredentials(config.credentials, problem);
  if (
    credentials === undefined &&
    config.credentials === undefined &&
    routes.some((route) => !route.public)
  ) {
    problem(
      'credentials: required when a route is not public (the gateway\'s own client, made with "tessera client create --resource-server")',
    );
  }
  const trustedProxies = parseTrustedProxies(config.trusted_proxies, problem);
  const { tls, clientCa } = parseTls(config.tls, options.baseDir, trustedProxies.length > 0, problem);
  if (trustedProxies.length > 0 && clientCa === undefined) {
    problem('trusted_proxies: needs tls.client_ca, the CA forwarded client certificates must chain to');
  }
  if (schemes.includes('mtls') && clientCa === undefined) {
    problem('schemes: the mtls scheme needs tls.client_ca, the CA client certificates must chain to');
  }
  const resource = config.resource === undefined ? undefined : parseResource(config.resource, problem);
  const dpop = parseDpop(config.dpop, options.baseDir, problem);
  const upstreamTimeoutMs =
    config.upstream_timeout === undefined
      ? DEFAULT_UPSTREAM_TIMEOUT_MS
      : parseTimeout(config.upstream_timeout, problem);

  if (
    problems.length > 0 ||
    issuer === undefined ||
    audience === undefined ||
    upstream === undefined ||
    upstreamTimeoutMs === undefined
  ) {
    throw new ConfigError(problems);
  }
  return {
    listen,
    issuer,
    audience,
    upstream,
    credentials,
    schemes,
    sigv4,
    routes,
    tls,
    clientCertificates: clientCa === undefined ? undefined : { ca: clientCa, trustedProxies },
    resource,
    dpop,
    upstreamTimeoutMs,
  };
}

type Problem = (text: string) => void;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unknownMembers(
  value: Record<string, unknown>,
  known: readonly string[],
  at: string,
  problem: Problem,
) {
  for (const name of Object.keys(value)) {
    if (!known.includes(name)) problem(`${at}: unknown member ${JSON.stringify(name)}`);
  }
}

function nonEmptyString(value: unknown, at: string, problem: Problem): string | undefined {
  if (value === undefined) {
    problem(`${at}: required`);
    return undefined;
  }
  if (typeof value !== 'string' || value === '') {
    problem(`${at}: must be a non-empty string`);
    return undefined;
  }
  return value;
}

function parseListen(value: unknown, problem: Problem): GatewayConfig['listen'] {
  if (value === undefined) return DEFAULT_LISTEN;
  if (!isObject(value)) {
    problem('listen: must be an object such as {"host": "127.0.0.1", "port": 8081}');
    return DEFAULT_LISTEN;
  }
  unknownMembers(value, ['host', 'port'], 'listen', problem);
  let host: string = DEFAULT_LISTEN.host;
  if (value.host !== undefined) {
    if (typeof value.host !== 'string' || value.host === '' || /[\s/[\]]/.test(value.host)) {
      problem('listen.host: must be a host name or IP address (no brackets)');
    } else {
      host = value.host;
    }
  }
  let port: number = DEFAULT_LISTEN.port;
  if (value.port !== undefined) {
    if (!isPort(value.port)) problem('listen.port: must be a whole number from 0 to 65535');
    else port = value.port;
  }
  return { host, port };
}

/** A TCP port number, 0 meaning any free one. */
export function isPort(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 65535;
}

function parseIssuer(value: unknown, problem: Problem): string | undefined {
  const text = nonEmptyString(value, 'issuer', problem);
  if (text === undefined) return undefined;
  if (!URL.canParse(text)) {
    problem(`issuer: must be an absolute URL (got ${JSON.stringify(text)})`);
    return undefined;
  }
  const url = new URL(text);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    problem('issuer: must be an https URL');
    return undefined;
  }
  if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
    problem(`issuer: ${text} must be https (http is allowed only on a loopback address)`);
    return undefined;
  }
  if (url.search !== '' || url.hash !== '' || text.includes('?') || text.includes('#')) {
    problem('issuer: must have no query or fragment (RFC 8414)');
    return undefined;
  }
  if (url.username !== '' || url.password !== '') {
    problem('issuer: must not carry a user name or password');
    return undefined;
  }
  return text.replace(/\/+$/, '');
}

function parseUpstream(value: unknown, problem: Problem): string | undefined {
  const text = nonEmptyString(value, 'upstream', problem);
  if (text === undefined) return undefined;
  const url = URL.canParse(text) ? new URL(text) : undefined;
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    problem(`upstream: must be an http:// or https:// URL (got ${JSON.stringify(text)})`);
    return undefined;
  }
  if (
    url.pathname !== '/' ||
    url.search !== '' ||
    url.hash !== '' ||
    url.username !== '' ||
    url.password !== ''
  ) {
    // The forwarded path is the caller's, unchanged; a prefix here would be silently ignored.
    problem('upstream: must be an origin such as http://127.0.0.1:9000 (no path, query or user name)');
    return undefined;
  }
  return url.origin;
}

function parseSchemes(value: unknown, problem: Problem): GatewayScheme[] {
  if (value === undefined) return ['bearer'];
  if (!Array.isArray(value) || value.length === 0) {
    problem('schemes: must be a non-empty array such as ["bearer"]');
    return [];
  }
  const schemes: GatewayScheme[] = [];
  for (const [index, scheme] of value.entries()) {
    if (typeof scheme !== 'string' || !(KNOWN_SCHEMES as readonly string[]).includes(scheme)) {
      problem(
        `schemes[${index}]: unknown scheme ${JSON.stringify(scheme)} (known: ${KNOWN_SCHEMES.join(', ')})`,
      );
    } else if (!SUPPORTED_SCHEMES.includes(scheme as GatewayScheme)) {
      problem(
        `schemes[${index}]: "${scheme}" is not supported yet (supported: ${SUPPORTED_SCHEMES.join(', ')})`,
      );
    } else if (schemes.includes(scheme as GatewayScheme)) {
      problem(`schemes[${index}]: "${scheme}" is listed twice`);
    } else {
      schemes.push(scheme as GatewayScheme);
    }
  }
  return schemes;
}

function parseSigv4(value: unknown, problem: Problem): GatewayConfig['sigv4'] {
  if (value === undefined) return undefined;
  if (!isObject(value)) {
    problem('sigv4: must be an object such as {"region": "local", "service": "billing"}');
    return undefined;
  }
  unknownMembers(value, ['region', 'service'], 'sigv4', problem);
  const region = nonEmptyString(value.region, 'sigv4.region', problem);
  const service = nonEmptyString(value.service, 'sigv4.service', problem);
  return region !== undefined && service !== undefined ? { region, service } : undefined;
}

function parseCredentials(value: unknown, problem: Problem): GatewayConfig['credentials'] {
  if (value === undefined) return undefined;
  if (!isObject(value)) {
    problem('credentials: must be an object {"client_id": …, "client_secret": …}');
    return undefined;
  }
  unknownMembers(value, ['client_id', 'client_secret'], 'credentials', problem);
  const clientId = nonEmptyString(value.client_id, 'credentials.client_id', problem);
  const clientSecret = nonEmptyString(value.client_secret, 'credentials.client_secret', problem);
  return clientId !== undefined && clientSecret !== undefined ? { clientId, clientSecret } : undefined;
}

function parseRoutes(value: unknown, problem: Problem): GatewayRoute[] {
  if (!Array.isArray(value)) {
    problem(value === undefined ? 'routes: required' : 'routes: must be an array');
    return [];
  }
  if (value.length === 0) problem('routes: must list at least one route');
  const routes: GatewayRoute[] = [];
  const seen = new Set<string>();
  for (const [index, entry] of value.entries()) {
    const at = `routes[${index}]`;
    if (!isObject(entry)) {
      problem(
        `${at}: must be an object such as {"method": "GET", "path": "/v1/charges", "scopes": ["read"]}`,
      );
      continue;
    }
    unknownMembers(entry, ['method', 'path', 'scopes', 'public'], at, problem);
    let valid = true;
    const { method, path } = entry;
    if (typeof method !== 'string' || !METHOD.test(method)) {
      problem(
        `${at}.method: must be an HTTP method in upper case, such as "GET" (got ${JSON.stringify(method)})`,
      );
      valid = false;
    }
    if (typeof path !== 'string' || !path.startsWith('/')) {
      problem(`${at}.path: must be a string starting with "/" (got ${JSON.stringify(path)})`);
      valid = false;
    } else if (!PATH.test(path)) {
      problem(`${at}.path: must have no query, fragment, spaces or non-ASCII characters`);
      valid = false;
    } else if (path === PROTECTED_RESOURCE_METADATA_PATH) {
      problem(`${at}.path: ${path} is served by the gateway itself`);
      valid = false;
    }
    const isPublic = entry.public ?? false;
    if (typeof isPublic !== 'boolean') {
      problem(`${at}.public: must be true or false`);
      valid = false;
    }
    const scopes: string[] = [];
    if (entry.scopes !== undefined) {
      if (!Array.isArray(entry.scopes)) {
        problem(`${at}.scopes: must be an array of scope names`);
        valid = false;
      } else {
        for (const [position, scope] of entry.scopes.entries()) {
          const parsed = typeof scope === 'string' ? parseScope(scope) : null;
          if (parsed === null || parsed.length !== 1) {
            problem(
              `${at}.scopes[${position}]: must be one scope token (printable ASCII, no spaces, quotes or backslashes)`,
            );
            valid = false;
          } else if (!scopes.includes(scope)) {
            scopes.push(scope);
          }
        }
      }
    }
    if (isPublic === true && scopes.length > 0) {
      problem(`${at}: a public route takes no scopes`);
      valid = false;
    }
    if (!valid) continue;
    const key = `${method} ${path}`;
    if (seen.has(key)) {
      problem(`${at}: ${key} is already routed`);
      continue;
    }
    seen.add(key);
    routes.push({ method: method as string, path: path as string, scopes, public: isPublic === true });
  }
  return routes;
}

/**
 * `tls`: the gateway's certificate and key, and the CA bundle of client certificates. Behind
 * a TLS-terminating proxy (`behindProxy`), `client_ca` alone: plain HTTP, certificates only
 * through the proxy's `Client-Cert` header.
 */
function parseTls(
  value: unknown,
  baseDir: string,
  behindProxy: boolean,
  problem: Problem,
): { tls: GatewayConfig['tls']; clientCa: Buffer | undefined } {
  if (value === undefined) return { tls: undefined, clientCa: undefined };
  if (!isObject(value)) {
    problem('tls: must be an object {"cert": FILE, "key": FILE, "client_ca": FILE}');
    return { tls: undefined, clientCa: undefined };
  }
  if (behindProxy && value.cert === undefined && value.key === undefined && value.client_ca !== undefined) {
    unknownMembers(value, ['client_ca'], 'tls', problem);
    return { tls: undefined, clientCa: readClientCa(value.client_ca, baseDir, problem) };
  }
  unknownMembers(value, ['cert', 'key', 'client_ca'], 'tls', problem);
  const read = (member: string, required: boolean): Buffer | undefined => {
    const file = value[member];
    if (file === undefined && !required) return undefined;
    const path = nonEmptyString(file, `tls.${member}`, problem);
    if (path === undefined) return undefined;
    try {
      return readFileSync(resolve(baseDir, path));
    } catch (error) {
      problem(`tls.${member}: cannot read ${path} (${(error as NodeJS.ErrnoException).code})`);
      return undefined;
    }
  };
  const cert = read('cert', true);
  const key = read('key', true);
  const clientCa =
    value.client_ca === undefined ? undefined : readClientCa(value.client_ca, baseDir, problem);
  return { tls: cert !== undefined && key !== undefined ? { cert, key, clientCa } : undefined, clientCa };
}

/** The client CA bundle: PEM certificates, every one of them readable. */
function readClientCa(value: unknown, baseDir: string, problem: Problem): Buffer | undefined {
  const path = nonEmptyString(value, 'tls.client_ca', problem);
  if (path === undefined) return undefined;
  let bundle: Buffer;
  try {
    bundle = readFileSync(resolve(baseDir, path));
  } catch (error) {
    problem(`tls.client_ca: cannot read ${path} (${(error as NodeJS.ErrnoException).code})`);
    return undefined;
  }
  const pems =
    bundle.toString('utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  try {
    if (pems.length === 0) throw new Error('no certificate');
    for (const pem of pems) new X509Certificate(pem);
  } catch {
    problem(`tls.client_ca: ${path} is not a bundle of PEM certificates`);
    return undefined;
  }
  return bundle;
}

/** `trusted_proxies`: the IP addresses of TLS-terminating proxies whose `Client-Cert` header is believed. */
function parseTrustedProxies(value: unknown, problem: Problem): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string' && isIP(item) !== 0)) {
    problem('trusted_proxies: must be an array of IP addresses, such as ["10.0.0.5"]');
    return [];
  }
  return [...new Set(value as string[])];
}

function parseResource(value: unknown, problem: Problem): string | undefined {
  const text = nonEmptyString(value, 'resource', problem);
  if (text === undefined) return undefined;
  const url = URL.canParse(text) ? new URL(text) : undefined;
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    problem('resource: must be an https:// URL (the gateway as its clients reach it)');
    return undefined;
  }
  if (
    url.pathname !== '/' ||
    url.search !== '' ||
    url.hash !== '' ||
    text.includes('?') ||
    text.includes('#')
  ) {
    // RFC 9728 §3.1 would put the metadata under a path-specific well-known URL, which is not served.
    problem('resource: must be an origin such as https://api.example.com (no path, query or fragment)');
    return undefined;
  }
  return url.origin;
}

/**
 * `dpop`: `nonce_key_file`, whose bytes (32 or more) are the DPoP nonce key. Like the
 * server's master key file, it is refused when other users may read it.
 */
function parseDpop(value: unknown, baseDir: string, problem: Problem): GatewayConfig['dpop'] {
  if (value === undefined) return undefined;
  if (!isObject(value)) {
    problem('dpop: must be an object {"nonce_key_file": FILE}');
    return undefined;
  }
  unknownMembers(value, ['nonce_key_file'], 'dpop', problem);
  const path = nonEmptyString(value.nonce_key_file, 'dpop.nonce_key_file', problem);
  if (path === undefined) return undefined;
  const file = resolve(baseDir, path);
  let nonceKey: Buffer;
  try {
    const mode = statSync(file).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      problem(
        `dpop.nonce_key_file: ${path} may be read by other users (mode ${mode.toString(8)}); run: chmod 600 ${path}`,
      );
      return undefined;
    }
    nonceKey = readFileSync(file);
  } catch (error) {
    problem(`dpop.nonce_key_file: cannot read ${path} (${(error as NodeJS.ErrnoException).code})`);
    return undefined;
  }
  if (nonceKey.length < 32) {
    problem(`dpop.nonce_key_file: ${path} must hold at least 32 random bytes (openssl rand -out FILE 32)`);
    return undefined;
  }
  return { nonceKey };
}

function parseTimeout(value: unknown, problem: Problem): number | undefined {
  if (typeof value === 'string') {
    const millis = /^(\d{1,9})ms$/.exec(value);
    const ms = millis ? Number(millis[1]) : (parseDuration(value) ?? Number.NaN) * 1000;
    if (Number.isFinite(ms) && ms > 0) return ms;
  }
  problem('upstream_timeout: must be a duration such as "30s", "2m" or "500ms"');
  return undefined;
}

/** The gateway's base URL for a listening address, `[…]` around an IPv6 host. */
export function baseUrlFor(config: GatewayConfig, port: number): string {
  if (config.resource !== undefined) return config.resource;
  const { host } = config.listen;
  const wildcard = host === '0.0.0.0' || host === '::';
  const shown = wildcard ? (host === '::' ? '[::1]' : '127.0.0.1') : isIP(host) === 6 ? `[${host}]` : host;
  return `${config.tls ? 'https' : 'http'}://${shown}:${port}`;
}
