/**
 * The verify package against the real authorization server: JWTs checked locally, opaque
 * tokens by introspection, revocations heard through the feed, refusals as RFC 6750 says.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { createVerifier, type Verifier, type VerifyRequest } from '@tessera/verify';
import aws4 from 'aws4';
import { basic, describeEachDatabase, postForm, startTestServer, type TestServer } from '../harness.js';

describeEachDatabase('verify package', (db) => {
  let t: TestServer;
  let verifier: Verifier;
  let service: { clientId: string; clientSecret: string };
  let gateway: { clientId: string; clientSecret: string };

  before(async () => {
    t = await startTestServer(db);
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
    gateway = await t.createClient({ resourceServer: true });
    verifier = createVerifier({
      issuer: t.issuer,
      audience: ['billing-api', 'files-api'],
      credentials: gateway,
      resourceMetadataUrl: 'http://127.0.0.1:1/.well-known/oauth-protected-resource',
      revocationFeed: { intervalMs: 200 },
    });
    await verifier.ready();
  });
  after(async () => {
    verifier.close();
    await t.close();
  });

  const issue = async (resource: string, client = service) =>
    (
      await (
        await postForm(
          `${t.issuer}/token`,
          { grant_type: 'client_credentials', resource },
          {
            authorization: basic(client.clientId, client.clientSecret),
          },
        )
      ).json()
    ).access_token as string;
  const request = (
    headers: Record<string, string>,
    url = '/v1/charges',
    extra: Partial<VerifyRequest> = {},
  ): VerifyRequest => ({
    method: 'GET',
    url,
    headers,
    ...extra,
  });
  const bearer = (token: string) => request({ authorization: `Bearer ${token}` });

  it('accepts a JWT access token and says who is calling', async () => {
    const outcome = await verifier.verify(bearer(await issue('billing-api')), { allOf: ['charges:read'] });
    assert.ok(outcome.ok, JSON.stringify(outcome));
    assert.equal(outcome.identity.subject, service.clientId);
    assert.equal(outcome.identity.clientId, service.clientId);
    assert.deepEqual(outcome.identity.scopes, ['charges:read']);
    assert.equal(outcome.identity.scheme, 'bearer');
  });

  it('accepts an opaque token through introspection', async () => {
    const token = await issue('files-api');
    assert.match(token, /^tat_/);
    const outcome = await verifier.verify(bearer(token), { anyOf: ['files:read', 'files:write'] });
    assert.ok(outcome.ok, JSON.stringify(outcome));
    assert.equal(outcome.identity.subject, service.clientId);
    assert.deepEqual(outcome.identity.scopes, ['files:read']);
  });

  it('challenges a request without credentials, with no error code and the resource metadata', async () => {
    const outcome = await verifier.verify(request({}));
    assert.ok(!outcome.ok);
    assert.equal(outcome.refusal.status, 401);
    assert.equal(
      outcome.refusal.challenge,
      'Bearer resource_metadata="http://127.0.0.1:1/.well-known/oauth-protected-resource"',
    );
  });

  it('refuses a missing scope with 403 insufficient_scope naming the scope', async () => {
    const outcome = await verifier.verify(bearer(await issue('billing-api')), { allOf: ['charges:write'] });
    assert.ok(!outcome.ok);
    assert.equal(outcome.refusal.status, 403);
    assert.match(outcome.refusal.challenge, /error="insufficient_scope"/);
    assert.match(outcome.refusal.challenge, /scope="charges:write"/);
  });

  it('refuses tokens outside the Authorization header, and two Authorization headers', async () => {
    const token = await issue('billing-api');
    for (const candidate of [
      request({}, `/v1/charges?access_token=${token}`),
      request({ 'content-type': 'application/x-www-form-urlencoded' }, '/v1/charges', {
        formBody: new URLSearchParams({ access_token: token }),
      }),
      request({ authorization: `Bearer ${token}` }, `/v1/charges?access_token=${token}`),
      request({ authorization: `Bearer ${token}` }, '/v1/charges', {
        rawHeaders: ['Authorization', `Bearer ${token}`, 'authorization', `Bearer ${token}`],
      }),
    ]) {
      const outcome = await verifier.verify(candidate);
      assert.ok(!outcome.ok);
      assert.equal(outcome.refusal.status, 400, outcome.refusal.challenge);
      assert.match(outcome.refusal.challenge, /error="invalid_request"/);
      assert.ok(!outcome.refusal.challenge.includes(token), 'the token is echoed');
    }
  });

  it('refuses a token for another audience, and a malformed one', async () => {
    await t.server.tessera.resourceServers.create({ audience: 'other-api', scopes: ['x'] });
    const other = await t.createClient({ scopes: ['x'], audiences: ['other-api'] });
    for (const token of [await issue('other-api', other), 'not a token', 'a.b.c']) {
      const outcome = await verifier.verify(bearer(token));
      assert.ok(!outcome.ok);
      assert.equal(outcome.refusal.status, 401);
      assert.match(outcome.refusal.challenge, /error="invalid_token"/);
    }
  });

  it('hears of a revoked JWT through the feed and refuses it before it expires', async () => {
    const token = await issue('billing-api');
    assert.ok((await verifier.verify(bearer(token))).ok);
    await postForm(
      `${t.issuer}/revoke`,
      { token },
      { authorization: basic(service.clientId, service.clientSecret) },
    );
    let refused = false;
    for (let attempt = 0; attempt < 50 && !refused; attempt++) {
      refused = !(await verifier.verify(bearer(token))).ok;
      if (!refused) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(refused, 'the revoked token is still accepted');
  });

  it('refuses every token of a deleted client', async () => {
    const doomed = await t.createClient({ scopes: ['charges:read'], audiences: ['billing-api'] });
    const jwt = await issue('billing-api', doomed);
    assert.ok((await verifier.verify(bearer(jwt))).ok);
    await t.server.tessera.clients.delete(doomed.clientId);
    let refused = false;
    for (let attempt = 0; attempt < 50 && !refused; attempt++) {
      refused = !(await verifier.verify(bearer(jwt))).ok;
      if (!refused) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(refused, "a deleted client's token is still accepted");
  });

  it('accepts API keys in X-API-Key or as a Bearer value, refuses revoked and malformed ones', async () => {
    const keys = createVerifier({
      issuer: t.issuer,
      audience: 'billing-api',
      schemes: ['bearer', 'apikey'],
      credentials: gateway,
      revocationFeed: { intervalMs: 200 },
    });
    const { record, key } = await t.server.tessera.apiKeys.create({ name: 'job', scopes: ['charges:read'] });
    for (const headers of [{ 'x-api-key': key }, { authorization: `Bearer ${key}` }]) {
      const outcome = await keys.verify(request(headers), { allOf: ['charges:read'] });
      assert.ok(outcome.ok, JSON.stringify(outcome));
      assert.equal(outcome.identity.scheme, 'apikey');
      assert.equal(outcome.identity.subject, record.id);
      assert.equal(outcome.identity.clientId, undefined);
    }
    const denied = await keys.verify(request({ 'x-api-key': key }), { allOf: ['charges:write'] });
    assert.ok(!denied.ok);
    assert.equal(denied.refusal.status, 403);
    // A key and a token together are ambiguous; a key with a broken checksum never leaves.
    const both = await keys.verify(
      request({ 'x-api-key': key, authorization: `Bearer ${await issue('billing-api')}` }),
    );
    assert.ok(!both.ok);
    assert.equal(both.refusal.status, 400);
    const broken = await keys.verify(
      request({ 'x-api-key': `${key.slice(0, -1)}${key.endsWith('x') ? 'y' : 'x'}` }),
    );
    assert.ok(!broken.ok);
    assert.equal(broken.refusal.status, 401);
    // JWTs still work beside keys.
    assert.ok((await keys.verify(bearer(await issue('billing-api')))).ok);

    await t.server.tessera.apiKeys.revoke(record.id);
    let refused = false;
    for (let attempt = 0; attempt < 50 && !refused; attempt++) {
      refused = !(await keys.verify(request({ 'x-api-key': key }))).ok;
      if (!refused) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(refused, 'a revoked API key is still accepted');
    keys.close();
  });

  it('answers 503 while the issuer cannot be reached, and 503 when the revocation feed goes stale', async () => {
    const unreachable = createVerifier({ issuer: 'http://127.0.0.1:9', audience: 'billing-api' });
    const outcome = await unreachable.verify(bearer(await issue('billing-api')));
    assert.ok(!outcome.ok);
    assert.equal(outcome.refusal.status, 503);
    unreachable.close();

    let feedUp = true;
    const stale = createVerifier({
      issuer: t.issuer,
      audience: 'billing-api',
      credentials: gateway,
      revocationFeed: { intervalMs: 100, maxStalenessSeconds: 1 },
      fetch: (input, init) =>
        !feedUp && String(input).includes('/revocations')
          ? Promise.reject(new Error('feed down'))
          : fetch(input, init),
    });
    const token = await issue('billing-api');
    assert.ok((await stale.verify(bearer(token))).ok);
    feedUp = false;
    let unavailable = false;
    for (let attempt = 0; attempt < 60 && !unavailable; attempt++) {
      const result = await stale.verify(bearer(token));
      unavailable = !result.ok && result.refusal.status === 503;
      if (!unavailable) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(unavailable, 'a stale revocation list still accepts tokens');
    feedUp = true;
    let recovered = false;
    for (let attempt = 0; attempt < 60 && !recovered; attempt++) {
      recovered = (await stale.verify(bearer(token))).ok;
      if (!recovered) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(recovered, 'the verifier does not recover when the feed is back');
    stale.close();
  });
});

describeEachDatabase('verify package: SigV4-signed requests', (db) => {
  let t: TestServer;
  let verifier: Verifier;
  let credential: { accessKeyId: string; secret: string };

  before(async () => {
    t = await startTestServer(db);
    const gateway = await t.createClient({ resourceServer: true });
    const { record, secret } = await t.server.tessera.hmacCredentials.create({
      name: 'caller',
      scopes: ['charges:read'],
    });
    credential = { accessKeyId: record.accessKeyId, secret };
    verifier = createVerifier({
      issuer: t.issuer,
      audience: 'billing-api',
      schemes: ['bearer', 'sigv4'],
      sigv4: { region: 'local', service: 'billing' },
      credentials: gateway,
      revocationFeed: { intervalMs: 200 },
    });
  });
  after(async () => {
    verifier.close();
    await t.close();
  });

  /** A request signed by aws4, an independent SigV4 implementation, as the server would see it. */
  function signed(body: string, path = '/v1/charges?limit=5'): VerifyRequest {
    const options = aws4.sign(
      {
        host: 'api.example',
        method: 'POST',
        path,
        body,
        service: 'billing',
        region: 'local',
        headers: { 'content-type': 'application/json' },
      },
      { accessKeyId: credential.accessKeyId, secretAccessKey: credential.secret },
    );
    const headers = Object.fromEntries(
      Object.entries(options.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
    );
    return {
      method: 'POST',
      url: path,
      headers,
      rawHeaders: Object.entries(headers).flat(),
      body: Buffer.from(body),
    };
  }

  it('accepts a request signed by aws4 and says which credential signed it', async () => {
    const outcome = await verifier.verify(signed('{"amount":5}'), { allOf: ['charges:read'] });
    assert.ok(outcome.ok, JSON.stringify(outcome));
    assert.equal(outcome.identity.scheme, 'sigv4');
    assert.equal(outcome.identity.subject, credential.accessKeyId);
  });

  it('refuses a replay, a tampered body, and a revoked credential', async () => {
    const request = signed('{"amount":6}');
    assert.ok((await verifier.verify(request)).ok);
    const replay = await verifier.verify(request);
    assert.ok(!replay.ok);
    assert.equal(replay.refusal.status, 401);
    const tampered = { ...signed('{"amount":7}'), body: Buffer.from('{"amount":700}') };
    assert.ok(!(await verifier.verify(tampered)).ok);

    await t.server.tessera.hmacCredentials.revoke(credential.accessKeyId);
    let refused = false;
    for (let attempt = 0; attempt < 50 && !refused; attempt++) {
      refused = !(await verifier.verify(signed(`{"attempt":${attempt}}`))).ok;
      if (!refused) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(refused, 'a revoked credential still signs accepted requests');
  });
});
