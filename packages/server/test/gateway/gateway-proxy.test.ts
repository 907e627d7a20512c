/**
 * The gateway as a proxy, on public routes (no authorization server needed): exact route
 * matching, what is forwarded and what is not, streaming, upstream failures, shutdown.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { PROTECTED_RESOURCE_METADATA_PATH } from '../../src/gateway/protected-resource-metadata.js';
import {
  type Echo,
  type EchoUpstream,
  headerValues,
  json,
  openResponse,
  patternChunks,
  send,
  sha256Of,
  startEchoUpstream,
  startTestGateway,
  type TestGateway,
} from './gateway-harness.js';

const FIVE_MB = 5 * 1024 * 1024;

const publicRoute = (method: string, path: string) => ({ method, path, public: true });

describe('gateway: forwarding on public routes', () => {
  let upstream: EchoUpstream;
  let gw: TestGateway;

  before(async () => {
    upstream = await startEchoUpstream();
    gw = await startTestGateway({
      issuer: 'http://127.0.0.1:1',
      audience: 'billing-api',
      upstream: upstream.url,
      upstream_timeout: '1s',
      routes: [
        publicRoute('GET', '/v1/charges'),
        publicRoute('POST', '/v1/charges'),
        publicRoute('PUT', '/upload'),
        publicRoute('PUT', '/hold-upload'),
        publicRoute('GET', '/download'),
        publicRoute('GET', '/hold-download'),
        publicRoute('GET', '/slow'),
      ],
    });
  });
  after(async () => {
    await gw?.close();
    await upstream?.close();
  });

  it('forwards method, path and query as received, and the answer as given', async () => {
    const response = await send(gw.url, { path: '/v1/charges?limit=2&b=%2F&limit=3' });
    assert.equal(response.status, 200);
    const echo: Echo = json(response);
    assert.equal(echo.method, 'GET');
    assert.equal(echo.url, '/v1/charges?limit=2&b=%2F&limit=3');
    assert.deepEqual(headerValues(response.rawHeaders, 'set-cookie'), ['a=1', 'b=2']);
  });

  it('adds x-forwarded-for, -proto and -host, and replaces the caller’s -proto and -host', async () => {
    const { port } = new URL(gw.url);
    const echo: Echo = json(
      await send(gw.url, {
        path: '/v1/charges',
        headers: [
          'X-Forwarded-For',
          '203.0.113.9',
          'X-Forwarded-Proto',
          'https',
          'X-Forwarded-Host',
          'evil.example',
        ],
      }),
    );
    assert.deepEqual(headerValues(echo.rawHeaders, 'x-forwarded-for'), ['203.0.113.9, 127.0.0.1']);
    assert.deepEqual(headerValues(echo.rawHeaders, 'x-forwarded-proto'), ['http']);
    assert.deepEqual(headerValues(echo.rawHeaders, 'x-forwarded-host'), [`127.0.0.1:${port}`]);
    assert.deepEqual(headerValues(echo.rawHeaders, 'host'), [new URL(upstream.url).host]);
  });

  it('strips every caller copy of the identity headers, whatever their case, and forwards no identity', async () => {
    const response = await send(gw.url, {
      path: '/v1/charges',
      headers: [
        'X-Auth-Subject',
        'admin',
        'x-auth-subject',
        'root',
        'X-AUTH-SUBJECT',
        'someone',
        'x-Auth-Client-Id',
        'spoofed-client',
        'X-Auth-Scopes',
        'charges:write admin',
        'x-auth-scopes',
        'everything',
        'X-Auth-Scheme',
        'mtls',
      ],
    });
    assert.equal(response.status, 200);
    const echo: Echo = json(response);
    for (const name of ['x-auth-subject', 'x-auth-client-id', 'x-auth-scopes', 'x-auth-scheme']) {
      assert.deepEqual(headerValues(echo.rawHeaders, name), [], name);
    }
  });

  it('ignores credentials on a public route and never forwards them', async () => {
    const response = await send(gw.url, {
      path: '/v1/charges',
      headers: ['Authorization', 'Bearer not-a-token', 'X-API-Key', 'tk_live_nope', 'x-api-key', 'again'],
    });
    assert.equal(response.status, 200);
    const echo: Echo = json(response);
    assert.deepEqual(headerValues(echo.rawHeaders, 'authorization'), []);
    assert.deepEqual(headerValues(echo.rawHeaders, 'x-api-key'), []);
  });

  it('drops hop-by-hop headers and those the Connection header names, both ways', async () => {
    const response = await send(gw.url, {
      path: '/v1/charges',
      headers: [
        'Connection',
        'keep-alive, X-Private-Hop',
        'X-Private-Hop',
        'secret',
        'Keep-Alive',
        'timeout=100',
        'Proxy-Authorization',
        'Basic cHJveHk6cGFzcw==',
        'Upgrade',
        'h2c',
        'X-Kept',
        'yes',
      ],
    });
    const echo: Echo = json(response);
    for (const name of ['x-private-hop', 'keep-alive', 'proxy-authorization', 'upgrade']) {
      assert.deepEqual(headerValues(echo.rawHeaders, name), [], name);
    }
    assert.deepEqual(headerValues(echo.rawHeaders, 'x-kept'), ['yes']);

    const download = await send(gw.url, { path: '/download?bytes=10' });
    assert.equal(download.headers['x-upstream'], 'download');
    assert.equal(download.headers['x-hop-secret'], undefined);
    assert.notEqual(download.headers['keep-alive'], 'timeout=5');
  });

  it('answers 404 (JSON) for a method or path no route has, without calling the upstream', async () => {
    const before = upstream.count();
    const misses: [string, string][] = [
      ['DELETE', '/v1/charges'],
      ['GET', '/v1/refunds'],
      ['GET', '/v1/charges/'],
      ['GET', '//v1/charges'],
      ['GET', '/v1/%63harges'],
      ['GET', '/v1%2Fcharges'],
      ['GET', '/V1/charges'],
      ['GET', '/v1/charges/../x'],
      ['GET', '/v1/x/../charges'],
      ['GET', '/./v1/charges'],
      ['GET', '/v1/charges;x=1'],
      ['GET', '/v1/charges%00'],
      ['GET', '/v1/charges%20'],
      ['GET', '/v1/charges#frag'],
      ['GET', 'http://127.0.0.1/v1/charges'],
      ['GET', '*'],
      ['HEAD', '/v1/charges'],
    ];
    for (const [method, path] of misses) {
      const response = await send(gw.url, { method, path });
      assert.equal(response.status, 404, `${method} ${path}`);
      if (method !== 'HEAD') {
        assert.match(response.headers['content-type'] ?? '', /^application\/json/);
        assert.equal(json(response).error, 'not_found');
      }
    }
    assert.equal(upstream.count(), before, 'the upstream was called');
  });

  it('streams a 5 MB upload through, chunked and with a length', async () => {
    const expected = sha256Of(patternChunks(FIVE_MB));
    const chunked = await send(gw.url, { method: 'PUT', path: '/upload', body: patternChunks(FIVE_MB) });
    assert.equal(chunked.status, 200);
    assert.deepEqual([json(chunked).bodyLength, json(chunked).bodySha256], [FIVE_MB, expected]);
    const sized = await send(gw.url, {
      method: 'PUT',
      path: '/upload',
      headers: ['Content-Length', String(FIVE_MB)],
      body: patternChunks(FIVE_MB),
    });
    assert.equal(sized.status, 200);
    assert.deepEqual([json(sized).bodyLength, json(sized).bodySha256], [FIVE_MB, expected]);
  });

  it('streams a 5 MB download through', async () => {
    const response = await send(gw.url, { path: `/download?bytes=${FIVE_MB}` });
    assert.equal(response.status, 200);
    assert.equal(response.body.length, FIVE_MB);
    assert.equal(sha256Of([response.body]), sha256Of(patternChunks(FIVE_MB)));
  });

  it('passes the first bytes of a download on before the upstream has sent the rest', {
    timeout: 10_000,
  }, async () => {
    const response = await openResponse(gw.url, { path: '/hold-download' });
    assert.equal(response.statusCode, 200);
    // The upstream sends its second chunk only once released: if the gateway waited for
    // the whole body, this first read would never come and the test would time out.
    const chunks = response[Symbol.asyncIterator]();
    const first = await chunks.next();
    assert.ok(!first.done && (first.value as Buffer).length > 0);
    upstream.release();
    let length = (first.value as Buffer).length;
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) length += next.value.length;
    assert.equal(length, 128 * 1024);
  });

  it('passes the first bytes of an upload on before the caller has sent the rest', {
    timeout: 10_000,
  }, async () => {
    const started = upstream.uploadStarted();
    async function* body() {
      yield Buffer.alloc(64 * 1024, 1);
      // Sent only once the upstream has the first chunk: a buffering gateway deadlocks here.
      await started;
      yield Buffer.alloc(64 * 1024, 2);
    }
    const response = await send(gw.url, { method: 'PUT', path: '/hold-upload', body: body() });
    assert.equal(response.status, 200);
    assert.equal(json(response).bodyLength, 128 * 1024);
  });

  it('cuts the upstream request off when the caller goes away mid-upload', { timeout: 10_000 }, async () => {
    const started = upstream.uploadStarted();
    const cutOff = upstream.requestCutOff();
    const { hostname, port } = new URL(gw.url);
    const req = request({
      host: hostname,
      port,
      method: 'PUT',
      path: '/hold-upload',
      headers: { 'content-length': String(FIVE_MB) },
      agent: false,
    });
    req.on('error', () => {});
    req.write(Buffer.alloc(64 * 1024, 1));
    await started;
    req.destroy();
    // Without the cut-off, the upstream would wait for the rest of the body forever.
    await cutOff;
  });

  it('answers 504 (JSON, no detail) when the upstream sends no headers in time', async () => {
    const response = await send(gw.url, { path: '/slow' });
    assert.equal(response.status, 504);
    assert.deepEqual(Object.keys(json(response)).sort(), ['error', 'error_description']);
    assert.equal(json(response).error, 'gateway_timeout');
    assert.doesNotMatch(response.body.toString(), /127\.0\.0\.1|UND_ERR|timeout:/i);
  });

  it('serves its protected resource metadata (RFC 9728)', async () => {
    const response = await send(gw.url, { path: PROTECTED_RESOURCE_METADATA_PATH });
    assert.equal(response.status, 200);
    assert.deepEqual(json(response), {
      resource: gw.url,
      authorization_servers: ['http://127.0.0.1:1'],
      scopes_supported: [],
      bearer_methods_supported: ['header'],
    });
  });

  it('logs one line per request: method, path without query, status, route; no header value', async () => {
    await send(gw.url, {
      path: '/v1/charges?card=4242424242424242',
      headers: [
        'Authorization',
        'Bearer secret-token-value',
        'X-Api-Key',
        'secret-key-value',
        'Cookie',
        'sid=secret-cookie',
      ],
    });
    await send(gw.url, { path: '/nowhere?q=secret-query' });
    const lines = gw
      .logs()
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line));
    const forwarded = lines.find((line) => line.path === '/v1/charges' && line.status === 200);
    assert.ok(forwarded, 'no line for the forwarded request');
    assert.equal(forwarded.method, 'GET');
    assert.equal(forwarded.route, 'GET /v1/charges');
    assert.ok(lines.some((line) => line.path === '/nowhere' && line.status === 404));
    for (const secret of [
      '4242424242424242',
      'secret-token-value',
      'secret-key-value',
      'secret-cookie',
      'secret-query',
    ]) {
      assert.doesNotMatch(gw.logs(), new RegExp(secret));
    }
  });
});

describe('gateway: upstream failures and shutdown', () => {
  let upstream: EchoUpstream;
  const gateways: TestGateway[] = [];

  before(async () => {
    upstream = await startEchoUpstream();
  });
  after(async () => {
    for (const gw of gateways) await gw.close();
    await upstream?.close();
  });

  const config = (upstreamUrl: string) => ({
    issuer: 'http://127.0.0.1:1',
    audience: 'billing-api',
    upstream: upstreamUrl,
    routes: [publicRoute('GET', '/v1/charges'), publicRoute('GET', '/hold-download')],
  });

  it('answers 502 (JSON, no detail) when the upstream refuses connections', async () => {
    const down = await startEchoUpstream();
    const downUrl = down.url;
    await down.close();
    const gw = await startTestGateway(config(downUrl));
    gateways.push(gw);
    const response = await send(gw.url, { path: '/v1/charges' });
    assert.equal(response.status, 502);
    assert.equal(json(response).error, 'bad_gateway');
    assert.doesNotMatch(response.body.toString(), /ECONNREFUSED|127\.0\.0\.1|:\d{2,5}/);
    assert.match(gw.logs(), /"upstreamError":"ECONNREFUSED"/);
  });

  it('lets a request in flight finish when closed', { timeout: 15_000 }, async () => {
    const gw = await startTestGateway(config(upstream.url));
    const response = await openResponse(gw.url, { path: '/hold-download' });
    const chunks = response[Symbol.asyncIterator]();
    let length = ((await chunks.next()).value as Buffer).length;
    const closed = gw.close();
    upstream.release();
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) length += next.value.length;
    assert.equal(length, 128 * 1024);
    await closed;
    await assert.rejects(send(gw.url, { path: '/v1/charges' }), /ECONNREFUSED/);
  });
});
