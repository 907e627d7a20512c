/**
 * The JWT access-token verifier (RFC 9068, with RFC 8725's rules): one factory, options
 * checked once, and a `verify` that stays synchronous whenever the key is at hand.
 */
import { isUtf8 } from 'node:buffer';
import { fail, type InvalidToken, type Result } from '@tessera/core';
import { type ClaimExpectations, checkAccessTokenClaims, type VerifiedToken } from './access-token-claims.js';
import { ASYMMETRIC_ALGORITHMS, isJwsAlgorithm, type JwsAlgorithm } from './algorithms.js';
import { type CompactJws, createCompactJwsParser, DEFAULT_MAX_TOKEN_LENGTH } from './compact-jws.js';
import { deepFreeze } from './deep-freeze.js';
import type { KeySource, MaybePromise } from './key-source.js';
import { invalidToken, Rejection } from './rejection.js';
import { TokenDenyList } from './token-deny-list.js';
import { VerificationKey } from './verification-key.js';
import { DEFAULT_CACHE_ENTRIES, VerifiedTokenCache } from './verified-token-cache.js';

export type VerifyResult = Result<VerifiedToken, InvalidToken>;

export interface JwtVerifierOptions {
  /** The `iss` every token must carry, compared exactly. */
  issuer: string;
  /** This resource server's audience (or several); `aud` must name at least one. */
  audience: string | readonly string[];
  /** Where keys come from: `createRemoteJwks(…)`, `createInMemoryKeySource(…)` or your own. */
  keys: KeySource;
  /** Algorithms accepted (default: every asymmetric one; HS* only when listed). */
  algorithms?: readonly JwsAlgorithm[] | undefined;
  /** Leeway for `exp`, `nbf` and `iat`, in seconds (default 60, at most 300). */
  clockToleranceSeconds?: number | undefined;
  /** Longest token accepted, in characters (default 8192). */
  maxTokenLength?: number | undefined;
  /**
   * The verified-token cache (default 10 000 entries), keyed on the whole token; an entry
   * never outlives the token's `exp`. `false` turns it off.
   */
  cache?: { maxEntries?: number | undefined } | false | undefined;
  /** Clock in milliseconds (tests). */
  now?: (() => number) | undefined;
}

export interface JwtVerifier {
  /**
   * Verifies a JWT access token. Returns the result directly when the key was at hand, a
   * promise when it had to be fetched: `await` covers both. Never throws or rejects for
   * any token; only a throwing custom `KeySource` can make it throw. A result that went
   * into the cache is shared by every request presenting the same token, so it is frozen
   * all the way down; with `cache: false` each call gets its own, unfrozen result.
   */
  verify(token: string): MaybePromise<VerifyResult>;
  /** Refuses every token with this `jti` until `expiresAt` (seconds; pass the token's `exp`). */
  revokeTokenId(tokenId: string, expiresAt: number): void;
  /** Forgets every cached verification (for example after removing a compromised key). */
  clearCache(): void;
}

/**
 * Creates a verifier for RFC 9068 JWT access tokens. Throws a `TypeError` for bad options.
 *
 * Before any key lookup: length cap; exactly three canonical base64url segments; a
 * strict header (see `parseJwsHeader`); `alg` in the allow-list; `typ` equal to
 * `at+jwt` or `application/at+jwt` (ASCII case-insensitive, as media types are); no `cty`.
 * Then the key for (`kid`, `alg`) from the key source, the signature with the key's own
 * algorithm, and only then the payload and its claims (see `checkAccessTokenClaims`).
 *
 * @example
 * ```ts
 * const verifier = createJwtVerifier({
 *   issuer: 'https://auth.example.com',
 *   audience: 'https://api.example.com',
 *   keys: createRemoteJwks({ url: 'https://auth.example.com/.well-known/jwks.json' }),
 * });
 * const result = await verifier.verify(token);
 * if (!result.ok) return reply.code(401).send(result.error.toJSON());
 * ```
 */
