// The hostile corpus: each token is refused, for the reason named, and nothing throws.
// Tokens are signed with the trusted key wherever an attacker's choice of signature is
// not the point, so that the one check under test is what stops them.
import assert from 'node:assert/strict';
import type { KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ErrorCode } from '@tessera/core';
import {
  createInMemoryKeySource,
  createJwtVerifier,
  createRemoteJwks,
  createVerificationKey,
  type JwtVerifier,
  type KeySource,
  Rejection,
  type VerifyResult,
} from '../../src/index.js';
import {
  AUDIENCE,
  forge,
  ISSUER,
  type Signer,
  segment,
  signatureOver,
  testKeys,
  validClaims,
} from '../support/token-forge.js';

const NOW_MS = Date.UTC(2026, 10, 23, 12, 0, 0);
const NOW = NOW_MS / 1000;
const keys = testKeys();
const es: Signer = { kind: 'es256', privateKey: keys.es256.privateKey };
const rs: Signer = { kind: 'rs256', privateKey: keys.rs256.privateKey };
const attacker: Signer = { kind: 'es256', privateKey: keys.attackerEs256.privateKey };
const ES_HEADER = { alg: 'ES256', typ: 'at+jwt', kid: 'k-es' };
const RS_HEADER = { alg: 'RS256', typ: 'at+jwt', kid: 'k-rs' };
// P-256 group order n, for the high-S case.
const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

const keySource = createInMemoryKeySource([
  createVerificationKey(keys.es256.publicKey, { alg: 'ES256', kid: 'k-es' }),
  createVerificationKey(keys.rs256.publicKey, { alg: 'RS256', kid: 'k-rs' }),
  createVerificationKey(keys.ed25519.publicKey, { alg: 'EdDSA', kid: 'k-ed' }),
]);

function verifier(overrides: Partial<Parameters<typeof createJwtVerifier>[0]> = {}): JwtVerifier {
  return createJwtVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    keys: keySource,
    now: () => NOW_MS,
    ...overrides,
  });
}

async function outcome(jwt: JwtVerifier, token: unknown): Promise<VerifyResult> {
  let result: Awaited<ReturnType<JwtVerifier['verify']>>;
  try {
    result = await jwt.verify(token as string);
  } catch (error) {
    assert.fail(`verify threw: ${String(error)}`);
  }
  return result;
}

async function assertRefused(jwt: JwtVerifier, token: unknown, reason: Rejection): Promise<void> {
  const result = await outcome(jwt, token);
  assert.equal(result.ok, false, 'token was accepted');
  if (result.ok) return;
  assert.equal(result.error.detail, reason);
  assert.equal(result.error.error, 'invalid_token');
  assert.equal(result.error.status, 401);
  assert.match(result.error.description, /^The access token (is invalid|expired)$/);
  if (typeof token === 'string' && token.length > 0) {
    for (const part of token.split('.').filter((piece) => piece.length >= 4)) {
      assert.ok(!result.error.message.includes(part) && !result.error.detail.includes(part));
    }
  }
}

function withoutClaim(name: string): Record<string, unknown> {
  const claims = validClaims(NOW);
  delete claims[name];
  return claims;
}

function nested(depth: number): unknown {
  let value: unknown = 'x';
  for (let level = 0; level < depth; level += 1) value = { n: value };
  return value;
}

interface Case {
  readonly name: string;
  readonly token: () => unknown;
  readonly reason: Rejection;
  readonly jwt?: () => JwtVerifier;
}

const valid = (): string => forge(ES_HEADER, validClaims(NOW), es);
const publicPem = (key: KeyObject): string => key.export({ type: 'spki', format: 'pem' }).toString();
const withHs256 = (): JwtVerifier => verifier({ algorithms: ['ES256', 'RS256', 'EdDSA', 'HS256'] });

