/**
 * Signed webhooks as the Standard Webhooks specification defines them (version 1.0.0):
 * `whsec_` secrets, the `webhook-id`, `webhook-timestamp` and `webhook-signature` headers,
 * and `v1` signatures, an HMAC-SHA256 over `{id}.{timestamp}.{payload}`.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ErrorCode, fail, ok, type Result, TesseraError, type TesseraErrorOptions } from './errors.js';

export const WEBHOOK_SECRET_PREFIX = 'whsec_';
export const WEBHOOK_ID_HEADER = 'webhook-id';
export const WEBHOOK_TIMESTAMP_HEADER = 'webhook-timestamp';
export const WEBHOOK_SIGNATURE_HEADER = 'webhook-signature';
/** Five minutes, as the specification's reference libraries use. */
export const DEFAULT_WEBHOOK_TOLERANCE_SECONDS = 300;

/** The specification asks for at least 24 random bytes, and at most 64. */
const MIN_SECRET_BYTES = 24;
const MAX_SECRET_BYTES = 64;
const SIGNATURE_BYTES = 32;
// Printable ASCII without space or '.': the spec forbids '.' in the id, because the id is
// joined to the timestamp and payload with dots and a dot in it would let one signed
// string be split in two ways. Space and comma stay out as well, so that two `webhook-id`
// headers folded into one by an HTTP stack ("a, b") read as malformed, not as an id.
const ID = /^[\x21-\x2b\x2d\x2f-\x7e]{1,256}$/;
// Canonical decimal only: the reference library parses '0123' and '12abc' as numbers and
// signs the number, so a lenient parser here could sign a different string than it read.
const TIMESTAMP = /^(?:0|[1-9]\d{0,14})$/;
const MAX_TIMESTAMP = 10 ** 15 - 1;
// Far above any real rotation (a few signatures of 47 characters), far below anything that
// would make checking the header costly.
const MAX_SIGNATURE_HEADER_LENGTH = 8192;
const WEBHOOK_HEADERS: readonly string[] = [
  WEBHOOK_ID_HEADER,
  WEBHOOK_TIMESTAMP_HEADER,
  WEBHOOK_SIGNATURE_HEADER,
];
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The three headers of a signed webhook, named as the specification names them. A type
 * alias, not an interface, so that it passes wherever a record of headers is expected.
 */
export type WebhookHeaders = {
  readonly 'webhook-id': string;
  readonly 'webhook-timestamp': string;
  readonly 'webhook-signature': string;
};

/** What is signed: the message id, the attempt's Unix time in seconds, the exact body. */
export interface WebhookMessage {
  readonly id: string;
  readonly timestamp: number;
  /** The body exactly as sent: a string is signed as its UTF-8 bytes. */
  readonly payload: string | Uint8Array;
}

/**
 * The headers as an HTTP stack hands them over: Node's `req.headers` (names in any case,
 * values or arrays of values), or anything with `get(name)` like the fetch `Headers`.
 */
export type WebhookHeaderSource =
  | Readonly<Record<string, string | readonly string[] | undefined>>
  | { get(name: string): string | null | undefined };

export interface VerifyWebhookOptions {
  /** How far the timestamp may be from now, in either direction; 300 s by default. */
  readonly toleranceSeconds?: number;
  /** The current time; `new Date()` by default. */
  readonly now?: Date;
}

/** A webhook whose signature matched one of the secrets. */
export interface VerifiedWebhook {
  /** The `webhook-id`: use it as an idempotency key, since a retried delivery repeats it. */
  readonly id: string;
  /** The `webhook-timestamp`, in Unix seconds. */
  readonly timestamp: number;
  /** Which of the secrets matched; during a rotation, tells when the old one falls idle. */
  readonly secretIndex: number;
}

/** Why a webhook was refused. Each reason maps to one public description. */
export type WebhookRejectionReason =
  | 'header_missing'
  | 'header_malformed'
  | 'timestamp_too_old'
  | 'timestamp_too_new'
  | 'signature_mismatch';

/**
 * A refused webhook. `reason` is stable and machine-readable; `description` is safe to
 * send back to the sender and names at most the header at fault, never a secret or the
 * signature expected.
 */
