import assert from 'node:assert/strict';
import { constants, createHash, createHmac, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { calculateJwkThumbprint, exportJWK, type JWK, SignJWT } from 'jose';
import { DPOP_ALGORITHMS, type DpopAlgorithm, type DpopExpectations, verifyDpopProof } from './dpop-proof.js';
import { dpopKey, signDpopProof } from './sign-dpop-proof.js';

const NOW = 1_700_000_000;
const TOKEN_URL = 'https://server.example.com/token';
const EXPECTED: DpopExpectations = { method: 'POST', url: TOKEN_URL, now: NOW };

interface Pair {
  readonly alg: DpopAlgorithm;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly jwk: JWK;
  readonly jkt: string;
}

async function pair(
  alg: DpopAlgorithm,
  keys: { privateKey: KeyObject; publicKey: KeyObject },
): Promise<Pair> {
  const jwk = await exportJWK(keys.publicKey);
  return { alg, ...keys, jwk, jkt: await calculateJwkThumbprint(jwk) };
}

const RSA = generateKeyPairSync('rsa', { modulusLength: 2048 });
const KEYS = {
  ES256: await pair('ES256', generateKeyPairSync('ec', { namedCurve: 'P-256' })),
  ES384: await pair('ES384', generateKeyPairSync('ec', { namedCurve: 'P-384' })),
  EdDSA: await pair('EdDSA', generateKeyPairSync('ed25519')),
  PS256: await pair('PS256', RSA),
  RS256: await pair('RS256', RSA),
} satisfies Record<DpopAlgorithm, Pair>;
const EC = KEYS.ES256;

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { jti: 'e1j3V_bKic8-LAEB', htm: 'POST', htu: TOKEN_URL, iat: NOW, ...overrides };
}

/** An independent signer: jose, with the header as given. */
async function joseProof(
  key: Pair,
  payload: Record<string, unknown> = claims(),
  header: Record<string, unknown> = { typ: 'dpop+jwt', jwk: key.jwk },
): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: key.alg, ...header }).sign(key.privateKey);
}

/** A hand-made JWS, for headers jose will not sign; `signer` gets the signing input. */
function craft(header: unknown, payload: unknown, signer: (data: Buffer) => Buffer): string {
  const input = `${typeof header === 'string' ? header : encode(header)}.${typeof payload === 'string' ? payload : encode(payload)}`;
  return `${input}.${signer(Buffer.from(input)).toString('base64url')}`;
}

const es256 = (key: KeyObject) => (data: Buffer) => sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' });

/** An ES256 proof with a valid signature over whatever header and payload are given. */
const craftEs256 = (header: unknown, payload: unknown = claims()) =>
  craft(header, payload, es256(EC.privateKey));

function accepted(result: ReturnType<typeof verifyDpopProof>) {
  assert.equal(result.ok, true, result.ok ? '' : result.reason);
  if (!result.ok) throw new Error('unreachable');
  return result.value;
}

function refused(result: ReturnType<typeof verifyDpopProof>, reason: RegExp) {
  assert.equal(result.ok, false, 'expected a refusal');
  if (result.ok) throw new Error('unreachable');
  assert.match(result.reason, reason);
}

function withSignature(proof: string, change: (signature: Buffer) => Buffer): string {
  const [header, payload, signature = ''] = proof.split('.');
  return `${header}.${payload}.${change(Buffer.from(signature, 'base64url')).toString('base64url')}`;
}

describe('verifyDpopProof: RFC 9449 example', () => {
  // RFC 9449 §4.2 Figure 2 (jkt as in §6.1 Figure 9), signed by the RFC's authors.
  const FIGURE_2 =
    'eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0Rs' +
    'cEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2' +
    'In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2Vu' +
    'IiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg';

  it('accepts the Figure 2 proof with the published jkt', () => {
    const value = accepted(verifyDpopProof(FIGURE_2, { method: 'POST', url: TOKEN_URL, now: 1562262616 }));
    assert.deepEqual(value, {
      jkt: '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I',
      jti: '-BwC3ESc6acc2lTc',
      iat: 1562262616,
      nonce: undefined,
    });
  });

  it('refuses it for another request or a year later', () => {
    refused(verifyDpopProof(FIGURE_2, { method: 'GET', url: TOKEN_URL, now: 1562262616 }), /method/);
    refused(
      verifyDpopProof(FIGURE_2, { method: 'POST', url: 'https://server.example.com/other', now: 1562262616 }),
      /URL/,
    );
    refused(
      verifyDpopProof(FIGURE_2, { method: 'POST', url: TOKEN_URL, now: 1562262616 + 365 * 86400 }),
      /too old/,
    );
  });
});

