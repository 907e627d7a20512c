/**
 * Mutual TLS at the authorization server (RFC 8705): `tls_client_auth` and
 * `self_signed_tls_client_auth` at the token endpoint, certificate-bound tokens, discovery,
 * the certificate lookup for gateways, and the `Client-Cert` header (RFC 9440) of a trusted
 * proxy. Clients are Node's TLS client and `curl --cert/--key`, with certificates made by
 * the openssl CLI.
 */
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { certificateThumbprint, formatClientCertHeader } from '@tessera/core';
import { decodeJwt, exportJWK } from 'jose';
import { runCommand } from '../cli/run-tessera.js';
import {
  basic,
  describeEachDatabase,
  postForm,
  sqlite,
  startTestServer,
  type TestServer,
} from '../harness.js';
import { type Made, makeTestCertificates, type TestCertificates } from './certificates.js';

const x5t = (der: Buffer) => createHash('sha256').update(der).digest('base64url');

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** POSTs a form over HTTPS with Node's TLS client, presenting `client` if given. */
function tlsPost(
  url: string,
  ca: Buffer,
  client: Made | undefined,
  form: Record<string, string>,
  extraHeaders: Record<string, string> = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = new URLSearchParams(form).toString();
    const req = httpsRequest(
      url,
      {
        method: 'POST',
        ca,
        ...(client ? { cert: client.cert, key: client.key } : {}),
        agent: false,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
          ...extraHeaders,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: text === '' ? {} : JSON.parse(text) }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

let certs: TestCertificates;
before(() => {
  certs = makeTestCertificates();
});
after(() => certs?.remove());

const tlsSettings = () => ({
  tlsCert: certs.server.certFile,
  tlsKey: certs.server.keyFile,
  tlsClientCa: certs.ca.certFile,
});

describeEachDatabase('mutual TLS at the token endpoint', (db) => {
  let t: TestServer;
  let token: string;
  let orders: { clientId: string };
  let selfSigned: { clientId: string };
  const post = (client: Made | undefined, form: Record<string, string>) =>
    tlsPost(token, certs.ca.cert, client, form);
  const grant = (clientId: string) => ({ grant_type: 'client_credentials', client_id: clientId });

  before(async () => {
    t = await startTestServer(db, tlsSettings());
    token = `${t.issuer}/token`;
    await t.server.tessera.resourceServers.create({ audience: 'orders-api', scopes: ['orders:read'] });
    orders = await t.createClient({
      authMethod: 'tls_client_auth',
      tlsSubjectDn: 'CN=orders-service,O=Example',
      scopes: ['orders:read'],
      audiences: ['orders-api'],
    });
    const jwk = await exportJWK(new X509Certificate(certs.selfSigned.cert).publicKey);
    selfSigned = await t.createClient({
      authMethod: 'self_signed_tls_client_auth',
      jwks: { keys: [jwk] },
      scopes: ['orders:read'],
      audiences: ['orders-api'],
    });
  });
  after(() => t.close());

  it('issues a token bound to the certificate of a tls_client_auth client (Node TLS client)', async () => {
    assert.match(t.issuer, /^https:\/\/127\.0\.0\.1:\d+$/);
    const answer = await post(certs.orders, grant(orders.clientId));
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body.token_type, 'Bearer');
    const claims = decodeJwt(String(answer.body.access_token));
    assert.deepEqual(claims.cnf, { 'x5t#S256': x5t(certs.orders.der) });
    assert.equal(claims.client_id, orders.clientId);
    assert.equal(claims.scope, 'orders:read');
  });

  it('binds the tokens of the authorization code and refresh grants to the certificate too', async () => {
    const web = await t.createClient({
      name: 'billing web',
      authMethod: 'tls_client_auth',
      tlsSan: 'dns:anonymous.internal',
      grantTypes: ['authorization_code', 'refresh_token'],
      redirectUris: ['https://billing.example/cb'],
    });
    // Registered without audiences, it is confined to none: every gateway knows it by its id.
    const gateway = await t.createClient({ resourceServer: true });
    const known = await tlsPostWithAuth(
      `${t.issuer}/mtls/client`,
      basic(gateway.clientId, gateway.clientSecret),
      [
        ['certificate', certs.noSubject.der.toString('base64url')],
        ['audience', 'any-api'],
      ],
    );
    assert.deepEqual(known.body, { active: true, client_id: web.clientId, scope: '' });
    const user = await t.server.tessera.users.create({ username: 'dana', password: 'dana password 1' });
    const session = await t.server.tessera.sessions.start(user.id);
    const verifier = 'v'.repeat(43);
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const client = await t.server.tessera.clients.find(web.clientId);
    assert.ok(client);
    const code = await t.server.tessera.grants.issueCode(
      {
        clientId: web.clientId,
        redirectUri: 'https://billing.example/cb',
        redirectUriSent: true,
        scopes: ['openid', 'offline_access'],
        audience: t.issuer,
        state: undefined,
        nonce: undefined,
        codeChallenge: challenge,
        prompt: [],
        maxAge: undefined,
        loginHint: undefined,
        dpopJkt: undefined,
      },
      client,
      session.session,
    );
    const exchange = {
      grant_type: 'authorization_code',
      client_id: web.clientId,
      code,
      redirect_uri: 'https://billing.example/cb',
      code_verifier: verifier,
    };
    const answer = await post(certs.noSubject, exchange);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(decodeJwt(String(answer.body.access_token)).cnf, {
      'x5t#S256': x5t(certs.noSubject.der),
    });
    const refreshed = await post(certs.noSubject, {
      grant_type: 'refresh_token',
      client_id: web.clientId,
      refresh_token: String(answer.body.refresh_token),
    });
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    assert.deepEqual(decodeJwt(String(refreshed.body.access_token)).cnf, {
      'x5t#S256': x5t(certs.noSubject.der),
    });
    // Userinfo takes the certificate-bound token over that certificate only.
    const userinfo = `${t.issuer}/userinfo`;
    const bearer = { authorization: `Bearer ${String(refreshed.body.access_token)}` };
    const overItsCertificate = await tlsPost(userinfo, certs.ca.cert, certs.noSubject, {}, bearer);
    assert.equal(overItsCertificate.status, 200, JSON.stringify(overItsCertificate.body));
    assert.equal(overItsCertificate.body.sub, user.id);
    assert.equal((await tlsPost(userinfo, certs.ca.cert, certs.orders, {}, bearer)).status, 401);
    assert.equal((await tlsPost(userinfo, certs.ca.cert, undefined, {}, bearer)).status, 401);
    // Another client's certificate does not authenticate this client.
    const stolen = await post(certs.orders, {
      grant_type: 'refresh_token',
      client_id: web.clientId,
      refresh_token: String(refreshed.body.refresh_token),
    });
    assert.equal(stolen.status, 401);
  });

  it('binds a token exchanged by a certificate client to its certificate', async () => {
    const exchanger = await t.createClient({
      authMethod: 'tls_client_auth',
      tlsSubjectDn: 'CN=billing-worker,O=Example',
      grantTypes: ['urn:ietf:params:oauth:grant-type:token-exchange'],
      scopes: ['orders:read'],
      audiences: ['orders-api'],
    });
    const subject = await post(certs.orders, grant(orders.clientId));
    assert.equal(subject.status, 200);
    const exchanged = await post(certs.billing, {
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      client_id: exchanger.clientId,
      subject_token: String(subject.body.access_token),
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      audience: 'orders-api',
    });
    assert.equal(exchanged.status, 200, JSON.stringify(exchanged.body));
    assert.deepEqual(decodeJwt(String(exchanged.body.access_token)).cnf, {
      'x5t#S256': x5t(certs.billing.der),
    });
    await t.server.tessera.clients.delete(exchanger.clientId);
  });

  it('works with curl --cert/--key', async () => {
    const run = await runCommand(
      'curl',
      [
        '-sS',
        '--cacert',
        certs.ca.certFile,
        '--cert',
        certs.orders.certFile,
        '--key',
        certs.orders.keyFile,
        '-d',
        'grant_type=client_credentials',
        '-d',
        `client_id=${orders.clientId}`,
        '-w',
        '\n%{http_code}',
        token,
      ],
      { cwd: certs.dir },
    );
    assert.equal(run.code, 0, run.stderr);
    const [body = '', status] = run.stdout.split('\n');
    assert.equal(status, '200', body);
    assert.deepEqual(decodeJwt(JSON.parse(body).access_token).cnf, { 'x5t#S256': x5t(certs.orders.der) });
  });

  it('refuses another subject, an expired certificate, a foreign CA and no certificate with invalid_client', async () => {
    for (const [what, client] of [
      ['another subject', certs.billing],
      ['expired', certs.expired],
      ['foreign CA, same subject', certs.foreign],
      ['expired CA, same subject', certs.fromExpiredCa],
      ['a CA with the same name', certs.impostor],
      ['self-signed', certs.selfSigned],
      ['no certificate', undefined],
    ] as const) {
      const answer = await post(client, grant(orders.clientId));
      assert.equal(answer.status, 401, what);
      assert.equal(answer.body.error, 'invalid_client', what);
    }
    const logs = t.logs();
    for (const code of [
      'ERR_CLIENT_CERTIFICATE_MISMATCH',
      'ERR_CLIENT_CERTIFICATE_UNTRUSTED',
      'ERR_CLIENT_CERTIFICATE_MISSING',
    ]) {
      assert.ok(logs.includes(code), code);
    }
  });

  it('self_signed_tls_client_auth: the registered key is accepted, another key refused', async () => {
    const accepted = await post(certs.selfSigned, grant(selfSigned.clientId));
    assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
    assert.deepEqual(decodeJwt(String(accepted.body.access_token)).cnf, {
      'x5t#S256': x5t(certs.selfSigned.der),
    });
    for (const client of [certs.otherSelfSigned, certs.expiredSelfSigned, certs.orders, undefined]) {
      const refused = await post(client, grant(selfSigned.clientId));
      assert.equal(refused.status, 401);
      assert.equal(refused.body.error, 'invalid_client');
    }
  });

  it('tls_client_auth by an alternative name (SAN), compared as a DNS name', async () => {
    const bySan = await t.createClient({ authMethod: 'tls_client_auth', tlsSan: 'DNS:Orders.Internal' });
    const answer = await post(certs.orders, grant(bySan.clientId));
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal((await post(certs.billing, grant(bySan.clientId))).status, 401);
    await assert.rejects(
      t.createClient({ authMethod: 'tls_client_auth', tlsSan: 'orders.internal' }),
      /dns:NAME, uri:URI, ip:ADDRESS or email:ADDRESS/,
    );
  });

  it('a certificate does not stand in for a secret, nor a secret-less client for a certificate client', async () => {
    const secretClient = await t.createClient({ scopes: [] });
    const answer = await post(certs.orders, grant(secretClient.clientId));
    assert.equal(answer.status, 401);
    assert.equal(answer.body.error, 'invalid_client');
    // A client secret sent by a certificate client is one method too many, or the wrong one.
    const withSecret = await post(certs.orders, {
      ...grant(orders.clientId),
      client_secret: secretClient.clientSecret,
    });
    assert.equal(withSecret.status, 401);
  });

  it('discovery names the mTLS aliases and bound tokens', async () => {
    const metadata = (await tlsPostless(`${t.issuer}/.well-known/oauth-authorization-server`)) as Record<
      string,
      unknown
    >;
    assert.equal(metadata.tls_client_certificate_bound_access_tokens, true);
    assert.deepEqual(metadata.mtls_endpoint_aliases, {
      token_endpoint: `${t.issuer}/token`,
      introspection_endpoint: `${t.issuer}/introspect`,
      revocation_endpoint: `${t.issuer}/revoke`,
    });
    for (const method of ['tls_client_auth', 'self_signed_tls_client_auth']) {
      assert.ok((metadata.token_endpoint_auth_methods_supported as string[]).includes(method), method);
    }
    assert.equal(metadata.mtls_client_lookup_endpoint, `${t.issuer}/mtls/client`);
  });

  it('tells a resource server which client a certificate names, and no one else', async () => {
    const gateway = await t.createClient({ resourceServer: true });
    const plain = await t.createClient({});
    const lookup = (
      client: { clientId: string; clientSecret: string },
      der: Buffer,
      audiences: readonly string[] = ['orders-api'],
    ) =>
      tlsPostWithAuth(`${t.issuer}/mtls/client`, basic(client.clientId, client.clientSecret), [
        ['certificate', der.toString('base64url')],
        ...audiences.map((audience): [string, string] => ['audience', audience]),
      ]);
    assert.deepEqual((await lookup(gateway, certs.orders.der)).body, {
      active: true,
      client_id: orders.clientId,
      scope: 'orders:read',
    });
    assert.deepEqual((await lookup(gateway, certs.billing.der)).body, { active: false });
    assert.deepEqual((await lookup(gateway, certs.expired.der)).body, { active: false });
    const refused = await lookup(plain, certs.orders.der);
    assert.equal(refused.status, 403);
    const malformed = await tlsPostWithAuth(
      `${t.issuer}/mtls/client`,
      basic(gateway.clientId, gateway.clientSecret),
      {
        certificate: 'bm90IGEgY2VydA',
        audience: 'orders-api',
      },
    );
    assert.equal(malformed.status, 400);
    const noAudience = await lookup(gateway, certs.orders.der, []);
    assert.equal(noAudience.status, 400);
  });

  it('names a certificate’s client only to the APIs it may call, with its scopes for them', async () => {
    const gateway = await t.createClient({ resourceServer: true });
    const lookup = (der: Buffer, ...audiences: string[]) =>
      tlsPostWithAuth(`${t.issuer}/mtls/client`, basic(gateway.clientId, gateway.clientSecret), [
        ['certificate', der.toString('base64url')],
        ...audiences.map((audience): [string, string] => ['audience', audience]),
      ]);
    assert.deepEqual((await lookup(certs.orders.der, 'billing-api')).body, { active: false });
    const billing = await t.createClient({
      authMethod: 'tls_client_auth',
      tlsSubjectDn: 'CN=billing-worker,O=Example',
      scopes: ['orders:read', 'orders:write', 'reports:run'],
      // orders-api is registered (it defines orders:read only); reports-api is not.
      audiences: ['orders-api', 'reports-api'],
    });
    const named = (scope: string) => ({ active: true, client_id: billing.clientId, scope });
    assert.deepEqual((await lookup(certs.billing.der, 'orders-api')).body, named('orders:read'));
    assert.deepEqual(
      (await lookup(certs.billing.der, 'reports-api')).body,
      named('orders:read orders:write reports:run'),
    );
    assert.deepEqual(
      (await lookup(certs.billing.der, 'billing-api', 'orders-api')).body,
      named('orders:read'),
    );
    assert.deepEqual((await lookup(certs.billing.der, 'billing-api')).body, { active: false });
  });

  it('refuses a registration without a subject, with a bad DN or a taken subject', async () => {
    const create = (input: Record<string, unknown>) =>
      t.createClient({ authMethod: 'tls_client_auth', tlsSubjectDn: 'CN=x', ...input });
    await assert.rejects(create({ tlsSubjectDn: undefined }), /one --tls-subject-dn or one --tls-san/);
    await assert.rejects(create({ tlsSubjectDn: '/CN=x/O=y' }), /RFC 4514/);
    await assert.rejects(create({ tlsSubjectDn: 'cn=Orders-Service, o=example' }), /another client/);
    await assert.rejects(create({ tlsSan: 'dns:x' }), /one --tls-subject-dn or one --tls-san/);
    await assert.rejects(t.createClient({ tlsSubjectDn: 'CN=x' }), /is for tls_client_auth/);
    await assert.rejects(t.createClient({ authMethod: 'self_signed_tls_client_auth' }), /--jwks/);
  });

  async function tlsPostless(url: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      httpsRequest(url, { ca: certs.ca.cert, agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve(JSON.parse(text)));
      })
        .on('error', reject)
        .end();
    });
  }

  function tlsPostWithAuth(
    url: string,
    authorization: string,
    form: Record<string, string> | [string, string][],
  ): Promise<Answer> {
    return fetchTls(url, certs.ca.cert, { authorization }, new URLSearchParams(form).toString());
  }
});

