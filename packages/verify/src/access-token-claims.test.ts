import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkAccessTokenClaims } from './access-token-claims.js';
import { Rejection } from './rejection.js';

const NOW = 1_800_000_000;
const expected = { issuer: 'https://as', audiences: ['api', 'api-2'], clockToleranceSeconds: 60 };
const claims = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  iss: 'https://as',
  aud: 'api',
  sub: 'u',
  client_id: 'c',
  jti: 'j',
  iat: NOW - 5,
  exp: NOW + 60,
  ...extra,
});
const reasonOf = (payload: unknown, now = NOW): string | undefined => {
  const result = checkAccessTokenClaims(payload, expected, now);
  return result.ok ? undefined : result.reason;
};

describe('checkAccessTokenClaims', () => {
  it('returns what the token says', () => {
    const result = checkAccessTokenClaims(
      claims({ scope: 'a b:c', cnf: { jkt: 'x' }, aud: ['x', 'api-2'] }),
      expected,
      NOW,
    );
    assert.ok(result.ok);
    const token = result.value;
    assert.deepEqual(
      { ...token, claims: undefined },
      {
        issuer: 'https://as',
        subject: 'u',
        clientId: 'c',
        tokenId: 'j',
        audience: ['x', 'api-2'],
        scopes: ['a', 'b:c'],
        issuedAt: NOW - 5,
        expiresAt: NOW + 60,
        notBefore: undefined,
        claims: undefined,
      },
    );
    assert.deepEqual(token.claims.cnf, { jkt: 'x' });
  });

  it('draws the time lines at the tolerance', () => {
    assert.equal(reasonOf(claims({ exp: NOW - 59 })), undefined);
    assert.equal(reasonOf(claims({ exp: NOW - 60 })), Rejection.EXPIRED);
    assert.equal(reasonOf(claims({ nbf: NOW + 60 })), undefined);
    assert.equal(reasonOf(claims({ nbf: NOW + 60.5 })), Rejection.NOT_YET_VALID);
    assert.equal(reasonOf(claims({ iat: NOW + 60 })), undefined);
    assert.equal(reasonOf(claims({ iat: NOW + 61 })), Rejection.ISSUED_IN_FUTURE);
    const strict = checkAccessTokenClaims(
      claims({ exp: NOW }),
      { ...expected, clockToleranceSeconds: 0 },
      NOW,
    );
    assert.ok(!strict.ok && strict.reason === Rejection.EXPIRED);
  });

  it('accepts any of the configured audiences, in a string or an array', () => {
    assert.equal(reasonOf(claims({ aud: 'api-2' })), undefined);
    assert.equal(reasonOf(claims({ aud: ['other', 'api'] })), undefined);
    assert.equal(reasonOf(claims({ aud: 'API' })), Rejection.AUD);
    assert.equal(reasonOf(claims({ aud: 'api ' })), Rejection.AUD);
    assert.equal(reasonOf(claims({ aud: null })), Rejection.AUD);
    assert.equal(reasonOf(claims({ aud: { 0: 'api' } })), Rejection.AUD);
  });

  it('refuses numbers that are not NumericDates', () => {
    assert.equal(reasonOf(claims({ exp: -1 })), Rejection.EXP);
    assert.equal(reasonOf(claims({ exp: null })), Rejection.EXP);
    assert.equal(reasonOf(claims({ exp: Number.POSITIVE_INFINITY })), Rejection.EXP);
    assert.equal(reasonOf(claims({ exp: true })), Rejection.EXP);
    assert.equal(reasonOf(claims({ iat: Number.NaN })), Rejection.IAT);
    assert.equal(reasonOf(claims({ nbf: null })), Rejection.NBF);
  });

  it('refuses payloads that are not objects', () => {
    for (const payload of [null, [], [claims()], 'x', 1, true])
      assert.equal(reasonOf(payload), Rejection.PAYLOAD);
  });

  it('checks scope against the RFC 6749 grammar', () => {
    assert.equal(reasonOf(claims({ scope: 'openid profile:read https://api/x' })), undefined);
    for (const scope of ['', ' a', 'a ', 'a  b', 'a\tb', 'a"b', 'a\\b', 'é', 1, null]) {
      assert.equal(reasonOf(claims({ scope })), Rejection.SCOPE, JSON.stringify(scope));
    }
  });
});