const cases: readonly Case[] = [
  // alg none, in every spelling, with and without a signature
  {
    name: 'alg none, empty signature',
    token: () => `${segment({ alg: 'none', typ: 'at+jwt' })}.${segment(validClaims(NOW))}.`,
    reason: Rejection.SHAPE,
  },
  ...['none', 'None', 'NONE', 'nOnE'].map((alg) => ({
    name: `alg ${alg} with a signature`,
    token: () => forge({ alg, typ: 'at+jwt', kid: 'k-es' }, validClaims(NOW), es),
    reason: Rejection.ALG_NONE,
  })),
  // key confusion: public key material as an HMAC secret
  {
    name: 'RS/HS: HS256 MACed with the RSA public key PEM',
    token: () =>
      forge({ ...RS_HEADER, alg: 'HS256' }, validClaims(NOW), {
        kind: 'hmac',
        secret: Buffer.from(publicPem(keys.rs256.publicKey)),
      }),
    reason: Rejection.ALG_NOT_ALLOWED,
  },
  {
    name: 'RS/HS even with HS256 allowed: the RSA key is bound to RS256',
    token: () =>
      forge({ ...RS_HEADER, alg: 'HS256' }, validClaims(NOW), {
        kind: 'hmac',
        secret: Buffer.from(publicPem(keys.rs256.publicKey)),
      }),
    reason: Rejection.NO_KEY,
    jwt: withHs256,
  },
  {
    name: 'EC/HS: HS256 MACed with the EC point bytes',
    token: () =>
      forge({ ...ES_HEADER, alg: 'HS256' }, validClaims(NOW), {
        kind: 'hmac',
        secret: keys.es256.publicKey.export({ type: 'spki', format: 'der' }).subarray(-65),
      }),
    reason: Rejection.ALG_NOT_ALLOWED,
  },
  {
    name: 'EC/HS even with HS256 allowed: MACed with the public JWK JSON',
    token: () =>
      forge({ ...ES_HEADER, alg: 'HS256' }, validClaims(NOW), {
        kind: 'hmac',
        secret: Buffer.from(JSON.stringify(keys.es256.publicKey.export({ format: 'jwk' }))),
      }),
    reason: Rejection.NO_KEY,
    jwt: withHs256,
  },
  {
    name: 'header alg ES384 for an ES256 key',
    token: () => forge({ ...ES_HEADER, alg: 'ES384' }, validClaims(NOW), es),
    reason: Rejection.ALG_NOT_ALLOWED,
    jwt: () => verifier({ algorithms: ['ES256'] }),
  },
  {
    name: 'header alg RS256 naming the EdDSA key',
    token: () => forge({ alg: 'RS256', typ: 'at+jwt', kid: 'k-ed' }, validClaims(NOW), rs),
    reason: Rejection.NO_KEY,
  },
  // signatures
  {
    name: 'empty signature',
    token: () => `${segment(ES_HEADER)}.${segment(validClaims(NOW))}.`,
    reason: Rejection.SHAPE,
  },
  {
    name: 'ECDSA r = s = 0',
    token: () => forge(ES_HEADER, validClaims(NOW), { kind: 'raw', signature: new Uint8Array(64) }),
    reason: Rejection.SIGNATURE,
  },
  { name: 'ECDSA signature in DER', token: () => derSigned(), reason: Rejection.SIGNATURE },
  {
    name: 'ECDSA signature truncated to 63 bytes',
    token: () => {
      const t = valid();
      const sig = Buffer.from(t.split('.')[2] ?? '', 'base64url');
      return `${t.slice(0, t.lastIndexOf('.'))}.${sig.subarray(0, 63).toString('base64url')}`;
    },
    reason: Rejection.SIGNATURE,
  },
  {
    name: 'signed by another key with the same kid',
    token: () => forge(ES_HEADER, validClaims(NOW), attacker),
    reason: Rejection.SIGNATURE,
  },
  {
    name: 'payload changed after signing',
    token: () => {
      const [h, , s] = valid().split('.');
      return `${h}.${segment(validClaims(NOW, { sub: 'admin' }))}.${s}`;
    },
    reason: Rejection.SIGNATURE,
  },
  // typ
  {
    name: 'typ absent',
    token: () => forge({ alg: 'ES256', kid: 'k-es' }, validClaims(NOW), es),
    reason: Rejection.TYP,
  },
  {
    name: 'typ JWT (an ID token or other JWT)',
    token: () => forge({ ...ES_HEADER, typ: 'JWT' }, validClaims(NOW), es),
    reason: Rejection.TYP,
  },
  {
    name: 'typ application/jwt',
    token: () => forge({ ...ES_HEADER, typ: 'application/jwt' }, validClaims(NOW), es),
    reason: Rejection.TYP,
  },
  {
    name: 'typ with a trailing space',
    token: () => forge({ ...ES_HEADER, typ: 'at+jwt ' }, validClaims(NOW), es),
    reason: Rejection.TYP,
  },
  {
    name: 'typ with a control character',
    token: () => forge({ ...ES_HEADER, typ: 'at+jwt\u0000' }, validClaims(NOW), es),
    reason: Rejection.TYP_MALFORMED,
  },
  {
    name: 'typ not a string',
    token: () => forge({ ...ES_HEADER, typ: ['at+jwt'] }, validClaims(NOW), es),
    reason: Rejection.TYP_MALFORMED,
  },
  // header extensions and key-carrying members
  {
    name: 'crit naming exp',
    token: () => forge({ ...ES_HEADER, crit: ['exp'], exp: 1 }, validClaims(NOW), es),
    reason: Rejection.CRIT,
  },
  {
    name: 'crit empty',
    token: () => forge({ ...ES_HEADER, crit: [] }, validClaims(NOW), es),
    reason: Rejection.CRIT,
  },
  {
    name: 'b64 false',
    token: () => forge({ ...ES_HEADER, b64: false }, validClaims(NOW), es),
    reason: Rejection.B64,
  },
  {
    name: 'jwk header with the attacker key, signed by the attacker',
    token: () =>
      forge(
        { ...ES_HEADER, jwk: keys.attackerEs256.publicKey.export({ format: 'jwk' }) },
        validClaims(NOW),
        attacker,
      ),
    reason: Rejection.KEY_IN_HEADER,
  },
  {
    name: 'jwk header, even signed by the trusted key',
    token: () =>
      forge({ ...ES_HEADER, jwk: keys.es256.publicKey.export({ format: 'jwk' }) }, validClaims(NOW), es),
    reason: Rejection.KEY_IN_HEADER,
  },
  {
    name: 'jku pointing at the attacker',
    token: () =>
      forge({ ...ES_HEADER, jku: 'https://attacker.example/jwks.json' }, validClaims(NOW), attacker),
    reason: Rejection.KEY_IN_HEADER,
  },
  {
    name: 'x5u pointing at the attacker',
    token: () =>
      forge({ ...ES_HEADER, x5u: 'https://attacker.example/cert.pem' }, validClaims(NOW), attacker),
    reason: Rejection.KEY_IN_HEADER,
  },
  {
    name: 'x5c with a certificate chain',
    token: () => forge({ ...ES_HEADER, x5c: ['MIIB'] }, validClaims(NOW), es),
    reason: Rejection.KEY_IN_HEADER,
  },
  {
    name: 'cty not a string',
    token: () => forge({ ...ES_HEADER, cty: { type: 'JWT' } }, validClaims(NOW), es),
    reason: Rejection.CTY_MALFORMED,
  },
  {
    name: 'nested JWT (cty JWT)',
    token: () => forge({ ...ES_HEADER, cty: 'JWT' }, segment(ES_HEADER), es),
    reason: Rejection.CTY,
  },
  // kid
  {
    name: 'kid path traversal, MACed with the empty file',
    token: () =>
      forge({ ...ES_HEADER, alg: 'HS256', kid: '../../dev/null' }, validClaims(NOW), {
        kind: 'hmac',
        secret: new Uint8Array(0),
      }),
    reason: Rejection.ALG_NOT_ALLOWED,
  },
  {
    name: 'kid path traversal, MACed with the empty file, HS256 allowed',
    token: () =>
      forge({ ...ES_HEADER, alg: 'HS256', kid: '../../dev/null' }, validClaims(NOW), {
        kind: 'hmac',
        secret: new Uint8Array(0),
      }),
    reason: Rejection.NO_KEY,
    jwt: withHs256,
  },
  {
    name: 'kid path traversal with a real signature',
    token: () => forge({ ...ES_HEADER, kid: '../../../../dev/null' }, validClaims(NOW), es),
    reason: Rejection.NO_KEY,
  },
  {
    name: 'kid SQL injection',
    token: () => forge({ ...ES_HEADER, kid: "x' UNION SELECT '1'--" }, validClaims(NOW), es),
    reason: Rejection.KID,
  },
  {
    name: 'kid shell injection',
    token: () => forge({ ...ES_HEADER, kid: 'k|sleep 10' }, validClaims(NOW), es),
    reason: Rejection.KID,
  },
  {
    name: 'kid with NUL',
    token: () => forge({ ...ES_HEADER, kid: 'k-es\u0000' }, validClaims(NOW), es),
    reason: Rejection.KID,
  },
  {
    name: 'kid of 129 characters',
    token: () => forge({ ...ES_HEADER, kid: 'k'.repeat(129) }, validClaims(NOW), es),
    reason: Rejection.KID,
  },
  {
    name: 'kid empty',
    token: () => forge({ ...ES_HEADER, kid: '' }, validClaims(NOW), es),
    reason: Rejection.KID,
  },
  {
    name: 'kid a number',
    token: () => forge({ ...ES_HEADER, kid: 7 }, validClaims(NOW), es),
    reason: Rejection.KID,
  },
  // header JSON
  {
    name: 'duplicate alg: none first, ES256 last',
    token: () => forge('{"alg":"none","typ":"at+jwt","kid":"k-es","alg":"ES256"}', validClaims(NOW), es),
    reason: Rejection.HEADER_JSON,
  },
  {
    name: 'duplicate kid',
    token: () => forge('{"alg":"ES256","typ":"at+jwt","kid":"other","kid":"k-es"}', validClaims(NOW), es),
    reason: Rejection.HEADER_JSON,
  },
  {
    name: 'duplicate member written with an escape',
    token: () =>
      forge('{"alg":"ES256","typ":"at+jwt","kid":"k-es","\\u0061lg":"ES256"}', validClaims(NOW), es),
    reason: Rejection.HEADER_JSON,
  },
  {
    name: 'header nested 20 deep',
    token: () => forge({ ...ES_HEADER, deep: nested(20) }, validClaims(NOW), es),
    reason: Rejection.HEADER_JSON,
  },
  {
    name: 'header an array',
    token: () => forge('["ES256"]', validClaims(NOW), es),
    reason: Rejection.HEADER_JSON,
  },
  {
    name: 'header not JSON',
    token: () => forge('{alg:ES256}', validClaims(NOW), es),
    reason: Rejection.HEADER_JSON,
  },
  {
    name: 'header with trailing text',
    token: () => forge(`${JSON.stringify(ES_HEADER)}x`, validClaims(NOW), es),
    reason: Rejection.HEADER_JSON,
  },
  {
    name: 'header in invalid UTF-8',
    token: () =>
      `${segment(Buffer.concat([Buffer.from(JSON.stringify(ES_HEADER).slice(0, -1)), Buffer.from(',"x":"\xff"}', 'latin1')]))}.${segment(validClaims(NOW))}.AAAA`,
    reason: Rejection.HEADER_JSON,
  },
  {
    name: 'NUL in alg',
    token: () => forge({ ...ES_HEADER, alg: 'ES256\u0000' }, validClaims(NOW), es),
    reason: Rejection.ALG_UNSUPPORTED,
  },
  {
    name: 'alg in lower case',
    token: () => forge({ ...ES_HEADER, alg: 'es256' }, validClaims(NOW), es),
    reason: Rejection.ALG_UNSUPPORTED,
  },
  {
    name: 'alg absent',
    token: () => forge({ typ: 'at+jwt', kid: 'k-es' }, validClaims(NOW), es),
    reason: Rejection.ALG_UNSUPPORTED,
  },
  // encoding and shape
  { name: 'padding on the signature', token: () => `${valid()}=`, reason: Rejection.SHAPE },
  {
    name: 'padding on the header',
    token: () => {
      const [h, p, s] = valid().split('.');
      return `${h}==.${p}.${s}`;
    },
    reason: Rejection.SHAPE,
  },
  {
    name: 'standard base64 alphabet',
    token: () => valid().replace(/-/g, '+').replace(/_/g, '/').concat('+/'),
    reason: Rejection.SHAPE,
  },
  {
    name: 'whitespace inside',
    token: () => {
      const t = valid();
      return `${t.slice(0, 10)} ${t.slice(10)}`;
    },
    reason: Rejection.SHAPE,
  },
  { name: 'whitespace around', token: () => ` ${valid()}\n`, reason: Rejection.SHAPE },
  { name: 'Bearer prefix left on', token: () => `Bearer ${valid()}`, reason: Rejection.SHAPE },
  { name: 'four segments', token: () => `${valid()}.AAAA`, reason: Rejection.SHAPE },
  { name: 'many dots', token: () => '.'.repeat(5000), reason: Rejection.SHAPE },
  {
    name: 'JWS JSON serialization',
    token: () => JSON.stringify({ payload: 'e30', signatures: [] }),
    reason: Rejection.SHAPE,
  },
  {
    name: 'non-zero unused bits in the signature',
    token: () => flipUnusedBits(valid(), 2),
    reason: Rejection.ENCODING,
  },
  {
    name: 'non-zero unused bits in the payload',
    token: () => forgeWithPayloadSegment(`${segment(validClaims(NOW, { x: 'ab' }))}`),
    reason: Rejection.ENCODING,
  },
  {
    name: 'header segment of length 1 mod 4',
    token: () => {
      const [h = '', p, s] = valid().split('.');
      return `${h.padEnd(h.length + ((5 - (h.length % 4)) % 4), 'A')}.${p}.${s}`;
    },
    reason: Rejection.ENCODING,
  },
  {
    name: 'oversized: 8193 characters',
    token: () => forge(ES_HEADER, validClaims(NOW, { pad: 'x'.repeat(6200) }), es),
    reason: Rejection.TOO_LONG,
  },
  {
    name: 'over a configured limit of 512',
    token: () => forge(ES_HEADER, validClaims(NOW, { pad: 'x'.repeat(300) }), es),
    reason: Rejection.TOO_LONG,
    jwt: () => verifier({ maxTokenLength: 512 }),
  },
  { name: 'not a string: number', token: () => 42, reason: Rejection.NOT_A_STRING },
  { name: 'not a string: null', token: () => null, reason: Rejection.NOT_A_STRING },
  {
    name: 'not a string: object',
    token: () => ({ toString: () => valid() }),
    reason: Rejection.NOT_A_STRING,
  },
  { name: 'empty string', token: () => '', reason: Rejection.SHAPE },
  // payload
  {
    name: 'payload a JSON array',
    token: () => forge(ES_HEADER, [validClaims(NOW)], es),
    reason: Rejection.PAYLOAD,
  },
  { name: 'payload null', token: () => forge(ES_HEADER, 'null', es), reason: Rejection.PAYLOAD },
  { name: 'payload a string', token: () => forge(ES_HEADER, '"sub"', es), reason: Rejection.PAYLOAD },
  {
    name: 'payload empty',
    token: () =>
      `${segment(ES_HEADER)}..${Buffer.from(signatureOver(`${segment(ES_HEADER)}.`, es)).toString('base64url')}`,
    reason: Rejection.PAYLOAD,
  },
  {
    name: 'payload not JSON',
    token: () => forge(ES_HEADER, `${JSON.stringify(validClaims(NOW))}x`, es),
    reason: Rejection.PAYLOAD,
  },
  {
    name: 'payload in invalid UTF-8',
    token: () => forge(ES_HEADER, Buffer.from('{"sub":"\xff"}', 'latin1'), es),
    reason: Rejection.PAYLOAD,
  },
  {
    name: 'payload with a byte-order mark',
    token: () => forge(ES_HEADER, `\ufeff${JSON.stringify(validClaims(NOW))}`, es),
    reason: Rejection.PAYLOAD,
  },
  // claim types
  {
    name: 'exp a string',
    token: () => forge(ES_HEADER, validClaims(NOW, { exp: String(NOW + 300) }), es),
    reason: Rejection.EXP,
  },
  {
    name: 'exp 1e400 (Infinity)',
    token: () =>
      forge(ES_HEADER, JSON.stringify(validClaims(NOW, { exp: 0 })).replace('"exp":0', '"exp":1e400'), es),
    reason: Rejection.EXP,
  },
  {
    name: 'nbf a string',
    token: () => forge(ES_HEADER, validClaims(NOW, { nbf: String(NOW) }), es),
    reason: Rejection.NBF,
  },
  {
    name: 'iat a string',
    token: () => forge(ES_HEADER, validClaims(NOW, { iat: String(NOW) }), es),
    reason: Rejection.IAT,
  },
  {
    name: 'iss an array holding the issuer',
    token: () => forge(ES_HEADER, validClaims(NOW, { iss: [ISSUER] }), es),
    reason: Rejection.ISS,
  },
  {
    name: 'iss of another issuer',
    token: () => forge(ES_HEADER, validClaims(NOW, { iss: 'https://as.example.evil' }), es),
    reason: Rejection.ISS,
  },
  {
    name: 'iss differing in case',
    token: () => forge(ES_HEADER, validClaims(NOW, { iss: ISSUER.toUpperCase() }), es),
    reason: Rejection.ISS,
  },
  {
    name: 'aud of another API',
    token: () => forge(ES_HEADER, validClaims(NOW, { aud: 'https://other.example' }), es),
    reason: Rejection.AUD,
  },
  {
    name: 'aud empty array',
    token: () => forge(ES_HEADER, validClaims(NOW, { aud: [] }), es),
    reason: Rejection.AUD,
  },
  {
    name: 'aud array with a non-string',
    token: () => forge(ES_HEADER, validClaims(NOW, { aud: [AUDIENCE, 7] }), es),
    reason: Rejection.AUD,
  },
  {
    name: 'aud nested array',
    token: () => forge(ES_HEADER, validClaims(NOW, { aud: [[AUDIENCE]] }), es),
    reason: Rejection.AUD,
  },
  {
    name: 'sub a number',
    token: () => forge(ES_HEADER, validClaims(NOW, { sub: 1 }), es),
    reason: Rejection.SUB,
  },
  {
    name: 'client_id empty',
    token: () => forge(ES_HEADER, validClaims(NOW, { client_id: '' }), es),
    reason: Rejection.CLIENT_ID,
  },
  {
    name: 'jti a number',
    token: () => forge(ES_HEADER, validClaims(NOW, { jti: 1 }), es),
    reason: Rejection.JTI,
  },
  {
    name: 'scope an array',
    token: () => forge(ES_HEADER, validClaims(NOW, { scope: ['read'] }), es),
    reason: Rejection.SCOPE,
  },
  {
    name: 'scope with a double space',
    token: () => forge(ES_HEADER, validClaims(NOW, { scope: 'read  write' }), es),
    reason: Rejection.SCOPE,
  },
  {
    name: 'scope with a quote',
    token: () => forge(ES_HEADER, validClaims(NOW, { scope: 'read "x"' }), es),
    reason: Rejection.SCOPE,
  },
  ...['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'].map((claim) => ({
    name: `${claim} missing`,
    token: () => forge(ES_HEADER, withoutClaim(claim), es),
    reason: {
      iss: Rejection.ISS,
      exp: Rejection.EXP,
      aud: Rejection.AUD,
      sub: Rejection.SUB,
      client_id: Rejection.CLIENT_ID,
      iat: Rejection.IAT,
      jti: Rejection.JTI,
    }[claim] as Rejection,
  })),
  // time
  {
    name: 'expired beyond the tolerance',
    token: () => forge(ES_HEADER, validClaims(NOW, { exp: NOW - 61, iat: NOW - 600 }), es),
    reason: Rejection.EXPIRED,
  },
  {
    name: 'exp exactly at now - tolerance',
    token: () => forge(ES_HEADER, validClaims(NOW, { exp: NOW - 60 }), es),
    reason: Rejection.EXPIRED,
  },
  {
    name: 'expired with tolerance 0',
    token: () => forge(ES_HEADER, validClaims(NOW, { exp: NOW - 1 }), es),
    reason: Rejection.EXPIRED,
    jwt: () => verifier({ clockToleranceSeconds: 0 }),
  },
  {
    name: 'not yet valid (nbf)',
    token: () => forge(ES_HEADER, validClaims(NOW, { nbf: NOW + 61 }), es),
    reason: Rejection.NOT_YET_VALID,
  },
  {
    name: 'issued in the future (iat)',
    token: () => forge(ES_HEADER, validClaims(NOW, { iat: NOW + 61 }), es),
    reason: Rejection.ISSUED_IN_FUTURE,
  },
];

