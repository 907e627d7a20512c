import assert from 'node:assert/strict';
import { createSecretKey, generateKeyPairSync, type KeyObject, randomBytes, verify } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compactVerify, decodeProtectedHeader, jwtVerify } from 'jose';
import { type SigningAlg, type SigningKey, signCompactJws } from './jws-signer.js';

interface Fixture {
  readonly signing: SigningKey;
  /** What a verifier holds: the public key, or the secret for HS256. */
  readonly verifying: KeyObject;
  /** The same alg, another key. */
  readonly otherVerifying: KeyObject;
}

function asymmetric(
  alg: Exclude<SigningAlg, 'HS256'>,
): () => { publicKey: KeyObject; privateKey: KeyObject } {
  switch (alg) {
    case 'ES256':
      return () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
    case 'RS256':
      return () => generateKeyPairSync('rsa', { modulusLength: 2048 });
    case 'EdDSA':
      return () => generateKeyPairSync('ed25519');
  }
}

function fixture(alg: SigningAlg): Fixture {
  const kid = `kid-${alg}-${randomBytes(4).toString('hex')}`;
  if (alg === 'HS256') {
    const secret = createSecretKey(randomBytes(32));
    return {
      signing: { kid, alg, key: secret },
      verifying: secret,
      otherVerifying: createSecretKey(randomBytes(32)),
    };
  }
  const generate = asymmetric(alg);
  const { publicKey, privateKey } = generate();
  return {
    signing: { kid, alg, key: privateKey },
    verifying: publicKey,
    otherVerifying: generate().publicKey,
  };
}

const ALGS: readonly SigningAlg[] = ['ES256', 'RS256', 'EdDSA', 'HS256'];
const fixtures = new Map(ALGS.map((alg) => [alg, fixture(alg)]));
const get = (alg: SigningAlg): Fixture => {
  const found = fixtures.get(alg);
  assert.ok(found);
  return found;
};

const now = Math.floor(Date.now() / 1000);
const claims = {
  iss: 'https://as.example',
  sub: 'svc-é🔑',
  aud: 'api',
  iat: now,
  exp: now + 600,
  scope: 'a b',
};

for (const alg of ALGS) {
  describe(`signCompactJws with ${alg}`, () => {
    const { signing, verifying, otherVerifying } = get(alg);

    it("verifies with jose's jwtVerify, the algorithm pinned", async () => {
      const jws = signCompactJws({ typ: 'at+jwt' }, claims, signing);
      const { payload, protectedHeader } = await jwtVerify(jws, verifying, {
        algorithms: [alg],
        issuer: claims.iss,
        audience: claims.aud,
        typ: 'at+jwt',
      });
      assert.deepEqual(payload, claims);
      assert.deepEqual(protectedHeader, { typ: 'at+jwt', alg, kid: signing.kid });
    });

    it("verifies with jose's compactVerify, for any JSON payload", async () => {
      await fc.assert(
        fc.asyncProperty(fc.dictionary(fc.string(), fc.jsonValue()), async (payload) => {
          const jws = signCompactJws({}, payload, signing);
          const result = await compactVerify(jws, verifying, { algorithms: [alg] });
          assert.deepEqual(
            JSON.parse(new TextDecoder().decode(result.payload)),
            JSON.parse(JSON.stringify(payload)),
          );
          assert.equal(result.protectedHeader.alg, alg);
        }),
        { numRuns: alg === 'RS256' ? 20 : 50 },
      );
    });

    it('produces a signature that another key of the same alg does not verify', async () => {
      const jws = signCompactJws({}, claims, signing);
      await assert.rejects(compactVerify(jws, otherVerifying, { algorithms: [alg] }));
    });

    it('produces a signature over header and payload: altering either breaks it', async () => {
      const jws = signCompactJws({ typ: 'at+jwt' }, claims, signing);
      const [header, payload, signature] = jws.split('.');
      const otherPayload = Buffer.from(JSON.stringify({ ...claims, scope: 'admin' })).toString('base64url');
      const otherHeader = Buffer.from(JSON.stringify({ typ: 'JWT', alg, kid: signing.kid })).toString(
        'base64url',
      );
      await assert.rejects(
        compactVerify(`${header}.${otherPayload}.${signature}`, verifying, { algorithms: [alg] }),
      );
      await assert.rejects(
        compactVerify(`${otherHeader}.${payload}.${signature}`, verifying, { algorithms: [alg] }),
      );
    });

    it("takes alg and kid from the key; the caller's header cannot override them", async () => {
      const jws = signCompactJws({ alg: 'none', kid: 'attacker', typ: 'at+jwt', cty: 'x' }, claims, signing);
      const header = decodeProtectedHeader(jws);
      assert.equal(header.alg, alg);
      assert.equal(header.kid, signing.kid);
      assert.equal(header.typ, 'at+jwt');
      assert.equal(header.cty, 'x');
      const parsed = JSON.parse(Buffer.from(jws.split('.')[0] ?? '', 'base64url').toString());
      assert.equal(Object.keys(parsed).filter((key) => key === 'alg').length, 1);
      await compactVerify(jws, verifying, { algorithms: [alg] });
    });

    it('never produces an unsigned token', () => {
      for (const header of [{}, { alg: 'none' }, { alg: 'HS256' }, { alg: 'none', kid: '' }]) {
        const signature = signCompactJws(header, claims, signing).split('.')[2];
        assert.ok(signature !== undefined && signature.length > 0);
      }
    });
  });
}

describe('signCompactJws with ES256', () => {
  it('encodes the signature as 64 raw bytes (r || s, JOSE), not DER', () => {
    const { signing, verifying } = get('ES256');
    for (let attempt = 0; attempt < 20; attempt++) {
      const jws = signCompactJws({}, { n: attempt }, signing);
      const [header, payload, signature] = jws.split('.');
      const bytes = Buffer.from(signature ?? '', 'base64url');
      assert.equal(bytes.length, 64);
      assert.ok(
        verify(
          'sha256',
          Buffer.from(`${header}.${payload}`),
          { key: verifying, dsaEncoding: 'ieee-p1363' },
          bytes,
        ),
      );
    }
  });
});

describe('signCompactJws with HS256', () => {
  it('is an HMAC: the same input gives the same token, and the signature is 32 bytes', () => {
    const { signing } = get('HS256');
    const a = signCompactJws({ typ: 'at+jwt' }, claims, signing);
    assert.equal(a, signCompactJws({ typ: 'at+jwt' }, claims, signing));
    assert.equal(Buffer.from(a.split('.')[2] ?? '', 'base64url').length, 32);
  });
});
