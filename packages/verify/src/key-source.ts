/**
 * Where a verifier gets its keys: a remote JWKS (resource servers) or keys held in memory
 * (the authorization server checking its own tokens). Both answer the same question.
 */
import type { JwsAlgorithm } from './algorithms.js';
import { KeySet } from './key-set.js';
import { VerificationKey } from './verification-key.js';

export type MaybePromise<T> = T | Promise<T>;

/**
 * Finds the key for a token's `kid` and `alg`. Return the key synchronously whenever it
 * is at hand (the verifier then stays synchronous), a promise only when something must be
 * fetched, and `undefined` when there is no such key. `alg` has already passed the
 * verifier's allow-list; a returned key must be bound to that very `alg`.
 */
export interface KeySource {
  resolve(kid: string | undefined, alg: JwsAlgorithm): MaybePromise<VerificationKey | undefined>;
}

export interface InMemoryKeySource extends KeySource {
  /** Swaps the whole key set at once (key rotation). Same rules as at creation. */
  replace(keys: readonly VerificationKey[]): void;
  readonly keys: readonly VerificationKey[];
}

/**
 * A key source over keys you hold, always synchronous. Throws a `TypeError` if two keys
 * share a `kid` and `alg` (or, without `kid`, an `alg`), since tokens could not tell them
 * apart.
 *
 * @example
 * ```ts
 * const keys = createInMemoryKeySource([createVerificationKey(publicKey, { alg: 'ES256', kid: 'k1' })]);
 * const verifier = createJwtVerifier({ issuer, audience, keys });
 * ```
 */
export function createInMemoryKeySource(keys: readonly VerificationKey[]): InMemoryKeySource {
  let set = buildSet(keys);
  return {
    resolve: (kid, alg) => set.select(kid, alg),
    replace(next) {
      set = buildSet(next);
    },
    get keys() {
      return set.keys;
    },
  };
}

function buildSet(keys: readonly VerificationKey[]): KeySet {
  if (!Array.isArray(keys) || !keys.every((key) => VerificationKey.isVerificationKey(key))) {
    throw new TypeError('keys must be VerificationKeys (createVerificationKey, createHmacKey or importJwk)');
  }
  const set = new KeySet(keys);
  if (set.hasDuplicates())
    throw new TypeError('two keys share a kid and alg: tokens could not tell them apart');
  return set;
}
