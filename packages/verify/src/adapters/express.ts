/**
 * The Express adapter (Express 4.21+ and 5): a middleware that verifies the request and
 * puts the caller's identity on `req.auth`, or answers the refusal itself.
 */
import type { RequestHandler, Response } from 'express';
import type { Identity, Refusal, ScopePolicy } from '../verification.js';
import type { Verifier } from '../verifier.js';
import { parsedFormBody, refusalHeaders, SERVER_ERROR, verifyRequestOf } from './http-mapping.js';

declare global {
  namespace Express {
    interface Request {
      /** Who is calling: set by `requireAuth` before the route handler runs. */
      auth?: Identity | undefined;
    }
  }
}

/**
 * A middleware that lets through only requests whose credential the verifier accepts and
 * whose scopes satisfy `policy`; the route handler finds the caller in `req.auth`. A refused
 * request is answered here (status, `WWW-Authenticate`, RFC 6750 JSON body) and goes no
 * further. Mount body parsers before it, so that a token sent in a form body is seen and
 * refused.
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { createVerifier } from '@tessera/verify';
 * import { requireAuth } from '@tessera/verify/express';
 *
 * const verifier = createVerifier({ issuer: 'https://auth.example.com', audience: 'billing-api' });
 * const app = express();
 * app.get('/v1/charges', requireAuth(verifier, { allOf: ['charges:read'] }), (req, res) => {
 *   res.json({ caller: req.auth?.subject });
 * });
 * ```
 */
export function requireAuth(verifier: Verifier, policy?: ScopePolicy): RequestHandler {
  return async function tesseraRequireAuth(req, res, next) {
    try {
      const request = verifyRequestOf(
        req,
        req.originalUrl,
        parsedFormBody(req.headers['content-type'], req.body),
      );
      const outcome = await verifier.verify(request, policy);
      if (!outcome.ok) {
        sendRefusal(res, outcome.refusal);
        return;
      }
      req.auth = outcome.identity;
    } catch (error) {
      // Not next(error): outside production, Express's own handler would print the stack.
      console.error(error);
      if (!res.headersSent) res.status(SERVER_ERROR.status).set(SERVER_ERROR.headers).json(SERVER_ERROR.body);
      return;
    }
    next();
  };
}

function sendRefusal(res: Response, refusal: Refusal): void {
  res.status(refusal.status).set(refusalHeaders(refusal)).json(refusal.error.toJSON());
}
