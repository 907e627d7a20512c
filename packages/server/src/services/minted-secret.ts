import { createHmac, randomBytes } from 'node:crypto';
import { constantTimeEqual } from '@tessera/core';

/** What a minted secret is for; the kind is part of the value and of its MAC. */
export const SecretKind = {
  clientSecret: 'tcs',
  opaqueAccessToken: 'tat',
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
    const body = `${kind}_${randomBytes(32).toString('base64url')}`;
    return `${body}.${this.mac(body)}`;
  }

  isAuthentic(value: string, kind: SecretKind): boolean {
    const match = SHAPE.exec(value);
    if (match === null || match[1] !== kind) return false;
    const body = `${match[1]}_${match[2]}`;
    return constantTimeEqual(this.mac(body), match[3] ?? '');
  }

  /** The keyed hash under which a secret is stored and looked up. */
  hash(value: string): string {
    return createHmac('sha256', this.hashKey).update(value).digest('base64url');
  }

  private mac(body: string): string {
    return createHmac('sha256', this.macKey).update(body).digest().subarray(0, 16).toString('base64url');
  }
}
