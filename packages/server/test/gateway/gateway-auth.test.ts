/**
 * The gateway in front of a real upstream, with the real authorization server issuing,
 * introspecting and revoking tokens: what is refused, how, and what reaches the upstream.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { basic, postForm, sqlite, startTestServer, type TestServer } from '../harness.js';
import {
  type Echo,
  type EchoUpstream,
  headerValues,
  json,
  patternChunks,
  type RawResponse,
  send,
  sha256Of,
  startEchoUpstream,
  startTestGateway,
  type TestGateway,
} from './gateway-harness.js';

const AUDIENCE = 'billing-api';
/** Revocations must reach the gateway within this long (the contract's bound). */
const REVOCATION_BOUND_MS = 5000;

interface Client {
  clientId: string;
  clientSecret: string;
}

describe('gateway: authenticated forwarding', () => {
  let t: TestServer;
  let upstream: EchoUpstream;
  let gw: TestGateway;
  let writer: Client;
  let reader: Client;
  let opaque: Client;

  before(async () => {
    t = await startTestServer(sqlite);
    await t.server.tessera.resourceServers.create({
      audience: AUDIENCE,
      scopes: ['charges:read', 'charges:write'],
    });
    writer = await t.createClient({ scopes: ['charges:read', 'charges:write'], audiences: [AUDIENCE] });
    reader = await t.createClient({ scopes: ['charges:read'], audiences: [AUDIENCE] });
    opaque = await t.createClient({ scopes: ['charges:read'], audiences: [AUDIENCE], tokenFormat: 'opaque' });
    const own = await t.createClient({ resourceServer: true });
    upstream = await startEchoUpstream();
    gw = await startTestGateway({
      issuer: t.issuer,
      audience: AUDIENCE,
      upstream: upstream.url,
      credentials: { client_id: own.clientId, client_secret: own.clientSecret },
      schemes: ['bearer'],
      routes: [
        { method: 'GET', path: '/v1/charges', scopes: ['charges:read'] },
        { method: 'POST', path: '/v1/charges', scopes: ['charges:write'] },
        { method: 'PUT', path: '/upload', scopes: ['charges:write'] },
        { method: 'GET', path: '/v1/me' },
        { method: 'GET', path: '/public/health', public: true },
      ],
    });
  });
  after(async () => {
    await gw?.close();
    await upstream?.close();
    await t?.close();
  });

  const tokenFor = async (client: Client, scope?: string): Promise<string> => {
    const response = await postForm(
      `${t.issuer}/token`,
      { grant_type: 'client_credentials', ...(scope ? { scope } : {}) },
      { authorization: basic(client.clientId, client.clientSecret) },
    );
    assert.equal(response.status, 200, await response.clone().text());
    return ((await response.json()) as { access_token: string }).access_token;
  };
  const bearer = (token: string) => ['Authorization', `Bearer ${token}`];
  const metadataUrl = () => `${gw.url}/.well-known/oauth-protected-resource`;

  /** A refusal: status, RFC 6750 body, a Bearer challenge naming the metadata, upstream untouched. */
  async function refused(request: Promise<RawResponse>, status: number, error: string): Promise<string> {
    const before = upstream.count();
    const response = await request;
    assert.equal(response.status, status, response.body.toString());
    assert.equal(json(response).error, error);
    const challenge = response.headers['www-authenticate'] ?? '';
    assert.match(challenge, /^Bearer /);
    assert.ok(challenge.includes(`resource_metadata="${metadataUrl()}"`), challenge);
    assert.equal(upstream.count(), before, 'a refused request reached the upstream');
    return challenge;
  }

  it('forwards a JWT-authenticated request with the identity headers, and without the credential', async () => {
    const token = await tokenFor(writer);
    assert.equal(token.split('.').length, 3);
    const response = await send(gw.url, { path: '/v1/charges?limit=1', headers: bearer(token) });
    assert.equal(response.status, 200, response.body.toString());
    const echo: Echo = json(response);
    assert.equal(echo.url, '/v1/charges?limit=1');
    assert.deepEqual(headerValues(echo.rawHeaders, 'x-auth-subject'), [writer.clientId]);
    assert.deepEqual(headerValues(echo.rawHeaders, 'x-auth-client-id'), [writer.clientId]);
    assert.deepEqual(headerValues(echo.rawHeaders, 'x-auth-scopes'), ['charges:read charges:write']);
    assert.deepEqual(headerValues(echo.rawHeaders, 'x-auth-scheme'), ['bearer']);
    assert.deepEqual(headerValues(echo.rawHeaders, 'authorization'), []);
  });

  it('forwards an opaque token checked by introspection', async () => {
    const token = await tokenFor(opaque);
    assert.equal(token.split('.').length, 2, 'expected an opaque token');
    const response = await send(gw.url, { path: '/v1/charges', headers: bearer(token) });
    assert.equal(response.status, 200, response.body.toString());
    const echo: Echo = json(response);
    assert.deepEqual(headerValues(echo.rawHeaders, 'x-auth-subject'), [opaque.clientId]);
    assert.deepEqual(headerValues(echo.rawHeaders, 'x-auth-scopes'), ['charges:read']);
    assert.deepEqual(headerValues(echo.rawHeaders, 'authorization'), []);
    await refused(
      send(gw.url, { path: '/v1/charges', headers: bearer(`${token.slice(0, -2)}AA`) }),
      401,
      'invalid_token',
    );
  });

  it('replaces every spoofed identity header, whatever its case, with the verified identity', async () => {
    const token = await tokenFor(reader);
    const response = await send(gw.url, {
      path: '/v1/charges',
      headers: [
        'X-Auth-Subject',
        'admin',
        ...bearer(token),
        'x-auth-subject',
        'root',
        'X-AUTH-CLIENT-ID',
        'spoofed',
        'x-auth-client-id',
        'spoofed-again',
        'X-Auth-Scopes',
        'charges:write',
        'x-AUTH-scopes',
        'admin',
        'X-Auth-Scheme',
        'mtls',
        'X-API-Key',
        'tk_live_x',
      ],
    });
    assert.equal(response.status, 200, response.body.toString());
    const echo: Echo = json(response);
    assert.deepEqual(headerValues(echo.rawHeaders, 'x-auth-subject'), [reader.clientId]);
    assert.deepEqual(headerValues(echo.rawHeaders, 'x-auth-client-id'), [reader.clientId]);
    assert.deepEqual(headerValues(echo.rawHeaders, 'x-auth-scopes'), ['charges:read']);
    assert.deepEqual(headerValues(echo.rawHeaders, 'x-auth-scheme'), ['bearer']);
    assert.deepEqual(headerValues(echo.rawHeaders, 'x-api-key'), []);
    assert.deepEqual(headerValues(echo.rawHeaders, 'authorization'), []);
  });

  it('asks for a token with 401 and a challenge naming the resource metadata', async () => {
    const challenge = await refused(send(gw.url, { path: '/v1/charges' }), 401, 'invalid_token');
    // RFC 6750 §3.1: no error code when no credential was sent at all.
    assert.doesNotMatch(challenge, /error=/);
    await refused(send(gw.url, { path: '/v1/me' }), 401, 'invalid_token');
  });

  it('refuses a token without the route’s scopes with 403 insufficient_scope and the scope needed', async () => {
    const token = await tokenFor(reader);
    const challenge = await refused(
      send(gw.url, { method: 'POST', path: '/v1/charges', headers: bearer(token) }),
      403,
      'insufficient_scope',
    );
    assert.match(challenge, /error="insufficient_scope"/);
    assert.match(challenge, /scope="charges:write"/);
  });

  it('accepts a valid token on a route that needs no scope', async () => {
    const token = await tokenFor(writer, 'charges:read');
    const response = await send(gw.url, { path: '/v1/me', headers: bearer(token) });
    assert.equal(response.status, 200);
    assert.deepEqual(headerValues(json(response).rawHeaders, 'x-auth-scopes'), ['charges:read']);
  });

  it('refuses a token in the query string or in a form body with 400 invalid_request', async () => {
    const token = await tokenFor(writer);
    await refused(send(gw.url, { path: `/v1/charges?access_token=${token}` }), 400, 'invalid_request');
    await refused(
      send(gw.url, { path: `/v1/charges?x=1&access_token=${token}`, headers: bearer(token) }),
      400,
      'invalid_request',
    );
    await refused(
      send(gw.url, {
        method: 'POST',
        path: '/v1/charges',
        headers: ['Content-Type', 'application/x-www-form-urlencoded; charset=utf-8'],
        body: `amount=10&access_token=${token}`,
      }),
      400,
      'invalid_request',
    );
    await refused(
      send(gw.url, {
        method: 'POST',
        path: '/v1/charges',
        headers: [...bearer(token), 'Content-Type', 'Application/X-WWW-Form-Urlencoded'],
        body: `access%5Ftoken=${token}`,
      }),
      400,
      'invalid_request',
    );
  });

  it('forwards a form body without a token as it came', async () => {
    const token = await tokenFor(writer);
    const body = 'amount=10&currency=eur&note=a%20b+c';
    const response = await send(gw.url, {
      method: 'POST',
      path: '/v1/charges',
      headers: [...bearer(token), 'Content-Type', 'application/x-www-form-urlencoded'],
      body,
    });
    assert.equal(response.status, 200);
    assert.equal(json(response).bodySha256, sha256Of([Buffer.from(body)]));
  });

  it('answers 413 to a form body over the limit on an authenticated route', async () => {
    const token = await tokenFor(writer);
    const before = upstream.count();
    const response = await send(gw.url, {
      method: 'POST',
      path: '/v1/charges',
      headers: [...bearer(token), 'Content-Type', 'application/x-www-form-urlencoded'],
      body: `note=${'a'.repeat(70 * 1024)}`,
    });
    assert.equal(response.status, 413);
    assert.equal(upstream.count(), before);
  });

  it('refuses two Authorization headers with 400', async () => {
    const token = await tokenFor(writer);
    await refused(
      send(gw.url, { path: '/v1/charges', headers: [...bearer(token), ...bearer(token)] }),
      400,
      'invalid_request',
    );
    await refused(
      send(gw.url, {
        path: '/v1/charges',
        headers: ['Authorization', `Bearer ${token}`, 'authorization', 'Basic eDp5'],
      }),
      400,
      'invalid_request',
    );
  });

  it('streams a 5 MB upload through an authenticated route', async () => {
    const token = await tokenFor(writer);
    const response = await send(gw.url, {
      method: 'PUT',
      path: '/upload',
      headers: bearer(token),
      body: patternChunks(5 * 1024 * 1024),
    });
    assert.equal(response.status, 200);
    assert.equal(json(response).bodyLength, 5 * 1024 * 1024);
    assert.equal(json(response).bodySha256, sha256Of(patternChunks(5 * 1024 * 1024)));
    assert.equal(headerValues(json(response).rawHeaders, 'x-auth-subject')[0], writer.clientId);
  });

  it('forwards a public route without identity, even with a bad token', async () => {
    const response = await send(gw.url, {
      path: '/public/health',
      headers: ['Authorization', 'Bearer garbage.garbage.garbage', 'X-Auth-Subject', 'admin'],
    });
    assert.equal(response.status, 200);
    const echo: Echo = json(response);
    for (const name of [
      'x-auth-subject',
      'x-auth-client-id',
      'x-auth-scopes',
      'x-auth-scheme',
      'authorization',
    ]) {
      assert.deepEqual(headerValues(echo.rawHeaders, name), [], name);
    }
  });

  it('refuses a revoked JWT that has not expired within 5 seconds, without restart', async () => {
    const token = await tokenFor(writer);
    assert.equal((await send(gw.url, { path: '/v1/charges', headers: bearer(token) })).status, 200);
    const revoked = await postForm(
      `${t.issuer}/revoke`,
      { token },
      { authorization: basic(writer.clientId, writer.clientSecret) },
    );
    assert.equal(revoked.status, 200);
    const deadline = Date.now() + REVOCATION_BOUND_MS;
    let status = 200;
    while (status === 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await send(gw.url, { path: '/v1/charges', headers: bearer(token) })).status;
    }
    assert.equal(status, 401, 'the revoked token was still accepted after 5 s');
    await refused(send(gw.url, { path: '/v1/charges', headers: bearer(token) }), 401, 'invalid_token');
    // Another token of the same client is still good.
    assert.equal(
      (await send(gw.url, { path: '/v1/charges', headers: bearer(await tokenFor(writer)) })).status,
      200,
    );
  });

  it('serves its protected resource metadata (RFC 9728), no token needed', async () => {
    const response = await send(gw.url, { path: '/.well-known/oauth-protected-resource' });
    assert.equal(response.status, 200);
    assert.deepEqual(json(response), {
      resource: gw.url,
      authorization_servers: [t.issuer],
      scopes_supported: ['charges:read', 'charges:write'],
      bearer_methods_supported: ['header'],
    });
  });

  it('logs the route, scheme and subject, and never the token', async () => {
    const token = await tokenFor(reader);
    await send(gw.url, { path: '/v1/charges?secret-query=1', headers: bearer(token) });
    await send(gw.url, { path: '/v1/charges', headers: bearer(`${token}x`) });
    const lines = gw
      .logs()
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line));
    assert.ok(
      lines.some(
        (line) =>
          line.route === 'GET /v1/charges' &&
          line.status === 200 &&
          line.scheme === 'bearer' &&
          line.subject === reader.clientId &&
          line.path === '/v1/charges',
      ),
    );
    assert.ok(lines.some((line) => line.route === 'GET /v1/charges' && line.status === 401));
    const logs = gw.logs();
    for (const part of token.split('.')) assert.ok(!logs.includes(part), 'a token fragment was logged');
    assert.doesNotMatch(logs, /secret-query/);
  });
});
