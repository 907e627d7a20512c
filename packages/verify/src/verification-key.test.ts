import assert from 'node:assert/strict';
import {
  constants,
  createHmac,
  createSecretKey,
  generateKeyPairSync,
  type KeyObject,
  verify as nodeVerify,
  randomBytes,
  sign,
  webcrypto,
} from 'node:crypto';
import { describe, it } from 'node:test';
import type { JwsAlgorithm } from './algorithms.js';
import { createHmacKey, createVerificationKey, VerificationKey } from './verification-key.js';

const data = Buffer.from('eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiIxIn0');
const ec = (namedCurve: string) => generateKeyPairSync('ec', { namedCurve });
const rsa2048 = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pairs = {
  'P-256': ec('P-256'),
  'P-384': ec('P-384'),
  'P-521': ec('P-521'),
  ed25519: generateKeyPairSync('ed25519'),
};

function signWith(alg: JwsAlgorithm, privateKey: KeyObject, saltLength?: number): Buffer {
  const hash = `sha${alg.slice(2)}`;
  if (alg.startsWith('ES')) return sign(hash, data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  if (alg.startsWith('RS')) return sign(hash, data, privateKey);
  if (alg.startsWith('PS')) {
    return sign(hash, data, {
      key: privateKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: saltLength ?? Number(alg.slice(2)) / 8,
    });
  }
  return sign(null, data, privateKey);
}

describe('createVerificationKey', () => {
  const asymmetric: [JwsAlgorithm, { publicKey: KeyObject; privateKey: KeyObject }][] = [
    ['ES256', pairs['P-256']],
    ['ES384', pairs['P-384']],
    ['ES512', pairs['P-521']],
    ['RS256', rsa2048],
    ['RS384', rsa2048],
    ['RS512', rsa2048],
    ['PS256', rsa2048],
    ['PS384', rsa2048],
    ['PS512', rsa2048],
    ['EdDSA', pairs.ed25519],
  ];

  for (const [alg, pair] of asymmetric) {
    it(`${alg}: verifies its own signatures and refuses altered ones`, () => {
      const key = createVerificationKey(pair.publicKey, { alg, kid: 'k' });
      assert.equal(key.alg, alg);
      assert.equal(key.kid, 'k');
      const signature = signWith(alg, pair.privateKey);
      assert.equal(key.verifySignature(data, signature), true);
      const altered = Buffer.from(signature);
      altered[5] = (altered[5] ?? 0) ^ 1;
      assert.equal(key.verifySignature(data, altered), false);
      assert.equal(key.verifySignature(Buffer.concat([data, Buffer.from('x')]), signature), false);
      assert.equal(key.verifySignature(data, Buffer.concat([Buffer.from([0]), signature])), false);
      assert.equal(key.verifySignature(data, signature.subarray(1)), false);
      assert.equal(key.verifySignature(data, Buffer.alloc(0)), false);
    });
  }

  it('ES256 refuses a DER signature of the same (r, s)', () => {
    const key = createVerificationKey(pairs['P-256'].publicKey, { alg: 'ES256' });
    const der = sign('sha256', data, { key: pairs['P-256'].privateKey, dsaEncoding: 'der' });
    assert.equal(key.verifySignature(data, der), false);
  });

  it('PS256 refuses a salt of any length but 32', () => {
    const key = createVerificationKey(rsa2048.publicKey, { alg: 'PS256' });
    assert.equal(key.verifySignature(data, signWith('PS256', rsa2048.privateKey, 32)), true);
    assert.equal(key.verifySignature(data, signWith('PS256', rsa2048.privateKey, 0)), false);
    assert.equal(key.verifySignature(data, signWith('PS256', rsa2048.privateKey, 64)), false);
  });

  it('PS256 refuses a signature shorter than the modulus, which OpenSSL alone accepts', () => {
    const key = createVerificationKey(rsa2048.publicKey, { alg: 'PS256' });
    // About one signature in 256 starts with a zero byte; without it, it is still the same integer.
    for (let attempt = 0; attempt < 5000; attempt += 1) {
      const message = Buffer.from(`message ${attempt}`);
      const signature = sign('sha256', message, {
        key: rsa2048.privateKey,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: 32,
      });
      if (signature[0] !== 0) continue;
      const short = signature.subarray(1);
      const lenient = { key: rsa2048.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
      assert.equal(nodeVerify('sha256', message, lenient, short), true, 'OpenSSL accepts the short form');
      assert.equal(key.verifySignature(message, signature), true);
      assert.equal(key.verifySignature(message, short), false);
      return;
    }
    assert.fail('no signature with a leading zero byte');
  });

  it('RS256 and PS256 keys do not accept each other’s signatures', () => {
    const rs = createVerificationKey(rsa2048.publicKey, { alg: 'RS256' });
    const ps = createVerificationKey(rsa2048.publicKey, { alg: 'PS256' });
    assert.equal(rs.verifySignature(data, signWith('PS256', rsa2048.privateKey)), false);
    assert.equal(ps.verifySignature(data, signWith('RS256', rsa2048.privateKey)), false);
  });

  it('refuses a key that does not fit the algorithm', () => {
    assert.throws(() => createVerificationKey(pairs['P-384'].publicKey, { alg: 'ES256' }), TypeError);
    assert.throws(() => createVerificationKey(pairs['P-256'].publicKey, { alg: 'ES512' }), TypeError);
    assert.throws(() => createVerificationKey(pairs['P-256'].publicKey, { alg: 'RS256' }), TypeError);
    assert.throws(() => createVerificationKey(rsa2048.publicKey, { alg: 'EdDSA' }), TypeError);
    assert.throws(() => createVerificationKey(pairs.ed25519.publicKey, { alg: 'ES256' }), TypeError);
    assert.throws(() => createVerificationKey(rsa2048.publicKey, { alg: 'HS256' }), TypeError);
    assert.throws(
      () => createVerificationKey(generateKeyPairSync('ed448').publicKey, { alg: 'EdDSA' }),
      TypeError,
    );
  });

  it('refuses RSA below 2048 bits', () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
    assert.throws(() => createVerificationKey(small.publicKey, { alg: 'RS256' }), /2048/);
  });

  it('refuses private keys, secret keys and bad options', () => {
    assert.throws(() => createVerificationKey(pairs['P-256'].privateKey, { alg: 'ES256' }), /public/);
    assert.throws(
      () => createVerificationKey(createSecretKey(randomBytes(32)), { alg: 'HS256' }),
      /createHmacKey/,
    );
    assert.throws(
      () => createVerificationKey(pairs['P-256'].publicKey, { alg: 'none' as JwsAlgorithm }),
      TypeError,
    );
    assert.throws(
      () => createVerificationKey(pairs['P-256'].publicKey, { alg: 'es256' as JwsAlgorithm }),
      TypeError,
    );
    assert.throws(
      () => createVerificationKey(pairs['P-256'].publicKey, { alg: 'ES256', kid: '' }),
      TypeError,
    );
  });

  it('accepts a WebCrypto CryptoKey', async () => {
    const { subtle } = webcrypto;
    const pair = (await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ])) as webcrypto.CryptoKeyPair;
    const key = createVerificationKey(pair.publicKey, { alg: 'ES256' });
    const signature = Buffer.from(
      await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, pair.privateKey, data),
    );
    assert.equal(key.verifySignature(data, signature), true);
  });
});

