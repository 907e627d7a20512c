/**
 * The client-credentials token source of @tessera/client against the real authorization
 * server: discovery, the token it gets, caching, single-flight, renewal and refusals.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { inspect } from 'node:util';
import { createTokenSource, TokenRequestError, type TokenSourceOptions } from '@tessera/client';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { describeEachDatabase, startTestServer, type TestServer } from '../harness.js';

/** A `fetch` that counts what it is asked for, by path. */
function countingFetch() {
  const calls: string[] = [];
  const counted: typeof fetch = (input, init) => {
    calls.push(new URL(input instanceof Request ? input.url : String(input)).pathname);
    return fetch(input, init);
  };
  return {
    fetch: counted,
    tokenRequests: () => calls.filter((path) => !path.startsWith('/.well-known/')).length,
    discoveries: () => calls.filter((path) => path.startsWith('/.well-known/')).length,
  };
}

describeEachDatabase('client-credentials token source', (db) => {
  let t: TestServer;
  let service: { clientId: string; clientSecret: string };

  before(async () => {
    t = await startTestServer(db);
    await t.server.tessera.resourceServers.create({
      audience: 'billing-api',
      scopes: ['charges:read', 'charges:write'],
    });
    service = await t.createClient({ scopes: ['charges:read', 'charges:write'], audiences: ['billing-api'] });
  });
  after(() => t.close());

  const source = (extra: Partial<TokenSourceOptions> = {}) =>
    createTokenSource({
      issuer: t.issuer,
      clientId: service.clientId,
      clientSecret: service.clientSecret,
      ...extra,
    });

  it('gets a token that verifies against the published keys', async () => {
    const counter = countingFetch();
    const token = await source({
      scope: 'charges:read',
      resource: 'billing-api',
      fetch: counter.fetch,
    }).getToken();
    const metadata = (await (await fetch(`${t.issuer}/.well-known/oauth-authorization-server`)).json()) as {
      jwks_uri: string;
    };
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(metadata.jwks_uri)), {
      issuer: t.issuer,
      audience: 'billing-api',
      typ: 'at+jwt',
    });
    assert.equal(payload.client_id, service.clientId);
    assert.equal(payload.scope, 'charges:read');
    assert.equal(counter.discoveries(), 1);
    assert.equal(counter.tokenRequests(), 1);
  });

  it('reuses the token on later calls', async () => {
    const counter = countingFetch();
    const tokens = source({ fetch: counter.fetch });
    const first = await tokens.getToken();
    for (let call = 0; call < 5; call += 1) assert.equal(await tokens.getToken(), first);
    assert.equal(counter.tokenRequests(), 1);
    assert.equal(counter.discoveries(), 1);
  });

  it('asks once for a burst of 50 concurrent calls', async () => {
    const counter = countingFetch();
    const tokens = source({ fetch: counter.fetch });
    const results = await Promise.all(Array.from({ length: 50 }, () => tokens.getToken()));
    assert.equal(new Set(results).size, 1);
    assert.equal(counter.tokenRequests(), 1);
    assert.equal(counter.discoveries(), 1);
  });

  it('renews the token refreshSkewSeconds before it expires', async () => {
    let clock = Date.parse('2030-01-01T00:00:00Z');
    const counter = countingFetch();
    const tokens = source({ fetch: counter.fetch, now: () => clock, refreshSkewSeconds: 30 });
    const first = await tokens.getToken();
    const { exp = 0, iat = 0 } = decodeJwt(first);
    const lifetime = exp - iat;
    assert.ok(lifetime > 60, `the default lifetime (${lifetime}s) leaves room for a 30 s skew`);

    clock += (lifetime - 30) * 1000 - 1;
    assert.equal(await tokens.getToken(), first);
    assert.equal(counter.tokenRequests(), 1);

    clock += 1;
    const second = await tokens.getToken();
    assert.notEqual(second, first);
    assert.equal(counter.tokenRequests(), 2);
    assert.equal(await tokens.getToken(), second);
    assert.equal(counter.tokenRequests(), 2);
    assert.equal(counter.discoveries(), 1, 'the metadata is not fetched again');
  });

  it('keeps a 31-second token for half its life when the skew is 30 s', async () => {
    const shortLived = await t.createClient({
      scopes: ['charges:read'],
      audiences: ['billing-api'],
      accessTokenTtl: 31,
    });
    let clock = 0;
    const counter = countingFetch();
    const tokens = createTokenSource({
      issuer: t.issuer,
      ...shortLived,
      fetch: counter.fetch,
      now: () => clock,
      refreshSkewSeconds: 30,
    });
    const first = await tokens.getToken();
    const { exp = 0, iat = 0 } = decodeJwt(first);
    assert.equal(exp - iat, 31);
    clock = 15_499;
    assert.equal(await tokens.getToken(), first);
    clock = 15_500;
    assert.notEqual(await tokens.getToken(), first);
    assert.equal(counter.tokenRequests(), 2);
  });

  it('asks again after invalidate()', async () => {
    const counter = countingFetch();
    const tokens = source({ fetch: counter.fetch });
    const first = await tokens.getToken();
    tokens.invalidate();
    const second = await tokens.getToken();
    assert.notEqual(second, first);
    assert.equal(counter.tokenRequests(), 2);
  });

  it('authenticates with client_secret_post when the client is registered for it', async () => {
    const poster = await t.createClient({
      scopes: ['charges:read'],
      audiences: ['billing-api'],
      authMethod: 'client_secret_post',
    });
    const token = await createTokenSource({
      issuer: t.issuer,
      ...poster,
      authMethod: 'client_secret_post',
    }).getToken();
    assert.equal(decodeJwt(token).client_id, poster.clientId);
  });

  it('refuses a wrong secret with invalid_client, and no secret in the error', async () => {
    const wrongSecret = `${service.clientSecret.slice(0, -4)}AAAA`;
    const counter = countingFetch();
    const tokens = source({ clientSecret: wrongSecret, fetch: counter.fetch });
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => tokens.getToken()));
    assert.equal(counter.tokenRequests(), 1, 'concurrent callers share the failed request');
    const [first] = results;
    assert.equal(first?.status, 'rejected');
    const error: unknown = first?.status === 'rejected' ? first.reason : undefined;
    assert.ok(error instanceof TokenRequestError);
    assert.equal(error.error, 'invalid_client');
    assert.equal(error.status, 401);
    for (const text of [error.message, String(error), error.stack ?? '', inspect(error, { depth: 5 })]) {
      assert.ok(!text.includes(wrongSecret));
      assert.ok(!text.includes(service.clientSecret));
    }
    // The failure is not remembered: the next call asks again.
    await assert.rejects(tokens.getToken(), TokenRequestError);
    assert.equal(counter.tokenRequests(), 2);
  });

  it('surfaces invalid_scope and invalid_target from the server', async () => {
    await assert.rejects(source({ scope: 'charges:read admin' }).getToken(), (error: unknown) => {
      assert.ok(error instanceof TokenRequestError);
      assert.equal(error.error, 'invalid_scope');
      return true;
    });
    await assert.rejects(
      source({ resource: 'https://elsewhere.example/api' }).getToken(),
      (error: unknown) => {
        assert.ok(error instanceof TokenRequestError);
        assert.equal(error.error, 'invalid_target');
        return true;
      },
    );
  });

  it('refuses an issuer that the metadata does not name', async () => {
    const counter = countingFetch();
    const tokens = source({ issuer: `${t.issuer}/`, fetch: counter.fetch });
    await assert.rejects(tokens.getToken(), (error: unknown) => {
      assert.ok(error instanceof TokenRequestError);
      assert.equal(error.error, 'invalid_response');
      return true;
    });
    assert.equal(counter.tokenRequests(), 0, 'no credentials go to an unconfirmed issuer');
  });
});
