/**
 * Standard Webhooks on both ends of the wire: headers for the sender, a check for the
 * receiver. The signature scheme itself lives in `@tessera/core`.
 */
import {
  generateWebhookId,
  type Result,
  type VerifiedWebhook,
  type VerifyWebhookOptions,
  verifyWebhook,
  type WebhookHeaderSource,
  type WebhookHeaders,
  type WebhookRejected,
  webhookHeaders,
} from '@tessera/core';

export interface SignedWebhookHeadersOptions {
  /** The message id; a fresh `msg_…` by default. Reuse it when retrying a delivery. */
  readonly id?: string;
  /** The time of this attempt; `new Date()` by default. */
  readonly now?: Date;
}

/** The raw request body, as a server or `fetch` hands it over before any parsing. */
export type WebhookBody = string | Uint8Array | ArrayBuffer;

/**
 * Signs a webhook for sending: returns the `webhook-id`, `webhook-timestamp` and
 * `webhook-signature` headers for `payload` under `secret` (or several secrets, during a
 * rotation). Send `payload` exactly as given: the bytes are what is signed.
 *
 * @example
 * ```ts
 * const body = JSON.stringify({ type: 'invoice.paid', data: { id: 'in_1' } });
 * await fetch(endpoint, {
 *   method: 'POST',
 *   headers: { 'content-type': 'application/json', ...signedWebhookHeaders(body, process.env.WEBHOOK_SECRET) },
 *   body,
 * });
 * ```
 */
export function signedWebhookHeaders(
  payload: string | Uint8Array,
  secret: string | readonly string[],
  options: SignedWebhookHeadersOptions = {},
): WebhookHeaders {
  const now = options.now ?? new Date();
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw new TypeError('now must be a valid Date');
  return webhookHeaders(
    { id: options.id ?? generateWebhookId(), timestamp: Math.floor(now.getTime() / 1000), payload },
    secret,
  );
}

/**
 * Checks a received webhook: `headers` as the server hands them over (Node's
 * `req.headers`, or a fetch `Headers`), `body` the raw body, never a parsed one. Returns
 * the verified id and timestamp, or the refusal to answer with (`error.status`,
 * `error.toJSON()`). Misuse, such as a parsed body or a bad secret, throws a `TypeError`.
 *
 * @example
 * ```ts
 * // Express: app.post('/webhooks', express.raw({ type: 'application/json' }), handler)
 * const result = verifyWebhookRequest(req.headers, req.body, [currentSecret, previousSecret]);
 * if (!result.ok) return res.status(result.error.status).json(result.error.toJSON());
 * const event = JSON.parse(req.body.toString('utf8'));
 *
 * // fetch-style (Hono, workers): read the body as bytes first.
 * const result = verifyWebhookRequest(request.headers, await request.arrayBuffer(), secret);
 * ```
 */
export function verifyWebhookRequest(
  headers: WebhookHeaderSource,
  body: WebhookBody,
  secrets: string | readonly string[],
  options: VerifyWebhookOptions = {},
): Result<VerifiedWebhook, WebhookRejected> {
  return verifyWebhook(headers, rawBody(body), secrets, options);
}

function rawBody(body: unknown): string | Uint8Array {
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  // The usual mistake: a JSON body parser ran first. Serializing its result again does not
  // give back the bytes that were signed, so there is no safe way to recover here.
  throw new TypeError(
    body === undefined || body === null
      ? 'the webhook body is missing: read the raw body (express.raw(), request.arrayBuffer()) before verifying'
      : 'the webhook body must be the raw body (string, Buffer, Uint8Array or ArrayBuffer), not a parsed object',
  );
}
