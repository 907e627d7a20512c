/**
 * Remembers tokens that passed every check, keyed on the whole token text, so a token
 * seen again costs one map lookup. Bounded, approximately least-recently-used, and no
 * entry outlives its token's `exp`.
 */

/** Default number of tokens remembered. */
export const DEFAULT_CACHE_ENTRIES = 10_000;

interface Entry<T> {
  readonly value: T;
  readonly expiresAtMs: number;
}

/**
 * Two generations of maps: hits are served from either, and a hit in the old one moves
 * up; when the young one is full, the old one is dropped whole. This costs no bookkeeping
 * on a hit in the young generation, the common case, unlike a strict LRU.
 *
 * @example
 * ```ts
 * const cache = new VerifiedTokenCache<VerifyResult>(10_000);
 * cache.set(token, result, claims.exp * 1000);
 * cache.get(token, Date.now()); // result, until exp
 * ```
 */
export class VerifiedTokenCache<T> {
  readonly #generationSize: number;
  #young = new Map<string, Entry<T>>();
  #old = new Map<string, Entry<T>>();

  constructor(maxEntries: number = DEFAULT_CACHE_ENTRIES) {
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 2)
      throw new TypeError('maxEntries must be an integer >= 2');
    this.#generationSize = Math.floor(maxEntries / 2);
  }

  /** The value stored for `token`, unless it is absent or its `exp` has passed at `nowMs`. */
  get(token: string, nowMs: number): T | undefined {
    let entry = this.#young.get(token);
    if (entry === undefined) {
      entry = this.#old.get(token);
      if (entry === undefined) return undefined;
      this.#old.delete(token);
      if (nowMs < entry.expiresAtMs) this.#insert(token, entry);
    }
    if (nowMs < entry.expiresAtMs) return entry.value;
    this.#young.delete(token);
    return undefined;
  }

  /** Stores `value` for `token` until `expiresAtMs` (the token's `exp`, never later). */
  set(token: string, value: T, expiresAtMs: number): void {
    this.#insert(token, { value, expiresAtMs });
  }

  delete(token: string): void {
    this.#young.delete(token);
    this.#old.delete(token);
  }

  clear(): void {
    this.#young.clear();
    this.#old.clear();
  }

  /** Entries held, including expired ones not yet dropped (at most `maxEntries`). */
  get size(): number {
    return this.#young.size + this.#old.size;
  }

  #insert(token: string, entry: Entry<T>): void {
    if (this.#young.size >= this.#generationSize && !this.#young.has(token)) {
      this.#old = this.#young;
      this.#young = new Map();
    }
    this.#young.set(token, entry);
  }
}
