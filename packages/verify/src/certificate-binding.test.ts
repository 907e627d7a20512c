import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { dpopKey, signDpopProof } from '@tessera/core';
import { exportJWK, SignJWT } from 'jose';
import { certificateBindingError } from './certificate-binding.js';
import { createVerifier, type Verifier } from './verifier.js';

const ORDERS = randomBytes(300);
const OTHER = randomBytes(300);
const x5t = (der: Uint8Array) => createHash('sha256').update(der).digest('base64url');

describe('certificateBindingError', () => {
  const request = { method: 'GET', url: '/', headers: {} };

  it('passes tokens that name no certificate', () => {
    for (const cnf of [undefined, null, 'x', { jkt: 'abc' }]) {
      assert.equal(certificateBindingError(cnf, request), undefined);
    }
  });

  it('wants the very certificate the token names', () => {
    const cnf = { 'x5t#S256': x5t(ORDERS) };
    assert.equal(certificateBindingError(cnf, { ...request, clientCertificate: ORDERS }), undefined);
    for (const presented of [OTHER, undefined]) {
      const error = certificateBindingError(cnf, { ...request, clientCertificate: presented });
      assert.equal(error?.code, 'ERR_TOKEN_CERTIFICATE_MISMATCH');
      assert.equal(error?.error, 'invalid_token');
    }
    assert.ok(certificateBindingError({ 'x5t#S256': 42 }, { ...request, clientCertificate: ORDERS }));
  });
});

describe('createVerifier: a certificate binding holds whatever the scheme', () => {
  const signing = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const holder = dpopKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, 'ES256');
  let issuer = '';
  let server: Server;
  let verifier: Verifier;

  before(async () => {
    const jwk = { ...(await exportJWK(signing.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    server = createServer((req, res) => {
      const body = req.url === '/jwks' ? { keys: [jwk] } : { issuer, jwks_uri: `${issuer}/jwks` };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    verifier = createVerifier({
      issuer,
      audience: 'api',
      schemes: ['dpop'],
      dpop: { nonces: false, origin: 'https://api.example' },
    });
    await verifier.ready();
  });
  after(async () => {
    verifier.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('refuses a DPoP token also bound to a certificate over another certificate, or none', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({
      client_id: 'cli_orders',
      scope: 'orders:read',
      jti: randomBytes(8).toString('hex'),
      cnf: { jkt: holder.jkt, 'x5t#S256': x5t(ORDERS) },
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' })
      .setIssuer(issuer)
      .setAudience('api')
      .setSubject('cli_orders')
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(signing.privateKey);
    const request = (certificate: Uint8Array | undefined) => ({
      method: 'GET',
      url: '/v1/orders',
      headers: {
        authorization: `DPoP ${token}`,
        dpop: signDpopProof(holder, {
          method: 'GET',
          url: 'https://api.example/v1/orders',
          accessToken: token,
        }),
      },
      ...(certificate === undefined ? {} : { clientCertificate: certificate }),
    });
    const accepted = await verifier.verify(request(ORDERS));
    assert.ok(accepted.ok, accepted.ok ? '' : accepted.refusal.error.description);
    for (const certificate of [OTHER, undefined]) {
      const refused = await verifier.verify(request(certificate));
      assert.ok(!refused.ok);
      assert.equal(refused.refusal.status, 401);
      assert.equal(refused.refusal.error.code, 'ERR_TOKEN_CERTIFICATE_MISMATCH');
    }
  });
});
