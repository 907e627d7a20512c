import { createHmac, timingSafeEqual } from 'node:crypto';

const WINDOW_BYTES = 6;
const MAC_BYTES = 16;

/**
 * Server-issued DPoP nonces (RFC 9449 §8, §9) without server state: a nonce names a time
 * window and carries a MAC of it under the server's key. A nonce is accepted during its own
 * window and the next, so any instance holding the key accepts what another issued.
 *
 * @example
 * const nonces = new DpopNonces(key);
 * const nonce = nonces.current(now); // send as DPoP-Nonce
 * nonces.isValid(nonce, now);        // true for about one to two windows
 */
export class DpopNonces {
  readonly #key: Buffer;

  constructor(
    key: Uint8Array,
    private readonly windowSeconds = 300,
  ) {
    if (key.length < 32) throw new TypeError('a DPoP nonce key has at least 32 bytes');
    this.#key = Buffer.from(key);
  }

  /** The nonce to hand out at `nowSeconds`. */
  current(nowSeconds: number): string {
    return this.#nonceFor(Math.floor(nowSeconds / this.windowSeconds));
  }

  isValid(nonce: string | undefined, nowSeconds: number): boolean {
    if (typeof nonce !== 'string' || nonce.length !== 30) return false;
    const window = Math.floor(nowSeconds / this.windowSeconds);
    return [window, window - 1].some((candidate) => {
      if (!(candidate >= 0)) return false;
      const expected = Buffer.from(this.#nonceFor(candidate));
      const actual = Buffer.from(nonce);
      return actual.length === expected.length && timingSafeEqual(actual, expected);
    });
  }

  /** The nonces of the latest windows asked for: one HMAC a window, not one a request. */
  readonly #made = new Map<number, string>();

  #nonceFor(window: number): string {
    const made = this.#made.get(window);
    if (made !== undefined) return made;
    const nonce = this.#compute(window);
    if (this.#made.size >= 2) this.#made.delete(this.#made.keys().next().value as number);
    this.#made.set(window, nonce);
    return nonce;
  }

  #compute(window: number): string {
    const bytes = Buffer.alloc(WINDOW_BYTES);
    bytes.writeUIntBE(window, 0, WINDOW_BYTES);
    const mac = createHmac('sha256', this.#key).update(bytes).digest().subarray(0, MAC_BYTES);
    return Buffer.concat([bytes, mac]).toString('base64url');
  }
}
