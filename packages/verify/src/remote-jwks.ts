/**
 * A key source over an issuer's JWKS URL: fetched with the global `fetch`, cached as long
 * as its Cache-Control allows (within bounds), and refetched on an unknown `kid` at most
 * once per cooldown, with every concurrent caller sharing one request.
 */
import { ASYMMETRIC_ALGORITHMS, isJwsAlgorithm, type JwsAlgorithm } from './algorithms.js';
import { importJwk } from './import-jwk.js';
import { KeySet } from './key-set.js';
import type { KeySource, MaybePromise } from './key-source.js';
import type { VerificationKey } from './verification-key.js';

export interface RemoteJwksOptions {
  /** The JWKS URL. `https:` only, unless the host is loopback or `allowInsecureHttpJwksUrl` is set. */
  url: string | URL;
  /** Algorithms keys may be bound to (default: every asymmetric one). */
  algorithms?: readonly JwsAlgorithm[] | undefined;
  /** Least time between two fetches caused by unknown kids or failures (default 30 s). */
  cooldownSeconds?: number | undefined;
  /** Cache lifetime when the response has no usable max-age (default 600 s). */
  defaultCacheSeconds?: number | undefined;
  /** Bounds for a response's max-age (defaults 60 s and 86400 s). */
  minCacheSeconds?: number | undefined;
  maxCacheSeconds?: number | undefined;
  /** How long past its lifetime a key set still serves while refetching fails (default 3600 s). */
  staleIfErrorSeconds?: number | undefined;
  /** Time limit of one fetch (default 5000 ms). */
  timeoutMs?: number | undefined;
  /** Largest response body read (default 256 KiB) and most keys kept (default 100). */
  maxResponseBytes?: number | undefined;
  maxKeys?: number | undefined;
  /** DANGEROUS: fetch keys over plain HTTP from a non-loopback host, open to any on-path attacker. */
  allowInsecureHttpJwksUrl?: boolean | undefined;
  /** Told of every failed fetch and every key left out; resolve never throws. */
  onError?: ((error: Error) => void) | undefined;
  /** Clock in milliseconds (tests). */
  now?: (() => number) | undefined;
}

export interface RemoteJwks extends KeySource {
  /** Fetches now (single-flight, cooldown ignored) and resolves once done; never rejects. */
  refresh(): Promise<void>;
  /** The keys of the last successful fetch. */
  readonly keys: readonly VerificationKey[];
}

const JSON_TYPES = new Set(['application/json', 'application/jwk-set+json']);

/**
 * Creates a key source over a remote JWKS. Options are checked here, once; a bad one
 * throws a `TypeError`. Nothing is fetched until the first `resolve` or `refresh`.
 *
 * @example
 * ```ts
 * const keys = createRemoteJwks({ url: 'https://auth.example.com/.well-known/jwks.json' });
 * await keys.refresh(); // optional warm-up
 * const verifier = createJwtVerifier({ issuer: 'https://auth.example.com', audience: 'api', keys });
 * ```
 */
export function createRemoteJwks(options: RemoteJwksOptions): RemoteJwks {
  const config = checkOptions(options);
  const now = options.now ?? Date.now;
  let set: KeySet | undefined;
  let freshUntil = 0;
  let usableUntil = 0;
  let lastAttempt = Number.NEGATIVE_INFINITY;
  let inflight: Promise<void> | undefined;

  const report = (error: Error): void => {
    try {
      options.onError?.(error);
    } catch {
      // A failing logger must not break verification.
    }
  };

  const fetchOnce = (): Promise<void> => {
    if (inflight !== undefined) return inflight;
    lastAttempt = now();
    inflight = load(config, report)
      .then(({ keys, maxAgeSeconds }) => {
        const fetchedAt = now();
        set = new KeySet(keys);
        freshUntil = fetchedAt + maxAgeSeconds * 1000;
        usableUntil = freshUntil + config.staleIfErrorSeconds * 1000;
      })
      .catch((error: unknown) => report(error instanceof Error ? error : new Error(String(error))))
      .finally(() => {
        inflight = undefined;
      });
    return inflight;
  };

  const selectAfter = (pending: Promise<void>, kid: string | undefined, alg: JwsAlgorithm) =>
    pending.then(() => (set !== undefined && now() < usableUntil ? set.select(kid, alg) : undefined));

  return {
    resolve(kid, alg): MaybePromise<VerificationKey | undefined> {
      const time = now();
      if (set !== undefined && time < freshUntil) {
        const key = set.select(kid, alg);
        if (key !== undefined) return key;
      }
      // Unknown kid, or no fresh set: share a running fetch, else start one if the
      // cooldown allows, else answer from what we have.
      if (inflight !== undefined) return selectAfter(inflight, kid, alg);
      if (time - lastAttempt >= config.cooldownMs) return selectAfter(fetchOnce(), kid, alg);
      return set !== undefined && time < usableUntil ? set.select(kid, alg) : undefined;
    },
    refresh: () => fetchOnce(),
    get keys() {
      return set?.keys ?? [];
    },
  };
}

