/**
 * The canonical request of Signature Version 4 and the string to sign built from it:
 *
 * ```
 * METHOD \n CanonicalURI \n CanonicalQuery \n name:value \n … \n \n signed;headers \n PayloadHash
 * AWS4-HMAC-SHA256 \n X-Amz-Date \n date/region/service/aws4_request \n hex(SHA-256(canonical request))
 * ```
 */
import { createHash } from 'node:crypto';
import { SIGV4_ALGORITHM, SIGV4_TERMINATOR } from './signing-key.js';

/** The SHA-256 of an empty body, in hex: the payload hash of every request without one. */
export const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** The parts of a canonical request, each already in canonical form. */
export interface CanonicalRequestParts {
  readonly method: string;
  readonly canonicalPath: string;
  readonly canonicalQuery: string;
  /** Lower-case names in ascending order, each with its canonical value. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** Hex SHA-256 of the body, or `UNSIGNED-PAYLOAD`. */
  readonly payloadHash: string;
}

/**
 * Joins the parts into the canonical request.
 *
 * @example
 * ```ts
 * canonicalRequest({
 *   method: 'GET', canonicalPath: '/', canonicalQuery: '',
 *   headers: [['host', 'example.amazonaws.com'], ['x-amz-date', '20150830T123600Z']],
 *   payloadHash: EMPTY_BODY_SHA256,
 * });
 * // 'GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0…b855'
 * ```
 */
export function canonicalRequest(parts: CanonicalRequestParts): string {
  const headerLines = parts.headers.map(([name, value]) => `${name}:${value}\n`).join('');
  const signedHeaders = parts.headers.map(([name]) => name).join(';');
  return [
    parts.method,
    parts.canonicalPath,
    parts.canonicalQuery,
    headerLines,
    signedHeaders,
    parts.payloadHash,
  ].join('\n');
}

/**
 * A header value in canonical form: leading and trailing spaces and tabs removed, every
 * run of them inside collapsed to one space (quoted strings included, as AWS's
 * `get-header-value-trim` example shows).
 *
 * @example
 * ```ts
 * canonicalHeaderValue('  "a   b\tc" '); // '"a b c"'
 * ```
 */
export function canonicalHeaderValue(value: string): string {
  return value.replace(/^[ \t]+|[ \t]+$/g, '').replace(/[ \t]+/g, ' ');
}

/**
 * The credential scope `date/region/service/aws4_request`.
 *
 * @example
 * ```ts
 * credentialScope('20150830', 'us-east-1', 'iam'); // '20150830/us-east-1/iam/aws4_request'
 * ```
 */
export function credentialScope(date: string, region: string, service: string): string {
  return `${date}/${region}/${service}/${SIGV4_TERMINATOR}`;
}

/**
 * The string to sign for a canonical request.
 *
 * @example
 * ```ts
 * stringToSign('20150830T123600Z', '20150830/us-east-1/service/aws4_request', request);
 * // 'AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb57…7e63'
 * ```
 */
export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return [SIGV4_ALGORITHM, amzDate, scope, sha256Hex(canonical)].join('\n');
}

/** Hex SHA-256; a string is hashed as its UTF-8 bytes. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
