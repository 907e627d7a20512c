/**
 * The Fastify adapter over the real wire: the `tesseraAuth` plugin, a `requireAuth`
 * preHandler per route, the caller in `request.auth`.
 */
import { requireAuth, tesseraAuth } from '@tessera/verify/fastify';
import Fastify from 'fastify';
import { describeAdapter, ROUTES } from './adapter-contract.js';

describeAdapter('fastify adapter', { seesFormBody: true, logsToConsole: false }, async (verifier, calls) => {
  const app = Fastify();
  await app.register(tesseraAuth);
  // Fastify parses no forms by default (@fastify/formbody does); a minimal parser stands in.
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(String(body))));
    },
  );
  // Routes in an encapsulated child: the plugin's decorator must still reach them.
  await app.register(async (child) => {
    for (const route of ROUTES) {
      child.route({
        method: route.method,
        url: route.path,
        preHandler: requireAuth(verifier, route.policy),
        handler: async (request) => calls.record(request.auth),
      });
    }
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url, close: () => app.close() };
});
