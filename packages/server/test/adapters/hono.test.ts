/**
 * The Hono adapter over the real wire, on @hono/node-server: `requireAuth` in front of each
 * route, the caller in `c.get('auth')`.
 */
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { it } from 'node:test';
import { serve } from '@hono/node-server';
import { requireAuth } from '@tessera/verify/hono';
import { Hono } from 'hono';
import { describeAdapter, ROUTES, recordingVerifier, serving } from './adapter-contract.js';

describeAdapter('hono adapter', { seesFormBody: true, logsToConsole: true }, async (verifier, calls) => {
  const app = new Hono();
  // Hono reads bodies lazily; an app that reads forms does so before the adapter, as here.
  app.use('*', async (c, next) => {
    if (c.req.header('content-type')?.startsWith('application/x-www-form-urlencoded'))
      await c.req.parseBody();
    await next();
  });
  for (const route of ROUTES) {
    app.on(route.method, route.path, requireAuth(verifier, route.policy), (c) =>
      c.json(calls.record(c.get('auth'))),
    );
  }
  return serving(serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server);
});

it('hono adapter: without Node underneath, shows the verifier the Fetch request', async () => {
  const recording = recordingVerifier();
  const app = new Hono();
  app.get('/v1/charges', requireAuth(recording), (c) => c.json({ subject: c.get('auth').subject }));
  const response = await app.request('http://api.example.com/v1/charges?page=2', {
    headers: { authorization: 'Bearer abc' },
  });
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { subject: 'recorded' });
  assert.equal(recording.seen.length, 1);
  const request = recording.seen[0]?.request;
  assert.equal(request?.method, 'GET');
  assert.equal(request?.url, '/v1/charges?page=2');
  assert.equal(request?.headers.authorization, 'Bearer abc');
  assert.equal(request?.rawHeaders, undefined);
});
