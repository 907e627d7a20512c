/**
 * Access tokens for a machine client (RFC 6749 §4.4, client credentials): discovered once,
 * cached, renewed shortly before they expire, and asked for once however many callers
 * want one at the same moment.
 */
import { formatScope, parseScope } from '@tessera/core';
import type { DpopProver } from './dpop.js';
import { createMtlsFetch, type MtlsFetchOptions } from './mtls-fetch.js';

export type TokenEndpointAuthMethod =
  | 'client_secret_basic'
  | 'client_secret_post'
  | 'tls_client_auth'
  | 'self_signed_tls_client_auth';

export interface TokenSourceOptions {
  /** The authorization server's issuer identifier, exactly as its metadata names it. */
  readonly issuer: string;
  readonly clientId: string;
  /** Not for the certificate methods (`tls_client_auth`, `self_signed_tls_client_auth`). */
  readonly clientSecret?: string;
  /**
   * Mutual TLS (RFC 8705): the client certificate (PEM), its key, and the CAs to trust for the
   * server, presented on every request to the authorization server. What the certificate
   * methods authenticate with; the tokens they get are bound to this certificate, so call
   * the API with it too (`createMtlsFetch`). Instead of this, a `fetch` that presents a
   * certificate itself will do (e.g. with an undici `Agent` as its `dispatcher`).
   */
  readonly tls?: MtlsFetchOptions;
  /** Scopes to ask for: a `scope` value (`'a b'`) or a list. By default, none. */
  readonly scope?: string | readonly string[];
  /** RFC 8707 resource indicators (audiences) to ask for. By default, none. */
  readonly resource?: string | readonly string[];
  /** How the client authenticates at the token endpoint; `client_secret_basic` by default. */
  readonly authMethod?: TokenEndpointAuthMethod;
  /** Renew this long before the token expires; 30 s by default. */
  readonly refreshSkewSeconds?: number;
  /** The `fetch` to use; the global one by default. */
  readonly fetch?: typeof fetch;
  /** Give up on a request to the authorization server after this long; 10 s by default. */
  readonly timeoutMs?: number;
  /** The clock, in milliseconds since the epoch; `Date.now` by default. */
  readonly now?: () => number;
  /** Allows a plain-http issuer off loopback, where anyone on the path can read the secret. */
  readonly allowInsecureHttpIssuer?: boolean;
  /**
   * Ask for DPoP-bound tokens (RFC 9449), proving possession of the prover's key; the server
   * nonce is learned and the request retried once when the server asks for it. Send the
   * tokens with `createDpopFetch` and the same prover.
   */
  readonly dpop?: DpopProver;
}

export interface TokenSource {
  /** A valid access token: the cached one, or a new one if it is about to expire. */
  getToken(): Promise<string>;
  /**
   * Forgets the cached token, e.g. after an API answered 401 to it, so that the next
   * `getToken()` asks for a new one. Given the refused token, forgets only that one: when
   * several requests fail with the same token, the first caller's renewal is kept. A
   * request already under way is not cancelled.
   */
  invalidate(token?: string): void;
}

/**
 * Why no token could be had. `error` is the RFC 6749 §5.2 error code when the token
 * endpoint sent one (`invalid_client`, `invalid_scope`, `invalid_target`, …), and
 * otherwise one of Tessera's: `network_error` (no answer), `invalid_response` (an answer
 * that is not usable metadata or a usable token response), `server_error` or
 * `temporarily_unavailable` (a 5xx without an RFC error). Neither the message nor any
 * property holds the client secret or a token.
 */
export class TokenRequestError extends Error {
  readonly error: string;
  /** The HTTP status of the answer, if there was one. */
  readonly status: number | undefined;
  /** The server's `error_description`, if it sent a well-formed one. */
  readonly errorDescription: string | undefined;

