import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { dpopKey, ErrorCode, InvalidToken, signDpopProof } from '@tessera/core';
import type { AccessTokenCheck, CheckedAccessToken } from './access-token-check.js';
import { createDpopScheme } from './dpop-scheme.js';
import { ReplayCache } from './replay-cache.js';

const NOW = 1_800_000_000;
const URL_ = 'https://api.example/v1/charges';
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
});