describe('verifyDpopProof: valid proofs', () => {
  for (const key of Object.values(KEYS)) {
    it(`accepts an ${key.alg} proof signed by jose, with jose's jkt`, async () => {
      const value = accepted(verifyDpopProof(await joseProof(key), EXPECTED));
      assert.deepEqual(value, { jkt: key.jkt, jti: 'e1j3V_bKic8-LAEB', iat: NOW, nonce: undefined });
    });

    it(`accepts an ${key.alg} proof made by signDpopProof, with jose's jkt`, () => {
      const proof = signDpopProof(dpopKey(key.privateKey, key.alg), {
        method: 'POST',
        url: TOKEN_URL,
        now: NOW,
        nonce: 'server-nonce',
        accessToken: 'an-access-token',
      });
      const value = accepted(verifyDpopProof(proof, { ...EXPECTED, accessToken: 'an-access-token' }));
      assert.equal(value.jkt, key.jkt);
      assert.equal(value.nonce, 'server-nonce');
      assert.equal(value.iat, NOW);
    });
  }

  it('accepts the same key again (cached) and the same RSA key under PS256 and RS256', async () => {
    for (let i = 0; i < 3; i++) accepted(verifyDpopProof(await joseProof(EC), EXPECTED));
    assert.equal(accepted(verifyDpopProof(await joseProof(KEYS.PS256), EXPECTED)).jkt, KEYS.RS256.jkt);
    assert.equal(accepted(verifyDpopProof(await joseProof(KEYS.RS256), EXPECTED)).jkt, KEYS.PS256.jkt);
  });

  it('ignores public metadata members in the jwk', async () => {
    const proof = await joseProof(EC, claims(), {
      typ: 'dpop+jwt',
      jwk: { ...EC.jwk, use: 'sig', kid: 'k1', alg: 'ES256' },
    });
    assert.equal(accepted(verifyDpopProof(proof, EXPECTED)).jkt, EC.jkt);
  });

  it('returns a string nonce', async () => {
    const proof = await joseProof(EC, claims({ nonce: 'eyJ7S_zG.eyJH0-Z.HX4w-7v' }));
    assert.equal(accepted(verifyDpopProof(proof, EXPECTED)).nonce, 'eyJ7S_zG.eyJH0-Z.HX4w-7v');
  });
});

