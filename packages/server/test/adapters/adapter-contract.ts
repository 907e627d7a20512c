/**
 * What every framework adapter must do, checked over the real wire: an app in the framework
 * under test, in front of the real authorization server, serving the routes below.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  createVerifier,
  type Identity,
  type ScopePolicy,
  type Verifier,
  type VerifyRequest,
} from '@tessera/verify';
import { basic, postForm, sqlite, startTestServer, type TestServer } from '../harness.js';

export interface Route {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly policy: ScopePolicy;
}

/** The routes every app serves, each behind its adapter with its policy, each answering {@link Echo}. */
export const ROUTES: readonly Route[] = [
  { method: 'GET', path: '/v1/charges', policy: { allOf: ['charges:read'] } },
  { method: 'POST', path: '/v1/charges', policy: { allOf: ['charges:read'] } },
  { method: 'GET', path: '/v1/refunds', policy: { allOf: ['charges:read', 'charges:write'] } },
  { method: 'GET', path: '/v1/files', policy: { anyOf: ['files:read', 'files:write'] } },
];

/** What the route handler saw of the caller; the handler answers it as JSON. */
export interface Echo {
  readonly subject: string | undefined;
  readonly clientId: string | undefined;
  readonly scopes: readonly string[] | undefined;
  readonly scheme: string | undefined;
}

/** Counts the route handler's calls: a refused request must never reach it. */
export interface HandlerCalls {
  /** Called by the route handler with what the adapter gave it; returns the body to answer. */
  record(identity: Identity | undefined): Echo;
  readonly count: number;
}

export interface RunningApp {
  readonly url: string;
  close(): Promise<void>;
}

export type StartApp = (verifier: Verifier, calls: HandlerCalls) => Promise<RunningApp>;

export interface AdapterTraits {
  /** Whether the app parses form bodies before the adapter, so that a token there is seen. */
  readonly seesFormBody: boolean;
  /** Whether an unexpected failure is logged through `console.error` (which the test silences). */
  readonly logsToConsole: boolean;
}

/** A verifier that accepts everything and records what each adapter showed it. */
export function recordingVerifier(): Verifier & {
  readonly seen: { request: VerifyRequest; policy: ScopePolicy | undefined }[];
} {
  const seen: { request: VerifyRequest; policy: ScopePolicy | undefined }[] = [];
  const identity: Identity = {
    subject: 'recorded',
    clientId: 'recorded',
    scopes: [],
    scheme: 'bearer',
    claims: {},
    confirmation: undefined,
  };
  return {
    seen,
    verify: async (request, policy) => {
      seen.push({ request, policy });
      return { ok: true, identity };
    },
    ready: async () => {},
    close() {},
  };
}

/** Listens on a loopback port; see {@link serving}. */
export function listen(server: Server): Promise<RunningApp> {
  server.listen(0, '127.0.0.1');
  return serving(server);
}

/** A server that was told to listen, once it does; `close` also ends kept-alive connections. */
export async function serving(server: Server): Promise<RunningApp> {
  if (!server.listening) await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** Sends `authorization` as two header lines, which `fetch` cannot do. */
function getWithTwoAuthorizations(
  url: string,
  values: readonly string[],
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.setHeader('authorization', values);
    req.on('error', reject);
    req.end();
  });
}