export class WebhookRejected extends TesseraError {
  // Not an RFC value: no registry names webhook errors, so the name says what failed.
  readonly error = 'invalid_signature';
  readonly status: 400 | 401;
  readonly reason: WebhookRejectionReason;

  constructor(
    reason: WebhookRejectionReason,
    code: ErrorCode,
    description: string,
    options: TesseraErrorOptions = {},
  ) {
    super(code, description, options);
    this.reason = reason;
    this.status = reason === 'header_malformed' ? 400 : 401;
  }
}

/**
 * Generates a new signing secret: `whsec_` followed by the base64 of `byteLength` random
 * bytes (32 by default, 24 to 64 allowed).
 *
 * @example
 * ```ts
 * const secret = generateWebhookSecret(); // 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw9oJ1fMqnK3o='
 * ```
 */
export function generateWebhookSecret(byteLength = 32): string {
  if (!Number.isInteger(byteLength) || byteLength < MIN_SECRET_BYTES || byteLength > MAX_SECRET_BYTES) {
    throw new RangeError(`a webhook secret has ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES} bytes`);
  }
  return WEBHOOK_SECRET_PREFIX + randomBytes(byteLength).toString('base64');
}

/**
 * Reads a `whsec_` secret into its key bytes, or returns `null` unless it is exactly
 * `whsec_` followed by canonical, padded standard base64 of 24 to 64 bytes. Never throws.
 *
 * @example
 * ```ts
 * parseWebhookSecret('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw9oJ1fMqnK3o='); // <Buffer 31 f2 …> (32 bytes)
 * parseWebhookSecret('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw9oJ1fMqnK3o=');       // null: no prefix
 * ```
 */
export function parseWebhookSecret(text: unknown): Buffer | null {
  if (typeof text !== 'string' || !text.startsWith(WEBHOOK_SECRET_PREFIX)) return null;
  const encoded = text.slice(WEBHOOK_SECRET_PREFIX.length);
  // 64 bytes encode to 88 characters; checking the length first bounds the regex work.
  if (encoded.length > 88 || !BASE64.test(encoded)) return null;
  const key = Buffer.from(encoded, 'base64');
  // The regex admits non-zero spare bits in the last symbol; one key, one spelling.
  if (key.toString('base64') !== encoded) return null;
  return key.length >= MIN_SECRET_BYTES && key.length <= MAX_SECRET_BYTES ? key : null;
}

/**
 * Generates a message id: `msg_` and 128 random bits in base64url. Keep the same id when
 * retrying a delivery, so that receivers can drop the duplicate.
 *
 * @example
 * ```ts
 * generateWebhookId(); // 'msg_Vr7Q0a8pX3mS1c2kq9ZfJw'
 * ```
 */
export function generateWebhookId(): string {
  return `msg_${randomBytes(16).toString('base64url')}`;
}

/**
 * Computes the `webhook-signature` header value: `v1,` and the base64 HMAC-SHA256 of
 * `{id}.{timestamp}.{payload}` under each secret, space-separated. During a rotation, pass
 * the new and the old secret, so receivers holding either one accept the webhook.
 *
 * Throws a `TypeError` on misuse: a secret that is not a valid `whsec_` secret, an id
 * that is empty, longer than 256 characters, or holds a `.`, a space, a comma or a
 * non-ASCII character, a timestamp that is not a non-negative integer. No message
 * contains a secret.
 *
 * @example
 * ```ts
 * const payload = '{"type":"invoice.paid"}';
 * signWebhook({ id: 'msg_1', timestamp: 1674087231, payload }, secret); // 'v1,K5oZfzN9…='
 * signWebhook({ id: 'msg_1', timestamp: 1674087231, payload }, [next, previous]); // 'v1,… v1,…'
 * ```
 */
export function signWebhook(message: WebhookMessage, secrets: string | readonly string[]): string {
  const keys = secretKeys(secrets);
  if (typeof message.id !== 'string' || !ID.test(message.id)) {
    throw new TypeError('a webhook id is 1 to 256 printable ASCII characters without ".", space or comma');
  }
  if (!Number.isInteger(message.timestamp) || message.timestamp < 0 || message.timestamp > MAX_TIMESTAMP) {
    throw new TypeError(
      'a webhook timestamp is a non-negative integer number of Unix seconds, at most 15 digits',
    );
  }
  const payload = payloadOf(message.payload);
  return keys
    .map((key) => `v1,${hmac(key, message.id, String(message.timestamp), payload).toString('base64')}`)
    .join(' ');
}

