/**
 * The machine-to-machine flow as independent clients see it: openid-client for discovery,
 * tokens, introspection and revocation; jose's remote JWKS to verify what we issue.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import {
  createRemoteJWKSet,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  SignJWT,
} from 'jose';
import * as oidc from 'openid-client';
import { basic, describeEachDatabase, postForm, startTestServer, type TestServer } from '../harness.js';

describeEachDatabase('client credentials', (db) => {
  let t: TestServer;
  let service: { clientId: string; clientSecret: string };
  let gateway: { clientId: string; clientSecret: string };

  before(async () => {
    t = await startTestServer(db);
    await t.server.tessera.resourceServers.create({
      audience: 'billing-api',
      scopes: ['charges:read', 'charges:write'],
    });
    await t.server.tessera.resourceServers.create({
      audience: 'opaque-api',
      scopes: ['files:read'],
      tokenFormat: 'opaque',
    });
    service = await t.createClient({
      scopes: ['charges:read', 'charges:write', 'files:read'],
      audiences: ['billing-api', 'opaque-api'],
    });
    gateway = await t.createClient({ scopes: [], audiences: [], resourceServer: true });
  });
  after(() => t.close());

  const discover = (clientId: string, auth: oidc.ClientAuth) =>
    oidc.discovery(new URL(t.issuer), clientId, undefined, auth, { execute: [oidc.allowInsecureRequests] });

  it('discovery carries every metadata member the contract names', async () => {
    const config = await discover(service.clientId, oidc.ClientSecretBasic(service.clientSecret));
    const metadata = config.serverMetadata();
    assert.equal(metadata.issuer, t.issuer);
    for (const member of [
      'authorization_endpoint',
      'token_endpoint',
      'jwks_uri',
      'introspection_endpoint',
      'revocation_endpoint',
      'userinfo_endpoint',
      'grant_types_supported',
      'token_endpoint_auth_methods_supported',
      'scopes_supported',
    ]) {
      assert.ok(member in metadata, `${member} is missing`);
    }
    assert.deepEqual(metadata.code_challenge_methods_supported, ['S256']);
    assert.equal(metadata.authorization_response_iss_parameter_supported, true);
    assert.deepEqual(metadata.response_types_supported, ['code']);
    assert.deepEqual(metadata.scopes_supported, [
      'charges:read',
      'charges:write',
      'email',
      'files:read',
      'offline_access',
      'openid',
      'profile',
    ]);
    const oauthMetadata = await (await fetch(`${t.issuer}/.well-known/oauth-authorization-server`)).json();
    assert.deepEqual(oauthMetadata, metadata);
  });

  it('issues an RFC 9068 JWT that verifies against the published JWKS', async () => {
    const config = await discover(service.clientId, oidc.ClientSecretBasic(service.clientSecret));
    const tokens = await oidc.clientCredentialsGrant(config, {
      scope: 'charges:read',
      resource: 'billing-api',
    });
    assert.equal(tokens.token_type.toLowerCase(), 'bearer');
    assert.equal(tokens.scope, 'charges:read');
    assert.ok(tokens.expires_in !== undefined && tokens.expires_in > 0 && tokens.expires_in <= 900);

    const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri ?? ''));
    const { payload, protectedHeader } = await jwtVerify(tokens.access_token, jwks, {
      issuer: t.issuer,
      audience: 'billing-api',
      typ: 'at+jwt',
      algorithms: ['ES256'],
      requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'client_id', 'scope'],
    });
    assert.equal(protectedHeader.typ, 'at+jwt');
    assert.equal(payload.sub, service.clientId);
    assert.equal(payload.client_id, service.clientId);
    assert.equal(payload.scope, 'charges:read');
    assert.equal((payload.exp ?? 0) - (payload.iat ?? 0), 900);
  });

  it('grants every allowed scope of the audience when none is asked for, and the first audience by default', async () => {
    const config = await discover(service.clientId, oidc.ClientSecretBasic(service.clientSecret));
    const tokens = await oidc.clientCredentialsGrant(config);
    const claims = JSON.parse(Buffer.from(tokens.access_token.split('.')[1] ?? '', 'base64url').toString());
    assert.equal(claims.aud, 'billing-api');
    // files:read belongs to another API, so it is not granted for billing-api.
    assert.equal(tokens.scope, 'charges:read charges:write');
  });

  it('refuses a scope beyond what the client may hold (invalid_scope)', async () => {
    const config = await discover(service.clientId, oidc.ClientSecretBasic(service.clientSecret));
    await assert.rejects(
      oidc.clientCredentialsGrant(config, { scope: 'charges:read admin' }),
      (error: unknown) => {
        assert.equal((error as { error?: string }).error, 'invalid_scope');
        return true;
      },
    );
    // A scope the client holds, but for another API than the requested audience.
    await assert.rejects(
      oidc.clientCredentialsGrant(config, { scope: 'files:read', resource: 'billing-api' }),
      (error: unknown) => (error as { error?: string }).error === 'invalid_scope',
    );
  });

  it('refuses a resource the client may not address (invalid_target)', async () => {
    const config = await discover(service.clientId, oidc.ClientSecretBasic(service.clientSecret));
    await assert.rejects(
      oidc.clientCredentialsGrant(config, { resource: 'https://elsewhere.example/api' }),
      (error: unknown) => (error as { error?: string }).error === 'invalid_target',
    );
  });

  it('issues opaque tokens for an API that wants them, and introspects them', async () => {
    const config = await discover(service.clientId, oidc.ClientSecretPost(service.clientSecret));
    // client_secret_post is refused: the client is registered for client_secret_basic.
    // oauth4webapi reports a 401 with a WWW-Authenticate challenge as a challenge error.
    await assert.rejects(
      oidc.clientCredentialsGrant(config, { resource: 'opaque-api' }),
      (error: unknown) => {
        assert.equal((error as { status?: number }).status, 401);
        return true;
      },
    );
    const basicConfig = await discover(service.clientId, oidc.ClientSecretBasic(service.clientSecret));
    const tokens = await oidc.clientCredentialsGrant(basicConfig, { resource: 'opaque-api' });
    assert.match(tokens.access_token, /^tat_[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{22}$/);
    const introspection = await oidc.tokenIntrospection(basicConfig, tokens.access_token);
    assert.equal(introspection.active, true);
    assert.equal(introspection.aud, 'opaque-api');
    assert.equal(introspection.scope, 'files:read');
    assert.equal(introspection.client_id, service.clientId);
  });

  it('introspection shows a client its own tokens, a resource server any token, others nothing', async () => {
    const config = await discover(service.clientId, oidc.ClientSecretBasic(service.clientSecret));
    const { access_token } = await oidc.clientCredentialsGrant(config);
    const own = await oidc.tokenIntrospection(config, access_token);
    assert.equal(own.active, true);
    assert.equal(own.sub, service.clientId);
    assert.equal(own.iss, t.issuer);
    assert.equal(own.token_type, 'Bearer');

    const asGateway = await discover(gateway.clientId, oidc.ClientSecretBasic(gateway.clientSecret));
    assert.equal((await oidc.tokenIntrospection(asGateway, access_token)).active, true);

    const stranger = await t.createClient({ scopes: [], audiences: [] });
    const asStranger = await discover(stranger.clientId, oidc.ClientSecretBasic(stranger.clientSecret));
    assert.deepEqual(await oidc.tokenIntrospection(asStranger, access_token), { active: false });
  });

  it('revokes JWT and opaque tokens; a stranger may not revoke them', async () => {
    const config = await discover(service.clientId, oidc.ClientSecretBasic(service.clientSecret));
    const stranger = await t.createClient({ scopes: [], audiences: [] });
    const asStranger = await discover(stranger.clientId, oidc.ClientSecretBasic(stranger.clientSecret));
    for (const resource of ['billing-api', 'opaque-api']) {
      const { access_token } = await oidc.clientCredentialsGrant(config, { resource });
      await assert.rejects(oidc.tokenRevocation(asStranger, access_token));
      assert.equal((await oidc.tokenIntrospection(config, access_token)).active, true);
      await oidc.tokenRevocation(config, access_token);
      assert.equal((await oidc.tokenIntrospection(config, access_token)).active, false, resource);
      // Revoking again, or revoking nonsense, is answered 200 (RFC 7009 §2.2).
      await oidc.tokenRevocation(config, access_token);
    }
    await oidc.tokenRevocation(config, 'not-a-token');
  });

  it('authenticates private_key_jwt clients and refuses a replayed assertion', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };
    const { client } = await t.server.tessera.clients.create({
      name: 'signed',
      grantTypes: ['client_credentials'],
      scopes: ['charges:read'],
      audiences: ['billing-api'],
      authMethod: 'private_key_jwt',
      jwks: { keys: [jwk] },
    });
    const config = await discover(client.id, oidc.PrivateKeyJwt({ key: privateKey, kid: 'k1' }));
    const tokens = await oidc.clientCredentialsGrant(config);
    assert.equal(tokens.scope, 'charges:read');

    const assertion = await new SignJWT({ jti: 'once' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(client.id)
      .setSubject(client.id)
      .setAudience(t.issuer)
      .setIssuedAt()
      .setExpirationTime('2m')
      .sign(privateKey);
    const form = {
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    };
    assert.equal((await postForm(`${t.issuer}/token`, form)).status, 200);
    const replay = await postForm(`${t.issuer}/token`, form);
    assert.equal(replay.status, 401);
    assert.equal((await replay.json()).error, 'invalid_client');

    // An assertion signed by another key, or meant for another audience, is refused.
    const { privateKey: otherKey } = await generateKeyPair('ES256');
    for (const [key, audience] of [
      [otherKey, t.issuer],
      [privateKey, 'https://other-issuer.example'],
    ] as const) {
      const forged = await new SignJWT({ jti: crypto.randomUUID() })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setIssuer(client.id)
        .setSubject(client.id)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime('2m')
        .sign(key);
      const response = await postForm(`${t.issuer}/token`, { ...form, client_assertion: forged });
      assert.equal(response.status, 401);
    }
  });

  it('signs with RS256, EdDSA or a per-API HS256 secret when the API asks', async () => {
    for (const alg of ['RS256', 'EdDSA'] as const) {
      const audience = `api-${alg.toLowerCase()}`;
      await t.server.tessera.resourceServers.create({ audience, scopes: ['x'], alg });
      const client = await t.createClient({ scopes: ['x'], audiences: [audience] });
      const response = await postForm(
        `${t.issuer}/token`,
        { grant_type: 'client_credentials' },
        {
          authorization: basic(client.clientId, client.clientSecret),
        },
      );
      const { access_token } = await response.json();
      assert.equal(decodeProtectedHeader(access_token).alg, alg);
      const jwks = createRemoteJWKSet(new URL(`${t.issuer}/jwks`));
      await jwtVerify(access_token, jwks, { issuer: t.issuer, audience, algorithms: [alg], typ: 'at+jwt' });
    }

    const { secret } = await t.server.tessera.resourceServers.create({
      audience: 'hmac-api',
      scopes: ['x'],
      alg: 'HS256',
    });
    const client = await t.createClient({ scopes: ['x'], audiences: ['hmac-api'] });
    const response = await postForm(
      `${t.issuer}/token`,
      { grant_type: 'client_credentials' },
      {
        authorization: basic(client.clientId, client.clientSecret),
      },
    );
    const { access_token } = await response.json();
    await jwtVerify(access_token, Buffer.from(secret ?? '', 'base64url'), {
      issuer: t.issuer,
      audience: 'hmac-api',
      algorithms: ['HS256'],
      typ: 'at+jwt',
    });
    const introspection = await postForm(
      `${t.issuer}/introspect`,
      { token: access_token },
      {
        authorization: basic(client.clientId, client.clientSecret),
      },
    );
    assert.equal((await introspection.json()).active, true);
  });

  it('never writes a secret or a token to the log', async () => {
    const config = await discover(service.clientId, oidc.ClientSecretBasic(service.clientSecret));
    const { access_token } = await oidc.clientCredentialsGrant(config);
    await oidc.tokenIntrospection(config, access_token);
    await postForm(`${t.issuer}/token?client_secret=${service.clientSecret}`, {
      grant_type: 'client_credentials',
    });
    const logs = t.logs();
    assert.match(logs, /"path":"\/token"/);
    for (const secret of [service.clientSecret, access_token, gateway.clientSecret]) {
      assert.ok(!logs.includes(secret), 'a credential reached the log');
      assert.ok(!logs.includes(secret.slice(0, 24)), 'part of a credential reached the log');
    }
  });
});