describe('verifyDpopProof: header', () => {
  it('refuses a typ other than dpop+jwt, or none', async () => {
    refused(verifyDpopProof(await joseProof(EC, claims(), { typ: 'JWT', jwk: EC.jwk }), EXPECTED), /typ/);
    refused(verifyDpopProof(await joseProof(EC, claims(), { typ: 'at+jwt', jwk: EC.jwk }), EXPECTED), /typ/);
    refused(verifyDpopProof(await joseProof(EC, claims(), { jwk: EC.jwk }), EXPECTED), /typ/);
    refused(verifyDpopProof(craftEs256({ typ: ['dpop+jwt'], alg: 'ES256', jwk: EC.jwk }), EXPECTED), /typ/);
  });

  it('refuses alg none', () => {
    const none = craft({ typ: 'dpop+jwt', alg: 'none', jwk: EC.jwk }, claims(), () => Buffer.alloc(0));
    refused(verifyDpopProof(none, EXPECTED), /algorithm/);
  });

  it('refuses HS256, under a symmetric jwk or keyed with the public key', () => {
    const secret = Buffer.alloc(32, 3);
    const hs = craft(
      { typ: 'dpop+jwt', alg: 'HS256', jwk: { kty: 'oct', k: secret.toString('base64url') } },
      claims(),
      (data) => createHmac('sha256', secret).update(data).digest(),
    );
    refused(verifyDpopProof(hs, EXPECTED), /algorithm/);
    const confused = craft({ typ: 'dpop+jwt', alg: 'HS256', jwk: EC.jwk }, claims(), (data) =>
      createHmac('sha256', JSON.stringify(EC.jwk)).update(data).digest(),
    );
    refused(verifyDpopProof(confused, EXPECTED), /algorithm/);
  });

  it('refuses an algorithm outside the allowed list, and a non-string alg', async () => {
    const eddsa = await joseProof(KEYS.EdDSA);
    accepted(verifyDpopProof(eddsa, { ...EXPECTED, algorithms: ['EdDSA'] }));
    refused(verifyDpopProof(eddsa, { ...EXPECTED, algorithms: ['ES256', 'ES384'] }), /algorithm/);
    refused(verifyDpopProof(await joseProof(EC), { ...EXPECTED, algorithms: [] }), /algorithm/);
    const p521 = generateKeyPairSync('ec', { namedCurve: 'P-521' });
    const es512 = await new SignJWT(claims())
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES512', jwk: await exportJWK(p521.publicKey) })
      .sign(p521.privateKey);
    refused(verifyDpopProof(es512, EXPECTED), /algorithm/);
    refused(
      verifyDpopProof(craftEs256({ typ: 'dpop+jwt', alg: ['ES256'], jwk: EC.jwk }), EXPECTED),
      /algorithm/,
    );
    refused(verifyDpopProof(craftEs256({ typ: 'dpop+jwt', jwk: EC.jwk }), EXPECTED), /algorithm/);
  });

  it('refuses ES256 with a P-384 key, whatever the signature', () => {
    const p384 = KEYS.ES384;
    const header = { typ: 'dpop+jwt', alg: 'ES256', jwk: p384.jwk };
    const sha256 = craft(header, claims(), (data) =>
      sign('sha256', data, { key: p384.privateKey, dsaEncoding: 'ieee-p1363' }),
    );
    refused(verifyDpopProof(sha256, EXPECTED), /key/);
    const sha384 = craft(header, claims(), (data) =>
      sign('sha384', data, { key: p384.privateKey, dsaEncoding: 'ieee-p1363' }),
    );
    refused(verifyDpopProof(sha384, EXPECTED), /key/);
    const reverse = craft({ typ: 'dpop+jwt', alg: 'ES384', jwk: EC.jwk }, claims(), (data) =>
      sign('sha384', data, { key: EC.privateKey, dsaEncoding: 'ieee-p1363' }),
    );
    refused(verifyDpopProof(reverse, EXPECTED), /key/);
  });

  it('refuses RS256 or PS256 with an EC key, and EdDSA with an EC or RSA key', () => {
    // A DER ECDSA signature verifies under node's verify('sha256', …, ecKey): only the
    // algorithm-to-key check stands between it and acceptance.
    const rs256 = craft({ typ: 'dpop+jwt', alg: 'RS256', jwk: EC.jwk }, claims(), (data) =>
      sign('sha256', data, EC.privateKey),
    );
    refused(verifyDpopProof(rs256, EXPECTED), /key/);
    const ps256 = craft({ typ: 'dpop+jwt', alg: 'PS256', jwk: EC.jwk }, claims(), (data) =>
      sign('sha256', data, EC.privateKey),
    );
    refused(verifyDpopProof(ps256, EXPECTED), /key/);
    const eddsaRsa = craft({ typ: 'dpop+jwt', alg: 'EdDSA', jwk: KEYS.RS256.jwk }, claims(), (data) =>
      sign('sha256', data, KEYS.RS256.privateKey),
    );
    refused(verifyDpopProof(eddsaRsa, EXPECTED), /key/);
    const es256Ed = craft({ typ: 'dpop+jwt', alg: 'ES256', jwk: KEYS.EdDSA.jwk }, claims(), (data) =>
      sign(null, data, KEYS.EdDSA.privateKey),
    );
    refused(verifyDpopProof(es256Ed, EXPECTED), /key/);
  });

  it('refuses EdDSA with an Ed448 key', async () => {
    const ed448 = generateKeyPairSync('ed448');
    const proof = craft(
      { typ: 'dpop+jwt', alg: 'EdDSA', jwk: await exportJWK(ed448.publicKey) },
      claims(),
      (data) => sign(null, data, ed448.privateKey),
    );
    refused(verifyDpopProof(proof, EXPECTED), /key/);
  });

  it('refuses a missing jwk, or one that is not an object', () => {
    refused(verifyDpopProof(craftEs256({ typ: 'dpop+jwt', alg: 'ES256' }), EXPECTED), /public key/);
    for (const jwk of [null, 'jwk', 42, true, [EC.jwk], JSON.stringify(EC.jwk)]) {
      refused(verifyDpopProof(craftEs256({ typ: 'dpop+jwt', alg: 'ES256', jwk }), EXPECTED), /key/);
    }
  });

  it('refuses a jwk carrying private members, even with a valid signature', async () => {
    for (const key of [EC, KEYS.EdDSA, KEYS.RS256]) {
      const privateJwk = await exportJWK(key.privateKey);
      assert.ok('d' in privateJwk);
      const proof = await joseProof(key, claims(), { typ: 'dpop+jwt', jwk: privateJwk });
      refused(verifyDpopProof(proof, EXPECTED), /public key/);
      const { d } = privateJwk;
      // each private member alone is enough to refuse
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']) {
        const withMember = await joseProof(key, claims(), {
          typ: 'dpop+jwt',
          jwk: { ...key.jwk, [member]: d },
        });
        refused(verifyDpopProof(withMember, EXPECTED), /public key/);
      }
    }
  });

  it('refuses a symmetric jwk (kty oct)', () => {
    const jwk = { kty: 'oct', k: Buffer.alloc(32, 1).toString('base64url') };
    refused(verifyDpopProof(craftEs256({ typ: 'dpop+jwt', alg: 'ES256', jwk }), EXPECTED), /key/);
    refused(
      verifyDpopProof(craftEs256({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty: 'oct' } }), EXPECTED),
      /key/,
    );
  });

  it('refuses an RSA key under 2048 bits, even correctly signed', async () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const jwk = await exportJWK(small.publicKey);
    for (const alg of ['RS256', 'PS256']) {
      const proof = craft({ typ: 'dpop+jwt', alg, jwk }, claims(), (data) =>
        alg === 'RS256'
          ? sign('sha256', data, small.privateKey)
          : sign('sha256', data, {
              key: small.privateKey,
              padding: constants.RSA_PKCS1_PSS_PADDING,
              saltLength: 32,
            }),
      );
      refused(verifyDpopProof(proof, EXPECTED), /key/);
      refused(verifyDpopProof(proof, EXPECTED), /key/); // and not cached on the way
    }
    const just = generateKeyPairSync('rsa', { modulusLength: 2040 });
    const proof = craft(
      { typ: 'dpop+jwt', alg: 'RS256', jwk: await exportJWK(just.publicKey) },
      claims(),
      (data) => sign('sha256', data, just.privateKey),
    );
    refused(verifyDpopProof(proof, EXPECTED), /key/);
  });

  it('refuses a jwk that is not a point on the curve, or not base64url', () => {
    const offCurve = { ...EC.jwk, y: EC.jwk.x };
    refused(verifyDpopProof(craftEs256({ typ: 'dpop+jwt', alg: 'ES256', jwk: offCurve }), EXPECTED), /key/);
    const junk = { ...EC.jwk, x: '!!!' };
    refused(
      verifyDpopProof(craftEs256({ typ: 'dpop+jwt', alg: 'ES256', jwk: junk }), EXPECTED),
      /key|signature/,
    );
  });

  it('refuses a crit header, whatever it names', () => {
    for (const crit of [['exp'], [], 'b64', null]) {
      const proof = craftEs256({ typ: 'dpop+jwt', alg: 'ES256', jwk: EC.jwk, crit, exp: 1 });
      refused(verifyDpopProof(proof, EXPECTED), /critical/);
    }
    // the same header without crit is fine, so crit is what is refused
    accepted(verifyDpopProof(craftEs256({ typ: 'dpop+jwt', alg: 'ES256', jwk: EC.jwk, exp: 1 }), EXPECTED));
  });
});