/**
 * Builds the three headers to send with a webhook. Send `payload` exactly as signed.
 *
 * @example
 * ```ts
 * const body = JSON.stringify(event);
 * const headers = webhookHeaders({ id: generateWebhookId(), timestamp: Math.floor(Date.now() / 1000), payload: body }, secret);
 * await fetch(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body });
 * ```
 */
export function webhookHeaders(message: WebhookMessage, secrets: string | readonly string[]): WebhookHeaders {
  return {
    'webhook-id': message.id,
    'webhook-timestamp': String(message.timestamp),
    'webhook-signature': signWebhook(message, secrets),
  };
}

/**
 * Checks a received webhook: the three headers are present and well formed, the timestamp
 * is within `toleranceSeconds` of now (both directions; exactly the tolerance passes), and
 * at least one `v1` signature in the header matches the HMAC under at least one of the
 * secrets. Signatures of other versions (`v1a`, …) are skipped, as the specification asks.
 * Comparisons take constant time.
 *
 * `payload` must be the raw body, byte for byte: a body parsed as JSON and serialized again
 * no longer matches. A refusal is returned, not thrown; a misuse (an invalid secret, no
 * secret, a payload that is neither a string nor bytes) throws a `TypeError`.
 *
 * Replays inside the window are not detected here: store `value.id` for the tolerance
 * window and drop a repeated one.
 *
 * @example
 * ```ts
 * const result = verifyWebhook(req.headers, rawBody, [currentSecret, previousSecret]);
 * if (!result.ok) return reply.code(result.error.status).send(result.error.toJSON());
 * handle(JSON.parse(rawBody.toString('utf8')), result.value.id);
 * ```
 */
export function verifyWebhook(
  headers: WebhookHeaderSource,
  payload: string | Uint8Array,
  secrets: string | readonly string[],
  options: VerifyWebhookOptions = {},
): Result<VerifiedWebhook, WebhookRejected> {
  const keys = secretKeys(secrets);
  const body = payloadOf(payload);
  const tolerance = options.toleranceSeconds ?? DEFAULT_WEBHOOK_TOLERANCE_SECONDS;
  if (typeof tolerance !== 'number' || !Number.isFinite(tolerance) || tolerance < 0) {
    throw new TypeError('toleranceSeconds must be a finite number of seconds, zero or more');
  }
  const now = options.now ?? new Date();
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw new TypeError('now must be a valid Date');

  const read = readHeaders(headers);
  if (!read.ok) return read;
  const { id, timestamp, signatures } = read.value;

  const seconds = Number(timestamp);
  const nowSeconds = Math.floor(now.getTime() / 1000);
  if (nowSeconds - seconds > tolerance) {
    return reject('timestamp_too_old', ErrorCode.TOKEN_EXPIRED, 'The webhook timestamp is too old.', {
      detail: `webhook timestamp ${seconds} is ${nowSeconds - seconds}s before now (tolerance ${tolerance}s)`,
    });
  }
  if (seconds - nowSeconds > tolerance) {
    return reject('timestamp_too_new', ErrorCode.TOKEN_INVALID, 'The webhook timestamp is in the future.', {
      detail: `webhook timestamp ${seconds} is ${seconds - nowSeconds}s after now (tolerance ${tolerance}s)`,
    });
  }

  const entries = signatures.split(' ').filter((entry) => entry !== '');
  const presented = entries.flatMap((entry) => {
    const comma = entry.indexOf(',');
    if (comma === -1 || entry.slice(0, comma) !== 'v1') return [];
    const encoded = entry.slice(comma + 1);
    // A signature of the wrong length or spelling can match nothing; its length is public.
    if (encoded.length !== 44 || !BASE64.test(encoded)) return [];
    const bytes = Buffer.from(encoded, 'base64');
    return bytes.length === SIGNATURE_BYTES && bytes.toString('base64') === encoded ? [bytes] : [];
  });
  for (const [secretIndex, key] of keys.entries()) {
    const expected = hmac(key, id, timestamp, body);
    if (presented.some((signature) => timingSafeEqual(signature, expected))) {
      return ok({ id, timestamp: seconds, secretIndex });
    }
  }
  return reject('signature_mismatch', ErrorCode.TOKEN_INVALID, 'No webhook signature matches.', {
    detail: `none of ${entries.length} signature(s), ${presented.length} of them well-formed v1, matches any of ${keys.length} secret(s)`,
  });
}

