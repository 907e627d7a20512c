/**
 * What every framework adapter does the same way: show the verifier a Node request, and
 * answer a refusal or an unexpected failure.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Refusal, VerifyRequest } from '../verification.js';

/**
 * The answer to a failure inside the adapter: a 500 with no detail of what failed.
 * `no-store`, like every answer about credentials, which holds for this request only.
 */
export const SERVER_ERROR = Object.freeze({
  status: 500,
  headers: Object.freeze({ 'cache-control': 'no-store' }),
  body: Object.freeze({ error: 'server_error', error_description: 'The request could not be handled.' }),
});

/**
 * The verifier's view of a Node request; `url` is the target as received, before any
 * rewriting. Over TLS, the client certificate too, and whether the handshake trusted it
 * (an HTTPS server started with `requestCert` and `ca`).
 */
export function verifyRequestOf(
  req: IncomingMessage,
  url: string | undefined,
  formBody: VerifyRequest['formBody'],
): VerifyRequest {
  return {
    method: req.method ?? '',
    url: url ?? req.url ?? '',
    headers: req.headers,
    rawHeaders: req.rawHeaders,
    formBody,
    ...clientCertificateOf(req),
  };
}

/** The client certificate of a Node request over TLS, and whether the handshake trusted it. */
export function clientCertificateOf(
  req: IncomingMessage,
): Pick<VerifyRequest, 'clientCertificate' | 'clientCertificateTrusted'> {
  const socket = req.socket as Partial<TLSSocket> | undefined;
  if (typeof socket?.getPeerCertificate !== 'function') return {};
  // An empty object when the client sent no certificate.
  const raw = socket.getPeerCertificate().raw as Buffer | undefined;
  return raw === undefined || raw.length === 0
    ? {}
    : { clientCertificate: raw, clientCertificateTrusted: socket.authorized === true };
}

/** The headers every refusal carries. */
export function refusalHeaders(refusal: Refusal): Record<string, string> {
  return {
    'www-authenticate': refusal.challenge,
    'cache-control': 'no-store',
    ...(refusal.retryAfter === undefined ? {} : { 'retry-after': String(refusal.retryAfter) }),
    ...(refusal.dpopNonce === undefined ? {} : { 'dpop-nonce': refusal.dpopNonce }),
  };
}

/** Whether a `Content-Type` value names a URL-encoded form. */
export function isFormMediaType(contentType: string | null | undefined): boolean {
  return contentType?.split(';', 1)[0]?.trim().toLowerCase() === 'application/x-www-form-urlencoded';
}

/**
 * The body a framework already parsed, if it was a URL-encoded form: the verifier refuses
 * an access token sent there. A JSON body is not a form, even with an `access_token` field.
 */
export function parsedFormBody(contentType: string | undefined, body: unknown): VerifyRequest['formBody'] {
  if (!isFormMediaType(contentType)) return undefined;
  if (body instanceof URLSearchParams) return body;
  return typeof body === 'object' && body !== null && !Array.isArray(body)
    ? (body as Record<string, unknown>)
    : undefined;
}
