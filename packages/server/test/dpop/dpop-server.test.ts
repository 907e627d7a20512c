/**
 * DPoP at the authorization server, with oauth4webapi (an independent, certified client) on
 * the other end: the nonce dance, DPoP-bound access tokens (`cnf.jkt`) from every grant,
 * a public client's refresh tokens bound to its key, userinfo with a proof, and refusals.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, it } from 'node:test';
import { dpopKey, signDpopProof } from '@tessera/core';
import { calculateJwkThumbprint, decodeJwt, exportJWK } from 'jose';
import * as oauth from 'oauth4webapi';
import { signInAndApprove, TestBrowser } from '../end-users/browser.js';
import { basic, describeEachDatabase, postForm, startTestServer, type TestServer } from '../harness.js';

const REDIRECT_URI = 'http://127.0.0.1:9/callback';
const insecure = { [oauth.allowInsecureRequests]: true };

/** Sends a token request, and once more if the server asks for its nonce (RFC 9449 §8). */
async function withNonceRetry(
  send: () => Promise<Response>,
  process: (response: Response) => Promise<oauth.TokenEndpointResponse>,
): Promise<oauth.TokenEndpointResponse> {
  try {
    return await process(await send());
  } catch (error) {
    if (!oauth.isDPoPNonceError(error)) throw error;
    return process(await send());
  }
}

