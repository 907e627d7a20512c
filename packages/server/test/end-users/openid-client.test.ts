/**
 * The authorization code flow end to end, with openid-client as the relying party: discovery,
 * PKCE, sign-in and consent driven as a browser would, the code exchange, ID token
 * validation, userinfo, refresh rotation, reuse detection and revocation.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import * as oidc from 'openid-client';
import { describeEachDatabase, startTestServer, type TestServer } from '../harness.js';
import { signInAndApprove, TestBrowser } from './browser.js';

const REDIRECT_URI = 'http://127.0.0.1:9/callback';
const alice = { username: 'alice', password: 'correct horse battery staple' };

describeEachDatabase('authorization code flow with openid-client', (db) => {
  let t: TestServer;
  let config: oidc.Configuration;
  let userId: string;

  before(async () => {
    t = await startTestServer(db);
    const { clientId, clientSecret } = await t.createClient({
      name: 'Photo App',
      grantTypes: ['authorization_code', 'refresh_token'],
      redirectUris: [REDIRECT_URI],
      scopes: ['photos:read'],
    });
    userId = (
      await t.server.tessera.users.create({ ...alice, email: 'alice@example.com', name: 'Alice Liddell' })
    ).id;
    config = await oidc.discovery(
      new URL(t.issuer),
      clientId,
      undefined,
      oidc.ClientSecretBasic(clientSecret),
      {
        execute: [oidc.allowInsecureRequests],
      },
    );
  });
  after(() => t.close());

  async function authorize(scope: string) {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return { url, verifier, state, nonce };
  }

  it('signs in, consents, and exchanges the code for tokens openid-client accepts', async () => {
    const { url, verifier, state, nonce } = await authorize(
      'openid profile email offline_access photos:read',
    );
    const browser = new TestBrowser(t.issuer);
    const callback = await signInAndApprove(browser, url.href, alice);
    assert.equal(callback.searchParams.get('iss'), t.issuer);
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    assert.equal(claims?.sub, userId);
    assert.equal(claims?.email, 'alice@example.com');
    assert.equal(typeof claims?.auth_time, 'number');
    assert.ok(tokens.refresh_token);
    assert.equal(tokens.scope, 'openid profile email offline_access photos:read');

    const info = await oidc.fetchUserInfo(config, tokens.access_token, userId);
    assert.equal(info.name, 'Alice Liddell');
    assert.equal(info.preferred_username, 'alice');

    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token);
    assert.ok(refreshed.refresh_token);
    assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
    // The rotated-out token is now spent: presenting it again revokes the whole grant.
    await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token), (error: Error) => {
      assert.equal((error as oidc.ResponseBodyError).error, 'invalid_grant');
      return true;
    });
    await assert.rejects(oidc.refreshTokenGrant(config, refreshed.refresh_token), oidc.ResponseBodyError);
    const introspected = await oidc.tokenIntrospection(config, refreshed.access_token);
    assert.equal(introspected.active, false);
  });

  it('remembers consent, and revocation of a refresh token ends its access tokens', async () => {
    const { url, verifier, state, nonce } = await authorize('openid offline_access photos:read');
    const browser = new TestBrowser(t.issuer);
    const callback = await signInAndApprove(browser, url.href, alice);
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
    });
    // Signed in and consented already: the next request goes straight back with a code.
    const again = await authorize('openid photos:read');
    const visit = await browser.get(again.url.href);
    assert.equal(visit.status, 303);
    assert.ok(new URL(visit.location ?? '').searchParams.get('code'));

    assert.ok(tokens.refresh_token);
    await oidc.tokenRevocation(config, tokens.refresh_token);
    assert.equal((await oidc.tokenIntrospection(config, tokens.access_token)).active, false);
    await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token), oidc.ResponseBodyError);
  });
});
