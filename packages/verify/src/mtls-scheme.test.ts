import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RevocationList } from '@tessera/core';
import { SignJWT } from 'jose';
import { createAccessTokenCheck } from './access-token-check.js';
import { createBearerScheme } from './bearer-scheme.js';
import { CertificateClientLookup } from './certificate-client-lookup.js';
import { IntrospectionClient } from './introspection-client.js';
import { createJwtVerifier } from './jwt-verifier.js';
import { createInMemoryKeySource } from './key-source.js';
import { createMtlsScheme } from './mtls-scheme.js';
import type { Scheme, VerifyRequest } from './verification.js';
import { createVerificationKey } from './verification-key.js';

const NOW = 1_800_000_000;
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const x5t = (der: Uint8Array) => createHash('sha256').update(der).digest('base64url');

let dir = '';
let orders: Buffer;
let other: Buffer;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-verify-mtls-'));
  const make = (name: string, subject: string) => {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'].concat([
        '-keyout',
        join(dir, `${name}.key`),
        '-out',
        join(dir, `${name}.pem`),
        '-days',
        '1',
        '-subj',
        subject,
      ]),
      { stdio: 'pipe' },
    );
    return Buffer.from(new X509Certificate(readFileSync(join(dir, `${name}.pem`))).raw);
  };
  orders = make('orders', '/O=Example/CN=orders-service');
  other = make('other', '/O=Example/CN=billing-worker');
});
after(() => rmSync(dir, { recursive: true, force: true }));

function request(headers: Record<string, string>, certificate?: Buffer, trusted = true): VerifyRequest {
  return {
    method: 'GET',
    url: '/v1/orders',
    headers,
    ...(certificate === undefined
      ? {}
      : { clientCertificate: certificate, clientCertificateTrusted: trusted }),
  };
}

const sign = (claims: Record<string, unknown>) =>
  new SignJWT({ client_id: 'c1', jti: randomBytes(8).toString('hex'), scope: 'read', ...claims })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' })
    .setIssuer('https://as')
    .setAudience('api')
    .setSubject('c1')
    .setIssuedAt(NOW - 1)
    .setExpirationTime(NOW + 300)
    .sign(ec.privateKey);

/** A `fetch` that answers every call with `body` and records what it was sent. */
function fakeFetch(body: () => unknown) {
  const calls: { url: string; init: RequestInit }[] = [];
  const fetch = (async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    return new Response(JSON.stringify(body()), {
      status: 200,
      headers: { 'content-type': 'application/json' },
    });
  }) as unknown as typeof globalThis.fetch;
  return { fetch, calls };
}

describe('the bearer scheme and certificate-bound tokens (cnf.x5t#S256)', () => {
  let scheme: Scheme;
  let introspected: Record<string, unknown> = {};
  before(() => {
    const jwt = createJwtVerifier({
      issuer: 'https://as',
      audience: 'api',
      keys: createInMemoryKeySource([createVerificationKey(ec.publicKey, { alg: 'ES256', kid: 'k1' })]),
      now: () => NOW * 1000,
    });
    const introspection = new IntrospectionClient({
      kind: 'access_token',
      endpoint: 'https://as/introspect',
      clientId: 'rs',
      clientSecret: 'secret',
      issuer: 'https://as',
      audiences: ['api'],
      fetch: fakeFetch(() => introspected).fetch,
      cacheSeconds: 0,
      timeoutMs: 1000,
      now: () => NOW,
    });
    scheme = createBearerScheme(
      createAccessTokenCheck({ jwt, introspection, revocations: new RevocationList(), now: () => NOW }),
    );
  });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  it('accepts a JWT bound to the certificate the request presents, and names the binding', async () => {
    const cnf = { 'x5t#S256': x5t(orders) };
    const checked = await scheme.verify(request(bearer(await sign({ cnf })), orders));
    assert.ok(checked.ok);
    assert.deepEqual(checked.identity.confirmation, cnf);
    // Trust in the chain is not what binds: the hash is (RFC 8705 §3, self-signed certificates).
    assert.ok((await scheme.verify(request(bearer(await sign({ cnf })), orders, false))).ok);
  });

  it('refuses it over another certificate, or none', async () => {
    const token = await sign({ cnf: { 'x5t#S256': x5t(orders) } });
    for (const certificate of [other, undefined]) {
      const checked = await scheme.verify(request(bearer(token), certificate));
      assert.ok(!checked.ok);
      assert.equal(checked.error.code, 'ERR_TOKEN_CERTIFICATE_MISMATCH');
      assert.equal(checked.error.error, 'invalid_token');
    }
    const malformed = await scheme.verify(request(bearer(await sign({ cnf: { 'x5t#S256': 7 } })), orders));
    assert.ok(!malformed.ok);
  });

  it('still refuses a token bound to a key (DPoP), with or without a certificate binding beside it', async () => {
    for (const cnf of [{ jkt: 'abc' }, { jkt: 'abc', 'x5t#S256': x5t(orders) }, {}]) {
      const checked = await scheme.verify(request(bearer(await sign({ cnf })), orders));
      assert.ok(!checked.ok, JSON.stringify(cnf));
      assert.match(checked.error.description, /bound to a key/);
    }
  });

  it('checks an opaque token the same way, from its introspection answer', async () => {
    introspected = {
      active: true,
      iss: 'https://as',
      aud: 'api',
      sub: 'c1',
      client_id: 'c1',
      exp: NOW + 60,
      cnf: { 'x5t#S256': x5t(orders) },
    };
    assert.ok((await scheme.verify(request(bearer('tat_opaque1'), orders))).ok);
    const refused = await scheme.verify(request(bearer('tat_opaque2'), other));
    assert.ok(!refused.ok);
    assert.equal(refused.error.code, 'ERR_TOKEN_CERTIFICATE_MISMATCH');
  });
});