function derSigned(): string {
  const [h, p, s] = valid().split('.');
  const raw = Buffer.from(s ?? '', 'base64url');
  const integer = (bytes: Buffer): Buffer => {
    let trimmed = bytes;
    while (trimmed.length > 1 && trimmed[0] === 0) trimmed = trimmed.subarray(1);
    if ((trimmed[0] ?? 0) & 0x80) trimmed = Buffer.concat([Buffer.from([0]), trimmed]);
    return Buffer.concat([Buffer.from([0x02, trimmed.length]), trimmed]);
  };
  const body = Buffer.concat([integer(raw.subarray(0, 32)), integer(raw.subarray(32))]);
  return `${h}.${p}.${Buffer.concat([Buffer.from([0x30, body.length]), body]).toString('base64url')}`;
}

// A 64-byte signature is 86 characters, the last carrying 2 unused bits.
function flipUnusedBits(token: string, bit: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const last = token.at(-1) ?? 'A';
  return token.slice(0, -1) + alphabet[alphabet.indexOf(last) ^ bit];
}

/** Signs a token whose payload segment is `payloadSegment` with its unused bits set. */
function forgeWithPayloadSegment(payloadSegment: string): string {
  assert.notEqual(payloadSegment.length % 4, 0);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const last = payloadSegment.at(-1) ?? 'A';
  const altered = payloadSegment.slice(0, -1) + alphabet[alphabet.indexOf(last) ^ 1];
  const signingInput = `${segment(ES_HEADER)}.${altered}`;
  return `${signingInput}.${Buffer.from(signatureOver(signingInput, es)).toString('base64url')}`;
}

