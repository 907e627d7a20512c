/**
 * Mutual TLS at the gateway: certificate-bound tokens (`cnf.x5t#S256`) enforced, the `mtls`
 * scheme identifying services by certificate alone, and the `Client-Cert` header (RFC 9440)
 * believed from trusted proxies only and never forwarded. The issuer mints bound tokens for
 * certificates a trusted proxy (the test) forwards; callers reach the gateway with Node's
 * TLS client and the certificates of `certificates.ts`.
 */
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { after, before, it } from 'node:test';
import { formatClientCertHeader } from '@tessera/core';
import {
  type Echo,
  type EchoUpstream,
  headerValues,
  startEchoUpstream,
  startTestGateway,
  type TestGateway,
} from '../gateway/gateway-harness.js';
import { describeEachDatabase, postForm, startTestServer, type TestServer } from '../harness.js';
import { type Made, makeTestCertificates, type TestCertificates } from './certificates.js';

const AUDIENCE = 'orders-api';

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Record<string, unknown>;
}

interface Call {
  readonly client?: Made | undefined;
  readonly headers?: Record<string, string>;
  /** The local address to call from (a second loopback address plays another host). */
  readonly from?: string;
}

/** GETs `path` from the gateway, over HTTPS with `client`'s certificate when the gateway speaks TLS. */
function get(origin: string, path: string, ca: Buffer, call: Call = {}): Promise<Answer> {
  const url = new URL(path, origin);
  const options = {
    method: 'GET',
    agent: false as const,
    headers: call.headers ?? {},
    ...(call.from ? { localAddress: call.from } : {}),
  };
  return new Promise((resolve, reject) => {
    const onResponse = (res: import('node:http').IncomingMessage) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: text === '' ? {} : JSON.parse(text),
        }),
      );
    };
    const req =
      url.protocol === 'https:'
        ? httpsRequest(
            url,
            { ...options, ca, ...(call.client ? { cert: call.client.cert, key: call.client.key } : {}) },
            onResponse,
          )
        : httpRequest(url, options, onResponse);
    req.on('error', reject);
    req.end();
  });
}

const echoOf = (answer: Answer) => answer.body as unknown as Echo;

let certs: TestCertificates;
before(() => {
  certs = makeTestCertificates();
});
after(() => certs?.remove());

