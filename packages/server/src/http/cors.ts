import type { FastifyInstance } from 'fastify';
import { PATHS } from '../endpoints/paths.js';

/**
 * Endpoints a single-page app calls from the browser (RFC 8252's browser-based public
 * clients): they answer any origin, without cookies. Each takes its credentials explicitly
 * (client authentication, a Bearer token), never from the browser's ambient state, so a
 * wildcard origin grants nothing a script could not already send.
 */
const CROSS_ORIGIN_PATHS: readonly string[] = [
  PATHS.token,
  PATHS.revocation,
  PATHS.userinfo,
  PATHS.jwks,
  PATHS.oauthMetadata,
  PATHS.openidMetadata,
];

export function allowCrossOriginCalls(app: FastifyInstance): void {
  app.addHook('onSend', (request, reply, payload, done) => {
    if (
      request.headers.origin !== undefined &&
      CROSS_ORIGIN_PATHS.includes(request.url.split('?', 1)[0] ?? '')
    ) {
      void reply.header('access-control-allow-origin', '*');
      void reply.header('access-control-expose-headers', 'www-authenticate, dpop-nonce');
    }
    done(null, payload);
  });
  for (const path of CROSS_ORIGIN_PATHS) {
    app.options(path, async (_request, reply) =>
      reply
        .status(204)
        .headers({
          'access-control-allow-origin': '*',
          'access-control-allow-methods': 'GET, POST',
          'access-control-allow-headers': 'authorization, content-type, dpop',
          'access-control-max-age': '600',
        })
        .send(),
    );
  }
}
