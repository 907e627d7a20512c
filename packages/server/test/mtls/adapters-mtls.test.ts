/**
 * Every framework adapter of `@tessera/verify`, served over HTTPS that asks for client
 * certificates: the verifier is shown the certificate and whether the handshake trusted it.
 */
import assert from 'node:assert/strict';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { serve } from '@hono/node-server';
import { requireAuth as expressAuth } from '@tessera/verify/express';
import { requireAuth as fastifyAuth, tesseraAuth } from '@tessera/verify/fastify';
import { requireAuth as honoAuth } from '@tessera/verify/hono';
import { withAuth } from '@tessera/verify/node';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { recordingVerifier } from '../adapters/adapter-contract.js';
import { type Made, makeTestCertificates, type TestCertificates } from './certificates.js';

type Recording = ReturnType<typeof recordingVerifier>;
interface App {
  readonly url: string;
  close(): Promise<void>;
}

let certs: TestCertificates;
before(() => {
  certs = makeTestCertificates();
});
after(() => certs?.remove());

const tls = () => ({
  cert: certs.server.cert,
  key: certs.server.key,
  ca: certs.ca.cert,
  requestCert: true,
  rejectUnauthorized: false,
});

async function listening(server: import('node:https').Server): Promise<App> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const APPS: Record<string, (verifier: Recording) => Promise<App>> = {
  express: async (verifier) => {
    const app = express();
    app.get('/v1/orders', expressAuth(verifier), (_req, res) => {
      res.json({});
    });
    return listening(createHttpsServer(tls(), app));
  },
  fastify: async (verifier) => {
    const app = Fastify({ https: tls() });
    await app.register(tesseraAuth);
    app.get('/v1/orders', { preHandler: fastifyAuth(verifier) }, async () => ({}));
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    return { url, close: () => app.close() };
  },
  'node:http': async (verifier) =>
    listening(
      createHttpsServer(
        tls(),
        withAuth(verifier, (_req, res) => res.end('{}')),
      ),
    ),
  hono: async (verifier) => {
    const app = new Hono();
    app.get('/v1/orders', honoAuth(verifier), (c) => c.json({}));
    const server = serve({
      fetch: app.fetch,
      port: 0,
      hostname: '127.0.0.1',
      createServer: createHttpsServer,
      serverOptions: tls(),
    });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    return {
      url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () => new Promise((resolve) => server.close(() => resolve())),
    };
  },
};

function get(url: string, client: Made | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    httpsRequest(
      `${url}/v1/orders`,
      { ca: certs.ca.cert, agent: false, ...(client ? { cert: client.cert, key: client.key } : {}) },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    )
      .on('error', reject)
      .end();
  });
}

for (const [name, start] of Object.entries(APPS)) {
  describe(`${name} adapter over mutual TLS`, () => {
    it('shows the verifier the client certificate, and whether the handshake trusted it', async () => {
      const verifier = recordingVerifier();
      const app = await start(verifier);
      try {
        for (const [client, trusted] of [
          [certs.orders, true],
          [certs.foreign, false],
          [certs.expired, false],
          [undefined, undefined],
        ] as const) {
          assert.equal(await get(app.url, client), 200);
          const request = verifier.seen.at(-1)?.request;
          assert.deepEqual(
            request?.clientCertificate === undefined ? undefined : Buffer.from(request.clientCertificate),
            client?.der,
          );
          assert.equal(request?.clientCertificateTrusted, trusted);
        }
      } finally {
        await app.close();
      }
    });
  });
}