describeEachDatabase('gateway: mutual TLS', (db) => {
  let t: TestServer;
  let upstream: EchoUpstream;
  let tlsGateway: TestGateway;
  let proxied: TestGateway;
  let orders = '';
  let own = { client_id: '', client_secret: '' };

  const routes = [
    { method: 'GET', path: '/v1/orders', scopes: ['orders:read'] },
    { method: 'GET', path: '/v1/whoami' },
    { method: 'GET', path: '/public/health', public: true },
  ];

  before(async () => {
    // The test is the issuer's trusted proxy: it mints bound tokens by forwarding certificates.
    t = await startTestServer(db, { tlsClientCa: certs.ca.certFile, trustedProxies: ['127.0.0.1'] });
    await t.server.tessera.resourceServers.create({ audience: AUDIENCE, scopes: ['orders:read'] });
    ({ clientId: orders } = await t.createClient({
      authMethod: 'tls_client_auth',
      tlsSubjectDn: 'CN=orders-service,O=Example',
      scopes: ['orders:read'],
      audiences: [AUDIENCE],
    }));
    // Registered for its subject, but for another API: not a client of this one.
    await t.createClient({
      authMethod: 'tls_client_auth',
      tlsSubjectDn: 'CN=billing-worker,O=Example',
      scopes: ['orders:read'],
      audiences: ['reports-api'],
    });
    const gatewayClient = await t.createClient({ resourceServer: true });
    own = { client_id: gatewayClient.clientId, client_secret: gatewayClient.clientSecret };
    upstream = await startEchoUpstream();
    tlsGateway = await startTestGateway({
      issuer: t.issuer,
      audience: AUDIENCE,
      upstream: upstream.url,
      credentials: own,
      schemes: ['bearer', 'mtls'],
      tls: { cert: certs.server.certFile, key: certs.server.keyFile, client_ca: certs.ca.certFile },
      routes,
    });
    // Behind a TLS-terminating proxy at 127.0.0.2: plain HTTP, certificates only in Client-Cert.
    proxied = await startTestGateway({
      issuer: t.issuer,
      audience: AUDIENCE,
      upstream: upstream.url,
      credentials: own,
      schemes: ['mtls'],
      tls: { client_ca: certs.ca.certFile },
      trusted_proxies: ['127.0.0.2'],
      routes,
    });
  });
  after(async () => {
    await tlsGateway?.close();
    await proxied?.close();
    await upstream?.close();
    await t?.close();
  });

  const boundToken = async (certificate: Made): Promise<string> => {
    const response = await postForm(
      `${t.issuer}/token`,
      { grant_type: 'client_credentials', client_id: orders },
      { 'client-cert': formatClientCertHeader(certificate.der) },
    );
    assert.equal(response.status, 200, await response.clone().text());
    return ((await response.json()) as { access_token: string }).access_token;
  };
  const call = (path: string, options: Call) => get(tlsGateway.url, path, certs.ca.cert, options);

  it('forwards a certificate-bound token presented over its certificate', async () => {
    const token = await boundToken(certs.orders);
    const answer = await call('/v1/orders', {
      client: certs.orders,
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const echo = echoOf(answer);
    assert.deepEqual(headerValues(echo.rawHeaders, 'x-auth-scheme'), ['bearer']);
    assert.deepEqual(headerValues(echo.rawHeaders, 'x-auth-subject'), [orders]);
    assert.deepEqual(headerValues(echo.rawHeaders, 'x-auth-scopes'), ['orders:read']);
  });

  it('refuses it over another valid certificate, or none, with invalid_token', async () => {
    const token = await boundToken(certs.orders);
    for (const client of [certs.billing, undefined]) {
      const answer = await call('/v1/orders', { client, headers: { authorization: `Bearer ${token}` } });
      assert.equal(answer.status, 401);
      assert.equal(answer.body.error, 'invalid_token');
      assert.match(String(answer.headers['www-authenticate']), /^Bearer .*error="invalid_token"/);
    }
  });

  it('mtls: a certificate alone stands for the client registered for its subject, with its scopes', async () => {
    const answer = await call('/v1/orders', { client: certs.orders });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const echo = echoOf(answer);
    assert.deepEqual(headerValues(echo.rawHeaders, 'x-auth-scheme'), ['mtls']);
    assert.deepEqual(headerValues(echo.rawHeaders, 'x-auth-subject'), [orders]);
    assert.deepEqual(headerValues(echo.rawHeaders, 'x-auth-client-id'), [orders]);
    assert.deepEqual(headerValues(echo.rawHeaders, 'x-auth-scopes'), ['orders:read']);
  });

  it('mtls: a subject no client is registered for with this audience is its DN, holding no scopes', async () => {
    const answer = await call('/v1/whoami', { client: certs.billing });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const echo = echoOf(answer);
    assert.deepEqual(headerValues(echo.rawHeaders, 'x-auth-scheme'), ['mtls']);
    assert.deepEqual(headerValues(echo.rawHeaders, 'x-auth-subject'), ['CN=billing-worker,O=Example']);
    assert.deepEqual(headerValues(echo.rawHeaders, 'x-auth-client-id'), []);
    assert.deepEqual(headerValues(echo.rawHeaders, 'x-auth-scopes'), ['']);
    const scoped = await call('/v1/orders', { client: certs.billing });
    assert.equal(scoped.status, 403);
    assert.equal(scoped.body.error, 'insufficient_scope');
  });

  it('mtls: refuses an expired certificate and a foreign CA’s with 401, and asks for a credential without one', async () => {
    // A certificate with no subject names no one, unless a client is registered for its SAN.
    for (const client of [
      certs.expired,
      certs.foreign,
      certs.fromExpiredCa,
      certs.impostor,
      certs.selfSigned,
      certs.noSubject,
      certs.server,
    ]) {
      const answer = await call('/v1/whoami', { client });
      assert.equal(answer.status, 401, client.certFile);
      assert.equal(answer.body.error, 'invalid_token');
    }
    const none = await call('/v1/whoami', {});
    assert.equal(none.status, 401);
    assert.equal(upstream.count() > 0, true);
  });

  it('ignores a Client-Cert header from a caller that is no trusted proxy, and never forwards one', async () => {
    const header = { 'client-cert': formatClientCertHeader(certs.orders.der), 'client-cert-chain': 'x' };
    const refused = await call('/v1/whoami', { headers: header });
    assert.equal(refused.status, 401);
    const withCertificate = await call('/v1/whoami', { client: certs.billing, headers: header });
    assert.equal(withCertificate.status, 200);
    const echo = echoOf(withCertificate);
    assert.deepEqual(headerValues(echo.rawHeaders, 'x-auth-subject'), ['CN=billing-worker,O=Example']);
    assert.deepEqual(headerValues(echo.rawHeaders, 'client-cert'), []);
    assert.deepEqual(headerValues(echo.rawHeaders, 'client-cert-chain'), []);
    const open = await call('/public/health', { headers: header });
    assert.equal(open.status, 200);
    assert.deepEqual(headerValues(echoOf(open).rawHeaders, 'client-cert'), []);
  });

  it('believes Client-Cert from a trusted proxy address only, checks it, and strips it', async () => {
    const header = (made: Made) => ({ 'client-cert': formatClientCertHeader(made.der) });
    const viaProxy = (made: Made, from: string) =>
      get(proxied.url, '/v1/orders', certs.ca.cert, { headers: header(made), from });
    const trusted = await viaProxy(certs.orders, '127.0.0.2');
    assert.equal(trusted.status, 200, JSON.stringify(trusted.body));
    const echo = echoOf(trusted);
    assert.deepEqual(headerValues(echo.rawHeaders, 'x-auth-scheme'), ['mtls']);
    assert.deepEqual(headerValues(echo.rawHeaders, 'x-auth-subject'), [orders]);
    assert.deepEqual(headerValues(echo.rawHeaders, 'client-cert'), []);
    const untrusted = await viaProxy(certs.orders, '127.0.0.1');
    assert.equal(untrusted.status, 401);
    // A server-only certificate (serverAuth EKU) is refused as the TLS handshake would.
    for (const made of [certs.foreign, certs.expired, certs.impostor, certs.server]) {
      const refused = await viaProxy(made, '127.0.0.2');
      assert.equal(refused.status, 401);
      assert.equal(refused.body.error, 'invalid_token');
    }
  });
});
