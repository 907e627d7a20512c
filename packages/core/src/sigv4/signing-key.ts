/**
 * The Signature Version 4 key chain: the secret never signs a request itself; it derives
 * a key for one day, region and service (`kSigning`), and that key signs. A verifier
 * holding only `kSigning` can check that day's requests and can neither sign for another
 * day, region or service nor recover the secret.
 */
import { createHmac } from 'node:crypto';

/** The only algorithm Tessera speaks. */
export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';
/** The last element of every credential scope. */
export const SIGV4_TERMINATOR = 'aws4_request';

const SCOPE_DATE = /^\d{8}$/;
// What may stand in a credential scope: no '/', which separates its parts, nothing that
// needs quoting in the Authorization header. AWS regions and services fit with room.
const SCOPE_PART = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Derives `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service),
 * "aws4_request")`, the key that signs every request of that day, region and service.
 * Throws a `TypeError` for a date that is not `YYYYMMDD` or a region or service that
 * could not appear in a credential scope: those are programming errors.
 *
 * @example
 * ```ts
 * // AWS General Reference, "Calculate the signature": IAM in us-east-1 on 2015-08-30.
 * deriveSigV4SigningKey('wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', '20150830', 'us-east-1', 'iam')
 *   .toString('hex'); // 'c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9'
 * ```
 */
export function deriveSigV4SigningKey(secret: string, date: string, region: string, service: string): Buffer {
  if (typeof secret !== 'string' || secret === '') {
    throw new TypeError('the secret must be a non-empty string');
  }
  if (typeof date !== 'string' || !SCOPE_DATE.test(date)) throw new TypeError('the date must be YYYYMMDD');
  assertScopePart(region, 'region');
  assertScopePart(service, 'service');
  const kDate = hmac(`AWS4${secret}`, date);
  const kRegion = hmac(kDate, region);
  const kService = hmac(kRegion, service);
  return hmac(kService, SIGV4_TERMINATOR);
}

/** The hex signature of a string to sign under a derived key. */
export function signStringToSign(signingKey: Uint8Array, stringToSign: string): string {
  return createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
}

/** Throws a `TypeError` unless `value` can be the region or service of a credential scope. */
export function assertScopePart(value: unknown, name: 'region' | 'service'): asserts value is string {
  if (typeof value !== 'string' || !SCOPE_PART.test(value)) {
    throw new TypeError(`the ${name} must be 1 to 64 letters, digits, '.', '_' or '-'`);
  }
}

function hmac(key: string | Uint8Array, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}
