/**
 * Signing a request with AWS Signature Version 4, the way Tessera's verifier reads it:
 * the path and query as they will travel, `host`, `x-amz-date`, `x-amz-content-sha256` and
 * every other header given (but the hop-by-hop ones) signed, the body hashed.
 */
import { formatAmzDate } from './amz-date.js';
import { formatSigV4Authorization } from './authorization.js';
import {
  canonicalHeaderValue,
  canonicalRequest,
  credentialScope,
  sha256Hex,
  stringToSign,
} from './canonical-request.js';
import { canonicalPath, canonicalQuery, splitRequestTarget } from './canonical-target.js';
import { assertScopePart, deriveSigV4SigningKey, signStringToSign } from './signing-key.js';

export interface SignSigV4RequestInput {
  /** Sent exactly as given: fetch upper-cases only the six standard methods, not `patch`. */
  readonly method: string;
  /** The URL the request goes to; its path and query must be what goes on the wire. */
  readonly url: string | URL;
  /**
   * The headers to send besides the three the signer sets (`authorization`, `x-amz-date`,
   * `x-amz-content-sha256`, which must not be among them). `host` defaults to the URL's.
   */
  readonly headers?: Readonly<Record<string, string>> | Iterable<readonly [string, string]>;
  /** The exact body; a string is sent and hashed as UTF-8. */
  readonly body?: string | Uint8Array;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region: string;
  readonly service: string;
  /** The signing time in milliseconds; `Date.now()` by default. */
  readonly now?: number;
}

/** The headers to add to the request, and what they hold. */
export interface SigV4Signature {
  readonly authorization: string;
  readonly amzDate: string;
  readonly contentSha256: string;
  readonly signedHeaders: readonly string[];
  /** The three headers to send, by lower-case name. */
  readonly headers: {
    readonly authorization: string;
    readonly 'x-amz-date': string;
    readonly 'x-amz-content-sha256': string;
  };
}

// Headers that proxies and HTTP stacks add, drop or rewrite, so signing them would break
// requests for no gain; the same list as @smithy/signature-v4, plus content-length, which
// fetch computes itself and the body hash covers anyway.
const UNSIGNABLE = new Set([
  'cache-control',
  'connection',
  'content-length',
  'expect',
  'from',
  'keep-alive',
  'max-forwards',
  'pragma',
  'referer',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'user-agent',
  'x-amzn-trace-id',
]);
const SET_BY_SIGNER = new Set(['authorization', 'x-amz-date', 'x-amz-content-sha256']);
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE = /^[\t\x20-\x7e]*$/;

/**
 * Signs a request: returns the `Authorization`, `X-Amz-Date` and `X-Amz-Content-Sha256`
 * headers to add. Throws a `TypeError` for what the verifier would refuse whatever the
 * signature: a path with `//`, `.` or `..` segments, a header value outside visible
 * ASCII, a header sent twice, or one of the three signer headers passed in.
 *
 * @example
 * ```ts
 * const body = JSON.stringify({ amount: 100 });
 * const signature = signSigV4Request({
 *   method: 'POST', url: 'https://api.example.com/v1/charges',
 *   headers: { 'content-type': 'application/json' }, body,
 *   accessKeyId: 'TKIA…', secretAccessKey: '…', region: 'local', service: 'billing',
 * });
 * await fetch('https://api.example.com/v1/charges', {
 *   method: 'POST', body, headers: { 'content-type': 'application/json', ...signature.headers },
 * });
 * ```
 */
export function signSigV4Request(input: SignSigV4RequestInput): SigV4Signature {
  assertScopePart(input.region, 'region');
  assertScopePart(input.service, 'service');
  if (typeof input.method !== 'string' || !TOKEN.test(input.method)) {
    throw new TypeError('method must be an HTTP token');
  }
  if (typeof input.accessKeyId !== 'string' || !/^[A-Za-z0-9._-]{1,128}$/.test(input.accessKeyId)) {
    throw new TypeError("accessKeyId must be 1 to 128 letters, digits, '.', '_' or '-'");
  }
  const url = new URL(input.url);
  const target = splitRequestTarget(`${url.pathname}${url.search}`);
  if (target === null) {
    throw new TypeError(
      'the URL path has an empty, "." or ".." segment, or is not ASCII: it cannot be signed unambiguously',
    );
  }

  const headers = collectHeaders(input.headers);
  if (!headers.has('host')) headers.set('host', url.host);
  const body = input.body ?? '';
  const contentSha256 = sha256Hex(body);
  const amzDate = formatAmzDate(input.now ?? Date.now());
  headers.set('x-amz-date', amzDate);
  headers.set('x-amz-content-sha256', contentSha256);

  const signed = [...headers]
    .filter(([name]) => !UNSIGNABLE.has(name) && !name.startsWith('proxy-') && !name.startsWith('sec-'))
    .map(([name, value]) => [name, canonicalHeaderValue(value)] as const)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  const canonical = canonicalRequest({
    method: input.method,
    canonicalPath: canonicalPath(target.path),
    canonicalQuery: canonicalQuery(target.query),
    headers: signed,
    payloadHash: contentSha256,
  });
  const date = amzDate.slice(0, 8);
  const signingKey = deriveSigV4SigningKey(input.secretAccessKey, date, input.region, input.service);
  const signature = signStringToSign(
    signingKey,
    stringToSign(amzDate, credentialScope(date, input.region, input.service), canonical),
  );
  const signedHeaders = signed.map(([name]) => name);
  const authorization = formatSigV4Authorization({
    accessKeyId: input.accessKeyId,
    date,
    region: input.region,
    service: input.service,
    signedHeaders,
    signature,
  });
  return {
    authorization,
    amzDate,
    contentSha256,
    signedHeaders,
    headers: { authorization, 'x-amz-date': amzDate, 'x-amz-content-sha256': contentSha256 },
  };
}

function collectHeaders(given: SignSigV4RequestInput['headers']): Map<string, string> {
  const headers = new Map<string, string>();
  if (given === undefined) return headers;
  const entries: Iterable<readonly [string, string]> =
    Symbol.iterator in given ? (given as Iterable<readonly [string, string]>) : Object.entries(given);
  for (const [rawName, value] of entries) {
    const name = String(rawName).toLowerCase();
    if (!TOKEN.test(name)) throw new TypeError(`${JSON.stringify(name)} is not a header name`);
    if (SET_BY_SIGNER.has(name)) throw new TypeError(`the signer sets ${name}; do not pass it`);
    if (headers.has(name)) throw new TypeError(`header ${name} is given twice; join its values with ","`);
    if (typeof value !== 'string' || !HEADER_VALUE.test(value)) {
      throw new TypeError(`header ${name} must be a string of visible ASCII, spaces and tabs`);
    }
    headers.set(name, value);
  }
  return headers;
}
