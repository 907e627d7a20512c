/**
 * The `Authorization` header of a Signature Version 4 request:
 *
 * ```
 * AWS4-HMAC-SHA256 Credential=<id>/<YYYYMMDD>/<region>/<service>/aws4_request, SignedHeaders=<a;b;c>, Signature=<64 hex>
 * ```
 */
import { SIGV4_ALGORITHM, SIGV4_TERMINATOR } from './signing-key.js';

/** Far above any real header (a hundred signed headers fit), far below Node's 16 KiB. */
export const MAX_SIGV4_AUTHORIZATION_LENGTH = 4096;

/** The fields of a parsed SigV4 `Authorization` header. */
export interface SigV4Authorization {
  readonly accessKeyId: string;
  /** The credential scope's day, `YYYYMMDD`. */
  readonly date: string;
  readonly region: string;
  readonly service: string;
  /** The names in `SignedHeaders`, in the order sent (sorting is checked by the verifier). */
  readonly signedHeaders: readonly string[];
  /** 64 lower-case hex digits. */
  readonly signature: string;
}

// Every part has a closed character class that excludes the separators around it, so the
// match is linear and can be read only one way. The three parameters come in the order
// every SigV4 signer writes them, separated by a comma and at most one space.
const AUTHORIZATION = new RegExp(
  [
    `^${SIGV4_ALGORITHM} `,
    'Credential=([A-Za-z0-9._-]{1,128})/(\\d{8})/([A-Za-z0-9._-]{1,64})/([A-Za-z0-9._-]{1,64})/',
    `${SIGV4_TERMINATOR}, ?`,
    "SignedHeaders=([a-z0-9!#$%&'*+.^_`|~-]+(?:;[a-z0-9!#$%&'*+.^_`|~-]+)*), ?",
    'Signature=([0-9a-f]{64})$',
  ].join(''),
);

/**
 * Parses a SigV4 `Authorization` header value strictly. Returns `null` for anything else:
 * another algorithm (`AWS4-ECDSA-P256-SHA256`, `AWS`), parameters in another order,
 * missing or repeated, upper-case header names or signature, a scope that does not end in
 * `aws4_request`, extra whitespace, or a value over {@link MAX_SIGV4_AUTHORIZATION_LENGTH}.
 * Never throws.
 *
 * @example
 * ```ts
 * parseSigV4Authorization(
 *   'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ' +
 *     'SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
 * );
 * // → { accessKeyId: 'AKIDEXAMPLE', date: '20150830', region: 'us-east-1', service: 'service',
 * //     signedHeaders: ['host', 'x-amz-date'], signature: '5fa0…bf31' }
 * ```
 */
export function parseSigV4Authorization(value: unknown): SigV4Authorization | null {
  if (typeof value !== 'string' || value.length > MAX_SIGV4_AUTHORIZATION_LENGTH) return null;
  const match = AUTHORIZATION.exec(value);
  if (match === null) return null;
  const [, accessKeyId, date, region, service, signedHeaders, signature] = match;
  if (
    accessKeyId === undefined ||
    date === undefined ||
    region === undefined ||
    service === undefined ||
    signedHeaders === undefined ||
    signature === undefined
  ) {
    return null;
  }
  return { accessKeyId, date, region, service, signedHeaders: signedHeaders.split(';'), signature };
}

/**
 * Writes the `Authorization` header value, as every SigV4 signer spells it.
 *
 * @example
 * ```ts
 * formatSigV4Authorization({ accessKeyId: 'AKID', date: '20150830', region: 'local',
 *   service: 'billing', signedHeaders: ['host', 'x-amz-date'], signature: '…' });
 * // 'AWS4-HMAC-SHA256 Credential=AKID/20150830/local/billing/aws4_request, SignedHeaders=host;x-amz-date, Signature=…'
 * ```
 */
export function formatSigV4Authorization(fields: SigV4Authorization): string {
  const scope = `${fields.accessKeyId}/${fields.date}/${fields.region}/${fields.service}/${SIGV4_TERMINATOR}`;
  return `${SIGV4_ALGORITHM} Credential=${scope}, SignedHeaders=${fields.signedHeaders.join(';')}, Signature=${fields.signature}`;
}