function hmac(key: Buffer, id: string, timestamp: string, payload: Uint8Array): Buffer {
  return createHmac('sha256', key).update(`${id}.${timestamp}.`).update(payload).digest();
}

function secretKeys(secrets: string | readonly string[]): Buffer[] {
  const list: readonly unknown[] = typeof secrets === 'string' ? [secrets] : secrets;
  if (!Array.isArray(list) || list.length === 0) {
    throw new TypeError('pass a whsec_ secret, or a non-empty array of them');
  }
  return list.map((secret, index) => {
    const key = parseWebhookSecret(secret);
    if (key === null) {
      throw new TypeError(
        `webhook secret ${index} is not "whsec_" and canonical base64 of ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES} bytes`,
      );
    }
    return key;
  });
}

function payloadOf(payload: unknown): Uint8Array {
  if (typeof payload === 'string') return Buffer.from(payload, 'utf8');
  if (payload instanceof Uint8Array) return payload;
  throw new TypeError(
    'the webhook payload must be the raw body as a string or bytes; a parsed and re-serialized body no longer matches its signature',
  );
}

interface WebhookHeaderValues {
  readonly id: string;
  readonly timestamp: string;
  readonly signatures: string;
}

function readHeaders(headers: WebhookHeaderSource): Result<WebhookHeaderValues, WebhookRejected> {
  if (typeof headers !== 'object' || headers === null) {
    throw new TypeError(
      'the webhook headers must be a Headers object or an object of header names to values',
    );
  }
  const values = new Map<string, unknown[]>();
  if (typeof headers.get === 'function') {
    const source = headers as { get(name: string): unknown };
    for (const name of WEBHOOK_HEADERS) {
      const value = source.get(name);
      if (value !== null && value !== undefined) values.set(name, [value]);
    }
  } else {
    for (const [name, value] of Object.entries(headers)) {
      const lower = name.toLowerCase();
      if (value === undefined || !WEBHOOK_HEADERS.includes(lower)) continue;
      values.set(lower, [...(values.get(lower) ?? []), ...(Array.isArray(value) ? value : [value])]);
    }
  }
  const read: string[] = [];
  for (const name of WEBHOOK_HEADERS) {
    const list = values.get(name) ?? [];
    if (list.length === 0 || (list.length === 1 && list[0] === '')) {
      return reject('header_missing', ErrorCode.CREDENTIALS_MISSING, `The ${name} header is missing.`);
    }
    const [value] = list;
    // Two values for one header leave it unclear which one the sender signed.
    if (list.length > 1) return malformed(name, 'the header is repeated');
    if (typeof value !== 'string') return malformed(name, 'the header value is not text');
    read.push(value);
  }
  const [id = '', timestamp = '', signatures = ''] = read;
  if (!ID.test(id)) {
    return malformed(
      WEBHOOK_ID_HEADER,
      'not 1 to 256 printable ASCII characters without ".", space or comma',
    );
  }
  if (!TIMESTAMP.test(timestamp)) {
    return malformed(WEBHOOK_TIMESTAMP_HEADER, 'not a canonical decimal integer of Unix seconds');
  }
  if (signatures.length > MAX_SIGNATURE_HEADER_LENGTH) {
    return malformed(WEBHOOK_SIGNATURE_HEADER, `longer than ${MAX_SIGNATURE_HEADER_LENGTH} characters`);
  }
  return ok({ id, timestamp, signatures });
}

function malformed(name: string, why: string): { readonly ok: false; readonly error: WebhookRejected } {
  return reject('header_malformed', ErrorCode.REQUEST_MALFORMED, `The ${name} header is malformed.`, {
    detail: `${name}: ${why}`,
  });
}

function reject(
  reason: WebhookRejectionReason,
  code: ErrorCode,
  description: string,
  options: TesseraErrorOptions = {},
): { readonly ok: false; readonly error: WebhookRejected } {
  return fail(new WebhookRejected(reason, code, description, options));
}