describe('JWT verifier: hostile corpus', () => {
  it('holds at least 40 hostile tokens', () => {
    assert.ok(cases.length >= 40, String(cases.length));
  });

  it('accepts the untouched token the corpus is built from', async () => {
    const result = await outcome(verifier(), valid());
    assert.equal(result.ok, true);
  });

  for (const hostile of cases) {
    it(`refuses: ${hostile.name}`, async () => {
      await assertRefused(hostile.jwt?.() ?? verifier(), hostile.token(), hostile.reason);
    });
  }

  it('reports expiry with ERR_TOKEN_EXPIRED and everything else with ERR_TOKEN_INVALID', async () => {
    const expired = await outcome(verifier(), forge(ES_HEADER, validClaims(NOW, { exp: NOW - 100 }), es));
    assert.ok(!expired.ok && expired.error.code === ErrorCode.TOKEN_EXPIRED);
    const invalid = await outcome(verifier(), forge({ ...ES_HEADER, crit: ['x'] }, validClaims(NOW), es));
    assert.ok(!invalid.ok && invalid.error.code === ErrorCode.TOKEN_INVALID);
  });

  it('a key source that hands back a key of another alg is caught by the verifier', async () => {
    const es256 = createVerificationKey(keys.es256.publicKey, { alg: 'ES256', kid: 'k-es' });
    const careless: KeySource = { resolve: () => es256 };
    const token = forge({ alg: 'EdDSA', typ: 'at+jwt', kid: 'k-es' }, validClaims(NOW), {
      kind: 'ed25519',
      privateKey: keys.ed25519.privateKey,
    });
    await assertRefused(verifier({ keys: careless }), token, Rejection.KEY_MISMATCH);
  });

  it('a key source that hands back a look-alike object is refused', async () => {
    const fake = { alg: 'ES256', kid: 'k-es', verifySignature: () => true };
    const careless = { resolve: () => fake } as unknown as KeySource;
    await assertRefused(
      verifier({ keys: careless }),
      forge(ES_HEADER, validClaims(NOW), attacker),
      Rejection.KEY_MISMATCH,
    );
  });

  it('a revoked jti is refused, from the cache and cold', async () => {
    const jwt = verifier();
    const token = valid();
    const first = await outcome(jwt, token);
    assert.ok(first.ok);
    jwt.revokeTokenId(first.value.tokenId, first.value.expiresAt);
    await assertRefused(jwt, token, Rejection.REVOKED);
    const cold = verifier({ cache: false });
    cold.revokeTokenId(first.value.tokenId, first.value.expiresAt);
    await assertRefused(cold, token, Rejection.REVOKED);
  });

  it('a polluted Object.prototype does not supply a missing claim', async () => {
    const prototype = Object.prototype as Record<string, unknown>;
    prototype.client_id = 'polluted';
    try {
      await assertRefused(verifier(), forge(ES_HEADER, withoutClaim('client_id'), es), Rejection.CLIENT_ID);
    } finally {
      delete prototype.client_id;
    }
  });

  it('ECDSA high-S (r, n - s) is accepted, so tokens are never identified by their text', async () => {
    // ECDSA is malleable and RFC 7518 does not require low-S; jose, fast-jwt and
    // OpenSSL all accept both. Revocation and replay checks therefore key on jti.
    const token = valid();
    const [h, p, s] = token.split('.');
    const signature = Buffer.from(s ?? '', 'base64url');
    const sValue = BigInt(`0x${signature.subarray(32).toString('hex')}`);
    const flipped = Buffer.from((P256_N - sValue).toString(16).padStart(64, '0'), 'hex');
    const twin = `${h}.${p}.${Buffer.concat([signature.subarray(0, 32), flipped]).toString('base64url')}`;
    assert.notEqual(twin, token);
    const jwt = verifier();
    const [a, b] = [await outcome(jwt, token), await outcome(jwt, twin)];
    assert.ok(a.ok && b.ok && a.value.tokenId === b.value.tokenId);
    jwt.revokeTokenId(a.value.tokenId, a.value.expiresAt);
    await assertRefused(jwt, twin, Rejection.REVOKED);
  });
});

