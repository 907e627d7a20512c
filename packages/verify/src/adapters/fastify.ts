/**
 * The Fastify adapter (Fastify 5): a plugin that declares `request.auth`, and a `preHandler`
 * hook per policy that verifies the request or answers the refusal itself.
 */
import type { FastifyPluginCallback, preHandlerAsyncHookHandler } from 'fastify';
import type { Identity, ScopePolicy } from '../verification.js';
import type { Verifier } from '../verifier.js';
import { parsedFormBody, refusalHeaders, SERVER_ERROR, verifyRequestOf } from './http-mapping.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling: set by `requireAuth` before the route handler runs. */
    auth: Identity | undefined;
  }
}

const register: FastifyPluginCallback = (app, _options, done) => {
  if (!app.hasRequestDecorator('auth')) app.decorateRequest('auth', undefined);
  done();
};

/**
 * The plugin that declares `request.auth` (Fastify wants request properties declared up
 * front). It is not encapsulated: registered once on the root instance, it serves every
 * route.
 *
 * @example
 * ```ts
 * await app.register(tesseraAuth);
 * ```
 */
export const tesseraAuth: FastifyPluginCallback = Object.assign(register, {
  // What `fastify-plugin` sets, without depending on it: the decorator reaches the parent scope.
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: '@tessera/verify',
});

/**
 * A `preHandler` hook that lets through only requests whose credential the verifier accepts
 * and whose scopes satisfy `policy`; the route handler finds the caller in `request.auth`.
 * A refused request is answered here (status, `WWW-Authenticate`, RFC 6750 JSON body) and
 * goes no further. As a `preHandler` it runs after body parsing, so a token sent in a form
 * body (when a form parser is registered) is seen and refused.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { createVerifier } from '@tessera/verify';
 * import { requireAuth, tesseraAuth } from '@tessera/verify/fastify';
 *
 * const verifier = createVerifier({ issuer: 'https://auth.example.com', audience: 'billing-api' });
 * const app = Fastify();
 * await app.register(tesseraAuth);
 * app.get('/v1/charges', { preHandler: requireAuth(verifier, { allOf: ['charges:read'] }) }, async (request) => ({
 *   caller: request.auth?.subject,
 * }));
 * ```
 */
export function requireAuth(verifier: Verifier, policy?: ScopePolicy): preHandlerAsyncHookHandler {
  return async function tesseraRequireAuth(request, reply) {
    try {
      const outcome = await verifier.verify(
        verifyRequestOf(
          request.raw,
          request.raw.url,
          parsedFormBody(request.headers['content-type'], request.body),
        ),
        policy,
      );
      if (!outcome.ok) {
        const { refusal } = outcome;
        return reply.code(refusal.status).headers(refusalHeaders(refusal)).send(refusal.error.toJSON());
      }
      request.auth = outcome.identity;
    } catch (error) {
      // Not thrown on: Fastify's default error handler would send the error's message.
      request.log.error({ err: error }, 'Tessera could not check the credentials');
      return reply.code(SERVER_ERROR.status).headers(SERVER_ERROR.headers).send(SERVER_ERROR.body);
    }
  };
}
