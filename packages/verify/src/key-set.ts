/**
 * A fixed collection of verification keys and the one rule for picking a key for a token:
 * the key whose `kid` and `alg` both match, and only if exactly one does.
 */
import type { JwsAlgorithm } from './algorithms.js';
import type { VerificationKey } from './verification-key.js';

// Two keys answering the same (kid, alg): which one the issuer meant is unknowable.
const AMBIGUOUS = Symbol('ambiguous');
type Slot = VerificationKey | typeof AMBIGUOUS;

/**
 * @example
 * ```ts
 * const set = new KeySet([createVerificationKey(publicKey, { alg: 'ES256', kid: 'k1' })]);
 * set.select('k1', 'ES256'); // the key
 * set.select('k1', 'RS256'); // undefined
 * ```
 */
export class KeySet {
  readonly keys: readonly VerificationKey[];
  readonly #byKid = new Map<string, Map<JwsAlgorithm, Slot>>();
  readonly #byAlg = new Map<JwsAlgorithm, Slot>();

  constructor(keys: readonly VerificationKey[]) {
    this.keys = Object.freeze([...keys]);
    for (const key of this.keys) {
      if (key.kid !== undefined) {
        let slots = this.#byKid.get(key.kid);
        if (slots === undefined) {
          slots = new Map();
          this.#byKid.set(key.kid, slots);
        }
        slots.set(key.alg, slots.has(key.alg) ? AMBIGUOUS : key);
      }
      this.#byAlg.set(key.alg, this.#byAlg.has(key.alg) ? AMBIGUOUS : key);
    }
  }

  /**
   * The key for a token naming `kid` (or none) and `alg`: with a `kid`, the one key with
   * that `kid` and `alg`; without, the one key of that `alg` in the whole set. Two
   * candidates mean no key.
   */
  select(kid: string | undefined, alg: JwsAlgorithm): VerificationKey | undefined {
    const slot = kid === undefined ? this.#byAlg.get(alg) : this.#byKid.get(kid)?.get(alg);
    return slot === AMBIGUOUS ? undefined : slot;
  }

  /** Whether two keys share a `kid` and `alg` (or, without `kid`, an `alg`). */
  hasDuplicates(): boolean {
    for (const slots of this.#byKid.values()) {
      for (const slot of slots.values()) if (slot === AMBIGUOUS) return true;
    }
    return this.keys.some((key) => key.kid === undefined && this.#byAlg.get(key.alg) === AMBIGUOUS);
  }
}