describe('JWT verifier: unknown-kid storm against a JWKS server', () => {
  let server: Server;
  let url = '';
  let fetches = 0;
  const jwk = { ...keys.es256.publicKey.export({ format: 'jwk' }), kid: 'k-es', alg: 'ES256', use: 'sig' };

  before(async () => {
    server = createServer((_request, response) => {
      fetches += 1;
      response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=600' });
      response.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('refuses 200 tokens with unknown kids, fetching the JWKS once for them all', async () => {
    let clock = NOW_MS;
    const jwks = createRemoteJwks({ url, now: () => clock });
    const jwt = verifier({ keys: jwks, now: () => clock });
    assert.equal((await outcome(jwt, valid())).ok, true);
    assert.equal(fetches, 1);

    clock += 31_000; // past the 30 s cooldown: one refetch is allowed
    const storm = Array.from({ length: 200 }, (_, index) =>
      forge({ ...ES_HEADER, kid: `unknown-${index}` }, validClaims(NOW), attacker),
    );
    const results = await Promise.all(storm.map((token) => outcome(jwt, token)));
    assert.ok(results.every((result) => !result.ok && result.error.detail === Rejection.NO_KEY));
    assert.equal(fetches, 2);

    // Within the cooldown, more unknown kids cause no fetch at all and are refused at once.
    const again = jwt.verify(forge({ ...ES_HEADER, kid: 'unknown-x' }, validClaims(NOW), attacker));
    assert.ok(!(again instanceof Promise));
    assert.equal(fetches, 2);
  });
});
