/**
 * A single-page app: a public client (no secret) that calls the token, userinfo and
 * revocation endpoints from another origin, with openid-client configured as such.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { sqlite, startTestServer, type TestServer } from '../harness.js';
import { signInAndApprove, TestBrowser } from './browser.js';

const APP_ORIGIN = 'http://127.0.0.1:5173';
const REDIRECT_URI = `${APP_ORIGIN}/callback`;

describe('a single-page app (public client)', () => {
  let t: TestServer;
  let config: oidc.Configuration;

  before(async () => {
    t = await startTestServer(sqlite);
    const { clientId } = await t.createClient({
      name: 'Photo SPA',
      authMethod: 'none',
      grantTypes: ['authorization_code', 'refresh_token'],
      redirectUris: [REDIRECT_URI],
    });
    await t.server.tessera.users.create({ username: 'bob', password: 'a long enough password' });
    config = await oidc.discovery(new URL(t.issuer), clientId, undefined, oidc.None(), {
      execute: [oidc.allowInsecureRequests],
    });
  });
  after(() => t.close());

  it('signs in with PKCE alone and refreshes, with no client secret', async () => {
    const verifier = oidc.randomPKCECodeVerifier();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid offline_access',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      nonce,
    });
    const callback = await signInAndApprove(new TestBrowser(t.issuer), url.href, {
      username: 'bob',
      password: 'a long enough password',
    });
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedNonce: nonce,
      idTokenExpected: true,
    });
    assert.ok(tokens.refresh_token);
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token);
    assert.ok(refreshed.access_token);
  });

  it('answers the app cross-origin on the endpoints it calls, and only there', async () => {
    const preflight = await fetch(`${t.issuer}/token`, {
      method: 'OPTIONS',
      headers: {
        origin: APP_ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), '*');
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /content-type/);

    const refused = await fetch(`${t.issuer}/token`, {
      method: 'POST',
      headers: { origin: APP_ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=refresh_token&refresh_token=nope&client_id=x',
    });
    assert.equal(refused.status, 401);
    // The app can read the error, and never gets to use cookies (no allow-credentials).
    assert.equal(refused.headers.get('access-control-allow-origin'), '*');
    assert.equal(refused.headers.get('access-control-allow-credentials'), null);

    const discovery = await fetch(`${t.issuer}/.well-known/openid-configuration`, {
      headers: { origin: APP_ORIGIN },
    });
    assert.equal(discovery.headers.get('access-control-allow-origin'), '*');

    // The pages run on the user's cookies: no other origin may read them.
    for (const path of ['/authorize', '/account', '/logout', '/introspect']) {
      const response = await fetch(`${t.issuer}${path}`, { headers: { origin: APP_ORIGIN } });
      assert.equal(response.headers.get('access-control-allow-origin'), null, path);
    }
  });
});