describe('verifyDpopProof: signature', () => {
  for (const key of Object.values(KEYS)) {
    it(`refuses an ${key.alg} proof with a flipped signature byte, or header or payload changed`, async () => {
      const proof = await joseProof(key);
      accepted(verifyDpopProof(proof, EXPECTED));
      for (const index of [0, 10, -1]) {
        const flipped = withSignature(proof, (signature) => {
          const copy = Buffer.from(signature);
          const at = index < 0 ? copy.length + index : index;
          copy[at] = (copy[at] ?? 0) ^ 0x01;
          return copy;
        });
        refused(verifyDpopProof(flipped, EXPECTED), /signature/);
      }
      const [, , signature] = proof.split('.');
      const otherPayload = `${proof.split('.')[0]}.${encode(claims({ jti: 'another' }))}.${signature}`;
      refused(verifyDpopProof(otherPayload, EXPECTED), /signature/);
      const otherHeader = `${encode({ typ: 'dpop+jwt', alg: key.alg, jwk: key.jwk, kid: 'x' })}.${proof.split('.')[1]}.${signature}`;
      refused(verifyDpopProof(otherHeader, EXPECTED), /signature/);
    });

    it(`refuses an ${key.alg} proof whose signature has the wrong length`, async () => {
      const proof = await joseProof(key);
      const longer = withSignature(proof, (signature) => Buffer.concat([signature, Buffer.alloc(1)]));
      refused(verifyDpopProof(longer, EXPECTED), /signature/);
      const shorter = withSignature(proof, (signature) => signature.subarray(0, signature.length - 1));
      refused(verifyDpopProof(shorter, EXPECTED), /signature/);
      refused(
        verifyDpopProof(
          withSignature(proof, () => Buffer.alloc(0)),
          EXPECTED,
        ),
        /signature/,
      );
    });
  }

  it('refuses a DER-encoded ECDSA signature (JWS wants R || S)', () => {
    const der = craft({ typ: 'dpop+jwt', alg: 'ES256', jwk: EC.jwk }, claims(), (data) =>
      sign('sha256', data, EC.privateKey),
    );
    refused(verifyDpopProof(der, EXPECTED), /signature/);
    const der384 = craft({ typ: 'dpop+jwt', alg: 'ES384', jwk: KEYS.ES384.jwk }, claims(), (data) =>
      sign('sha384', data, KEYS.ES384.privateKey),
    );
    refused(verifyDpopProof(der384, EXPECTED), /signature/);
  });

  it('refuses ES256 signed with SHA-384, and PS256 / RS256 padding swapped', async () => {
    const sha384 = craft({ typ: 'dpop+jwt', alg: 'ES256', jwk: EC.jwk }, claims(), (data) =>
      sign('sha384', data, { key: EC.privateKey, dsaEncoding: 'ieee-p1363' }),
    );
    refused(verifyDpopProof(sha384, EXPECTED), /signature/);
    const rs = await joseProof(KEYS.RS256);
    const asPs = `${encode({ typ: 'dpop+jwt', alg: 'PS256', jwk: KEYS.RS256.jwk })}.${rs.split('.')[1]}`;
    const psSignedAsRs = `${asPs}.${sign('sha256', Buffer.from(asPs), KEYS.RS256.privateKey).toString('base64url')}`;
    refused(verifyDpopProof(psSignedAsRs, EXPECTED), /signature/);
  });

  it('refuses PS256 with a salt length other than the hash length (RFC 7518 §3.5)', () => {
    for (const saltLength of [0, 20, 64]) {
      const proof = craft({ typ: 'dpop+jwt', alg: 'PS256', jwk: KEYS.PS256.jwk }, claims(), (data) =>
        sign('sha256', data, {
          key: KEYS.PS256.privateKey,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength,
        }),
      );
      refused(verifyDpopProof(proof, EXPECTED), /signature/);
    }
    const proof = craft({ typ: 'dpop+jwt', alg: 'PS256', jwk: KEYS.PS256.jwk }, claims(), (data) =>
      sign('sha256', data, {
        key: KEYS.PS256.privateKey,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: 32,
      }),
    );
    accepted(verifyDpopProof(proof, EXPECTED));
  });

  it('refuses a signature that is not canonical base64url', async () => {
    const proof = await joseProof(EC);
    refused(verifyDpopProof(`${proof}=`, EXPECTED), /malformed/);
    const plus = proof.replace(/\.([^.]*)$/, (_, s: string) => `.${s.replace(/-/g, '+').replace(/_/g, '/')}`);
    if (plus !== proof) refused(verifyDpopProof(plus, EXPECTED), /malformed/);
  });
});

