import { randomBytes } from 'node:crypto';
import {
  DpopNonces,
  ErrorCode,
  InvalidRequest,
  InvalidToken,
  RevocationList,
  TemporarilyUnavailable,
  type TesseraError,
} from '@tessera/core';
import { createAccessTokenCheck } from './access-token-check.js';
import type { JwsAlgorithm } from './algorithms.js';
import { createApiKeyScheme } from './api-key-scheme.js';
import { createBearerScheme } from './bearer-scheme.js';
import { headerCount } from './bearer-token.js';
import { CertificateClientLookup } from './certificate-client-lookup.js';
import { refusalFor } from './challenge.js';
import { createDpopScheme } from './dpop-scheme.js';
import { IntrospectionClient } from './introspection-client.js';
import { fetchIssuerMetadata } from './issuer-metadata.js';
import { createJwtVerifier } from './jwt-verifier.js';
import { createMtlsScheme } from './mtls-scheme.js';
import { createRemoteJwks } from './remote-jwks.js';
import { ReplayCache } from './replay-cache.js';
import { RevocationFeedClient } from './revocation-feed-client.js';
import { checkScopes } from './scope-policy.js';
import { assertSecureUrl } from './secure-url.js';
import { SigV4KeyClient } from './sigv4-key-client.js';
import { createSigV4Scheme } from './sigv4-scheme.js';
import type { Scheme, SchemeName, ScopePolicy, VerifyOutcome, VerifyRequest } from './verification.js';

export interface VerifierOptions {
  /** The authorization server; its metadata (RFC 8414) names the JWKS and other endpoints. */
  issuer: string;
  /** This resource server's audience (or several). */
  audience: string | readonly string[];
  /**
   * Schemes accepted (default `['bearer']`); `apikey` and `sigv4` need `credentials`; `mtls`
   * maps certificates to clients with them, and otherwise identifies callers by DN alone.
   */
  schemes?: readonly SchemeName[] | undefined;
  /**
   * This resource server's own client at the issuer (registered with `--resource-server`):
   * it introspects opaque tokens and reads the revocation feed. Without it only JWTs are
   * accepted and revocations reach the verifier only at `exp`.
   */
  credentials?: { clientId: string; clientSecret: string } | undefined;
  /** The region and service signed requests must name (AWS SigV4 credential scope). */
  sigv4?: { region: string; service: string } | undefined;
  /** DPoP-bound tokens (the `dpop` scheme, RFC 9449). */
  dpop?:
    | {
        /**
         * Require a nonce this resource server issued in every proof (RFC 9449 §9; default
         * true). Clients learn it from a `use_dpop_nonce` refusal's `DPoP-Nonce` header.
         */
        nonces?: boolean | undefined;
        /**
         * The key nonces are made with (32 bytes or more). Several instances behind one load
         * balancer share it so each accepts the others' nonces; default: random per process.
         */
        nonceKey?: Uint8Array | undefined;
        /** The origin clients send requests to (`https://api.example`), which proofs name in `htu`. */
        origin?: string | undefined;
      }
    | undefined;
  /** RFC 9728 protected resource metadata URL, named in every 401 challenge. */
  resourceMetadataUrl?: string | undefined;
  realm?: string | undefined;
  /** JWT algorithms accepted (default: every asymmetric one). */
  algorithms?: readonly JwsAlgorithm[] | undefined;
  revocationFeed?: {
    /** How often the feed is read (default 1000 ms): the propagation delay of a revocation. */
    intervalMs?: number | undefined;
    /**
     * Past this long without reading the feed (default 60 s), tokens are refused with 503:
     * the verifier no longer knows what was revoked. Set `Infinity` to keep serving.
     */
    maxStalenessSeconds?: number | undefined;
  };
  /** How long an introspection answer is reused (default 30 s, never past `exp`). */
  introspectionCacheSeconds?: number | undefined;
  /** DANGEROUS: talk to a plain-http issuer that is not on loopback. */
  allowInsecureHttpIssuer?: boolean | undefined;
  /** Told of background failures (feed, JWKS); never of a credential. */
  onError?: ((error: Error) => void) | undefined;
  fetch?: typeof fetch | undefined;
  /** Clock in milliseconds (tests). */
  now?: (() => number) | undefined;
}

export interface Verifier {
  /**
   * Checks the request's credential and the route's scope policy. Never throws: every
   * failure is a refusal, with its status and `WWW-Authenticate` challenge.
   */
  verify(request: VerifyRequest, policy?: ScopePolicy): Promise<VerifyOutcome>;
  /** Resolves once metadata, keys and the revocation feed are loaded; rejects if they cannot be. */
  ready(): Promise<void>;
  /** Stops the revocation feed. */
  close(): void;
}

