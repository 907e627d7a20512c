// Every JWS vector of Project Wycheproof through the signature layer. See README.md here
// for provenance, licence and the four overridden labels.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { decodeBase64Url } from '@tessera/core';
import {
  createHmacKey,
  importJwk,
  isJwsAlgorithm,
  type JwsAlgorithm,
  Rejection,
  SUPPORTED_ALGORITHMS,
  type VerificationKey,
  verifyCompactJws,
} from '../../src/index.js';

interface Vector {
  tcId: number;
  comment: string;
  jws: unknown;
  result: 'valid' | 'invalid' | 'acceptable';
  flags: string[];
}
interface Group {
  type: string;
  comment: string;
  private: Record<string, unknown>;
  public?: Record<string, unknown>;
  tests: Vector[];
}

const file = JSON.parse(readFileSync(new URL('./json_web_signature_test.json', import.meta.url), 'utf8')) as {
  numberOfTests: number;
  testGroups: Group[];
};

/** Labels we do not follow, and why (see README.md). */
const OVERRIDES: ReadonlyMap<number, { expected: 'valid' | 'invalid'; reason: string }> = new Map([
  [
    372,
    { expected: 'invalid', reason: 'labelled valid, but the MAC does not cover the received header bytes' },
  ],
  [
    373,
    { expected: 'invalid', reason: 'labelled valid, but the MAC does not cover the received payload bytes' },
  ],
  [367, { expected: 'valid', reason: 'labelled invalid, but byte-identical to tc 357 (valid, same key)' }],
  [370, { expected: 'valid', reason: 'labelled invalid, but byte-identical to tc 357 (valid, same key)' }],
]);

/**
 * The RFC 7520 groups attach an `alg` to the RFC's keys that the RFC does not have and
 * that does not match the figure signed with them: "PS256" on the key of Figure 20
 * (PS384), "ES521" (no such algorithm) on the key of Figure 27 (ES512). Our policy binds
 * a JWK to its `alg`, so as given these keys refuse those tokens (asserted below); to
 * test the signatures themselves, the harness imports the RFC's key without that member,
 * bound to the algorithm RFC 7520 used.
 */
const KEY_ALG_CORRECTIONS: ReadonlyMap<number, JwsAlgorithm> = new Map([
  [346, 'PS384'],
  [350, 'PS384'],
  [347, 'ES512'],
  [351, 'ES512'],
]);

/**
 * The key a verifier would hold for a group. HS groups carry only the secret JWK; public
 * keys go through importJwk, so a JWK unfit for verification (use "enc", key_ops without
 * "verify") yields no key and every token is refused, as the vectors want.
 */
function keyFor(group: Group, vector: Vector | undefined): VerificationKey | undefined {
  const jwk = group.public ?? group.private;
  const corrected = vector === undefined ? undefined : KEY_ALG_CORRECTIONS.get(vector.tcId);
  if (corrected !== undefined) {
    const { alg: _wrong, ...published } = jwk;
    return expectKey(importJwk(published, { alg: corrected, algorithms: SUPPORTED_ALGORITHMS }));
  }
  if (jwk.kty === 'oct') {
    const secret = decodeBase64Url(String(jwk.k));
    assert.ok(secret !== null && isJwsAlgorithm(jwk.alg));
    return createHmacKey(secret, { alg: jwk.alg, kid: jwk.kid as string | undefined });
  }
  // The encryption-key groups (353–356) give no alg: bind the token's own, so that only
  // use/key_ops can be what refuses them. (A real verifier never takes alg from a token.)
  const tokenAlg = vector === undefined ? undefined : algOf(vector.jws);
  const imported = importJwk(jwk, {
    alg: jwk.alg === undefined ? tokenAlg : undefined,
    algorithms: SUPPORTED_ALGORITHMS,
  });
  return imported.ok ? imported.key : undefined;
}

function expectKey(imported: ReturnType<typeof importJwk>): VerificationKey {
  assert.ok(imported.ok, imported.ok ? '' : imported.reason);
  return imported.key;
}

function algOf(jws: unknown): JwsAlgorithm | undefined {
  if (typeof jws !== 'string') return undefined;
  const header = decodeBase64Url(jws.split('.')[0] ?? '');
  if (header === null) return undefined;
  try {
    const alg = (JSON.parse(header.toString('utf8')) as { alg?: unknown }).alg;
    return isJwsAlgorithm(alg) ? alg : undefined;
  } catch {
    return undefined;
  }
}

describe('Wycheproof json_web_signature_test.json', () => {
  const vectors = file.testGroups.flatMap((group) => group.tests.map((vector) => ({ group, vector })));

  it('has every vector of the file', () => {
    assert.equal(vectors.length, file.numberOfTests);
    assert.equal(vectors.length, 401);
  });

  it('only its encryption-key groups lack a usable key', () => {
    const keyless = vectors.filter(({ group, vector }) => keyFor(group, vector) === undefined);
    assert.deepEqual(
      keyless.map(({ vector }) => vector.tcId),
      [353, 354, 355, 356],
    );
  });

  it('as given, the RFC 7520 keys with a mismatched alg refuse the tokens', () => {
    for (const { group, vector } of vectors.filter(({ vector }) => KEY_ALG_CORRECTIONS.has(vector.tcId))) {
      const jwk = group.public ?? group.private;
      const imported = importJwk(jwk, { algorithms: SUPPORTED_ALGORITHMS });
      if (jwk.alg === 'ES521') {
        assert.equal(imported.ok, false, `tc ${vector.tcId}`);
      } else {
        assert.ok(imported.ok && imported.key.alg === 'PS256' && algOf(vector.jws) === 'PS384');
        assert.deepEqual(verifyCompactJws(vector.jws, imported.key), {
          ok: false,
          reason: Rejection.KEY_MISMATCH,
        });
      }
    }
  });

  for (const { group, vector } of vectors) {
    const override = OVERRIDES.get(vector.tcId);
    const expected = override?.expected ?? vector.result;
    const note = override === undefined ? '' : ` [label overridden: ${override.reason}]`;
    it(`tc ${vector.tcId} ${group.comment} ${vector.comment}: ${expected}${note}`, () => {
      const key = keyFor(group, vector);
      const accepted = key !== undefined && verifyCompactJws(vector.jws, key).ok;
      if (expected === 'valid') assert.equal(accepted, true);
      else if (expected === 'invalid') assert.equal(accepted, false);
    });
  }

  it('the overridden vectors are what the README says', () => {
    const byId = new Map(vectors.map(({ vector }) => [vector.tcId, vector]));
    assert.equal(byId.get(367)?.jws, byId.get(357)?.jws);
    assert.equal(byId.get(370)?.jws, byId.get(357)?.jws);
    assert.equal(byId.get(372)?.result, 'valid');
    assert.equal(byId.get(373)?.result, 'valid');
  });
});