  constructor(
    error: string,
    message: string,
    details: { status?: number; errorDescription?: string; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'TokenRequestError';
    this.error = error;
    this.status = details.status;
    this.errorDescription = details.errorDescription;
  }
}

const DEFAULT_SKEW_SECONDS = 30;
const DEFAULT_TIMEOUT_MS = 10_000;
// Metadata and token responses are a few hundred bytes; a larger answer is not one of them.
const MAX_RESPONSE_BYTES = 64 * 1024;
// RFC 6749 Appendix A.7 and A.8: error and error_description are printable ASCII without '"' and '\'.
const ERROR_TEXT = /^[\x20\x21\x23-\x5b\x5d-\x7e]+$/;
// A token goes into an Authorization header: visible ASCII, no space.
const TOKEN_TEXT = /^[\x21-\x7e]+$/;
const AUTH_METHODS: readonly string[] = [
  'client_secret_basic',
  'client_secret_post',
  'tls_client_auth',
  'self_signed_tls_client_auth',
];
/** RFC 8705 §2: the methods where the TLS client certificate is the credential. */
const CERTIFICATE_METHODS: readonly string[] = ['tls_client_auth', 'self_signed_tls_client_auth'];

interface Settings {
  readonly issuer: string;
  readonly metadataUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly scope: string;
  readonly resources: readonly string[];
  readonly authMethod: TokenEndpointAuthMethod;
  readonly skewSeconds: number;
  readonly fetch: typeof fetch;
  readonly timeoutMs: number;
  readonly now: () => number;
  readonly allowInsecureHttp: boolean;
  /** A client certificate is presented: the token endpoint's mTLS alias is used (RFC 8705 §5). */
  readonly mtls: boolean;
  readonly dpop: DpopProver | undefined;
}

interface CachedToken {
  readonly token: string;
  /** When to stop handing it out and ask for a new one, on the `now` clock. */
  readonly renewAt: number;
}

/**
 * Creates a client-credentials token source. The options are checked at once (a bad one
 * throws a `TypeError`); nothing is fetched until the first `getToken()`. The token
 * endpoint comes from the issuer's RFC 8414 metadata, which must name the same issuer.
 *
 * A token is handed out until `refreshSkewSeconds` before it expires, or until half its
 * lifetime has passed if that comes later, so that a short-lived token is still reused.
 * A token response without `expires_in` is used once and not cached. Concurrent calls
 * share one request; a failed request is shared by its callers and not remembered, so the
 * next call tries again. Failures reject with a {@link TokenRequestError}.
 *
 * @example
 * ```ts
 * const tokens = createTokenSource({
 *   issuer: 'https://auth.example.com',
 *   clientId: process.env.CLIENT_ID,
 *   clientSecret: process.env.CLIENT_SECRET,
 *   scope: ['charges:read'],
 *   resource: 'billing-api',
 * });
 * const token = await tokens.getToken();
 * const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
 * if (response.status === 401) tokens.invalidate(token);
 * ```
 */
export function createTokenSource(options: TokenSourceOptions): TokenSource {
  const settings = settingsFrom(options);
  let tokenEndpoint: Promise<string> | undefined;
  let cached: CachedToken | undefined;
  let pending: Promise<string> | undefined;

  const discover = (): Promise<string> => {
    tokenEndpoint ??= fetchTokenEndpoint(settings).catch((error: unknown) => {
      tokenEndpoint = undefined;
      throw error;
    });
    return tokenEndpoint;
  };

  const renew = async (): Promise<string> => {
    const endpoint = await discover();
    // Measured before asking, so that the time the request takes counts against the token.
    const askedAt = settings.now();
    let issued: IssuedToken;
    try {
      issued = await requestToken(settings, endpoint);
    } catch (error) {
      // An OAuth error answer proves the endpoint is there; anything else may mean it moved.
      const oauthAnswer =
        error instanceof TokenRequestError &&
        error.status !== undefined &&
        error.status < 500 &&
        error.error !== 'invalid_response' &&
        error.error !== 'network_error';
      if (!oauthAnswer) tokenEndpoint = undefined;
      throw error;
    }
    const lifetime = issued.expiresIn;
    cached =
      lifetime === undefined || lifetime === 0
        ? undefined
        : {
            token: issued.accessToken,
            renewAt: askedAt + Math.max(lifetime - settings.skewSeconds, lifetime / 2) * 1000,
          };
    return issued.accessToken;
  };

  return {
    getToken(): Promise<string> {
      if (cached !== undefined && settings.now() < cached.renewAt) return Promise.resolve(cached.token);
      pending ??= renew().finally(() => {
        pending = undefined;
      });
      return pending;
    },
    invalidate(token?: string): void {
      if (token === undefined || cached?.token === token) cached = undefined;
    },
  };
}

function settingsFrom(options: TokenSourceOptions): Settings {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('createTokenSource takes an options object');
  }
  const allowInsecureHttp = options.allowInsecureHttpIssuer === true;
  const issuer = issuerUrl(options.issuer, allowInsecureHttp);
  if (typeof options.clientId !== 'string' || options.clientId === '') {
    throw new TypeError('clientId must be a non-empty string');
  }
  const authMethod = options.authMethod ?? 'client_secret_basic';
  if (!AUTH_METHODS.includes(authMethod)) {
    throw new TypeError(`authMethod must be one of ${AUTH_METHODS.join(', ')}`);
  }
  const byCertificate = CERTIFICATE_METHODS.includes(authMethod);
  if (byCertificate && options.clientSecret !== undefined) {
    throw new TypeError(`${authMethod} authenticates with the client certificate: give no clientSecret`);
  }
  if (!byCertificate && (typeof options.clientSecret !== 'string' || options.clientSecret === '')) {
    throw new TypeError('clientSecret must be a non-empty string');
  }
  if (options.tls !== undefined && options.fetch !== undefined) {
    throw new TypeError('give tls or fetch, not both: a custom fetch presents its own certificate');
  }
  if (byCertificate && options.tls === undefined && options.fetch === undefined) {
    throw new TypeError(`${authMethod} needs tls: { cert, key } (or a fetch that presents the certificate)`);
  }
  if (options.tls !== undefined && issuer.protocol !== 'https:') {
    throw new TypeError('a client certificate is presented over https only: the issuer must be https');
  }
  const skewSeconds = options.refreshSkewSeconds ?? DEFAULT_SKEW_SECONDS;
  if (typeof skewSeconds !== 'number' || !Number.isFinite(skewSeconds) || skewSeconds < 0) {
    throw new TypeError('refreshSkewSeconds must be a finite number of seconds, zero or more');
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new TypeError('timeoutMs must be a positive number of milliseconds');
  }
  const fetchFunction =
    options.tls === undefined ? (options.fetch ?? globalThis.fetch) : createMtlsFetch(options.tls);
  if (typeof fetchFunction !== 'function') throw new TypeError('fetch must be a function');
  const now = options.now ?? Date.now;
  if (typeof now !== 'function') throw new TypeError('now must be a function returning milliseconds');

