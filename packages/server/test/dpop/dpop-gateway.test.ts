/**
 * DPoP-bound tokens through the gateway, with oauth4webapi as the client: the resource
 * server's nonce dance, the proof checked against the request and the token, refusals with
 * a `DPoP` challenge, and the proof never reaching the upstream.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { dpopKey, signDpopProof } from '@tessera/core';
import * as oauth from 'oauth4webapi';
import {
  type Echo,
  type EchoUpstream,
  headerValues,
  startEchoUpstream,
  startTestGateway,
  type TestGateway,
} from '../gateway/gateway-harness.js';
import { sqlite, startTestServer, type TestServer } from '../harness.js';

const AUDIENCE = 'billing-api';
const insecure = { [oauth.allowInsecureRequests]: true };

describe('gateway: the dpop scheme', () => {
  let t: TestServer;
  let upstream: EchoUpstream;
  let gw: TestGateway;
  let as: oauth.AuthorizationServer;
  let client: oauth.Client;
  let clientSecret: string;

  before(async () => {
    t = await startTestServer(sqlite);
    await t.server.tessera.resourceServers.create({ audience: AUDIENCE, scopes: ['charges:read'] });
    const registered = await t.createClient({ scopes: ['charges:read'], audiences: [AUDIENCE] });
    client = { client_id: registered.clientId };
    clientSecret = registered.clientSecret;
    const own = await t.createClient({ resourceServer: true });
    upstream = await startEchoUpstream();
    gw = await startTestGateway({
      issuer: t.issuer,
      audience: AUDIENCE,
      upstream: upstream.url,
      credentials: { client_id: own.clientId, client_secret: own.clientSecret },
      schemes: ['bearer', 'dpop'],
      routes: [{ method: 'GET', path: '/v1/charges', scopes: ['charges:read'] }],
    });
    as = await oauth.processDiscoveryResponse(
      new URL(t.issuer),
      await oauth.discoveryRequest(new URL(t.issuer), { algorithm: 'oauth2', ...insecure }),
    );
  });
  after(async () => {
    await gw?.close();
    await upstream?.close();
    await t?.close();
  });

  async function boundToken(DPoP: oauth.DPoPHandle): Promise<string> {
    const request = () =>
      oauth.clientCredentialsGrantRequest(
        as,
        client,
        oauth.ClientSecretBasic(clientSecret),
        {},
        { DPoP, ...insecure },
      );
    let response = await request();
    if (response.status === 400 && response.headers.get('dpop-nonce')) response = await request();
    const tokens = await oauth.processClientCredentialsResponse(as, client, response);
    assert.equal(tokens.token_type, 'dpop');
    return tokens.access_token;
  }

  it('forwards a DPoP-bound request after the nonce dance, without the proof', async () => {
    const DPoP = oauth.DPoP(client, await oauth.generateKeyPair('ES256'));
    const token = await boundToken(DPoP);
    const url = new URL(`${gw.url}/v1/charges`);
    // The first proof has no nonce: a 401 use_dpop_nonce challenge carries one, which
    // oauth4webapi keeps for the retry.
    await assert.rejects(
      oauth.protectedResourceRequest(token, 'GET', url, undefined, undefined, { DPoP, ...insecure }),
      (error: unknown) => {
        assert.ok(oauth.isDPoPNonceError(error));
        const { response } = error as oauth.WWWAuthenticateChallengeError;
        assert.equal(response.status, 401);
        assert.ok(response.headers.get('dpop-nonce'));
        return true;
      },
    );
    const second = await oauth.protectedResourceRequest(token, 'GET', url, undefined, undefined, {
      DPoP,
      ...insecure,
    });
    assert.equal(second.status, 200, await second.clone().text());
    const echo = (await second.json()) as Echo;
    assert.deepEqual(headerValues(echo.rawHeaders, 'x-auth-scheme'), ['dpop']);
    assert.deepEqual(headerValues(echo.rawHeaders, 'dpop'), []);
    assert.deepEqual(headerValues(echo.rawHeaders, 'authorization'), []);
  });

  it('refuses the bound token without its proof, as Bearer, with another key, another URL or a replayed proof', async () => {
    const key = dpopKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, 'ES256');
    // A token bound to `key`, obtained with proofs made by our own signer.
    const tokenUrl = `${t.issuer}/token`;
    const ask = (nonce?: string) =>
      fetch(tokenUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${client.client_id}:${clientSecret}`).toString('base64')}`,
          dpop: signDpopProof(key, { method: 'POST', url: tokenUrl, nonce }),
        },
        body: 'grant_type=client_credentials',
      });
    const nonce = (await ask()).headers.get('dpop-nonce') ?? '';
    const token = ((await (await ask(nonce)).json()) as { access_token: string }).access_token;

    const resource = `${gw.url}/v1/charges`;
    const call = (headers: Record<string, string>) => fetch(resource, { headers });
    const rsNonce =
      (
        await call({
          authorization: `DPoP ${token}`,
          dpop: signDpopProof(key, { method: 'GET', url: resource, accessToken: token }),
        })
      ).headers.get('dpop-nonce') ?? '';
    const proof = (input: Partial<Parameters<typeof signDpopProof>[1]>, signer = key) =>
      signDpopProof(signer, { method: 'GET', url: resource, accessToken: token, nonce: rsNonce, ...input });

    const good = proof({});
    assert.equal((await call({ authorization: `DPoP ${token}`, dpop: good })).status, 200);
    const other = dpopKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, 'ES256');
    const cases: [string, Record<string, string>][] = [
      ['replayed proof', { authorization: `DPoP ${token}`, dpop: good }],
      ['no proof', { authorization: `DPoP ${token}` }],
      ['as a Bearer token', { authorization: `Bearer ${token}` }],
      ['as a Bearer token with a proof', { authorization: `Bearer ${token}`, dpop: proof({}) }],
      ['another key', { authorization: `DPoP ${token}`, dpop: proof({}, other) }],
      ['another URL', { authorization: `DPoP ${token}`, dpop: proof({ url: `${gw.url}/v1/other` }) }],
      ['another method', { authorization: `DPoP ${token}`, dpop: proof({ method: 'POST' }) }],
      [
        'a proof for another token (ath)',
        { authorization: `DPoP ${token}`, dpop: proof({ accessToken: 'other' }) },
      ],
      [
        'a stale proof',
        { authorization: `DPoP ${token}`, dpop: proof({ now: Math.floor(Date.now() / 1000) - 3600 }) },
      ],
      ['no nonce', { authorization: `DPoP ${token}`, dpop: proof({ nonce: undefined }) }],
    ];
    const before = upstream.count();
    for (const [why, headers] of cases) {
      const response = await call(headers);
      assert.equal(response.status, 401, why);
      const challenge = response.headers.get('www-authenticate') ?? '';
      assert.match(challenge, why.startsWith('as a Bearer') ? /^Bearer / : /^DPoP /, why);
    }
    assert.equal(upstream.count(), before, 'no refused request reached the upstream');
  });
});