/** Declares the suite every adapter must pass. */
export function describeAdapter(name: string, traits: AdapterTraits, startApp: StartApp): void {
  describe(name, () => {
    let t: TestServer;
    let verifier: Verifier;
    let app: RunningApp;
    let service: { clientId: string; clientSecret: string };
    let jwt: string;
    let opaque: string;
    let handlerCalls = 0;
    const calls: HandlerCalls = {
      record(identity) {
        handlerCalls++;
        return {
          subject: identity?.subject,
          clientId: identity?.clientId,
          scopes: identity?.scopes,
          scheme: identity?.scheme,
        };
      },
      get count() {
        return handlerCalls;
      },
    };

    const issue = async (resource: string) => {
      const response = await postForm(
        `${t.issuer}/token`,
        { grant_type: 'client_credentials', resource },
        { authorization: basic(service.clientId, service.clientSecret) },
      );
      assert.equal(response.status, 200, await response.clone().text());
      return ((await response.json()) as { access_token: string }).access_token;
    };

    before(async () => {
      t = await startTestServer(sqlite);
      await t.server.tessera.resourceServers.create({
        audience: 'billing-api',
        scopes: ['charges:read', 'charges:write'],
      });
      await t.server.tessera.resourceServers.create({
        audience: 'files-api',
        scopes: ['files:read'],
        tokenFormat: 'opaque',
      });
      service = await t.createClient({
        scopes: ['charges:read', 'files:read'],
        audiences: ['billing-api', 'files-api'],
      });
      const gateway = await t.createClient({ resourceServer: true });
      verifier = createVerifier({
        issuer: t.issuer,
        audience: ['billing-api', 'files-api'],
        credentials: gateway,
      });
      await verifier.ready();
      jwt = await issue('billing-api');
      opaque = await issue('files-api');
      app = await startApp(verifier, calls);
    });
    after(async () => {
      await app?.close();
      verifier?.close();
      await t?.close();
    });

    /** Sends a request the adapter must refuse, and checks that the handler never ran. */
    async function refused(
      path: string,
      init: RequestInit,
      status: number,
    ): Promise<{ challenge: string; body: Record<string, unknown> }> {
      const before = calls.count;
      const response = await fetch(`${app.url}${path}`, init);
      const text = await response.text();
      assert.equal(response.status, status, text);
      assert.equal(calls.count, before, 'the route handler ran for a refused request');
      assert.equal(response.headers.get('cache-control'), 'no-store');
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
      const challenge = response.headers.get('www-authenticate');
      assert.ok(challenge !== null, 'no WWW-Authenticate challenge');
      assert.match(challenge, /^Bearer\b/);
      return { challenge, body: JSON.parse(text) as Record<string, unknown> };
    }

    const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

    it('lets a valid JWT through and hands the handler the caller', async () => {
      const before = calls.count;
      const response = await fetch(`${app.url}/v1/charges`, bearer(jwt));
      assert.equal(response.status, 200, await response.clone().text());
      assert.deepEqual(await response.json(), {
        subject: service.clientId,
        clientId: service.clientId,
        scopes: ['charges:read'],
        scheme: 'bearer',
      });
      assert.equal(calls.count, before + 1);
    });

    it('lets a valid opaque token through, checked by introspection', async () => {
      const response = await fetch(`${app.url}/v1/files`, bearer(opaque));
      assert.equal(response.status, 200, await response.clone().text());
      const echo = (await response.json()) as Echo;
      assert.equal(echo.subject, service.clientId);
      assert.deepEqual(echo.scopes, ['files:read']);
    });

    it('challenges a request without a credential: 401, no error code in the challenge', async () => {
      const { challenge, body } = await refused('/v1/charges', {}, 401);
      assert.doesNotMatch(challenge, /error=/);
      assert.equal(typeof body.error, 'string');
    });

    it('refuses a malformed and a tampered token with 401 invalid_token', async () => {
      const tampered = `${jwt.slice(0, -2)}${jwt.endsWith('AA') ? 'BB' : 'AA'}`;
      for (const token of ['a.b.c', 'not-a-jwt', tampered]) {
        const { challenge, body } = await refused('/v1/charges', bearer(token), 401);
        assert.match(challenge, /error="invalid_token"/);
        assert.equal(body.error, 'invalid_token');
      }
    });

    it('refuses a token without the route’s scope with 403 insufficient_scope, naming the scope', async () => {
      const { challenge, body } = await refused('/v1/refunds', bearer(jwt), 403);
      assert.match(challenge, /error="insufficient_scope"/);
      assert.match(challenge, /scope="charges:write"/);
      assert.equal(body.error, 'insufficient_scope');
    });

    it('refuses a token in the query string with 400, with or without a header', async () => {
      for (const init of [{}, bearer(jwt)]) {
        const { challenge, body } = await refused(`/v1/charges?page=2&access_token=${jwt}`, init, 400);
        assert.match(challenge, /error="invalid_request"/);
        assert.equal(body.error, 'invalid_request');
        assert.ok(!challenge.includes(jwt) && !JSON.stringify(body).includes(jwt), 'the token is echoed');
      }
    });

    it('refuses two Authorization headers with 400', async () => {
      const before = calls.count;
      const { status, body } = await getWithTwoAuthorizations(`${app.url}/v1/charges`, [
        `Bearer ${jwt}`,
        `Bearer ${jwt}`,
      ]);
      assert.equal(status, 400, body);
      assert.equal((JSON.parse(body) as { error: string }).error, 'invalid_request');
      assert.equal(calls.count, before, 'the route handler ran for a refused request');
    });

    it(
      traits.seesFormBody
        ? 'refuses a token in a form body with 400, and lets other forms through'
        : 'does not read form bodies: a token there is no credential (401)',
      async () => {
        const form = (fields: Record<string, string>, token?: string) => ({
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
          },
          body: new URLSearchParams(fields).toString(),
        });
        const { body } = await refused(
          '/v1/charges',
          form({ amount: '10', access_token: jwt }),
          traits.seesFormBody ? 400 : 401,
        );
        assert.equal(body.error, traits.seesFormBody ? 'invalid_request' : 'invalid_token');
        const accepted = await fetch(`${app.url}/v1/charges`, form({ amount: '10' }, jwt));
        assert.equal(accepted.status, 200, await accepted.clone().text());
        assert.equal(((await accepted.json()) as Echo).subject, service.clientId);
      },
    );

    it('shows the verifier the request as it was received, with the route’s policy', async () => {
      const recording = recordingVerifier();
      const recordingApp = await startApp(recording, calls);
      try {
        const target = '/v1/charges?page=2&q=a%2Fb';
        const response = await fetch(`${recordingApp.url}${target}`, {
          headers: { authorization: 'Bearer abc', 'X-Trace': 'xyz' },
        });
        assert.equal(response.status, 200, await response.clone().text());
        assert.equal(((await response.json()) as Echo).subject, 'recorded');
        assert.equal(recording.seen.length, 1);
        const [{ request, policy }] = recording.seen as [(typeof recording.seen)[number]];
        assert.equal(request.method, 'GET');
        assert.equal(request.url, target);
        assert.equal(request.headers.authorization, 'Bearer abc');
        assert.equal(request.headers['x-trace'], 'xyz');
        const rawNames = (request.rawHeaders ?? []).filter((_, index) => index % 2 === 0);
        assert.ok(
          rawNames.some((name) => name.toLowerCase() === 'authorization'),
          'no rawHeaders',
        );
        assert.deepEqual(policy, { allOf: ['charges:read'] });
      } finally {
        await recordingApp.close();
      }
    });

    it('answers a failure inside the adapter with a 500 that says nothing of it', async (test) => {
      if (traits.logsToConsole) test.mock.method(console, 'error', () => {});
      const broken: Verifier = {
        verify: () => Promise.reject(new Error('boom: /etc/secret-path')),
        ready: async () => {},
        close() {},
      };
      const brokenApp = await startApp(broken, calls);
      try {
        const before = calls.count;
        const response = await fetch(`${brokenApp.url}/v1/charges`, bearer(jwt));
        const text = await response.text();
        assert.equal(response.status, 500, text);
        assert.doesNotMatch(text, /boom|secret-path|\bat\b/);
        assert.equal(calls.count, before, 'the route handler ran after a failure');
      } finally {
        await brokenApp.close();
      }
    });
  });
}
