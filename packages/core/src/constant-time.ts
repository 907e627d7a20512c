/**
 * Comparing secrets without leaking them through timing.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

// Comparing HMACs instead of the values themselves: timingSafeEqual needs equal lengths,
// and padding to a common length would leak that length through the padding work. The
// digests always have the same length, and under a key nobody outside this process knows,
// an attacker cannot steer which digest bytes differ, so even an early exit in a compare
// would reveal nothing about the secret.
const key = randomBytes(32);

const SURROGATE = /\p{Cs}/u;

/**
 * Tells whether two secrets are equal, in time that does not depend on their bytes or on
 * where they differ. Different lengths do not throw; the time still grows with the
 * lengths, which is harmless for secrets whose length is fixed by their format.
 *
 * Strings are compared as their UTF-8 bytes, so a string equals a `Uint8Array` holding
 * its UTF-8 encoding. A string with a lone surrogate has no UTF-8 encoding and equals
 * nothing, not even itself: encoding it would turn it into U+FFFD and make distinct
 * strings equal. Any other argument type throws a `TypeError`.
 *
 * @example
 * ```ts
 * constantTimeEqual(presentedSecret, storedSecret); // → true or false
 * constantTimeEqual('abc', new TextEncoder().encode('abc')); // → true
 * ```
 */
export function constantTimeEqual(a: string | Uint8Array, b: string | Uint8Array): boolean {
  const aEncodable = encodable(a);
  const bEncodable = encodable(b);
  return aEncodable && bEncodable && timingSafeEqual(digest(a), digest(b));
}

function encodable(value: string | Uint8Array): boolean {
  if (typeof value === 'string') return !SURROGATE.test(value);
  if (value instanceof Uint8Array) return true;
  throw new TypeError('constantTimeEqual compares strings and Uint8Arrays only');
}

function digest(value: string | Uint8Array): Buffer {
  return createHmac('sha256', key).update(value).digest();
}
