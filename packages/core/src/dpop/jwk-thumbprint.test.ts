import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { calculateJwkThumbprint, exportJWK } from 'jose';
import { jwkThumbprint } from './jwk-thumbprint.js';

// RFC 7638 §3.1: the example RSA key and its SHA-256 thumbprint.
const RFC7638_RSA = {
  kty: 'RSA',
  n:
    '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3' +
    'oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgd' +
    'AZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-' +
    'kEgU8awapJzKnqDKgw',
  e: 'AQAB',
  alg: 'RS256',
  kid: '2011-04-29',
};
const RFC7638_RSA_THUMBPRINT = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';

// RFC 9449 §4.1 Figure 2's proof key, and the jkt §6.1 Figure 9 (and §7.1) publish for it.
const RFC9449_EC = {
  kty: 'EC',
  x: 'l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs',
  y: '9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA',
  crv: 'P-256',
};
const RFC9449_JKT = '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I';

// RFC 8037 Appendix A.2/A.3: the Ed25519 public key and its thumbprint.
const RFC8037_OKP = { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' };
const RFC8037_THUMBPRINT = 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k';

const shuffled = (jwk: Record<string, unknown>) => Object.fromEntries(Object.entries(jwk).reverse());

async function publicJwkOf(publicKey: KeyObject) {
  return (await exportJWK(publicKey)) as Record<string, unknown>;
}

describe('jwkThumbprint', () => {
  it('gives the RFC 7638 §3.1 thumbprint of its RSA example', () => {
    assert.equal(jwkThumbprint(RFC7638_RSA), RFC7638_RSA_THUMBPRINT);
  });

  it('gives the jkt RFC 9449 publishes for its EC P-256 example key', () => {
    assert.equal(jwkThumbprint(RFC9449_EC), RFC9449_JKT);
  });

  it('gives the RFC 8037 §A.3 thumbprint of its Ed25519 example', () => {
    assert.equal(jwkThumbprint(RFC8037_OKP), RFC8037_THUMBPRINT);
  });

  it('ignores member order and members other than the required ones', () => {
    assert.equal(jwkThumbprint(shuffled(RFC7638_RSA)), RFC7638_RSA_THUMBPRINT);
    assert.equal(jwkThumbprint(shuffled(RFC9449_EC)), RFC9449_JKT);
    assert.equal(
      jwkThumbprint({ use: 'sig', ...RFC9449_EC, kid: 'k1', alg: 'ES256', key_ops: ['verify'], ext: true }),
      RFC9449_JKT,
    );
    const { alg: _alg, kid: _kid, ...bare } = RFC7638_RSA;
    assert.equal(jwkThumbprint(bare), RFC7638_RSA_THUMBPRINT);
  });

  it('depends on every required member', () => {
    assert.notEqual(jwkThumbprint({ ...RFC9449_EC, crv: 'P-384' }), RFC9449_JKT);
    assert.notEqual(jwkThumbprint({ ...RFC9449_EC, x: RFC9449_EC.y }), RFC9449_JKT);
    assert.notEqual(jwkThumbprint({ ...RFC9449_EC, y: RFC9449_EC.x }), RFC9449_JKT);
    assert.notEqual(jwkThumbprint({ ...RFC7638_RSA, e: 'AQAA' }), RFC7638_RSA_THUMBPRINT);
  });

  it('is null for a key type without a thumbprint definition', () => {
    assert.equal(
      jwkThumbprint({
        kty: 'oct',
        k: 'AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow',
      }),
      null,
    );
    assert.equal(jwkThumbprint({ kty: 'ec', crv: 'P-256', x: RFC9449_EC.x, y: RFC9449_EC.y }), null);
    assert.equal(jwkThumbprint({ crv: 'P-256', x: RFC9449_EC.x, y: RFC9449_EC.y }), null);
    assert.equal(jwkThumbprint({ ...RFC9449_EC, kty: 7 }), null);
    assert.equal(jwkThumbprint({}), null);
  });

  // Bug: the member table is a plain object, so a kty naming an Object.prototype member
  // finds a function (or the prototype) instead of undefined and `for…of` throws.
  it('is null, not an exception, for a kty that names an Object.prototype member', () => {
    for (const kty of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
      assert.doesNotThrow(() => jwkThumbprint({ kty, x: 'a', y: 'b', n: 'c', e: 'd', crv: 'e' }), kty);
      assert.equal(jwkThumbprint({ kty }), null, kty);
    }
  });

  it('is null when a required member is missing or not a string', () => {
    for (const member of ['crv', 'x', 'y']) {
      const { [member]: _gone, ...rest } = RFC9449_EC as Record<string, unknown>;
      assert.equal(jwkThumbprint(rest), null, member);
      assert.equal(jwkThumbprint({ ...RFC9449_EC, [member]: 1 }), null, member);
    }
    for (const member of ['n', 'e']) {
      const { [member]: _gone, ...rest } = RFC7638_RSA as Record<string, unknown>;
      assert.equal(jwkThumbprint(rest), null, member);
      assert.equal(jwkThumbprint({ ...RFC7638_RSA, [member]: null }), null, member);
    }
    const { x: _x, ...okp } = RFC8037_OKP;
    assert.equal(jwkThumbprint(okp), null);
  });

  it('agrees with jose for generated P-256, P-384, Ed25519 and RSA keys', async () => {
    const keys: KeyObject[] = [];
    for (let i = 0; i < 4; i++) {
      keys.push(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey);
      keys.push(generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey);
      keys.push(generateKeyPairSync('ed25519').publicKey);
    }
    keys.push(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey);
    keys.push(generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 }).publicKey);
    for (const key of keys) {
      const jwk = await publicJwkOf(key);
      assert.equal(jwkThumbprint(jwk), await calculateJwkThumbprint(jwk as never), JSON.stringify(jwk));
    }
  });

  it('agrees with jose for arbitrary ASCII member strings, and never throws for arbitrary objects', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('EC', 'RSA', 'OKP'),
        fc.string({ unit: 'binary-ascii', minLength: 1 }),
        fc.string({ unit: 'binary-ascii', minLength: 1 }),
        fc.string({ unit: 'binary-ascii', minLength: 1 }),
        async (kty, a, b, c) => {
          const jwk =
            kty === 'RSA'
              ? { kty, n: a, e: b }
              : kty === 'EC'
                ? { kty, crv: a, x: b, y: c }
                : { kty, crv: a, x: b };
          assert.equal(jwkThumbprint(jwk), await calculateJwkThumbprint(jwk as never));
        },
      ),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (jwk) => {
        const result = jwkThumbprint(jwk);
        assert.ok(result === null || /^[A-Za-z0-9_-]{43}$/.test(result));
      }),
    );
  });
});