  if (options.dpop !== undefined && typeof options.dpop?.proof !== 'function') {
    throw new TypeError('dpop must be a prover from createDpopProver');
  }
  const resources = options.resource === undefined ? [] : [options.resource].flat();
  if (resources.some((resource) => typeof resource !== 'string' || resource === '')) {
    throw new TypeError('resource must be a non-empty string or a list of them');
  }
  // RFC 8414 §3.1: the well-known segment goes between the host and the issuer's path.
  const path = issuer.pathname === '/' ? '' : issuer.pathname.replace(/\/$/, '');
  return {
    issuer: options.issuer,
    metadataUrl: `${issuer.origin}/.well-known/oauth-authorization-server${path}`,
    clientId: options.clientId,
    clientSecret: options.clientSecret ?? '',
    scope: scopeValue(options.scope),
    resources,
    authMethod: authMethod as TokenEndpointAuthMethod,
    skewSeconds,
    fetch: fetchFunction,
    timeoutMs,
    now,
    allowInsecureHttp,
    mtls: byCertificate || options.tls !== undefined,
    dpop: options.dpop,
  };
}

function scopeValue(scope: string | readonly string[] | undefined): string {
  if (scope === undefined) return '';
  if (typeof scope === 'string') {
    if (parseScope(scope) === null)
      throw new TypeError('scope must be scope-tokens separated by single spaces');
    return scope;
  }
  if (!Array.isArray(scope)) throw new TypeError('scope must be a string or a list of scope-tokens');
  return formatScope(scope);
}

