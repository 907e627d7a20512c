/**
 * DPoP (RFC 9449) for clients: a key pair whose possession every request proves, the
 * server nonces learned along the way, and a `fetch` that sends DPoP-bound tokens with
 * their proofs and retries once when a server asks for its nonce.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { type DpopAlgorithm, type DpopKey, dpopKey, signDpopProof } from '@tessera/core';

export interface DpopProverOptions {
  /** The private key to prove with; a new ES256 (P-256) key by default. */
  readonly privateKey?: KeyObject;
  /** Its algorithm, when a key is given: ES256, ES384, EdDSA, PS256 or RS256. */
  readonly alg?: DpopAlgorithm;
  /** The clock, in milliseconds since the epoch; `Date.now` by default. */
  readonly now?: () => number;
}

/** Makes proofs with one key, and remembers the nonce each server last handed out. */
export interface DpopProver {
  /** The key's RFC 7638 thumbprint: what the server binds tokens to (`cnf.jkt`). */
  readonly jkt: string;
  /** A proof for one request; with `accessToken`, bound to it (`ath`). */
  proof(method: string, url: string, accessToken?: string): string;
  /** Records the `DPoP-Nonce` of a response from `url`'s origin; true when it is new. */
  learnNonce(url: string, headers: Headers): boolean;
}

export function createDpopProver(options: DpopProverOptions = {}): DpopProver {
  const privateKey = options.privateKey ?? generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const key: DpopKey = dpopKey(privateKey, options.alg ?? 'ES256');
  const now = options.now ?? Date.now;
  const nonces = new Map<string, string>();
  return {
    jkt: key.jkt,
    proof(method, url, accessToken) {
      return signDpopProof(key, {
        method,
        url,
        accessToken,
        nonce: nonces.get(new URL(url).origin),
        now: Math.floor(now() / 1000),
      });
    },
    learnNonce(url, headers) {
      const nonce = headers.get('dpop-nonce');
      const origin = new URL(url).origin;
      if (nonce === null || nonces.get(origin) === nonce) return false;
      nonces.set(origin, nonce);
      return true;
    },
  };
}

/**
 * Whether a response asks for the request again with the server's nonce (RFC 9449 §8 at an
 * authorization server, §9 at a resource server).
 */
export async function asksForDpopNonce(response: Response): Promise<boolean> {
  if (response.headers.get('dpop-nonce') === null) return false;
  if (response.status === 401)
    return /\berror="use_dpop_nonce"/.test(response.headers.get('www-authenticate') ?? '');
  if (response.status !== 400) return false;
  try {
    return ((await response.clone().json()) as { error?: unknown }).error === 'use_dpop_nonce';
  } catch {
    return false;
  }
}

export interface DpopFetchOptions {
  readonly prover: DpopProver;
  /** The DPoP-bound access token to send, e.g. a token source's `getToken`. */
  readonly getToken: () => Promise<string>;
  readonly fetch?: typeof fetch;
}

/**
 * A `fetch` for a resource server that takes DPoP-bound tokens: each request gets
 * `Authorization: DPoP <token>` and a fresh proof; when the server asks for its nonce the
 * request is sent once more with it (a body that is a stream cannot be sent twice, so use a
 * string, bytes or form data).
 *
 * @example
 * const prover = createDpopProver();
 * const tokens = createTokenSource({ issuer, clientId, clientSecret, dpop: prover });
 * const api = createDpopFetch({ prover, getToken: () => tokens.getToken() });
 * const response = await api('https://api.example/v1/charges');
 */
export function createDpopFetch(options: DpopFetchOptions): typeof fetch {
  const fetchImpl = options.fetch ?? fetch;
  return async (input, init) => {
    const request = new Request(input, init);
    const body = init?.body ?? (request.body === null ? undefined : await request.arrayBuffer());
    const token = await options.getToken();
    const send = () => {
      const headers = new Headers(init?.headers ?? request.headers);
      headers.set('authorization', `DPoP ${token}`);
      headers.set('dpop', options.prover.proof(request.method, request.url, token));
      return fetchImpl(request.url, { ...init, method: request.method, headers, body });
    };
    const response = await send();
    const fresh = options.prover.learnNonce(request.url, response.headers);
    return fresh && (await asksForDpopNonce(response)) ? send() : response;
  };
}
