import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * CSRF tokens for the sign-in pages, bound to a random per-browser value kept in a cookie:
 * a form's token is a MAC of that value, so a page on another site can neither read the
 * cookie nor compute the token.
 */
export class CsrfTokens {
  constructor(private readonly key: Buffer) {}

  /** A fresh browser binding, for the cookie. */
  newBinding(): string {
    return randomBytes(32).toString('base64url');
  }

  tokenFor(binding: string): string {
    return createHmac('sha256', this.key).update(binding).digest('base64url');
  }

  /** Whether `token` was made for `binding`; false when either is missing. */
  isValid(binding: string | undefined, token: string | undefined): boolean {
    if (binding === undefined || token === undefined || binding === '') return false;
    const expected = Buffer.from(this.tokenFor(binding));
    const actual = Buffer.from(token);
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }
}
