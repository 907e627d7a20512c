/**
 * The gateway's apikey and sigv4 schemes, with the real authorization server: keys in
 * X-API-Key or Bearer, and requests signed by curl --aws-sigv4 and aws4, as the contract says.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import aws4 from 'aws4';
import { sqlite, startTestServer, type TestServer } from '../harness.js';
import {
  type EchoUpstream,
  headerValues,
  json,
  send,
  startEchoUpstream,
  startTestGateway,
  type TestGateway,
} from './gateway-harness.js';

describe('gateway: API keys and SigV4-signed requests', () => {
  let t: TestServer;
  let upstream: EchoUpstream;
  let gw: TestGateway;
  let key: { id: string; key: string };
  let credential: { accessKeyId: string; secret: string };

  before(async () => {
    t = await startTestServer(sqlite);
    const own = await t.createClient({ resourceServer: true });
    const created = await t.server.tessera.apiKeys.create({ name: 'job', scopes: ['charges:read'] });
    key = { id: created.record.id, key: created.key };
    const signing = await t.server.tessera.hmacCredentials.create({
      name: 'caller',
      scopes: ['charges:read', 'charges:write'],
    });
    credential = { accessKeyId: signing.record.accessKeyId, secret: signing.secret };
    upstream = await startEchoUpstream();
    gw = await startTestGateway({
      issuer: t.issuer,
      audience: 'billing-api',
      upstream: upstream.url,
      credentials: { client_id: own.clientId, client_secret: own.clientSecret },
      schemes: ['bearer', 'apikey', 'sigv4'],
      sigv4: { region: 'local', service: 'billing' },
      routes: [
        { method: 'GET', path: '/v1/charges', scopes: ['charges:read'] },
        { method: 'POST', path: '/v1/charges', scopes: ['charges:write'] },
      ],
    });
  });
  after(async () => {
    await gw?.close();
    await upstream?.close();
    await t?.close();
  });

  const identityOf = (rawHeaders: string[]) => ({
    subject: headerValues(rawHeaders, 'x-auth-subject'),
    scheme: headerValues(rawHeaders, 'x-auth-scheme'),
    clientId: headerValues(rawHeaders, 'x-auth-client-id'),
    apiKey: headerValues(rawHeaders, 'x-api-key'),
    authorization: headerValues(rawHeaders, 'authorization'),
  });

  it('forwards requests with an API key in X-API-Key or Bearer, as the key id, without the key', async () => {
    for (const headers of [
      ['X-API-Key', key.key],
      ['Authorization', `Bearer ${key.key}`],
    ]) {
      const response = await send(gw.url, { path: '/v1/charges', headers });
      assert.equal(response.status, 200, response.body.toString());
      const seen = identityOf(json(response).rawHeaders);
      assert.deepEqual(seen, {
        subject: [key.id],
        scheme: ['apikey'],
        clientId: [],
        apiKey: [],
        authorization: [],
      });
    }
    const denied = await send(gw.url, {
      method: 'POST',
      path: '/v1/charges',
      headers: ['X-API-Key', key.key],
    });
    assert.equal(denied.status, 403);
    const broken = await send(gw.url, {
      path: '/v1/charges',
      headers: ['X-API-Key', `${key.key.slice(0, -1)}${key.key.endsWith('x') ? 'y' : 'x'}`],
    });
    assert.equal(broken.status, 401);
    const both = await send(gw.url, {
      path: '/v1/charges',
      headers: ['X-API-Key', key.key, 'Authorization', `Bearer ${key.key}`],
    });
    assert.equal(both.status, 400);
  });

  it('answers 429 with Retry-After once a key has used up its rate, other keys unaffected', async () => {
    const limited = await t.server.tessera.apiKeys.create({
      name: 'slow',
      scopes: ['charges:read'],
      rateLimit: 2,
    });
    for (let i = 0; i < 2; i++) {
      assert.equal(
        (await send(gw.url, { path: '/v1/charges', headers: ['X-API-Key', limited.key] })).status,
        200,
      );
    }
    const refused = await send(gw.url, { path: '/v1/charges', headers: ['X-API-Key', limited.key] });
    assert.equal(refused.status, 429);
    assert.equal(json(refused).error, 'too_many_requests');
    const retryAfter = Number(refused.headers['retry-after']);
    assert.ok(retryAfter > 0 && retryAfter <= 30, `Retry-After ${refused.headers['retry-after']}`);
    assert.equal((await send(gw.url, { path: '/v1/charges', headers: ['X-API-Key', key.key] })).status, 200);
  });

  it('accepts curl --aws-sigv4 exactly as the contract writes it, GET and POST with a body', async () => {
    const curl = async (...args: string[]) =>
      (
        await promisify(execFile)('curl', [
          '-s',
          '-w',
          '\n%{http_code}',
          '--aws-sigv4',
          'aws:amz:local:billing',
          '--user',
          `${credential.accessKeyId}:${credential.secret}`,
          ...args,
        ])
      ).stdout;
    const get = await curl(`${gw.url}/v1/charges?limit=5`);
    assert.match(get, /\n200$/, get);
    const echoed = JSON.parse(get.slice(0, get.lastIndexOf('\n')));
    assert.deepEqual(headerValues(echoed.rawHeaders, 'x-auth-subject'), [credential.accessKeyId]);
    assert.deepEqual(headerValues(echoed.rawHeaders, 'x-auth-scheme'), ['sigv4']);
    assert.deepEqual(headerValues(echoed.rawHeaders, 'authorization'), []);
    const post = await curl(
      '-X',
      'POST',
      '-H',
      'content-type: application/json',
      '--data',
      '{"amount":42}',
      `${gw.url}/v1/charges`,
    );
    assert.match(post, /\n200$/, post);
    assert.equal(
      JSON.parse(post.slice(0, post.lastIndexOf('\n'))).bodyLength,
      13,
      'the signed body reaches the upstream whole',
    );
  });

  it('refuses a tampered body, a replay, and a skewed clock', async () => {
    const sign = (body: string, date?: Date) => {
      const signed = aws4.sign(
        {
          host: new URL(gw.url).host,
          method: 'POST',
          path: '/v1/charges',
          body,
          service: 'billing',
          region: 'local',
          headers: {
            'content-type': 'application/json',
            ...(date ? { 'X-Amz-Date': date.toISOString().replace(/[-:]|\.\d{3}/g, '') } : {}),
          },
        },
        { accessKeyId: credential.accessKeyId, secretAccessKey: credential.secret },
      );
      return Object.entries(signed.headers ?? {}).flatMap(([name, value]) =>
        name.toLowerCase() === 'host' ? [] : [name, String(value)],
      );
    };
    const headers = sign('{"amount":1}');
    const first = await send(gw.url, { method: 'POST', path: '/v1/charges', headers, body: '{"amount":1}' });
    assert.equal(first.status, 200, first.body.toString());
    assert.equal(
      (await send(gw.url, { method: 'POST', path: '/v1/charges', headers, body: '{"amount":1}' })).status,
      401,
      'replay',
    );
    const tampered = sign('{"amount":2}');
    assert.equal(
      (await send(gw.url, { method: 'POST', path: '/v1/charges', headers: tampered, body: '{"amount":9}' }))
        .status,
      401,
      'tampered',
    );
    const skewed = sign('{"amount":3}', new Date(Date.now() - 6 * 60_000));
    assert.equal(
      (await send(gw.url, { method: 'POST', path: '/v1/charges', headers: skewed, body: '{"amount":3}' }))
        .status,
      401,
      'skewed',
    );
  });
});
