import assert from 'node:assert/strict';
import { generateKeyPairSync, type JsonWebKey, sign } from 'node:crypto';
import { describe, it } from 'node:test';
import { importJwk } from './import-jwk.js';

const ecPair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rsaPair = generateKeyPairSync('rsa', { modulusLength: 2048 });
const edPair = generateKeyPairSync('ed25519');
const ec = ecPair.publicKey.export({ format: 'jwk' }) as JsonWebKey & Record<string, unknown>;
const rsa = rsaPair.publicKey.export({ format: 'jwk' }) as JsonWebKey & Record<string, unknown>;
const ed = edPair.publicKey.export({ format: 'jwk' }) as JsonWebKey & Record<string, unknown>;
const data = Buffer.from('a.b');

function refused(jwk: unknown, reason: RegExp, options?: Parameters<typeof importJwk>[1]): void {
  const result = importJwk(jwk, options);
  assert.equal(result.ok, false, JSON.stringify(jwk).slice(0, 80));
  if (!result.ok) assert.match(result.reason, reason);
}

describe('importJwk', () => {
  it('imports a public EC key and binds the alg its curve implies', () => {
    const result = importJwk({ ...ec, kid: 'e1', use: 'sig', key_ops: ['verify'] });
    assert.ok(result.ok);
    assert.equal(result.key.alg, 'ES256');
    assert.equal(result.key.kid, 'e1');
    const signature = sign('sha256', data, { key: ecPair.privateKey, dsaEncoding: 'ieee-p1363' });
    assert.equal(result.key.verifySignature(data, signature), true);
  });

  it('imports Ed25519 as EdDSA', () => {
    const result = importJwk(ed);
    assert.ok(result.ok && result.key.alg === 'EdDSA');
    assert.equal(result.key.verifySignature(data, sign(null, data, edPair.privateKey)), true);
  });

  it('imports RSA with its alg, or guesses only when the allow-list leaves one RSA alg', () => {
    const declared = importJwk({ ...rsa, alg: 'PS256' });
    assert.ok(declared.ok && declared.key.alg === 'PS256');
    refused(rsa, /ambiguous/);
    const only = importJwk(rsa, { algorithms: ['ES256', 'RS256'] });
    assert.ok(only.ok && only.key.alg === 'RS256');
    const explicit = importJwk(rsa, { alg: 'RS384' });
    assert.ok(explicit.ok && explicit.key.alg === 'RS384');
  });

  it('refuses private and symmetric material', () => {
    refused(ecPair.privateKey.export({ format: 'jwk' }), /private/);
    refused(rsaPair.privateKey.export({ format: 'jwk' }), /private/);
    refused(edPair.privateKey.export({ format: 'jwk' }), /private/);
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth'])
      refused({ ...rsa, alg: 'RS256', [member]: 'AQAB' }, /private/);
    refused({ kty: 'oct', k: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', alg: 'HS256' }, /symmetric/);
    refused({ ...ec, k: 'AAAA' }, /private/);
  });

  it('refuses keys not meant for verifying signatures', () => {
    refused({ ...ec, use: 'enc' }, /use/);
    refused({ ...ec, use: 'SIG' }, /use/);
    refused({ ...ec, key_ops: ['encrypt'] }, /key_ops/);
    refused({ ...ec, key_ops: ['sign, verify'] }, /key_ops/);
    refused({ ...ec, key_ops: 'verify' }, /key_ops/);
    refused({ ...ec, key_ops: ['verify', 'verify'] }, /key_ops/);
    assert.ok(importJwk({ ...ec, key_ops: ['sign', 'verify'] }).ok);
  });

  it('refuses an alg that does not fit, is unknown or is not allowed', () => {
    refused({ ...ec, alg: 'ES384' }, /fit/);
    refused({ ...ec, alg: 'HS256' }, /fit/);
    refused({ ...ec, alg: 'none' }, /unsupported alg/);
    refused({ ...ec, alg: 'ES521' }, /unsupported alg/);
    refused({ ...rsa, alg: 'ES256' }, /fit/);
    refused({ ...ec, alg: 'ES256' }, /not allowed/, { algorithms: ['RS256'] });
    refused(ec, /ambiguous/, { algorithms: ['RS256'] });
    refused({ ...ec, alg: 'ES256' }, /mismatch/, { alg: 'ES384' });
  });

  it('refuses malformed members', () => {
    refused(null, /object/);
    refused([ec], /object/);
    refused('{"kty":"EC"}', /object/);
    refused({ ...ec, kty: 'ec' }, /kty/);
    refused({ ...ec, kty: 'OKP' }, /crv/);
    refused({ ...ec, crv: 'secp256k1' }, /crv/);
    refused({ ...ed, crv: 'Ed448' }, /crv/);
    refused({ ...ed, crv: 'X25519' }, /crv/);
    refused({ ...ec, x: `${ec.x}=` }, /coordinates/);
    refused({ ...ec, x: String(ec.x).slice(0, -2) }, /coordinates/);
    refused({ ...ec, y: undefined }, /coordinates/);
    refused({ ...ed, x: `A${ed.x}` }, /Ed25519/);
    refused({ ...rsa, alg: 'RS256', n: `AA${rsa.n}` }, /RSA members/);
    refused({ ...rsa, alg: 'RS256', e: 'AAEAAQ' }, /RSA members/);
    refused({ ...rsa, alg: 'RS256', e: 7 }, /RSA members/);
    refused({ ...ec, kid: 5 }, /kid/);
    refused({ ...ec, kid: '' }, /kid/);
  });

  it('refuses a point that is not on the curve', () => {
    const x = Buffer.from(String(ec.x), 'base64url');
    x[31] = (x[31] ?? 0) ^ 1;
    refused({ ...ec, x: x.toString('base64url') }, /./);
  });

  it('refuses RSA below 2048 bits and an exponent of 1', () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
    refused({ ...small, alg: 'RS256' }, /2048/);
    refused({ ...rsa, alg: 'RS256', e: 'AQ' }, /exponent/);
  });

  it('refuses an RSA modulus above 16384 bits (a CPU sink per verification)', () => {
    const modulus = Buffer.alloc(2056, 0xff); // 16448 bits, odd; node:crypto checks no primality
    refused({ kty: 'RSA', alg: 'RS256', n: modulus.toString('base64url'), e: 'AQAB' }, /16384/);
  });
});