export function createJwtVerifier(options: JwtVerifierOptions): JwtVerifier {
  const config = checkOptions(options);
  const { keys, now, expectations, allowed } = config;
  const parse = createCompactJwsParser({ maxLength: config.maxTokenLength, headerCacheSize: 64 });
  const cache =
    config.cacheEntries === 0 ? undefined : new VerifiedTokenCache<VerifyResult>(config.cacheEntries);
  const denied = new TokenDenyList();
  const toleranceMs = expectations.clockToleranceSeconds * 1000;

  const reject = (reason: Rejection): VerifyResult => fail(invalidToken(reason));

  const finish = (token: string, jws: CompactJws, key: VerificationKey | undefined): VerifyResult => {
    if (key === undefined) return reject(Rejection.NO_KEY);
    if (!VerificationKey.isVerificationKey(key) || key.alg !== jws.header.alg)
      return reject(Rejection.KEY_MISMATCH);
    if (!key.verifySignature(jws.signingInput, jws.signature)) return reject(Rejection.SIGNATURE);
    // Only now, with the issuer's signature checked, is the payload worth parsing.
    if (!isUtf8(jws.payload)) return reject(Rejection.PAYLOAD);
    let payload: unknown;
    try {
      payload = JSON.parse(jws.payload.toString('utf8'));
    } catch {
      return reject(Rejection.PAYLOAD);
    }
    const nowMs = now();
    const checked = checkAccessTokenClaims(payload, expectations, nowMs / 1000);
    if (!checked.ok) return reject(checked.reason);
    if (denied.has(checked.value.tokenId, nowMs)) return reject(Rejection.REVOKED);
    const expiresAtMs = checked.value.expiresAt * 1000;
    if (cache === undefined || nowMs >= expiresAtMs) return { ok: true, value: checked.value };
    // A cached result is handed to every request that presents the token: freeze it so
    // that none can change what the next one sees.
    const result: VerifyResult = deepFreeze({ ok: true as const, value: checked.value });
    cache.set(token, result, expiresAtMs);
    return result;
  };

  return {
    verify(token) {
      if (cache !== undefined && typeof token === 'string') {
        const nowMs = now();
        const hit = cache.get(token, nowMs);
        if (hit !== undefined) {
          return hit.ok && denied.has(hit.value.tokenId, nowMs) ? reject(Rejection.REVOKED) : hit;
        }
      }
      const parsed = parse(token);
      if (!parsed.ok) return reject(parsed.reason);
      const jws = parsed.value;
      const { alg, typ, cty, kid } = jws.header;
      if (!allowed.has(alg)) return reject(Rejection.ALG_NOT_ALLOWED);
      if (typ === undefined || !isAccessTokenType(typ)) return reject(Rejection.TYP);
      if (cty !== undefined) return reject(Rejection.CTY);
      if (jws.payload.length === 0) return reject(Rejection.PAYLOAD);
      const key = keys.resolve(kid, alg);
      if (isPromiseLike(key)) {
        return Promise.resolve(key).then((resolved) => finish(token, jws, resolved));
      }
      return finish(token, jws, key);
    },
    revokeTokenId(tokenId, expiresAt) {
      if (typeof tokenId !== 'string' || typeof expiresAt !== 'number' || Number.isNaN(expiresAt)) {
        throw new TypeError('revokeTokenId(tokenId: string, expiresAt: number)');
      }
      const nowMs = now();
      denied.sweep(nowMs);
      denied.add(tokenId, expiresAt * 1000 + toleranceMs);
    },
    clearCache() {
      cache?.clear();
    },
  };
}

// RFC 9068 §4 names both spellings; RFC 7515 §4.1.9 makes the media type case-insensitive.
function isAccessTokenType(typ: string): boolean {
  if (typ === 'at+jwt' || typ === 'application/at+jwt') return true;
  const lower = typ.toLowerCase();
  return lower === 'at+jwt' || lower === 'application/at+jwt';
}

function isPromiseLike<T>(value: MaybePromise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | undefined)?.then === 'function';
}

interface Config {
  keys: KeySource;
  now: () => number;
  expectations: ClaimExpectations;
  allowed: ReadonlySet<JwsAlgorithm>;
  maxTokenLength: number;
  cacheEntries: number;
}

function checkOptions(options: JwtVerifierOptions): Config {
  const problem = (text: string): never => {
    throw new TypeError(`createJwtVerifier: ${text}`);
  };
  if (typeof options !== 'object' || options === null) problem('options are required');
  const { issuer, audience, keys } = options;
  if (typeof issuer !== 'string' || issuer.length === 0) problem('issuer must be a non-empty string');
  const audiences = typeof audience === 'string' ? [audience] : audience;
  if (
    !Array.isArray(audiences) ||
    audiences.length === 0 ||
    !audiences.every((entry) => typeof entry === 'string' && entry.length > 0)
  ) {
    problem('audience must be a non-empty string or a non-empty list of them');
  }
  if (typeof keys !== 'object' || keys === null || typeof keys.resolve !== 'function') {
    problem('keys must be a KeySource (createRemoteJwks, createInMemoryKeySource)');
  }
  const algorithms = options.algorithms ?? ASYMMETRIC_ALGORITHMS;
  if (!Array.isArray(algorithms) || algorithms.length === 0 || !algorithms.every(isJwsAlgorithm)) {
    problem('algorithms must be a non-empty list of supported algorithms (none is never one)');
  }
  const tolerance = options.clockToleranceSeconds ?? 60;
  if (typeof tolerance !== 'number' || !Number.isFinite(tolerance) || tolerance < 0 || tolerance > 300) {
    problem('clockToleranceSeconds must be a number from 0 to 300');
  }
  const maxTokenLength = options.maxTokenLength ?? DEFAULT_MAX_TOKEN_LENGTH;
  if (!Number.isSafeInteger(maxTokenLength) || maxTokenLength < 256 || maxTokenLength > 65536) {
    problem('maxTokenLength must be an integer from 256 to 65536');
  }
  let cacheEntries = DEFAULT_CACHE_ENTRIES;
  if (options.cache === false) cacheEntries = 0;
  else if (options.cache !== undefined) {
    if (typeof options.cache !== 'object' || options.cache === null)
      problem('cache must be an object or false');
    cacheEntries = options.cache.maxEntries ?? DEFAULT_CACHE_ENTRIES;
    if (!Number.isSafeInteger(cacheEntries) || cacheEntries < 2 || cacheEntries > 10_000_000) {
      problem('cache.maxEntries must be an integer from 2 to 10000000');
    }
  }
  if (options.now !== undefined && typeof options.now !== 'function') problem('now must be a function');
  return {
    keys,
    now: options.now ?? Date.now,
    expectations: Object.freeze({
      issuer,
      audiences: Object.freeze([...(audiences as readonly string[])]),
      clockToleranceSeconds: tolerance,
    }),
    allowed: new Set(algorithms),
    maxTokenLength,
    cacheEntries,
  };
}