describe('mutual TLS: discovery without a client CA', () => {
  it('offers no certificate methods and no aliases', async () => {
    const t = await startTestServer(sqlite, { tlsCert: certs.server.certFile, tlsKey: certs.server.keyFile });
    try {
      const answer = await fetchTls(
        `${t.issuer}/.well-known/oauth-authorization-server`,
        certs.ca.cert,
        {},
        undefined,
      );
      assert.equal(answer.body.tls_client_certificate_bound_access_tokens, undefined);
      assert.equal(answer.body.mtls_endpoint_aliases, undefined);
      assert.ok(!(answer.body.token_endpoint_auth_methods_supported as string[]).includes('tls_client_auth'));
      // No certificate is asked for, so one sent is not seen: the client fails to authenticate.
      const client = await t.createClient({
        authMethod: 'tls_client_auth',
        tlsSubjectDn: 'CN=orders-service,O=Example',
      });
      const refused = await tlsPost(`${t.issuer}/token`, certs.ca.cert, certs.orders, {
        grant_type: 'client_credentials',
        client_id: client.clientId,
      });
      assert.equal(refused.status, 401);
    } finally {
      await t.close();
    }
  });
});

describe('mutual TLS behind a TLS-terminating proxy (Client-Cert, RFC 9440)', () => {
  let t: TestServer;
  let trusted: TestServer;
  let clientId = '';
  before(async () => {
    // The proxy's address is 127.0.0.1 (the test itself); the other server trusts only 127.0.0.2.
    trusted = await startTestServer(sqlite, {
      tlsClientCa: certs.ca.certFile,
      trustedProxies: ['127.0.0.1'],
    });
    t = await startTestServer(sqlite, { tlsClientCa: certs.ca.certFile, trustedProxies: ['127.0.0.2'] });
    const created = await trusted.server.tessera.clients.create({
      name: 'orders',
      grantTypes: ['client_credentials'],
      authMethod: 'tls_client_auth',
      tlsSubjectDn: 'CN=orders-service,O=Example',
    });
    clientId = created.client.id;
  });
  after(async () => {
    await trusted.close();
    await t.close();
  });

  const viaProxy = (
    server: TestServer,
    id: string,
    der: Buffer | undefined,
    extra: Record<string, string> = {},
  ) =>
    postForm(
      `${server.issuer}/token`,
      { grant_type: 'client_credentials', client_id: id },
      { ...(der === undefined ? {} : { 'client-cert': formatClientCertHeader(der) }), ...extra },
    );

  it('believes the header from a trusted proxy, and binds the token to that certificate', async () => {
    const response = await viaProxy(trusted, clientId, certs.orders.der);
    assert.equal(response.status, 200);
    const { access_token: accessToken } = (await response.json()) as { access_token: string };
    assert.deepEqual(decodeJwt(accessToken).cnf, { 'x5t#S256': certificateThumbprint(certs.orders.der) });
  });

  it('still checks the forwarded certificate: chain, dates, subject, one header', async () => {
    for (const der of [
      certs.foreign.der,
      certs.expired.der,
      certs.fromExpiredCa.der,
      certs.impostor.der,
      certs.billing.der,
      certs.selfSigned.der,
      undefined,
    ]) {
      const response = await viaProxy(trusted, clientId, der);
      assert.equal(response.status, 401);
    }
    const twice = await fetch(`${trusted.issuer}/token`, {
      method: 'POST',
      headers: [
        ['content-type', 'application/x-www-form-urlencoded'],
        ['client-cert', formatClientCertHeader(certs.orders.der)],
        ['client-cert', formatClientCertHeader(certs.orders.der)],
      ],
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId }).toString(),
    });
    assert.equal(twice.status, 401);
  });

  it('ignores the header from anyone else', async () => {
    const created = await t.server.tessera.clients.create({
      name: 'orders',
      grantTypes: ['client_credentials'],
      authMethod: 'tls_client_auth',
      tlsSubjectDn: 'CN=orders-service,O=Example',
    });
    const response = await viaProxy(t, created.client.id, certs.orders.der);
    assert.equal(response.status, 401);
    assert.equal(((await response.json()) as { error: string }).error, 'invalid_client');
    assert.ok(t.logs().includes('ERR_CLIENT_CERTIFICATE_MISSING'));
  });
});

/** A request over HTTPS (no client certificate) with Node's TLS client. */
function fetchTls(
  url: string,
  ca: Buffer,
  headers: Record<string, string>,
  body: string | undefined,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        method: body === undefined ? 'GET' : 'POST',
        ca,
        agent: false,
        headers:
          body === undefined ? headers : { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: text === '' ? {} : JSON.parse(text) }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
