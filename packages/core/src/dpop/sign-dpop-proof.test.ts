import assert from 'node:assert/strict';
import { createHash, createSecretKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, it } from 'node:test';
import { calculateJwkThumbprint, EmbeddedJWK, exportJWK, jwtVerify } from 'jose';
import { type DpopAlgorithm, verifyDpopProof } from './dpop-proof.js';
import { dpopKey, signDpopProof } from './sign-dpop-proof.js';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const TOKEN_URL = 'https://server.example.com/token';

const PAIRS: ReadonlyArray<{ alg: DpopAlgorithm; privateKey: KeyObject; publicKey: KeyObject }> = [
  { alg: 'ES256', ...generateKeyPairSync('ec', { namedCurve: 'P-256' }) },
  { alg: 'ES384', ...generateKeyPairSync('ec', { namedCurve: 'P-384' }) },
  { alg: 'EdDSA', ...generateKeyPairSync('ed25519') },
  ...(() => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return [
      { alg: 'PS256' as const, ...rsa },
      { alg: 'RS256' as const, ...rsa },
    ];
  })(),
];

function decodePart(proof: string, index: 0 | 1): Record<string, unknown> {
  const part = proof.split('.')[index];
  assert.ok(part !== undefined);
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('dpopKey', () => {
  for (const { alg, privateKey, publicKey } of PAIRS) {
    it(`derives the public JWK and its jose thumbprint for ${alg}`, async () => {
      const key = dpopKey(privateKey, alg);
      const expected = await exportJWK(publicKey);
      assert.deepEqual(key.publicJwk, { ...expected });
      for (const member of PRIVATE_MEMBERS) assert.equal(member in key.publicJwk, false, member);
      assert.equal(key.jkt, await calculateJwkThumbprint(expected));
      assert.equal(key.alg, alg);
      assert.equal(key.privateKey, privateKey);
    });
  }

  it('refuses a key without an RFC 7638 thumbprint definition (a symmetric key)', () => {
    assert.throws(() => dpopKey(createSecretKey(Buffer.alloc(32, 1)), 'ES256'), TypeError);
  });
});

describe('signDpopProof', () => {
  for (const { alg, privateKey } of PAIRS) {
    it(`signs an ${alg} proof that jose and verifyDpopProof both accept`, async () => {
      const key = dpopKey(privateKey, alg);
      const now = nowSeconds();
      const proof = signDpopProof(key, { method: 'POST', url: TOKEN_URL, now });
      const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, {
        typ: 'dpop+jwt',
        algorithms: [alg],
      });
      assert.deepEqual(protectedHeader, { typ: 'dpop+jwt', alg, jwk: key.publicJwk });
      assert.equal(payload.htm, 'POST');
      assert.equal(payload.htu, TOKEN_URL);
      assert.equal(payload.iat, now);
      const result = verifyDpopProof(proof, { method: 'POST', url: TOKEN_URL, now });
      assert.ok(result.ok, result.ok ? '' : result.reason);
      assert.equal(result.value.jkt, key.jkt);
    });
  }

  it('puts exactly typ, alg and a public jwk in the header', () => {
    for (const { alg, privateKey } of PAIRS) {
      const header = decodePart(
        signDpopProof(dpopKey(privateKey, alg), { method: 'GET', url: TOKEN_URL }),
        0,
      );
      assert.deepEqual(Object.keys(header).sort(), ['alg', 'jwk', 'typ']);
      assert.equal(header.typ, 'dpop+jwt');
      assert.equal(header.alg, alg);
      for (const member of PRIVATE_MEMBERS)
        assert.equal(member in (header.jwk as object), false, `${alg} ${member}`);
    }
  });

  it('includes ath only with an access token, as the base64url SHA-256 of it', () => {
    const key = dpopKey(PAIRS[0]?.privateKey as KeyObject, 'ES256');
    const without = decodePart(signDpopProof(key, { method: 'GET', url: TOKEN_URL }), 1);
    assert.equal('ath' in without, false);
    const withUndefined = decodePart(
      signDpopProof(key, { method: 'GET', url: TOKEN_URL, accessToken: undefined }),
      1,
    );
    assert.equal('ath' in withUndefined, false);
    // RFC 9449 §7.1: the example access token and the ath of Figure 14.
    const token = 'Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU';
    const withToken = decodePart(
      signDpopProof(key, { method: 'GET', url: TOKEN_URL, accessToken: token }),
      1,
    );
    assert.equal(withToken.ath, 'fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo');
    assert.equal(withToken.ath, createHash('sha256').update(token).digest('base64url'));
  });

  it('includes nonce only when given', () => {
    const key = dpopKey(PAIRS[0]?.privateKey as KeyObject, 'ES256');
    assert.equal('nonce' in decodePart(signDpopProof(key, { method: 'GET', url: TOKEN_URL }), 1), false);
    assert.equal(
      'nonce' in decodePart(signDpopProof(key, { method: 'GET', url: TOKEN_URL, nonce: undefined }), 1),
      false,
    );
    const payload = decodePart(
      signDpopProof(key, { method: 'GET', url: TOKEN_URL, nonce: 'eyJ7S_zG.eyJH0-Z.HX4w-7v' }),
      1,
    );
    assert.equal(payload.nonce, 'eyJ7S_zG.eyJH0-Z.HX4w-7v');
  });

  it('normalises htu: no query or fragment, lower-case host, no default port', () => {
    const key = dpopKey(PAIRS[0]?.privateKey as KeyObject, 'ES256');
    const payload = decodePart(
      signDpopProof(key, { method: 'GET', url: 'HTTPS://Server.Example.COM:443/a%7eb?x=1#frag' }),
      1,
    );
    assert.equal(payload.htu, 'https://server.example.com/a~b');
    assert.equal(
      decodePart(signDpopProof(key, { method: 'GET', url: 'http://h.example' }), 1).htu,
      'http://h.example/',
    );
  });

  it('refuses a TOKEN_URL that is not absolute http(s)', () => {
    const key = dpopKey(PAIRS[0]?.privateKey as KeyObject, 'ES256');
    for (const url of ['/token', 'ftp://h.example/x', 'https://u:p@h.example/', '']) {
      assert.throws(() => signDpopProof(key, { method: 'GET', url }), TypeError, url);
    }
  });

  it('takes iat from now, or the clock without it', () => {
    const key = dpopKey(PAIRS[0]?.privateKey as KeyObject, 'ES256');
    assert.equal(
      decodePart(signDpopProof(key, { method: 'GET', url: TOKEN_URL, now: 1562262616 }), 1).iat,
      1562262616,
    );
    assert.equal(decodePart(signDpopProof(key, { method: 'GET', url: TOKEN_URL, now: 0 }), 1).iat, 0);
    const before = nowSeconds();
    const iat = decodePart(signDpopProof(key, { method: 'GET', url: TOKEN_URL }), 1).iat as number;
    assert.ok(Number.isInteger(iat) && iat >= before && iat <= nowSeconds(), String(iat));
  });

  it('carries the method verbatim and a fresh jti each time', () => {
    const key = dpopKey(PAIRS[0]?.privateKey as KeyObject, 'ES256');
    const jtis = new Set<unknown>();
    for (let i = 0; i < 50; i++) {
      const payload = decodePart(signDpopProof(key, { method: 'PATCH', url: TOKEN_URL }), 1);
      assert.equal(payload.htm, 'PATCH');
      assert.equal(typeof payload.jti, 'string');
      assert.ok((payload.jti as string).length >= 16);
      jtis.add(payload.jti);
    }
    assert.equal(jtis.size, 50);
  });

  it('has exactly the documented claims', () => {
    const key = dpopKey(PAIRS[0]?.privateKey as KeyObject, 'ES256');
    const payload = decodePart(
      signDpopProof(key, { method: 'GET', url: TOKEN_URL, accessToken: 'at', nonce: 'n', now: 5 }),
      1,
    );
    assert.deepEqual(Object.keys(payload).sort(), ['ath', 'htm', 'htu', 'iat', 'jti', 'nonce']);
  });
});
