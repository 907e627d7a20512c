/**
 * @tessera/client's DPoP support against the real server and gateway: the token source
 * gets DPoP-bound tokens through the nonce dance, and createDpopFetch calls the API with
 * them, learning the resource server's nonce.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createDpopFetch, createDpopProver, createTokenSource } from '@tessera/client';
import { decodeJwt } from 'jose';
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

describe('@tessera/client with DPoP', () => {
  let t: TestServer;
  let upstream: EchoUpstream;
  let gw: TestGateway;
  let service: { clientId: string; clientSecret: string };

  before(async () => {
    t = await startTestServer(sqlite);
    await t.server.tessera.resourceServers.create({ audience: AUDIENCE, scopes: ['charges:write'] });
    service = await t.createClient({ scopes: ['charges:write'], audiences: [AUDIENCE] });
    const own = await t.createClient({ resourceServer: true });
    upstream = await startEchoUpstream();
    gw = await startTestGateway({
      issuer: t.issuer,
      audience: AUDIENCE,
      upstream: upstream.url,
      credentials: { client_id: own.clientId, client_secret: own.clientSecret },
      schemes: ['dpop'],
      routes: [{ method: 'POST', path: '/v1/charges', scopes: ['charges:write'] }],
    });
  });
  after(async () => {
    await gw?.close();
    await upstream?.close();
    await t?.close();
  });

  it('gets a token bound to the prover’s key and calls the API through the gateway with it', async () => {
    const prover = createDpopProver();
    const tokens = createTokenSource({ issuer: t.issuer, ...service, dpop: prover });
    const token = await tokens.getToken();
    assert.deepEqual(decodeJwt(token).cnf, { jkt: prover.jkt });

    const api = createDpopFetch({ prover, getToken: () => tokens.getToken() });
    // The first call meets the gateway's nonce demand and is sent again, body included.
    const response = await api(new Request(`${gw.url}/v1/charges`, { method: 'POST', body: 'amount=5' }));
    assert.equal(response.status, 200, await response.clone().text());
    const echo = (await response.json()) as Echo;
    assert.deepEqual(headerValues(echo.rawHeaders, 'x-auth-scheme'), ['dpop']);
    assert.equal(echo.bodyLength, 'amount=5'.length);
    // With the nonce known, the next call goes through at once.
    const before = upstream.count();
    assert.equal((await api(`${gw.url}/v1/charges`, { method: 'POST', body: 'x' })).status, 200);
    assert.equal(upstream.count(), before + 1);

    // The same token without the key is useless.
    const stolen = await fetch(`${gw.url}/v1/charges`, {
      method: 'POST',
      headers: { authorization: `DPoP ${token}` },
    });
    assert.equal(stolen.status, 401);
    const otherKey = createDpopFetch({ prover: createDpopProver(), getToken: async () => token });
    assert.equal((await otherKey(`${gw.url}/v1/charges`, { method: 'POST' })).status, 401);
  });
});