describe('createHmacKey', () => {
  const secret = randomBytes(64);
  for (const [alg, hash, length] of [
    ['HS256', 'sha256', 32],
    ['HS384', 'sha384', 48],
    ['HS512', 'sha512', 64],
  ] as const) {
    it(`${alg}: verifies its MAC, refuses altered or shortened ones, and needs ${length}-byte secrets`, () => {
      const key = createHmacKey(secret.subarray(0, length), { alg });
      const mac = createHmac(hash, secret.subarray(0, length)).update(data).digest();
      assert.equal(key.verifySignature(data, mac), true);
      assert.equal(key.verifySignature(data, mac.subarray(0, length - 1)), false);
      const altered = Buffer.from(mac);
      altered[0] = (altered[0] ?? 0) ^ 1;
      assert.equal(key.verifySignature(data, altered), false);
      assert.throws(() => createHmacKey(secret.subarray(0, length - 1), { alg }), TypeError);
    });
  }

  it('copies the secret, so later changes to the caller’s buffer do not matter', () => {
    const bytes = randomBytes(32);
    const key = createHmacKey(bytes, { alg: 'HS256' });
    const mac = createHmac('sha256', bytes).update(data).digest();
    bytes.fill(0);
    assert.equal(key.verifySignature(data, mac), true);
  });

  it('refuses public keys, strings and asymmetric algorithms', () => {
    assert.throws(() => createHmacKey(pairs['P-256'].publicKey, { alg: 'HS256' }), /secret/);
    assert.throws(
      () => createHmacKey('secret'.repeat(10) as unknown as Uint8Array, { alg: 'HS256' }),
      TypeError,
    );
    assert.throws(() => createHmacKey(randomBytes(32), { alg: 'ES256' }), TypeError);
  });

  it('refuses an empty secret (the /dev/null kid attack)', () => {
    assert.throws(() => createHmacKey(new Uint8Array(0), { alg: 'HS256' }), TypeError);
  });
});

describe('VerificationKey', () => {
  it('cannot be constructed directly, and look-alikes fail the brand check', () => {
    const Constructor = VerificationKey as unknown as new (...args: unknown[]) => unknown;
    assert.throws(
      () => new Constructor(Symbol('VerificationKey'), 'ES256', undefined, () => true),
      TypeError,
    );
    assert.equal(
      VerificationKey.isVerificationKey({ alg: 'ES256', kid: undefined, verifySignature: () => true }),
      false,
    );
    assert.equal(VerificationKey.isVerificationKey(null), false);
    assert.equal(VerificationKey.isVerificationKey('-----BEGIN PUBLIC KEY-----'), false);
    assert.equal(VerificationKey.isVerificationKey(createHmacKey(randomBytes(32), { alg: 'HS256' })), true);
  });

  it('is frozen', () => {
    const key = createHmacKey(randomBytes(32), { alg: 'HS256' });
    assert.throws(() => {
      (key as { alg: string }).alg = 'none';
    }, TypeError);
  });
});
