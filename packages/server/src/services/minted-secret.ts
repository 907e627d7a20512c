import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** What a minted secret is for; the kind is part of the value and of its MAC. */
export const SecretKind = {
  clientSecret: 'tcs',
  opaqueAccessToken: 'tat',
  session: 'tss',
  authorizationCode: 'tac',
  refreshToken: 'trt',
} as const;
export type SecretKind = (typeof SecretKind)[keyof typeof SecretKind];

const SHAPE = /^([a-z]{3})_([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{22})$/;

/**
 * Mints self-checking secrets, `<kind>_<256 random bits>.<128-bit MAC>`: a forged or mistyped
 * value is refused before any database lookup. Stored values are keyed hashes, so a
 * database dump holds no live credential.
 *
 * @example const secret = minter.mint(SecretKind.opaqueAccessToken); minter.isAuthentic(secret, SecretKind.opaqueAccessToken) // true
 */
export class SecretMinter {
  constructor(
    private readonly macKey: Buffer,
    private readonly hashKey: Buffer,
  ) {}

  mint(kind: SecretKind): string {
    return this.withMac(`${kind}_${randomBytes(32).toString('base64url')}`);
  }

  /**
   * A secret whose 256 bits are `seed` (from a keyed derivation) instead of fresh randomness:
   * the same seed always mints the same value.
   */
  mintFromSeed(kind: SecretKind, seed: Buffer): string {
    if (seed.length !== 32) throw new Error('a seed is 32 bytes');
    return this.withMac(`${kind}_${seed.toString('base64url')}`);
  }

  isAuthentic(value: string, kind: SecretKind): boolean {
    const match = SHAPE.exec(value);
    if (match === null || match[1] !== kind) return false;
    const body = `${match[1]}_${match[2]}`;
    // Both sides are 22 base64url characters, so a plain timing-safe comparison fits.
    return timingSafeEqual(Buffer.from(this.mac(body)), Buffer.from(match[3] ?? ''));
  }

  /** The keyed hash under which a secret is stored and looked up. */
  hash(value: string): string {
    return createHmac('sha256', this.hashKey).update(value).digest('base64url');
  }

  /** Whether `value` hashes to `storedHash`, compared in constant time. */
  matchesHash(value: string, storedHash: string): boolean {
    const actual = Buffer.from(this.hash(value));
    const expected = Buffer.from(storedHash);
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }

  private withMac(body: string): string {
    return `${body}.${this.mac(body)}`;
  }

  private mac(body: string): string {
    return createHmac('sha256', this.macKey).update(body).digest().subarray(0, 16).toString('base64url');
  }
}
