/**
 * Token exchange (RFC 8693) for API-to-API calls: a caller's token reaches the orders
 * service, which trades it for a narrower one to call billing, which trades again for the
 * ledger. Checked over HTTP, with jose against the published JWKS.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, it } from 'node:test';
import { dpopKey, signDpopProof } from '@tessera/core';
import { createRemoteJWKSet, decodeJwt, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { basic, describeEachDatabase, postForm, startTestServer, type TestServer } from '../harness.js';

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';
const JWT = 'urn:ietf:params:oauth:token-type:jwt';
/** The caller's tokens live this long, much shorter than the 900 s default. */
const CALLER_TTL = 60;

type Client = { clientId: string; clientSecret: string };

async function expectError(response: Response, error: string, what: string) {
  const text = await response.text();
  assert.equal(response.status, 400, `${what}: status ${response.status} ${text}`);
  const body = JSON.parse(text);
  assert.equal(body.error, error, `${what}: ${text}`);
  assert.deepEqual(Object.keys(body).sort(), ['error', 'error_description'], what);
  assert.equal(response.headers.get('cache-control'), 'no-store', what);
  return body;
}

describeEachDatabase('token exchange', (db) => {
  let t: TestServer;
  /** The caller: a service with client credentials for orders-api. */
  let caller: Client;
  /** The orders service: it may exchange into billing-api, an unregistered API and an opaque one. */
  let orders: Client;
  /** The billing service: it may exchange into ledger-api. */
  let billing: Client;

  before(async () => {
    t = await startTestServer(db);
    const apis = t.server.tessera.resourceServers;
    await apis.create({ audience: 'orders-api', scopes: ['orders:read', 'orders:write', 'charges:read'] });
    await apis.create({ audience: 'opaque-orders-api', scopes: ['charges:read'], tokenFormat: 'opaque' });
    await apis.create({ audience: 'billing-api', scopes: ['charges:read', 'charges:write'] });
    await apis.create({ audience: 'opaque-billing-api', scopes: ['charges:read'], tokenFormat: 'opaque' });
    await apis.create({ audience: 'ledger-api', scopes: ['charges:read'] });
    caller = await t.createClient({
      scopes: ['orders:read', 'orders:write', 'charges:read'],
      audiences: ['orders-api', 'opaque-orders-api'],
      accessTokenTtl: CALLER_TTL,
    });
    orders = await t.createClient({
      grantTypes: [TOKEN_EXCHANGE],
      scopes: ['orders:read', 'charges:read', 'charges:write'],
      audiences: ['billing-api', 'unregistered-api', 'opaque-billing-api'],
    });
    billing = await t.createClient({
      grantTypes: [TOKEN_EXCHANGE],
      scopes: ['charges:read'],
      audiences: ['ledger-api'],
    });
  });
  after(() => t.close());

  const auth = (client: Client) => ({ authorization: basic(client.clientId, client.clientSecret) });
  const jwks = () => createRemoteJWKSet(new URL(`${t.issuer}/jwks`));

  /** A caller's token for orders-api holding `orders:read orders:write charges:read`. */
  async function callerToken(resource = 'orders-api', scope?: string): Promise<string> {
    const response = await postForm(
      `${t.issuer}/token`,
      { grant_type: 'client_credentials', resource, ...(scope === undefined ? {} : { scope }) },
      auth(caller),
    );
    assert.equal(response.status, 200);
    return (await response.json()).access_token;
  }

  const exchange = (client: Client, form: Record<string, string> | string) =>
    postForm(`${t.issuer}/token`, form, auth(client));
  const exchangeForm = (subjectToken: string, extra: Record<string, string> = {}) => ({
    grant_type: TOKEN_EXCHANGE,
    subject_token: subjectToken,
    subject_token_type: ACCESS_TOKEN,
    ...extra,
  });

  it('binds the exchanged token to the DPoP key the exchange proved, and a public client cannot exchange', async () => {
    const key = dpopKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, 'ES256');
    const url = `${t.issuer}/token`;
    const form = exchangeForm(await callerToken(), { audience: 'billing-api' });
    const withProof = (nonce?: string) =>
      postForm(url, form, { ...auth(orders), dpop: signDpopProof(key, { method: 'POST', url, nonce }) });
    const nonce = (await withProof()).headers.get('dpop-nonce') ?? '';
    const response = await withProof(nonce);
    assert.equal(response.status, 200);
    assert.ok(response.headers.get('dpop-nonce'));
    const body = await response.json();
    assert.equal(body.token_type, 'DPoP');
    assert.deepEqual(decodeJwt(body.access_token).cnf, { jkt: key.jkt });
    await assert.rejects(
      t.createClient({ authMethod: 'none', grantTypes: [TOKEN_EXCHANGE], audiences: ['billing-api'] }),
      /public client .* cannot exchange tokens/,
    );
  });

  it('is advertised in discovery', async () => {
    const metadata = await (await fetch(`${t.issuer}/.well-known/oauth-authorization-server`)).json();
    assert.ok(metadata.grant_types_supported.includes(TOKEN_EXCHANGE));
  });

  it('trades a token for a narrower one to the next API, recording the actor', async () => {
    const subjectToken = await callerToken();
    const subject = decodeJwt(subjectToken);
    const response = await exchange(
      orders,
      exchangeForm(subjectToken, { subject_token_type: JWT, audience: 'billing-api' }),
    );
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const body = await response.json();
    assert.deepEqual(Object.keys(body).sort(), [
      'access_token',
      'expires_in',
      'issued_token_type',
      'scope',
      'token_type',
    ]);
    assert.equal(body.issued_token_type, ACCESS_TOKEN);
    assert.equal(body.token_type, 'Bearer');
    // orders:read is the subject's and the client's, but billing-api does not define it.
    assert.equal(body.scope, 'charges:read');

    const { payload } = await jwtVerify(body.access_token, jwks(), {
      issuer: t.issuer,
      audience: 'billing-api',
      typ: 'at+jwt',
      requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'client_id', 'scope'],
    });
    assert.equal(payload.aud, 'billing-api');
    assert.equal(payload.sub, caller.clientId);
    assert.equal(payload.client_id, orders.clientId);
    assert.deepEqual(payload.act, { sub: orders.clientId });
    assert.equal(payload.scope, 'charges:read');
    assert.equal(payload.cnf, undefined);
    // Never past the subject token, though the exchanging client's default is 900 s.
    assert.ok((payload.exp ?? Infinity) <= (subject.exp ?? 0), 'outlives the subject token');
    assert.ok(body.expires_in <= CALLER_TTL, `expires_in ${body.expires_in}`);
  });

  it('narrows the default scope to the subject token and the client', async () => {
    const subjectToken = await callerToken();
    assert.equal(decodeJwt(subjectToken).scope, 'orders:read orders:write charges:read');
    // An unregistered API defines no scopes; orders:write is the subject's but not the client's.
    const response = await exchange(orders, exchangeForm(subjectToken, { resource: 'unregistered-api' }));
    assert.equal(response.status, 200);
    const body = await response.json();
    assert.equal(body.scope, 'orders:read charges:read');
    assert.equal(decodeJwt(body.access_token).aud, 'unregistered-api');
    // An explicit, narrower scope is granted as asked.
    const narrow = await exchange(
      orders,
      exchangeForm(subjectToken, { audience: 'billing-api', scope: 'charges:read' }),
    );
    assert.equal((await narrow.json()).scope, 'charges:read');
  });

  it('nests act through a chain of exchanges, the current actor outermost', async () => {
    const first = await exchange(orders, exchangeForm(await callerToken(), { audience: 'billing-api' }));
    const { access_token: billingToken } = await first.json();
    const second = await exchange(billing, exchangeForm(billingToken, { resource: 'ledger-api' }));
    assert.equal(second.status, 200);
    const { payload } = await jwtVerify((await second.json()).access_token, jwks(), {
      issuer: t.issuer,
      audience: 'ledger-api',
      typ: 'at+jwt',
    });
    assert.equal(payload.sub, caller.clientId);
    assert.equal(payload.client_id, billing.clientId);
    assert.deepEqual(payload.act, { sub: billing.clientId, act: { sub: orders.clientId } });
  });

  it('exchanges opaque subject tokens, issues opaque tokens, and introspection shows act', async () => {
    const subjectToken = await callerToken('opaque-orders-api');
    assert.match(subjectToken, /^tat_/);
    // The jwt token type does not describe an opaque token.
    await expectError(
      await exchange(
        orders,
        exchangeForm(subjectToken, { subject_token_type: JWT, audience: 'billing-api' }),
      ),
      'invalid_request',
      'opaque token sent as a JWT',
    );
    const toJwt = await exchange(orders, exchangeForm(subjectToken, { audience: 'billing-api' }));
    assert.equal(toJwt.status, 200);
    const jwtClaims = decodeJwt((await toJwt.json()).access_token);
    assert.equal(jwtClaims.sub, caller.clientId);
    assert.deepEqual(jwtClaims.act, { sub: orders.clientId });

    const toOpaque = await exchange(orders, exchangeForm(subjectToken, { audience: 'opaque-billing-api' }));
    assert.equal(toOpaque.status, 200);
    const { access_token } = await toOpaque.json();
    assert.match(access_token, /^tat_/);
    const introspection = await (
      await postForm(`${t.issuer}/introspect`, { token: access_token }, auth(orders))
    ).json();
    assert.equal(introspection.active, true);
    assert.equal(introspection.aud, 'opaque-billing-api');
    assert.equal(introspection.sub, caller.clientId);
    assert.equal(introspection.client_id, orders.clientId);
    assert.equal(introspection.scope, 'charges:read');
    assert.deepEqual(introspection.act, { sub: orders.clientId });
  });

  it('introspection of an exchanged JWT shows the actor chain', async () => {
    const first = await exchange(orders, exchangeForm(await callerToken(), { audience: 'billing-api' }));
    const second = await exchange(
      billing,
      exchangeForm((await first.json()).access_token, { audience: 'ledger-api' }),
    );
    const { access_token } = await second.json();
    const introspection = await (
      await postForm(`${t.issuer}/introspect`, { token: access_token }, auth(billing))
    ).json();
    assert.equal(introspection.active, true);
    assert.equal(introspection.client_id, billing.clientId);
    assert.deepEqual(introspection.act, { sub: billing.clientId, act: { sub: orders.clientId } });
  });

  it('refuses a target the client may not exchange into (invalid_target)', async () => {
    const subjectToken = await callerToken();
    // ledger-api is a registered API, but only billing's client may exchange into it.
    await expectError(
      await exchange(orders, exchangeForm(subjectToken, { audience: 'ledger-api' })),
      'invalid_target',
      'audience not listed',
    );
    await expectError(
      await exchange(orders, exchangeForm(subjectToken, { resource: 'ledger-api' })),
      'invalid_target',
      'resource not listed',
    );
  });

  it('refuses more than one target (invalid_target) and none (invalid_request)', async () => {
    const subjectToken = await callerToken();
    const base = new URLSearchParams(exchangeForm(subjectToken)).toString();
    for (const [what, targets] of [
      ['resource and audience', 'resource=billing-api&audience=unregistered-api'],
      ['two audiences', 'audience=billing-api&audience=unregistered-api'],
      ['two resources', 'resource=billing-api&resource=unregistered-api'],
      ['the same audience twice', 'audience=billing-api&audience=billing-api'],
    ] as const) {
      await expectError(await exchange(orders, `${base}&${targets}`), 'invalid_target', what);
    }
    await expectError(await exchange(orders, base), 'invalid_request', 'no target');
    await expectError(await exchange(orders, `${base}&audience=`), 'invalid_request', 'empty audience');
    // A repeated audience is the exchange's own business: other grants still refuse it.
    await expectError(
      await postForm(
        `${t.issuer}/token`,
        'grant_type=client_credentials&audience=a&audience=b',
        auth(caller),
      ),
      'invalid_request',
      'repeated audience in client credentials',
    );
  });

  it('refuses a scope wider than the subject token, the client or the target API (invalid_scope)', async () => {
    const subjectToken = await callerToken();
    const cases = [
      // The client holds it and billing defines it, but the subject token does not carry it.
      ['beyond the subject token', 'billing-api', 'charges:write'],
      ['partly beyond the subject token', 'billing-api', 'charges:read charges:write'],
      // The subject token carries it, but the exchanging client may not hold it.
      ['beyond the client', 'unregistered-api', 'orders:write'],
      // The subject token carries it and the client holds it, but billing does not define it.
      ['beyond the target API', 'billing-api', 'orders:read'],
      ['malformed', 'billing-api', 'charges:read  charges:read'],
    ] as const;
    for (const [what, audience, scope] of cases) {
      await expectError(
        await exchange(orders, exchangeForm(subjectToken, { audience, scope })),
        'invalid_scope',
        what,
      );
    }
    // Nothing left to pass on: the subject token holds only orders:read, billing's client
    // and ledger-api only charges:read.
    const ordersOnly = await callerToken('orders-api', 'orders:read');
    await expectError(
      await exchange(billing, exchangeForm(ordersOnly, { audience: 'ledger-api' })),
      'invalid_scope',
      'empty default scope',
    );
  });

  it('refuses a revoked, forged or garbage subject token (invalid_request, RFC 8693 §2.2.2)', async () => {
    const subjectToken = await callerToken();
    const form = exchangeForm(subjectToken, { audience: 'billing-api' });
    assert.equal((await exchange(orders, form)).status, 200);
    const revoked = await postForm(`${t.issuer}/revoke`, { token: subjectToken }, auth(caller));
    assert.equal(revoked.status, 200);
    const body = await expectError(await exchange(orders, form), 'invalid_request', 'revoked subject token');
    assert.match(body.error_description, /subject_token/);

    const { privateKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT({ ...decodeJwt(await callerToken()) })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'forged' })
      .sign(privateKey);
    for (const [what, token] of [
      ['forged', forged],
      ['garbage', 'not-a-token'],
      ['forged opaque', `tat_${'A'.repeat(43)}.${'A'.repeat(22)}`],
    ] as const) {
      await expectError(
        await exchange(orders, exchangeForm(token, { audience: 'billing-api' })),
        'invalid_request',
        what,
      );
    }
  });

  it('refuses a client without the token-exchange grant (unauthorized_client)', async () => {
    const subjectToken = await callerToken();
    await expectError(
      await exchange(caller, exchangeForm(subjectToken, { audience: 'orders-api' })),
      'unauthorized_client',
      'client credentials client',
    );
  });

  it('refuses unsupported token types and actor tokens (invalid_request)', async () => {
    const subjectToken = await callerToken();
    const form = (extra: Record<string, string>) =>
      exchangeForm(subjectToken, { audience: 'billing-api', ...extra });
    const cases = [
      ['SAML subject token', { subject_token_type: 'urn:ietf:params:oauth:token-type:saml2' }],
      ['refresh token as subject', { subject_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' }],
      ['requested refresh token', { requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' }],
      ['requested ID token', { requested_token_type: 'urn:ietf:params:oauth:token-type:id_token' }],
      ['actor token', { actor_token: subjectToken, actor_token_type: ACCESS_TOKEN }],
      ['actor token type alone', { actor_token_type: ACCESS_TOKEN }],
    ] as const;
    for (const [what, extra] of cases) {
      await expectError(await exchange(orders, form(extra)), 'invalid_request', what);
    }
    for (const missing of ['subject_token', 'subject_token_type']) {
      const partial: Record<string, string> = form({});
      delete partial[missing];
      await expectError(await exchange(orders, partial), 'invalid_request', `missing ${missing}`);
    }
    // Asking for an access token by name is fine.
    const ok = await exchange(orders, form({ requested_token_type: ACCESS_TOKEN }));
    assert.equal(ok.status, 200);
  });
});