const TIMEOUT_MS = 5000;
const SUPPORTED_SCHEMES: readonly SchemeName[] = ['bearer', 'dpop', 'apikey', 'sigv4', 'mtls'];
/** After a failed start, the next request tries again no sooner than this. */
const RETRY_START_MS = 2000;

/**
 * Creates the verifier a resource server puts in front of every request: one interface
 * over every scheme, JWTs checked locally (strictly, see `createJwtVerifier`), opaque tokens
 * by introspection, revoked tokens refused within about a second via the revocation feed.
 *
 * @example
 * ```ts
 * const verifier = createVerifier({ issuer: 'https://auth.example.com', audience: 'billing-api', credentials });
 * const outcome = await verifier.verify({ method, url, headers, rawHeaders }, { allOf: ['charges:read'] });
 * if (!outcome.ok) return send(outcome.refusal.status, outcome.refusal.challenge, outcome.refusal.error.toJSON());
 * ```
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const audiences = typeof options.audience === 'string' ? [options.audience] : [...options.audience];
  if (
    audiences.length === 0 ||
    audiences.some((audience) => typeof audience !== 'string' || audience === '')
  ) {
    throw new TypeError('audience must be a non-empty string or list of them');
  }
  const schemes = options.schemes ?? ['bearer'];
  const unsupported = schemes.filter((scheme) => !SUPPORTED_SCHEMES.includes(scheme));
  if (unsupported.length > 0) throw new TypeError(`scheme ${unsupported.join(', ')} is not supported yet`);
  if ((schemes.includes('apikey') || schemes.includes('sigv4')) && options.credentials === undefined) {
    throw new TypeError('the apikey and sigv4 schemes need credentials: keys are looked up at the issuer');
  }
  if (schemes.includes('sigv4') && options.sigv4 === undefined) {
    throw new TypeError('the sigv4 scheme needs sigv4: { region, service }');
  }
  const allowInsecure = options.allowInsecureHttpIssuer === true;
  assertSecureUrl(options.issuer, 'issuer', allowInsecure);
  const fetchImpl = options.fetch ?? fetch;
  const nowMs = options.now ?? Date.now;
  const nowSeconds = () => Math.floor(nowMs() / 1000);
  const onError = options.onError ?? (() => {});
  const maxStaleness = options.revocationFeed?.maxStalenessSeconds ?? 60;
  const challengeOptions = { realm: options.realm, resourceMetadataUrl: options.resourceMetadataUrl };
  const revocations = new RevocationList();

  type Loaded = { schemes: Scheme[]; feed: RevocationFeedClient | undefined };
  let startup: Promise<Loaded> | undefined;
  /** What `startup` resolved to: once loaded, a request need not wait a turn for it. */
  let loadedState: Loaded | undefined;
  let failedAt = 0;
  let feed: RevocationFeedClient | undefined;

  /** Starts once; after a failure, the next call at least RETRY_START_MS later tries again. */
  function load(): Promise<Loaded> {
    if (startup === undefined || (failedAt !== 0 && nowMs() - failedAt >= RETRY_START_MS)) {
      failedAt = 0;
      startup = start();
      startup.then(
        (loaded) => {
          loadedState = loaded;
        },
        (error: Error) => {
          failedAt = nowMs();
          onError(error);
        },
      );
    }
    return startup;
  }

  async function start(): Promise<Loaded> {
    const metadata = await fetchIssuerMetadata(options.issuer, {
      allowInsecureHttpIssuer: allowInsecure,
      fetch: fetchImpl,
      timeoutMs: TIMEOUT_MS,
    });
    const keys = createRemoteJwks({
      url: metadata.jwksUri,
      allowInsecureHttpJwksUrl: allowInsecure,
      onError,
      now: nowMs,
      ...(options.algorithms ? { algorithms: options.algorithms } : {}),
    });
    const jwt = createJwtVerifier({
      issuer: options.issuer,
      audience: audiences,
      keys,
      algorithms: options.algorithms,
      now: nowMs,
    });
    const { credentials } = options;
    const endpoint = metadata.introspectionEndpoint;
    const introspectionClient = (kind: 'access_token' | 'api_key') =>
      credentials && endpoint
        ? new IntrospectionClient({
            kind,
            endpoint,
            clientId: credentials.clientId,
            clientSecret: credentials.clientSecret,
            issuer: options.issuer,
            audiences,
            fetch: fetchImpl,
            cacheSeconds: options.introspectionCacheSeconds ?? 30,
            timeoutMs: TIMEOUT_MS,
            now: nowSeconds,
          })
        : undefined;
    if (credentials && metadata.revocationFeedEndpoint) {
      feed = new RevocationFeedClient({
        endpoint: metadata.revocationFeedEndpoint,
        clientId: credentials.clientId,
        clientSecret: credentials.clientSecret,
        list: revocations,
        fetch: fetchImpl,
        intervalMs: options.revocationFeed?.intervalMs ?? 1000,
        timeoutMs: TIMEOUT_MS,
        now: nowSeconds,
        onError,
      });
      await feed.start();
    }
    const enabled: Scheme[] = [];
    // One introspection client (and its cache) for the tokens of both schemes.
    const checkAccessToken = createAccessTokenCheck({
      jwt,
      introspection: introspectionClient('access_token'),
      revocations,
      now: nowSeconds,
    });
    if (schemes.includes('bearer')) enabled.push(createBearerScheme(checkAccessToken));
    if (schemes.includes('dpop')) {
      const { dpop } = options;
      enabled.push(
        createDpopScheme({
          check: checkAccessToken,
          nonces: dpop?.nonces === false ? undefined : new DpopNonces(dpop?.nonceKey ?? randomBytes(32)),
          replays: new ReplayCache(nowMs),
          origin: dpop?.origin,
          now: nowSeconds,
        }),
      );
    }
    if (schemes.includes('apikey')) {
      const lookup = introspectionClient('api_key');
      if (lookup === undefined)
        throw new Error('the issuer has no introspection endpoint to look up API keys');
      enabled.push(createApiKeyScheme({ lookup, revocations, now: nowSeconds }));
    }
    if (schemes.includes('sigv4') && options.sigv4 !== undefined && credentials !== undefined) {
      if (metadata.sigv4SigningKeyEndpoint === undefined)
        throw new Error('the issuer serves no SigV4 signing keys');
      const keys = new SigV4KeyClient({
        endpoint: metadata.sigv4SigningKeyEndpoint,
        clientId: credentials.clientId,
        clientSecret: credentials.clientSecret,
        fetch: fetchImpl,
        timeoutMs: TIMEOUT_MS,
        now: nowMs,
      });
      enabled.push(createSigV4Scheme({ ...options.sigv4, keys, revocations, now: nowMs }));
    }
    if (schemes.includes('mtls')) {
      const endpoint = metadata.mtlsClientLookupEndpoint;
      const lookup =
        credentials && endpoint
          ? new CertificateClientLookup({
              endpoint,
              clientId: credentials.clientId,
              clientSecret: credentials.clientSecret,
              audiences,
              fetch: fetchImpl,
              cacheSeconds: options.introspectionCacheSeconds ?? 30,
              timeoutMs: TIMEOUT_MS,
              now: nowSeconds,
            })
          : undefined;
      enabled.push(createMtlsScheme({ lookup, revocations, now: nowSeconds }));
    }
    return { schemes: enabled, feed };
  }

  const refuse = (error: TesseraError, scheme?: SchemeName): VerifyOutcome => ({
    ok: false,
    refusal: refusalFor(error, { ...challengeOptions, scheme: scheme === 'dpop' ? 'DPoP' : 'Bearer' }),
  });
  const unavailable = () =>
    refuse(new TemporarilyUnavailable(ErrorCode.UNAVAILABLE, 'Credentials cannot be checked right now.'));

  return {
    ready: () => load().then(() => undefined),
    close() {
      feed?.stop();
    },
    async verify(request, policy) {
      let loaded = loadedState;
      if (loaded === undefined) {
        try {
          loaded = await load();
        } catch {
          return unavailable();
        }
      }
      if (headerCount(request, 'authorization') > 1) {
        return refuse(new InvalidRequest(ErrorCode.CREDENTIALS_AMBIGUOUS, 'Send one Authorization header.'));
      }
      const presented = loaded.schemes.filter((scheme) => scheme.presents(request));
      if (presented.length === 0) {
        return refuse(new InvalidToken(ErrorCode.CREDENTIALS_MISSING, 'Authentication is required.'));
      }
      if (presented.length > 1) {
        return refuse(
          new InvalidRequest(ErrorCode.CREDENTIALS_AMBIGUOUS, 'Present one credential, in one place.'),
        );
      }
      if (loaded.feed !== undefined && nowSeconds() - loaded.feed.lastSyncedAt > maxStaleness)
        return unavailable();
      const [scheme] = presented as [Scheme];
      let checked: Awaited<ReturnType<Scheme['verify']>>;
      try {
        checked = await scheme.verify(request);
      } catch (error) {
        onError(error as Error);
        return unavailable();
      }
      if (!checked.ok) return refuse(checked.error, scheme.name);
      const insufficient = checkScopes(checked.identity.scopes, policy);
      return insufficient === null
        ? { ok: true, identity: checked.identity }
        : refuse(insufficient, scheme.name);
    },
  };
}
