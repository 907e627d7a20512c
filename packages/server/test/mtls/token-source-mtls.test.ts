/**
 * `@tessera/client` over mutual TLS against the real server: the token source of a
 * `tls_client_auth` and of a `self_signed_tls_client_auth` client, and `createMtlsFetch`.
 */
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createMtlsFetch, createTokenSource, TokenRequestError } from '@tessera/client';
import { decodeJwt, exportJWK } from 'jose';
import { sqlite, startTestServer, type TestServer } from '../harness.js';
import { makeTestCertificates, type TestCertificates } from './certificates.js';

const x5t = (der: Buffer) => createHash('sha256').update(der).digest('base64url');

describe('token source over mutual TLS', () => {
  let certs: TestCertificates;
  let t: TestServer;
  let orders = '';
  let selfSigned = '';

  before(async () => {
    certs = makeTestCertificates();
    t = await startTestServer(sqlite, {
      tlsCert: certs.server.certFile,
      tlsKey: certs.server.keyFile,
      tlsClientCa: certs.ca.certFile,
    });
    ({ clientId: orders } = await t.createClient({
      authMethod: 'tls_client_auth',
      tlsSubjectDn: 'CN=orders-service,O=Example',
      scopes: ['orders:read'],
    }));
    ({ clientId: selfSigned } = await t.createClient({
      authMethod: 'self_signed_tls_client_auth',
      jwks: { keys: [await exportJWK(new X509Certificate(certs.selfSigned.cert).publicKey)] },
    }));
  });
  after(async () => {
    await t?.close();
    certs?.remove();
  });

  it('gets a token bound to its certificate, as tls_client_auth', async () => {
    const tokens = createTokenSource({
      issuer: t.issuer,
      clientId: orders,
      authMethod: 'tls_client_auth',
      scope: 'orders:read',
      tls: { cert: certs.orders.cert, key: certs.orders.key, ca: certs.ca.cert },
    });
    const claims = decodeJwt(await tokens.getToken());
    assert.deepEqual(claims.cnf, { 'x5t#S256': x5t(certs.orders.der) });
    assert.equal(claims.client_id, orders);
  });

  it('as self_signed_tls_client_auth too; another certificate is invalid_client', async () => {
    const options = {
      issuer: t.issuer,
      clientId: selfSigned,
      authMethod: 'self_signed_tls_client_auth',
    } as const;
    const token = await createTokenSource({
      ...options,
      tls: { cert: certs.selfSigned.cert, key: certs.selfSigned.key, ca: certs.ca.cert },
    }).getToken();
    assert.deepEqual(decodeJwt(token).cnf, { 'x5t#S256': x5t(certs.selfSigned.der) });
    const refused = createTokenSource({
      ...options,
      tls: { cert: certs.otherSelfSigned.cert, key: certs.otherSelfSigned.key, ca: certs.ca.cert },
    }).getToken();
    await assert.rejects(
      refused,
      (error: unknown) =>
        error instanceof TokenRequestError &&
        error.error === 'invalid_client' &&
        // No secret to hide: the server's description is kept.
        error.errorDescription === 'Client authentication failed.',
    );
  });

  it('createMtlsFetch presents the certificate to any https URL, and only https', async () => {
    const mtlsFetch = createMtlsFetch({ cert: certs.orders.cert, key: certs.orders.key, ca: certs.ca.cert });
    const response = await mtlsFetch(`${t.issuer}/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: orders }),
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const { access_token: accessToken } = (await response.json()) as { access_token: string };
    assert.deepEqual(decodeJwt(accessToken).cnf, { 'x5t#S256': x5t(certs.orders.der) });
    await assert.rejects(mtlsFetch('http://127.0.0.1:1/'), /https only/);
  });
});