function issuerUrl(issuer: unknown, allowInsecureHttp: boolean): URL {
  if (typeof issuer !== 'string' || !URL.canParse(issuer))
    throw new TypeError('issuer must be an absolute URL');
  const url = new URL(issuer);
  // RFC 8414 §2: an issuer has no query and no fragment.
  if (url.search !== '' || url.hash !== '' || issuer.includes('#') || issuer.includes('?')) {
    throw new TypeError('issuer must not have a query or a fragment');
  }
  if (!isSecure(url, allowInsecureHttp)) {
    throw new TypeError(
      'issuer must be https (plain http only on loopback, or with allowInsecureHttpIssuer)',
    );
  }
  return url;
}

function isSecure(url: URL, allowInsecureHttp: boolean): boolean {
  if (url.protocol === 'https:') return true;
  if (url.protocol !== 'http:') return false;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const loopback = host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
  return loopback || allowInsecureHttp;
}

async function fetchTokenEndpoint(settings: Settings): Promise<string> {
  const { status, body } = await exchange(settings, settings.metadataUrl, {
    headers: { accept: 'application/json' },
  });
  if (status !== 200) {
    throw new TokenRequestError(
      'invalid_response',
      `issuer metadata: ${settings.metadataUrl} answered ${status}`,
      {
        status,
      },
    );
  }
  const metadata = jsonObject(body);
  if (metadata === undefined) {
    throw new TokenRequestError('invalid_response', 'issuer metadata is not a JSON object', { status });
  }
  // RFC 8414 §3.3: metadata naming another issuer may be an impersonation attempt.
  if (metadata.issuer !== settings.issuer) {
    throw new TokenRequestError(
      'invalid_response',
      `issuer metadata names another issuer than ${settings.issuer}`,
      {
        status,
      },
    );
  }
  const aliases = metadata.mtls_endpoint_aliases as Record<string, unknown> | undefined;
  const alias = typeof aliases === 'object' && aliases !== null ? aliases.token_endpoint : undefined;
  const endpoint = settings.mtls && alias !== undefined ? alias : metadata.token_endpoint;
  if (typeof endpoint !== 'string' || !URL.canParse(endpoint)) {
    throw new TokenRequestError('invalid_response', 'issuer metadata has no token_endpoint URL', { status });
  }
  if (!isSecure(new URL(endpoint), settings.allowInsecureHttp)) {
    throw new TokenRequestError(
      'invalid_response',
      'issuer metadata names a token_endpoint that is not https',
      {
        status,
      },
    );
  }
  return endpoint;
}

interface IssuedToken {
  readonly accessToken: string;
  /** Seconds; `undefined` when the server did not say. */
  readonly expiresIn: number | undefined;
}

