/**
 * The gateway's dpop scheme as deployed: behind a TLS-terminating proxy, where clients sign
 * the public `https://` URL (the config's `resource`) though the gateway listens on plain
 * HTTP, and as several instances sharing one nonce key (`dpop.nonce_key_file`), each
 * accepting the nonces the others hand out.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type DpopKey, dpopKey, signDpopProof } from '@tessera/core';
import {
  type EchoUpstream,
  startEchoUpstream,
  startTestGateway,
  type TestGateway,
} from '../gateway/gateway-harness.js';
import { sqlite, startTestServer, type TestServer } from '../harness.js';

const AUDIENCE = 'billing-api';
const PUBLIC_ORIGIN = 'https://api.example';

describe('gateway: the dpop scheme behind a proxy and across instances', () => {
  let t: TestServer;
  let upstream: EchoUpstream;
  let dir: string;
  let first: TestGateway;
  let second: TestGateway;
  let key: DpopKey;
  let token: string;

  before(async () => {
    t = await startTestServer(sqlite);
    await t.server.tessera.resourceServers.create({ audience: AUDIENCE, scopes: ['charges:read'] });
    const client = await t.createClient({ scopes: ['charges:read'], audiences: [AUDIENCE] });
    const own = await t.createClient({ resourceServer: true });
    upstream = await startEchoUpstream();
    dir = mkdtempSync(join(tmpdir(), 'tessera-dpop-gateway-'));
    const nonceKeyFile = join(dir, 'nonce.key');
    writeFileSync(nonceKeyFile, randomBytes(32), { mode: 0o600 });
    const gateway = () =>
      startTestGateway({
        issuer: t.issuer,
        audience: AUDIENCE,
        upstream: upstream.url,
        credentials: { client_id: own.clientId, client_secret: own.clientSecret },
        schemes: ['bearer', 'dpop'],
        resource: PUBLIC_ORIGIN,
        dpop: { nonce_key_file: nonceKeyFile },
        routes: [{ method: 'GET', path: '/v1/charges', scopes: ['charges:read'] }],
      });
    first = await gateway();
    second = await gateway();

    key = dpopKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, 'ES256');
    const tokenUrl = `${t.issuer}/token`;
    const ask = (nonce?: string) =>
      fetch(tokenUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
          dpop: signDpopProof(key, { method: 'POST', url: tokenUrl, nonce }),
        },
        body: 'grant_type=client_credentials',
      });
    const nonce = (await ask()).headers.get('dpop-nonce') ?? '';
    token = ((await (await ask(nonce)).json()) as { access_token: string }).access_token;
  });
  after(async () => {
    await first?.close();
    await second?.close();
    await upstream?.close();
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** GETs /v1/charges from `gateway` with a proof for `url`. */
  const call = (gateway: TestGateway, url: string, nonce?: string) =>
    fetch(`${gateway.url}/v1/charges`, {
      headers: {
        authorization: `DPoP ${token}`,
        dpop: signDpopProof(key, { method: 'GET', url, accessToken: token, nonce }),
      },
    });
  const nonceOf = async (gateway: TestGateway) => {
    const response = await call(gateway, `${PUBLIC_ORIGIN}/v1/charges`);
    assert.equal(response.status, 401);
    return response.headers.get('dpop-nonce') ?? '';
  };

  it('checks htu against its public origin, though it listens on plain http', async () => {
    assert.match(first.url, /^http:\/\//);
    const nonce = await nonceOf(first);
    const accepted = await call(first, `${PUBLIC_ORIGIN}/v1/charges`, nonce);
    assert.equal(accepted.status, 200, await accepted.clone().text());
    const listening = await call(first, `${first.url}/v1/charges`, nonce);
    assert.equal(listening.status, 401);
    assert.match(listening.headers.get('www-authenticate') ?? '', /^DPoP .*invalid_dpop_proof/);
  });

  it('accepts the nonces another instance with the same nonce key handed out', async () => {
    const fromFirst = await nonceOf(first);
    const atSecond = await call(second, `${PUBLIC_ORIGIN}/v1/charges`, fromFirst);
    assert.equal(atSecond.status, 200, await atSecond.clone().text());
    const fromSecond = await nonceOf(second);
    const atFirst = await call(first, `${PUBLIC_ORIGIN}/v1/charges`, fromSecond);
    assert.equal(atFirst.status, 200, await atFirst.clone().text());
  });
});