describe('verifyDpopProof: claims', () => {
  it('refuses another method (htm is compared exactly)', async () => {
    const proof = await joseProof(EC);
    refused(verifyDpopProof(proof, { ...EXPECTED, method: 'GET' }), /method/);
    refused(verifyDpopProof(proof, { ...EXPECTED, method: 'post' }), /method/);
    refused(verifyDpopProof(await joseProof(EC, claims({ htm: undefined })), EXPECTED), /method/);
    refused(verifyDpopProof(await joseProof(EC, claims({ htm: ['POST'] })), EXPECTED), /method/);
  });

  it('refuses another host, path, scheme or port', async () => {
    const proof = await joseProof(EC);
    for (const url of [
      'https://other.example.com/token',
      'https://server.example.com/token2',
      'https://server.example.com/Token',
      'https://server.example.com/token/',
      'https://server.example.com/',
      'http://server.example.com/token',
      'https://server.example.com:8443/token',
    ]) {
      refused(verifyDpopProof(proof, { ...EXPECTED, url }), /URL/);
    }
  });

  it('refuses a proof whose htu is missing, not a string, or not an http(s) URL', async () => {
    for (const htu of [undefined, 42, [TOKEN_URL], '/token', 'ftp://server.example.com/token', '']) {
      refused(verifyDpopProof(await joseProof(EC, claims({ htu })), EXPECTED), /URL/);
    }
  });

  it('refuses when the expected URL is not absolute http(s), even if htu is the same text', async () => {
    const proof = await joseProof(EC, claims({ htu: '/token' }));
    refused(verifyDpopProof(proof, { ...EXPECTED, url: '/token' }), /URL/);
  });

  it('accepts a URL differing only in query, fragment or normalisation', async () => {
    const proof = await joseProof(EC);
    for (const url of [
      `${TOKEN_URL}?grant_type=x`,
      `${TOKEN_URL}#frag`,
      'HTTPS://SERVER.example.com:443/token',
      'https://server.example.com/%74oken',
    ]) {
      accepted(verifyDpopProof(proof, { ...EXPECTED, url }));
    }
    const queried = await joseProof(EC, claims({ htu: `${TOKEN_URL}?a=1` }));
    accepted(verifyDpopProof(queried, EXPECTED));
    const loud = await joseProof(EC, claims({ htu: 'HTTPS://Server.Example.COM:443/token' }));
    accepted(verifyDpopProof(loud, EXPECTED));
  });

  it("returns the proof's own iat and jti", async () => {
    const value = accepted(
      verifyDpopProof(await joseProof(EC, claims({ iat: NOW - 42, jti: 'j-42' })), EXPECTED),
    );
    assert.equal(value.iat, NOW - 42);
    assert.equal(value.jti, 'j-42');
  });

  it('refuses an iat older than maxAgeSeconds or further ahead than the skew, at the boundaries', async () => {
    const at = async (iat: unknown) => joseProof(EC, claims({ iat }));
    accepted(verifyDpopProof(await at(NOW - 300), EXPECTED));
    refused(verifyDpopProof(await at(NOW - 301), EXPECTED), /too old/);
    refused(verifyDpopProof(await at(NOW - 86400), EXPECTED), /too old/);
    accepted(verifyDpopProof(await at(NOW + 5), EXPECTED));
    refused(verifyDpopProof(await at(NOW + 6), EXPECTED), /future/);
    refused(verifyDpopProof(await at(NOW + 86400), EXPECTED), /future/);
    accepted(verifyDpopProof(await at(NOW - 60), { ...EXPECTED, maxAgeSeconds: 60 }));
    refused(verifyDpopProof(await at(NOW - 61), { ...EXPECTED, maxAgeSeconds: 60 }), /too old/);
    accepted(verifyDpopProof(await at(NOW + 30), { ...EXPECTED, futureSkewSeconds: 30 }));
    refused(verifyDpopProof(await at(NOW + 1), { ...EXPECTED, futureSkewSeconds: 0 }), /future/);
  });

  it('refuses a missing or non-numeric iat', async () => {
    for (const iat of [undefined, String(NOW), null, [NOW], { n: NOW }]) {
      refused(verifyDpopProof(await joseProof(EC, claims({ iat })), EXPECTED), /iat/);
    }
    const infinite = JSON.stringify(claims()).replace(`"iat":${NOW}`, '"iat":1e999');
    const huge = craftEs256(
      { typ: 'dpop+jwt', alg: 'ES256', jwk: EC.jwk },
      Buffer.from(infinite).toString('base64url'),
    );
    assert.match(infinite, /1e999/);
    refused(verifyDpopProof(huge, EXPECTED), /iat/);
  });

  it('refuses a missing, empty or non-string jti', async () => {
    for (const jti of [undefined, '', 42, null, ['a']]) {
      refused(verifyDpopProof(await joseProof(EC, claims({ jti })), EXPECTED), /jti/);
    }
    accepted(verifyDpopProof(await joseProof(EC, claims({ jti: 'x' })), EXPECTED));
  });

  it('with an access token, refuses a missing or wrong ath and accepts the right one', async () => {
    const token = 'Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU';
    const withToken = { ...EXPECTED, accessToken: token };
    const ath = 'fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo'; // RFC 9449 §7.1
    accepted(verifyDpopProof(await joseProof(EC, claims({ ath })), withToken));
    refused(verifyDpopProof(await joseProof(EC), withToken), /ath/);
    const other = createHash('sha256').update(`${token}x`).digest('base64url');
    refused(verifyDpopProof(await joseProof(EC, claims({ ath: other })), withToken), /ath/);
    const hex = createHash('sha256').update(token).digest('hex');
    refused(verifyDpopProof(await joseProof(EC, claims({ ath: hex })), withToken), /ath/);
    refused(verifyDpopProof(await joseProof(EC, claims({ ath: `${ath}=` })), withToken), /ath/);
    refused(verifyDpopProof(await joseProof(EC, claims({ ath: token })), withToken), /ath/);
    refused(verifyDpopProof(await joseProof(EC, claims({ ath })), { ...EXPECTED, accessToken: '' }), /ath/);
    // without an expected access token, ath is not judged
    accepted(verifyDpopProof(await joseProof(EC, claims({ ath: other })), EXPECTED));
  });

  it('refuses a nonce that is not a string', async () => {
    for (const nonce of [42, null, true, ['n'], { n: 1 }]) {
      refused(verifyDpopProof(await joseProof(EC, claims({ nonce })), EXPECTED), /nonce/);
    }
    assert.equal(accepted(verifyDpopProof(await joseProof(EC, claims({ nonce: '' })), EXPECTED)).nonce, '');
  });
});