describeEachDatabase('DPoP at the authorization server', (db) => {
  let t: TestServer;
  let as: oauth.AuthorizationServer;

  before(async () => {
    t = await startTestServer(db);
    as = await oauth.processDiscoveryResponse(
      new URL(t.issuer),
      await oauth.discoveryRequest(new URL(t.issuer), { algorithm: 'oidc', ...insecure }),
    );
  });
  after(() => t.close());

  it('advertises the proof algorithms', () => {
    assert.ok(as.dpop_signing_alg_values_supported?.includes('ES256'));
    assert.ok(as.dpop_signing_alg_values_supported?.includes('EdDSA'));
  });

  it('binds a client-credentials token to the key, after the nonce dance', async () => {
    const { clientId, clientSecret } = await t.createClient({ scopes: ['orders:read'] });
    const client: oauth.Client = { client_id: clientId };
    const keyPair = await oauth.generateKeyPair('ES256');
    const DPoP = oauth.DPoP(client, keyPair);
    const first = await oauth.clientCredentialsGrantRequest(
      as,
      client,
      oauth.ClientSecretBasic(clientSecret),
      { scope: 'orders:read' },
      { DPoP, ...insecure },
    );
    // The first proof has no nonce: the server answers use_dpop_nonce with one to use.
    assert.equal(first.status, 400);
    assert.ok(first.headers.get('dpop-nonce'));
    await assert.rejects(oauth.processClientCredentialsResponse(as, client, first), (error) =>
      oauth.isDPoPNonceError(error),
    );
    const tokens = await oauth.processClientCredentialsResponse(
      as,
      client,
      await oauth.clientCredentialsGrantRequest(
        as,
        client,
        oauth.ClientSecretBasic(clientSecret),
        { scope: 'orders:read' },
        { DPoP, ...insecure },
      ),
    );
    assert.equal(tokens.token_type, 'dpop');
    const jkt = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey));
    assert.deepEqual(decodeJwt(tokens.access_token).cnf, { jkt });
    const introspected = await (
      await postForm(
        `${t.issuer}/introspect`,
        { token: tokens.access_token },
        { authorization: basic(clientId, clientSecret) },
      )
    ).json();
    assert.equal(introspected.token_type, 'DPoP');
    assert.deepEqual(introspected.cnf, { jkt });
  });

  it('refuses a replayed proof, a proof for another URL or method, and a client that must use DPoP without one', async () => {
    const { clientId, clientSecret } = await t.createClient({ dpopBoundAccessTokens: true });
    const keyPair = await oauth.generateKeyPair('ES256');
    const client: oauth.Client = { client_id: clientId };
    const DPoP = oauth.DPoP(client, keyPair);
    const request = () =>
      oauth.clientCredentialsGrantRequest(
        as,
        client,
        oauth.ClientSecretBasic(clientSecret),
        {},
        { DPoP, ...insecure },
      );
    await request(); // learns the nonce
    const withoutProof = await postForm(
      `${t.issuer}/token`,
      { grant_type: 'client_credentials' },
      { authorization: basic(clientId, clientSecret) },
    );
    const plain = await t.createClient({});
    const bearer = await postForm(
      `${t.issuer}/token`,
      { grant_type: 'client_credentials' },
      { authorization: basic(plain.clientId, plain.clientSecret) },
    );
    assert.equal(bearer.status, 200);
    assert.equal(bearer.headers.get('dpop-nonce'), null, 'a request without a proof gets no nonce');
    assert.equal(withoutProof.status, 400);
    assert.equal((await withoutProof.json()).error, 'invalid_dpop_proof');

    // Capture a valid proof, then send it twice.
    let proof = '';
    const capture: typeof fetch = async (url, init) => {
      proof = new Headers(init?.headers).get('dpop') ?? '';
      return fetch(url, init);
    };
    const accepted = await oauth.clientCredentialsGrantRequest(
      as,
      client,
      oauth.ClientSecretBasic(clientSecret),
      {},
      {
        DPoP,
        ...insecure,
        [oauth.customFetch]: capture,
      },
    );
    assert.equal(accepted.status, 200);
    const replayed = await postForm(
      `${t.issuer}/token`,
      { grant_type: 'client_credentials' },
      { authorization: basic(clientId, clientSecret), dpop: proof },
    );
    assert.equal(replayed.status, 400);
    assert.equal((await replayed.json()).error, 'invalid_dpop_proof');

    // Proofs with the right nonce, each wrong in one way only.
    const nonce = accepted.headers.get('dpop-nonce') ?? '';
    const key = dpopKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, 'ES256');
    const tokenUrl = `${t.issuer}/token`;
    const now = Math.floor(Date.now() / 1000);
    const send = (dpop: string) =>
      postForm(
        tokenUrl,
        { grant_type: 'client_credentials' },
        { authorization: basic(clientId, clientSecret), dpop },
      );
    assert.equal((await send(signDpopProof(key, { method: 'POST', url: tokenUrl, nonce }))).status, 200);
    for (const [why, proof] of [
      ['another method', signDpopProof(key, { method: 'GET', url: tokenUrl, nonce })],
      ['another URL', signDpopProof(key, { method: 'POST', url: `${t.issuer}/introspect`, nonce })],
      ['a stale iat', signDpopProof(key, { method: 'POST', url: tokenUrl, nonce, now: now - 600 })],
      ['an iat in the future', signDpopProof(key, { method: 'POST', url: tokenUrl, nonce, now: now + 60 })],
    ] as const) {
      const response = await send(proof);
      assert.equal(response.status, 400, why);
      assert.equal((await response.json()).error, 'invalid_dpop_proof', why);
    }
    const noNonce = await send(signDpopProof(key, { method: 'POST', url: tokenUrl }));
    assert.equal((await noNonce.json()).error, 'use_dpop_nonce');
    const forgedNonce = await send(
      signDpopProof(key, { method: 'POST', url: tokenUrl, nonce: 'A'.repeat(30) }),
    );
    assert.equal((await forgedNonce.json()).error, 'use_dpop_nonce');
    const twoProofs = await fetch(tokenUrl, {
      method: 'POST',
      headers: [
        ['content-type', 'application/x-www-form-urlencoded'],
        ['authorization', basic(clientId, clientSecret)],
        ['dpop', signDpopProof(key, { method: 'POST', url: tokenUrl, nonce })],
        ['dpop', signDpopProof(key, { method: 'POST', url: tokenUrl, nonce })],
      ],
      body: 'grant_type=client_credentials',
    });
    assert.equal(twoProofs.status, 400);
  });

  it('binds a public client’s tokens and refresh tokens to its key; userinfo wants the proof', async () => {
    const { clientId } = await t.createClient({
      name: 'Photo SPA',
      authMethod: 'none',
      grantTypes: ['authorization_code', 'refresh_token'],
      redirectUris: [REDIRECT_URI],
    });
    await t.server.tessera.users.create({ username: 'carol', password: 'carol password 1' });
    const client: oauth.Client = { client_id: clientId };
    const keyPair = await oauth.generateKeyPair('ES256');
    const DPoP = oauth.DPoP(client, keyPair);
    const verifier = oauth.generateRandomCodeVerifier();
    const url = new URL(as.authorization_endpoint ?? '');
    url.search = new URLSearchParams({
      client_id: clientId,
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      scope: 'openid offline_access',
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: 'st',
    }).toString();
    const callback = await signInAndApprove(new TestBrowser(t.issuer), url.href, {
      username: 'carol',
      password: 'carol password 1',
    });
    const params = oauth.validateAuthResponse(as, client, callback, 'st');
    const tokens = await withNonceRetry(
      () =>
        oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, REDIRECT_URI, verifier, {
          DPoP,
          ...insecure,
        }),
      (response) => oauth.processAuthorizationCodeResponse(as, client, response, { requireIdToken: true }),
    );
    assert.equal(tokens.token_type, 'dpop');
    assert.ok(tokens.refresh_token);

    const info = await oauth.processUserInfoResponse(
      as,
      client,
      oauth.skipSubjectCheck,
      await oauth.userInfoRequest(as, client, tokens.access_token, { DPoP, ...insecure }),
    );
    assert.ok(info.sub);
    // The same token as a plain Bearer token is refused: it is useless without the key.
    const asBearer = await fetch(`${t.issuer}/userinfo`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    assert.equal(asBearer.status, 401);
    // And with a proof from another key.
    const thief = oauth.DPoP(client, await oauth.generateKeyPair('ES256'));
    const stolen = await oauth.userInfoRequest(as, client, tokens.access_token, { DPoP: thief, ...insecure });
    const again =
      stolen.status === 401 && stolen.headers.get('dpop-nonce')
        ? await oauth.userInfoRequest(as, client, tokens.access_token, { DPoP: thief, ...insecure })
        : stolen;
    assert.equal(again.status, 401);
    assert.match(again.headers.get('www-authenticate') ?? '', /^DPoP /);

    // The refresh token works only with the same key.
    const refreshToken = tokens.refresh_token;
    const refreshWithThiefKey = () =>
      oauth.refreshTokenGrantRequest(as, client, oauth.None(), refreshToken, { DPoP: thief, ...insecure });
    let withThiefKey = await refreshWithThiefKey();
    // The thief's key may not know the server's nonce yet: learn it, as any client would.
    if (
      withThiefKey.headers.get('dpop-nonce') &&
      (await withThiefKey.clone().json()).error === 'use_dpop_nonce'
    ) {
      withThiefKey = await refreshWithThiefKey();
    }
    assert.equal(withThiefKey.status, 400);
    assert.equal((await withThiefKey.json()).error, 'invalid_dpop_proof');
    const withoutProof = await postForm(`${t.issuer}/token`, {
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: clientId,
    });
    assert.equal(withoutProof.status, 400);
    const refreshed = await withNonceRetry(
      () => oauth.refreshTokenGrantRequest(as, client, oauth.None(), refreshToken, { DPoP, ...insecure }),
      (response) => oauth.processRefreshTokenResponse(as, client, response),
    );
    assert.equal(refreshed.token_type, 'dpop');
  });
});
