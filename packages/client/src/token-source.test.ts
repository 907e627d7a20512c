/**
 * What a real authorization server will not do on request: lie about its issuer, answer
 * garbage, fail, echo the secret. A local `node:http` fake plays those parts; the happy
 * paths run against the real server in packages/server/test/client/token-source.test.ts.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { inspect } from 'node:util';
import { createTokenSource, TokenRequestError, type TokenSourceOptions } from './token-source.js';

const SECRET = 'sEcReT+/ with spaces & symbols=%';

interface Seen {
  readonly method: string;
  readonly path: string;
  readonly authorization: string | undefined;
  readonly form: URLSearchParams;
}

type Handler = (req: IncomingMessage, res: ServerResponse, form: URLSearchParams) => void;

describe('createTokenSource against a fake authorization server', () => {
  let issuer = '';
  let seen: Seen[] = [];
  let metadata: (issuer: string) => unknown;
  let token: Handler;

  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    seen.push({
      method: req.method ?? '',
      path: req.url ?? '',
      authorization: req.headers.authorization,
      form,
    });
    if (req.url === '/.well-known/oauth-authorization-server') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(metadata(issuer)));
    } else if (req.url === '/token' && req.method === 'POST') {
      token(req, res, form);
    } else {
      res.writeHead(404).end();
    }
  });
  const json = (res: ServerResponse, status: number, body: unknown) =>
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const options = (extra: Partial<TokenSourceOptions> = {}): TokenSourceOptions => ({
    issuer,
    clientId: 'client-1',
    clientSecret: SECRET,
    ...extra,
  });
  const tokenRequests = () => seen.filter((request) => request.path === '/token');

  before(async () => {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());
  beforeEach(() => {
    seen = [];
    metadata = (name) => ({ issuer: name, token_endpoint: `${name}/token` });
    token = (_req, res) => json(res, 200, { access_token: 'at-1', token_type: 'Bearer', expires_in: 300 });
  });

  async function rejection(promise: Promise<unknown>): Promise<TokenRequestError> {
    const error = await promise.then(
      () => assert.fail('expected a rejection'),
      (reason: unknown) => reason,
    );
    assert.ok(error instanceof TokenRequestError, String(error));
    const texts = [
      error.message,
      String(error),
      error.stack ?? '',
      inspect(error, { depth: 5 }),
      JSON.stringify(error),
    ];
    for (const text of texts) {
      assert.ok(!text.includes(SECRET), 'the secret leaked into the error');
      assert.ok(!text.includes(encodeURIComponent(SECRET)), 'the encoded secret leaked into the error');
    }
    return error;
  }

  it('sends the client_credentials grant with Basic credentials form-encoded (RFC 6749 §2.3.1)', async () => {
    const source = createTokenSource(
      options({ scope: ['a:read', 'b:write'], resource: ['api-1', 'https://api-2'] }),
    );
    assert.equal(await source.getToken(), 'at-1');
    const [request] = tokenRequests();
    assert.ok(request);
    assert.equal(request.form.get('grant_type'), 'client_credentials');
    assert.equal(request.form.get('scope'), 'a:read b:write');
    assert.deepEqual(request.form.getAll('resource'), ['api-1', 'https://api-2']);
    assert.equal(request.form.get('client_secret'), null);
    const decoded = Buffer.from((request.authorization ?? '').replace(/^Basic /, ''), 'base64').toString(
      'utf8',
    );
    const [id = '', secret = ''] = decoded.split(':');
    const formDecode = (text: string) => decodeURIComponent(text.replaceAll('+', ' '));
    assert.equal(formDecode(id), 'client-1');
    assert.equal(formDecode(secret), SECRET);
    assert.ok(!secret.includes(' ') && !secret.includes('&'), 'the secret is encoded before base64');
  });

  it('sends client_secret_post credentials in the body, and no Authorization header', async () => {
    const source = createTokenSource(options({ authMethod: 'client_secret_post', scope: 'a:read' }));
    await source.getToken();
    const [request] = tokenRequests();
    assert.equal(request?.authorization, undefined);
    assert.equal(request?.form.get('client_id'), 'client-1');
    assert.equal(request?.form.get('client_secret'), SECRET);
    assert.equal(request?.form.get('scope'), 'a:read');
  });

  it('discovers at the RFC 8414 path of an issuer with a path', async () => {
    const requested: string[] = [];
    const fetchSpy: typeof fetch = async (input, init) => {
      requested.push(String(input));
      return fetch(input, init);
    };
    metadata = (name) => ({ issuer: `${name}/tenant-a`, token_endpoint: `${name}/token` });
    const source = createTokenSource(options({ issuer: `${issuer}/tenant-a`, fetch: fetchSpy }));
    await source.getToken().catch(() => {});
    assert.equal(requested[0], `${issuer}/.well-known/oauth-authorization-server/tenant-a`);
  });

  it('refuses metadata that names another issuer, and asks for no token', async () => {
    metadata = () => ({ issuer: 'https://evil.example', token_endpoint: 'https://evil.example/token' });
    const error = await rejection(createTokenSource(options()).getToken());
    assert.equal(error.error, 'invalid_response');
    assert.match(error.message, /another issuer/);
    assert.equal(tokenRequests().length, 0);
  });

  it('refuses a token endpoint over plain http off loopback', async () => {
    metadata = (name) => ({ issuer: name, token_endpoint: 'http://auth.example/token' });
    const error = await rejection(createTokenSource(options()).getToken());
    assert.equal(error.error, 'invalid_response');
    assert.match(error.message, /not https/);
  });

  it('surfaces the RFC error and a clean description, never an echoed secret', async () => {
    token = (_req, res) =>
      json(res, 400, { error: 'invalid_scope', error_description: 'Scope b:write is not allowed.' });
    const scoped = await rejection(createTokenSource(options()).getToken());
    assert.equal(scoped.error, 'invalid_scope');
    assert.equal(scoped.status, 400);
    assert.equal(scoped.errorDescription, 'Scope b:write is not allowed.');
    assert.match(scoped.message, /invalid_scope/);

    token = (_req, res) =>
      json(res, 401, { error: 'invalid_client', error_description: `bad secret ${SECRET}` });
    const echoed = await rejection(createTokenSource(options()).getToken());
    assert.equal(echoed.error, 'invalid_client');
    assert.equal(echoed.errorDescription, undefined);
  });

  it('maps answers without an OAuth error to its own codes', async () => {
    const cases: [Handler, string][] = [
      [(_req, res) => res.writeHead(502).end('<html>bad gateway</html>'), 'server_error'],
      [(_req, res) => res.writeHead(503).end(), 'temporarily_unavailable'],
      [(_req, res) => res.writeHead(403).end('nope'), 'invalid_response'],
      [(_req, res) => json(res, 200, { token_type: 'Bearer', expires_in: 60 }), 'invalid_response'],
      [
        (_req, res) => json(res, 200, { access_token: 'has space', token_type: 'Bearer' }),
        'invalid_response',
      ],
      [
        (_req, res) => json(res, 200, { access_token: 'at', token_type: 'DPoP', expires_in: 60 }),
        'invalid_response',
      ],
      [
        (_req, res) => json(res, 200, { access_token: 'at', token_type: 'Bearer', expires_in: -5 }),
        'invalid_response',
      ],
      [(_req, res) => json(res, 200, ['not', 'an', 'object']), 'invalid_response'],
      [(_req, res) => res.writeHead(200).end('x'.repeat(100_000)), 'invalid_response'],
      [(_req, res) => res.writeHead(302, { location: `${issuer}/token` }).end(), 'network_error'],
      [(_req, res) => res.destroy(), 'network_error'],
    ];
    for (const [handler, expected] of cases) {
      token = handler;
      const error = await rejection(createTokenSource(options()).getToken());
      assert.equal(error.error, expected, `${handler}`);
    }
  });

  it('never puts the token in an error, even in a broken response', async () => {
    token = (_req, res) => json(res, 200, { access_token: 'at-secret-token', token_type: 'mac' });
    const error = await rejection(createTokenSource(options()).getToken());
    assert.ok(!inspect(error).includes('at-secret-token'));
  });

  it('reports an unreachable server as a network_error', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    await once(closed, 'close');
    const error = await rejection(
      createTokenSource(options({ issuer: `http://127.0.0.1:${port}` })).getToken(),
    );
    assert.equal(error.error, 'network_error');
  });

  it('uses a token without expires_in once, and does not cache it', async () => {
    let count = 0;
    token = (_req, res) => json(res, 200, { access_token: `at-${++count}`, token_type: 'bearer' });
    const source = createTokenSource(options());
    assert.equal(await source.getToken(), 'at-1');
    assert.equal(await source.getToken(), 'at-2');
  });

  it('accepts expires_in as a string of digits', async () => {
    token = (_req, res) => json(res, 200, { access_token: 'at-1', token_type: 'Bearer', expires_in: '120' });
    const source = createTokenSource(options());
    await source.getToken();
    await source.getToken();
    assert.equal(tokenRequests().length, 1);
  });

  it('keeps a short-lived token for half its life even when the skew exceeds it', async () => {
    let clock = 1_000_000;
    let count = 0;
    token = (_req, res) =>
      json(res, 200, { access_token: `at-${++count}`, token_type: 'Bearer', expires_in: 20 });
    const source = createTokenSource(options({ refreshSkewSeconds: 30, now: () => clock }));
    assert.equal(await source.getToken(), 'at-1');
    clock += 9_999;
    assert.equal(await source.getToken(), 'at-1');
    clock += 1;
    assert.equal(await source.getToken(), 'at-2');
  });

  it('invalidate(token) forgets only that token, not a newer one', async () => {
    let count = 0;
    token = (_req, res) =>
      json(res, 200, { access_token: `at-${++count}`, token_type: 'Bearer', expires_in: 300 });
    const source = createTokenSource(options());
    const first = await source.getToken();
    // Two API calls were refused with the first token; both callers invalidate it.
    source.invalidate(first);
    const second = await source.getToken();
    source.invalidate(first);
    assert.equal(await source.getToken(), second);
    assert.equal(tokenRequests().length, 2);
    source.invalidate();
    assert.equal(await source.getToken(), 'at-3');
  });

  it('shares a failure among concurrent callers, and tries again on the next call', async () => {
    token = (_req, res) => json(res, 401, { error: 'invalid_client' });
    const source = createTokenSource(options());
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => source.getToken()));
    assert.ok(results.every((result) => result.status === 'rejected'));
    assert.equal(tokenRequests().length, 1);
    token = (_req, res) => json(res, 200, { access_token: 'at-ok', token_type: 'Bearer', expires_in: 60 });
    assert.equal(await source.getToken(), 'at-ok');
    assert.equal(tokenRequests().length, 2);
    // The endpoint answered an OAuth error: it exists, so it was not discovered again.
    assert.equal(seen.filter((request) => request.path.startsWith('/.well-known/')).length, 1);
  });

  it('discovers again after the token endpoint failed without an OAuth answer', async () => {
    const failures: Handler[] = [
      (_req, res) => res.destroy(),
      (_req, res) => res.writeHead(404).end(),
      (_req, res) => res.writeHead(500).end(),
    ];
    for (const failure of failures) {
      seen = [];
      token = failure;
      const source = createTokenSource(options());
      await rejection(source.getToken());
      token = (_req, res) => json(res, 200, { access_token: 'at-ok', token_type: 'Bearer', expires_in: 60 });
      assert.equal(await source.getToken(), 'at-ok');
      assert.equal(
        seen.filter((request) => request.path.startsWith('/.well-known/')).length,
        2,
        `${failure}`,
      );
    }
  });

  it('does not remember a failed discovery', async () => {
    metadata = () => ({ issuer: 'https://other.example' });
    const source = createTokenSource(options());
    await rejection(source.getToken());
    metadata = (name) => ({ issuer: name, token_endpoint: `${name}/token` });
    assert.equal(await source.getToken(), 'at-1');
  });

  it('keeps the secret out of its own inspection', () => {
    const source = createTokenSource(options());
    assert.ok(!inspect(source, { depth: 10, showHidden: true }).includes(SECRET));
    assert.ok(!JSON.stringify(source).includes(SECRET));
  });
});

describe('createTokenSource options', () => {
  const base: TokenSourceOptions = {
    issuer: 'https://auth.example.com',
    clientId: 'c',
    clientSecret: SECRET,
  };

  it('accepts https issuers, and plain http on loopback', () => {
    for (const issuer of [
      'https://auth.example.com',
      'https://auth.example.com/tenant',
      'http://localhost:8080',
      'http://127.0.0.1:3000',
      'http://[::1]:3000',
    ]) {
      assert.doesNotThrow(() => createTokenSource({ ...base, issuer }), issuer);
    }
    assert.doesNotThrow(() =>
      createTokenSource({ ...base, issuer: 'http://auth.internal', allowInsecureHttpIssuer: true }),
    );
  });

  it('refuses bad options with a TypeError that never holds the secret', () => {
    const bad: Partial<Record<keyof TokenSourceOptions, unknown>>[] = [
      { issuer: 'http://auth.example.com' },
      { issuer: 'ftp://auth.example.com' },
      { issuer: 'auth.example.com' },
      { issuer: 'https://auth.example.com/?tenant=a' },
      { issuer: 'https://auth.example.com/#x' },
      { clientId: '' },
      { clientSecret: '' },
      { clientSecret: 42 },
      { scope: 'a  b' },
      { scope: 'a\tb' },
      { scope: ['a b'] },
      { resource: '' },
      { resource: ['ok', 7] },
      { authMethod: 'private_key_jwt' },
      { refreshSkewSeconds: -1 },
      { refreshSkewSeconds: Number.NaN },
      { timeoutMs: 0 },
      { fetch: 'fetch' },
      { now: 5 },
    ];
    for (const override of bad) {
      assert.throws(
        () => createTokenSource({ ...base, ...override } as TokenSourceOptions),
        (error: unknown) => error instanceof TypeError && !error.message.includes(SECRET),
        JSON.stringify(override),
      );
    }
  });
});