async function requestToken(settings: Settings, endpoint: string): Promise<IssuedToken> {
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  if (settings.scope !== '') form.set('scope', settings.scope);
  for (const resource of settings.resources) form.append('resource', resource);
  const headers: Record<string, string> = {
    accept: 'application/json',
    'content-type': 'application/x-www-form-urlencoded',
  };
  if (settings.authMethod === 'client_secret_basic') {
    // RFC 6749 §2.3.1: each part is form-urlencoded before the two are joined and encoded.
    const credentials = `${formEncode(settings.clientId)}:${formEncode(settings.clientSecret)}`;
    headers.authorization = `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;
  } else {
    form.set('client_id', settings.clientId);
    // The certificate methods send the client_id alone: the TLS handshake is the proof.
    if (!CERTIFICATE_METHODS.includes(settings.authMethod)) form.set('client_secret', settings.clientSecret);
  }
  const { dpop } = settings;
  const send = () =>
    exchange(settings, endpoint, {
      method: 'POST',
      headers: dpop === undefined ? headers : { ...headers, dpop: dpop.proof('POST', endpoint) },
      body: form.toString(),
    });
  let answer = await send();
  // RFC 9449 §8: a first proof has no nonce; the server says which to use, once.
  if (
    dpop?.learnNonce(endpoint, answer.headers) === true &&
    answer.status === 400 &&
    jsonObject(answer.body)?.error === 'use_dpop_nonce'
  ) {
    answer = await send();
  }
  const json = jsonObject(answer.body);
  if (answer.status === 200) return issuedToken(json, answer.status, dpop === undefined ? 'bearer' : 'dpop');
  throw refusal(settings, answer.status, json);
}

function issuedToken(
  json: Record<string, unknown> | undefined,
  status: number,
  expectedType: 'bearer' | 'dpop',
): IssuedToken {
  const invalid = (why: string) =>
    new TokenRequestError('invalid_response', `token response ${why}`, { status });
  if (json === undefined) throw invalid('is not a JSON object');
  const { access_token: accessToken, token_type: tokenType, expires_in: expiresIn } = json;
  if (typeof accessToken !== 'string' || !TOKEN_TEXT.test(accessToken))
    throw invalid('has no usable access_token');
  // A token of another type than asked for would be sent wrongly: a DPoP one needs its proofs.
  if (typeof tokenType !== 'string' || tokenType.toLowerCase() !== expectedType)
    throw invalid(`is not of type ${expectedType === 'dpop' ? 'DPoP' : 'Bearer'}`);
  if (expiresIn === undefined) return { accessToken, expiresIn: undefined };
  // Some servers send the number as a string; anything else is not a lifetime.
  const seconds =
    typeof expiresIn === 'string' && /^\d{1,10}$/.test(expiresIn) ? Number(expiresIn) : expiresIn;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0)
    throw invalid('has an invalid expires_in');
  return { accessToken, expiresIn: seconds };
}

function refusal(
  settings: Settings,
  status: number,
  json: Record<string, unknown> | undefined,
): TokenRequestError {
  const error = json?.error;
  if (typeof error === 'string' && ERROR_TEXT.test(error) && error.length <= 64) {
    const description = json?.error_description;
    // The server may echo what it was sent; a description holding the secret is dropped.
    const safe =
      typeof description === 'string' &&
      ERROR_TEXT.test(description) &&
      description.length <= 300 &&
      (settings.clientSecret === '' ||
        (!description.includes(settings.clientSecret) &&
          !description.includes(formEncode(settings.clientSecret))))
        ? description
        : undefined;
    const message = `token request refused: ${error}${safe === undefined ? '' : ` (${safe})`} [HTTP ${status}]`;
    return new TokenRequestError(error, message, {
      status,
      ...(safe === undefined ? {} : { errorDescription: safe }),
    });
  }
  if (status >= 500) {
    const code = status === 503 ? 'temporarily_unavailable' : 'server_error';
    return new TokenRequestError(code, `token endpoint answered ${status} without an OAuth error`, {
      status,
    });
  }
  return new TokenRequestError(
    'invalid_response',
    `token endpoint answered ${status} without an OAuth error`,
    {
      status,
    },
  );
}

async function exchange(
  settings: Settings,
  url: string,
  init: RequestInit,
): Promise<{ status: number; headers: Headers; body: string | undefined }> {
  let response: Response;
  try {
    // No redirects: a redirected token request would carry the secret somewhere unvetted.
    response = await settings.fetch(url, {
      ...init,
      redirect: 'error',
      signal: AbortSignal.timeout(settings.timeoutMs),
    });
  } catch (cause) {
    throw new TokenRequestError('network_error', `no answer from ${url}`, { cause });
  }
  try {
    return { status: response.status, headers: response.headers, body: await readLimited(response) };
  } catch (cause) {
    throw new TokenRequestError('network_error', `the answer from ${url} broke off`, {
      status: response.status,
      cause,
    });
  }
}

async function readLimited(response: Response): Promise<string | undefined> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    size += read.value.byteLength;
    if (size > MAX_RESPONSE_BYTES) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(read.value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function jsonObject(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}