describe('the mtls scheme', () => {
  it('is the credential only when a certificate comes with no other credential', () => {
    const scheme = createMtlsScheme({ lookup: undefined, revocations: new RevocationList(), now: () => NOW });
    assert.equal(scheme.presents(request({}, orders)), true);
    assert.equal(scheme.presents(request({}, orders, false)), true);
    assert.equal(scheme.presents(request({})), false);
    assert.equal(scheme.presents(request({ authorization: 'Bearer x' }, orders)), false);
    assert.equal(scheme.presents(request({ 'x-api-key': 'tsk_live_x' }, orders)), false);
  });

  it('identifies the caller by subject DN, with no scopes, when no client is registered for it', async () => {
    const lookup = fakeFetch(() => ({ active: false }));
    for (const client of [
      undefined,
      new CertificateClientLookup({
        endpoint: 'https://as/mtls/client',
        clientId: 'rs',
        clientSecret: 'secret',
        audiences: ['orders-api', 'orders-api-v2'],
        fetch: lookup.fetch,
        cacheSeconds: 30,
        timeoutMs: 1000,
        now: () => NOW,
      }),
    ]) {
      const scheme = createMtlsScheme({ lookup: client, revocations: new RevocationList(), now: () => NOW });
      const checked = await scheme.verify(request({}, orders));
      assert.ok(checked.ok);
      assert.equal(checked.identity.subject, 'CN=orders-service,O=Example');
      assert.equal(checked.identity.clientId, undefined);
      assert.deepEqual(checked.identity.scopes, []);
      assert.equal(checked.identity.scheme, 'mtls');
      assert.deepEqual(checked.identity.confirmation, { 'x5t#S256': x5t(orders) });
    }
    assert.equal(lookup.calls.length, 1);
  });

  it('identifies a registered client by its id and scopes, asks once, and asks again once it is deleted', async () => {
    const lookup = fakeFetch(() => ({
      active: true,
      client_id: 'cli_orders',
      scope: 'orders:read orders:write',
    }));
    const revocations = new RevocationList();
    let now = NOW;
    const scheme = createMtlsScheme({
      lookup: new CertificateClientLookup({
        endpoint: 'https://as/mtls/client',
        clientId: 'rs',
        clientSecret: 'secret',
        audiences: ['orders-api', 'orders-api-v2'],
        fetch: lookup.fetch,
        cacheSeconds: 30,
        timeoutMs: 1000,
        now: () => now,
      }),
      revocations,
      now: () => now,
    });
    for (let i = 0; i < 2; i++) {
      const checked = await scheme.verify(request({}, orders));
      assert.ok(checked.ok);
      assert.equal(checked.identity.subject, 'cli_orders');
      assert.equal(checked.identity.clientId, 'cli_orders');
      assert.deepEqual(checked.identity.scopes, ['orders:read', 'orders:write']);
    }
    assert.equal(lookup.calls.length, 1);
    const [call] = lookup.calls;
    assert.equal(call?.url, 'https://as/mtls/client');
    const form = new URLSearchParams(String(call?.init.body));
    assert.equal(form.get('certificate'), orders.toString('base64url'));
    // The issuer names the client only to the APIs it may call.
    assert.deepEqual(form.getAll('audience'), ['orders-api', 'orders-api-v2']);
    assert.equal(
      (call?.init.headers as Record<string, string> | undefined)?.authorization,
      `Basic ${btoa('rs:secret')}`,
    );

    now += 1;
    revocations.apply({ kind: 'client', value: 'cli_orders', revokedAt: now + 5, expiresAt: now + 3600 });
    const afterDeletion = await scheme.verify(request({}, orders));
    assert.ok(afterDeletion.ok);
    assert.equal(afterDeletion.identity.subject, 'CN=orders-service,O=Example');
    assert.deepEqual(afterDeletion.identity.scopes, []);
    assert.equal(lookup.calls.length, 2);
  });

  it('fails, rather than guessing, when the issuer cannot answer the lookup', async () => {
    const failing = (async () => new Response('', { status: 500 })) as unknown as typeof fetch;
    const lookup = new CertificateClientLookup({
      endpoint: 'https://as/mtls/client',
      clientId: 'rs',
      clientSecret: 'secret',
      audiences: ['orders-api'],
      fetch: failing,
      cacheSeconds: 30,
      timeoutMs: 1000,
      now: () => NOW,
    });
    await assert.rejects(lookup.lookup(orders), /answered 500/);
  });

  it('refuses a certificate that is not trusted (foreign CA, expired), or cannot be read', async () => {
    const scheme = createMtlsScheme({ lookup: undefined, revocations: new RevocationList(), now: () => NOW });
    const untrusted = await scheme.verify(request({}, orders, false));
    assert.ok(!untrusted.ok);
    assert.equal(untrusted.error.error, 'invalid_token');
    const garbage = await scheme.verify(request({}, Buffer.from('not a certificate')));
    assert.ok(!garbage.ok);
  });
});