interface Config {
  url: URL;
  algorithms: readonly JwsAlgorithm[];
  cooldownMs: number;
  defaultCacheSeconds: number;
  minCacheSeconds: number;
  maxCacheSeconds: number;
  staleIfErrorSeconds: number;
  timeoutMs: number;
  maxResponseBytes: number;
  maxKeys: number;
}

function checkOptions(options: RemoteJwksOptions): Config {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('RemoteJwks: options are required');
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new TypeError('RemoteJwks: url is not a URL');
  }
  if (url.username !== '' || url.password !== '')
    throw new TypeError('RemoteJwks: url must not carry credentials');
  if (url.protocol === 'http:') {
    if (!isLoopback(url.hostname) && options.allowInsecureHttpJwksUrl !== true) {
      throw new TypeError(
        'RemoteJwks: url must be https (http only for loopback, or allowInsecureHttpJwksUrl)',
      );
    }
  } else if (url.protocol !== 'https:') {
    throw new TypeError('RemoteJwks: url must be https');
  }
  const algorithms = options.algorithms ?? ASYMMETRIC_ALGORITHMS;
  if (!Array.isArray(algorithms) || algorithms.length === 0 || !algorithms.every(isJwsAlgorithm)) {
    throw new TypeError('RemoteJwks: algorithms must be a non-empty list of supported algorithms');
  }
  const number = (name: keyof RemoteJwksOptions, fallback: number, min: number, max: number): number => {
    const value = options[name] ?? fallback;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      throw new TypeError(`RemoteJwks: ${name} must be a number from ${min} to ${max}`);
    }
    return value;
  };
  const config: Config = {
    url,
    algorithms: Object.freeze([...algorithms]),
    cooldownMs: number('cooldownSeconds', 30, 0, 86400) * 1000,
    defaultCacheSeconds: number('defaultCacheSeconds', 600, 0, 604800),
    minCacheSeconds: number('minCacheSeconds', 60, 0, 604800),
    maxCacheSeconds: number('maxCacheSeconds', 86400, 0, 604800),
    staleIfErrorSeconds: number('staleIfErrorSeconds', 3600, 0, 604800),
    timeoutMs: number('timeoutMs', 5000, 1, 120000),
    maxResponseBytes: number('maxResponseBytes', 256 * 1024, 64, 16 * 1024 * 1024),
    maxKeys: number('maxKeys', 100, 1, 10000),
  };
  if (config.minCacheSeconds > config.maxCacheSeconds) {
    throw new TypeError('RemoteJwks: minCacheSeconds must not exceed maxCacheSeconds');
  }
  if (options.onError !== undefined && typeof options.onError !== 'function') {
    throw new TypeError('RemoteJwks: onError must be a function');
  }
  return config;
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(hostname);
}

async function load(
  config: Config,
  report: (error: Error) => void,
): Promise<{ keys: VerificationKey[]; maxAgeSeconds: number }> {
  const response = await fetch(config.url, {
    redirect: 'error',
    signal: AbortSignal.timeout(config.timeoutMs),
    headers: { accept: 'application/jwk-set+json, application/json' },
  });
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new Error(`JWKS: HTTP status ${response.status}`);
  }
  const mediaType = (response.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (!JSON_TYPES.has(mediaType)) {
    await response.body?.cancel();
    throw new Error('JWKS: content-type is not JSON');
  }
  const text = await readLimited(response, config.maxResponseBytes);
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw new Error('JWKS: body is not JSON');
  }
  if (
    typeof document !== 'object' ||
    document === null ||
    !Array.isArray((document as { keys?: unknown }).keys)
  ) {
    throw new Error('JWKS: no keys array');
  }
  const entries = (document as { keys: unknown[] }).keys;
  if (entries.length > config.maxKeys) throw new Error(`JWKS: more than ${config.maxKeys} keys`);
  const keys: VerificationKey[] = [];
  for (const entry of entries) {
    const imported = importJwk(entry, { algorithms: config.algorithms });
    if (imported.ok) keys.push(imported.key);
    else report(new Error(`JWKS: key left out: ${imported.reason}`));
  }
  return { keys, maxAgeSeconds: cacheSeconds(response.headers.get('cache-control'), config) };
}

async function readLimited(response: Response, limit: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > limit) {
    await response.body?.cancel();
    throw new Error('JWKS: body too large');
  }
  const reader = response.body?.getReader();
  if (reader === undefined) return '';
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      throw new Error('JWKS: body too large');
    }
    chunks.push(value);
  }
  return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
}

function cacheSeconds(header: string | null, config: Config): number {
  let seconds = config.defaultCacheSeconds;
  for (const directive of (header ?? '').toLowerCase().split(',')) {
    const [name, value] = directive.trim().split('=', 2);
    if (name === 'no-store' || name === 'no-cache') return config.minCacheSeconds;
    if (name === 'max-age' && value !== undefined && /^\d{1,10}$/.test(value)) seconds = Number(value);
  }
  return Math.min(config.maxCacheSeconds, Math.max(config.minCacheSeconds, seconds));
}
