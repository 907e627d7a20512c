/**
 * The `node:http` adapter: verify a Node request, answer a refusal, or wrap a request
 * listener so that it only ever sees verified callers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Identity, Refusal, ScopePolicy, VerifyOutcome } from '../verification.js';
import type { Verifier } from '../verifier.js';
import { refusalHeaders, SERVER_ERROR, verifyRequestOf } from './http-mapping.js';

/** A request listener that also receives the verified caller. */
export type AuthenticatedListener = (
  req: IncomingMessage,
  res: ServerResponse,
  identity: Identity,
) => unknown;

/**
 * Verifies the request's credential and `policy`. Never throws, like `verifier.verify`. The
 * body is not read: a server that parses form bodies itself should call `verifier.verify`
 * with `formBody`, so that a token sent there is refused.
 *
 * @example
 * ```ts
 * const outcome = await authenticate(verifier, req, { allOf: ['charges:read'] });
 * if (!outcome.ok) return sendRefusal(res, outcome.refusal);
 * console.log(outcome.identity.subject);
 * ```
 */
export function authenticate(
  verifier: Verifier,
  req: IncomingMessage,
  policy?: ScopePolicy,
): Promise<VerifyOutcome> {
  return verifier.verify(verifyRequestOf(req, req.url, undefined), policy);
}

/**
 * Answers a refusal: its status, `WWW-Authenticate` challenge, `Cache-Control: no-store` and
 * RFC 6750 JSON body.
 *
 * @example
 * ```ts
 * if (!outcome.ok) return sendRefusal(res, outcome.refusal);
 * ```
 */
export function sendRefusal(res: ServerResponse, refusal: Refusal): void {
  sendJson(res, refusal.status, refusalHeaders(refusal), refusal.error.toJSON());
}

/**
 * Wraps a request listener for `http.createServer`: it is called only for requests that pass
 * `policy`, with the caller as third argument; every other request gets its refusal. A
 * failure in the listener or here is logged and answered with a 500 that says nothing of it.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { createVerifier } from '@tessera/verify';
 * import { withAuth } from '@tessera/verify/node';
 *
 * const verifier = createVerifier({ issuer: 'https://auth.example.com', audience: 'billing-api' });
 * createServer(
 *   withAuth(verifier, (req, res, identity) => res.end(`hello ${identity.subject}`), { allOf: ['charges:read'] }),
 * ).listen(3000);
 * ```
 */
export function withAuth(
  verifier: Verifier,
  listener: AuthenticatedListener,
  policy?: ScopePolicy,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    serve(verifier, listener, policy, req, res).catch((error: unknown) => {
      console.error(error);
      if (!res.headersSent) sendJson(res, SERVER_ERROR.status, SERVER_ERROR.headers, SERVER_ERROR.body);
      else if (!res.writableEnded) res.destroy();
    });
  };
}

async function serve(
  verifier: Verifier,
  listener: AuthenticatedListener,
  policy: ScopePolicy | undefined,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const outcome = await authenticate(verifier, req, policy);
  if (!outcome.ok) {
    sendRefusal(res, outcome.refusal);
    return;
  }
  await listener(req, res, outcome.identity);
}

function sendJson(
  res: ServerResponse,
  status: number,
  headers: Readonly<Record<string, string>>,
  body: unknown,
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(res.req?.method === 'HEAD' ? undefined : text);
}