describe('verifyDpopProof: framing', () => {
  /** A valid ES256 proof of exactly `length` characters, padded through the header's kid. */
  function proofOfLength(length: number): string {
    const payload = claims();
    for (let kid = 0; kid < length; kid++) {
      const header = { typ: 'dpop+jwt', alg: 'ES256', jwk: EC.jwk, kid: 'k'.repeat(kid) };
      // an ES256 signature is 64 bytes: 86 base64url characters
      if (encode(header).length + 1 + encode(payload).length + 1 + 86 === length)
        return craftEs256(header, payload);
    }
    throw new Error(`no proof of length ${length}`);
  }

  it('accepts a proof of 8192 characters and refuses one of 8193 or more', () => {
    const max = proofOfLength(8192);
    assert.equal(max.length, 8192);
    accepted(verifyDpopProof(max, EXPECTED));
    const over = proofOfLength(8193);
    refused(verifyDpopProof(over, EXPECTED), /malformed/);
    const long = craftEs256(
      { typ: 'dpop+jwt', alg: 'ES256', jwk: EC.jwk },
      claims({ pad: 'x'.repeat(10_000) }),
    );
    refused(verifyDpopProof(long, EXPECTED), /malformed/);
  });

  it('refuses anything but three dot-separated parts', async () => {
    const proof = await joseProof(EC);
    const [header, payload, signature] = proof.split('.');
    for (const text of [
      '',
      '.',
      '..',
      `${header}.${payload}`,
      `${header}.${payload}.${signature}.`,
      `${header}.${payload}.${signature}.${signature}`,
      `${header}..${payload}.${signature}`,
      `${proof}.`,
    ]) {
      refused(verifyDpopProof(text, EXPECTED), /compact JWS|malformed/);
    }
  });

  it('refuses a header or payload that is not base64url of a JSON object', async () => {
    const proof = await joseProof(EC);
    const [header = '', payload = '', signature = ''] = proof.split('.');
    const b64 = (text: string) => Buffer.from(text).toString('base64url');
    for (const bad of [
      b64('not json'),
      b64('[1,2]'),
      b64('"dpop+jwt"'),
      b64('null'),
      b64('42'),
      `${header}=`,
      `${header}!`,
      '',
    ]) {
      refused(verifyDpopProof(`${bad}.${payload}.${signature}`, EXPECTED), /malformed/);
      refused(verifyDpopProof(`${header}.${bad}.${signature}`, EXPECTED), /malformed/);
    }
    // a properly signed JWS whose payload is not a JSON object is malformed too
    refused(
      verifyDpopProof(craftEs256({ typ: 'dpop+jwt', alg: 'ES256', jwk: EC.jwk }, b64('[]')), EXPECTED),
      /malformed/,
    );
  });

  it('refuses a non-string proof without throwing', () => {
    for (const value of [undefined, null, 42, {}, ['a.b.c']]) {
      refused(verifyDpopProof(value as unknown as string, EXPECTED), /malformed/);
    }
  });

  it('never throws and never accepts arbitrary strings', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ maxLength: 9000 })),
        (text) => {
          assert.equal(verifyDpopProof(text, EXPECTED).ok, false);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never throws and never accepts three base64url segments', () => {
    const segment = fc.string({
      unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'),
      maxLength: 200,
    });
    fc.assert(
      fc.property(segment, segment, segment, (a, b, c) => {
        assert.equal(verifyDpopProof(`${a}.${b}.${c}`, EXPECTED).ok, false);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws and never accepts well-formed JSON with arbitrary headers and random signatures', () => {
    const b64 = fc.uint8Array({ maxLength: 100 }).map((bytes) => Buffer.from(bytes).toString('base64url'));
    const jwk = fc.oneof(
      fc.constant(EC.jwk as unknown),
      fc.constant(KEYS.EdDSA.jwk as unknown),
      fc.constant(KEYS.RS256.jwk as unknown),
      fc.record(
        {
          kty: fc.constantFrom('EC', 'RSA', 'OKP', 'oct', 'constructor', '__proto__', 'toString'),
          crv: fc.constantFrom('P-256', 'P-384', 'Ed25519', 'X25519', 'toString'),
          x: b64,
          y: b64,
          n: b64,
          e: b64,
        },
        { requiredKeys: [] },
      ),
      fc.jsonValue(),
    );
    const header = fc.record(
      {
        typ: fc.constantFrom('dpop+jwt', 'JWT', 'DPoP+JWT'),
        alg: fc.constantFrom(...DPOP_ALGORITHMS, 'none', 'HS256', 'ES512', 'constructor'),
        jwk,
        crit: fc.constant(['b64']),
      },
      { requiredKeys: ['typ', 'alg', 'jwk'] },
    );
    const payload = fc.oneof(fc.constant(claims()), fc.dictionary(fc.string(), fc.jsonValue()));
    fc.assert(
      fc.property(header, payload, fc.uint8Array({ maxLength: 300 }), (h, p, signature) => {
        const proof = `${encode(h)}.${encode(p)}.${Buffer.from(signature).toString('base64url')}`;
        assert.equal(verifyDpopProof(proof, EXPECTED).ok, false);
      }),
      { numRuns: 300 },
    );
  });
});
