import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { certificateThumbprint, dpopKey, ErrorCode, InvalidToken, signDpopProof } from '@tessera/core';
import type { AccessTokenCheck, CheckedAccessToken } from './access-token-check.js';
import { createDpopScheme } from './dpop-scheme.js';
import { ReplayCache } from './replay-cache.js';

const NOW = 1_800_000_000;
const URL_ = 'https://api.example/v1/charges';
/** Stand-ins for client certificates: the binding compares hashes of their bytes. */
const CERT = new Uint8Array([1, 2, 3]);
const OTHER_CERT = new Uint8Array([4, 5, 6]);
const key = dpopKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, 'ES256');

function schemeWith(check: AccessTokenCheck) {
  const replays = new ReplayCache(() => NOW * 1000);
  const scheme = createDpopScheme({
    check,
    nonces: undefined,
    replays,
    origin: 'https://api.example',
    now: () => NOW,
  });
  const call = (
    token: string,
    proof = signDpopProof(key, { method: 'GET', url: URL_, accessToken: token, now: NOW }),
  ) =>
    scheme.verify({
      method: 'GET',
      url: '/v1/charges',
      headers: { authorization: `DPoP ${token}`, dpop: proof },
    });
  return { replays, call };
}

const bound = (jkt: string): CheckedAccessToken => ({
  subject: 'svc',
  clientId: 'cli',
  scopes: ['charges:read'],
  claims: { cnf: { jkt } },
});

describe('the dpop scheme', () => {
  it('accepts a proof by the token’s key once, and refuses its replay', async () => {
    const { call, replays } = schemeWith(async () => ({ ok: true, value: bound(key.jkt) }));
    const proof = signDpopProof(key, { method: 'GET', url: URL_, accessToken: 'tok', now: NOW });
    const first = await call('tok', proof);
    assert.equal(first.ok, true);
    assert.equal(replays.size, 1);
    const again = await call('tok', proof);
    assert.equal(again.ok, false);
  });

  it('remembers no proof whose token is bad or bound to another key: junk cannot fill the cache', async () => {
    const invalid = schemeWith(async () => ({
      ok: false,
      error: new InvalidToken(ErrorCode.TOKEN_INVALID, 'bad'),
    }));
    for (let i = 0; i < 20; i++) assert.equal((await invalid.call(`junk${i}`)).ok, false);
    assert.equal(invalid.replays.size, 0);
    const otherKey = schemeWith(async () => ({ ok: true, value: bound('another-thumbprint') }));
    for (let i = 0; i < 20; i++) assert.equal((await otherKey.call(`tok${i}`)).ok, false);
    assert.equal(otherKey.replays.size, 0);
  });

  it('wants exactly one proof, and a certificate-bound token over its certificate too', async () => {
    const proof = signDpopProof(key, { method: 'GET', url: URL_, accessToken: 'tok', now: NOW });
    const send = (headers: Record<string, string | string[]>, clientCertificate?: Uint8Array) =>
      createDpopScheme({
        check: async () => ({
          ok: true,
          value: {
            ...bound(key.jkt),
            claims: { cnf: { jkt: key.jkt, 'x5t#S256': certificateThumbprint(CERT) } },
          },
        }),
        nonces: undefined,
        replays: new ReplayCache(() => NOW * 1000),
        origin: 'https://api.example',
        now: () => NOW,
      }).verify({ method: 'GET', url: '/v1/charges', headers, clientCertificate });
    const none = await send({ authorization: 'DPoP tok' });
    assert.equal(none.ok, false);
    assert.equal(!none.ok && none.error.code, ErrorCode.DPOP_REQUIRED);
    const two = await send({ authorization: 'DPoP tok', dpop: [proof, proof] });
    assert.equal(two.ok, false);
    assert.equal((await send({ authorization: 'DPoP tok', dpop: proof }, OTHER_CERT)).ok, false);
    assert.equal((await send({ authorization: 'DPoP tok', dpop: proof })).ok, false);
    assert.equal((await send({ authorization: 'DPoP tok', dpop: proof }, CERT)).ok, true);
  });
});
