/**
 * The answers the gateway gives itself, rather than the upstream: JSON bodies in the RFC 6749
 * §5.2 shape, never with internal detail.
 */
import type { ServerResponse } from 'node:http';
import { hasBody } from './verify-request.js';

export interface GatewayError {
  readonly status: number;
  readonly error: string;
  readonly description: string;
}

/** The gateway's own failures. */
export const GATEWAY_ERRORS = {
  notFound: { status: 404, error: 'not_found', description: 'There is nothing here.' },
  formBodyTooLarge: {
    status: 413,
    error: 'invalid_request',
    description: 'The body is too large to check.',
  },
  badGateway: {
    status: 502,
    error: 'bad_gateway',
    description: 'The upstream service could not be reached.',
  },
  gatewayTimeout: {
    status: 504,
    error: 'gateway_timeout',
    description: 'The upstream service did not answer in time.',
  },
  internal: { status: 500, error: 'server_error', description: 'The request could not be handled.' },
} as const satisfies Record<string, GatewayError>;

/**
 * Sends a JSON answer. When the caller's body has not been read to its end, the connection
 * is closed after the answer, rather than read through or left stuck mid-body.
 *
 * @example sendJson(res, 404, { error: 'not_found', error_description: 'There is nothing here.' });
 */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...(res.req.complete || !hasBody(res.req) ? {} : { connection: 'close' }),
    ...headers,
  });
  res.end(res.req.method === 'HEAD' ? undefined : text);
}

/**
 * Sends one of {@link GATEWAY_ERRORS}.
 *
 * @example sendError(res, GATEWAY_ERRORS.notFound);
 */
export function sendError(res: ServerResponse, failure: GatewayError): void {
  sendJson(res, failure.status, { error: failure.error, error_description: failure.description });
}
