// Properties: the parsers and the verifier never throw, whatever the input; every token
// jose signs within the RFC 9068 profile is accepted, with its claims intact.
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, it } from 'node:test';
import { decodeBase64Url } from '@tessera/core';
import fc from 'fast-check';
import { SignJWT } from 'jose';
import {
  createHmacKey,
  createInMemoryKeySource,
  createJwtVerifier,
  createVerificationKey,
  type JwsAlgorithm,
  parseCompactJws,
  parseJwsHeader,
  parseStrictJson,
} from '../../src/index.js';
import { AUDIENCE, ISSUER } from '../support/token-forge.js';

const NOW_MS = Date.UTC(2026, 10, 23, 12, 0, 0);
const NOW = NOW_MS / 1000;
const hmacSecret = new Uint8Array(32).fill(7);
const pairs: Record<
  Exclude<JwsAlgorithm, 'HS256' | 'HS384' | 'HS512' | 'RS384' | 'RS512' | 'PS384' | 'PS512'>,
  { publicKey: KeyObject; privateKey: KeyObject }
> = {
  ES256: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  ES384: generateKeyPairSync('ec', { namedCurve: 'P-384' }),
  ES512: generateKeyPairSync('ec', { namedCurve: 'P-521' }),
  RS256: generateKeyPairSync('rsa', { modulusLength: 2048 }),
  PS256: generateKeyPairSync('rsa', { modulusLength: 2048 }),
  EdDSA: generateKeyPairSync('ed25519'),
};
const keys = createInMemoryKeySource([
  ...Object.entries(pairs).map(([alg, pair]) =>
    createVerificationKey(pair.publicKey, { alg: alg as JwsAlgorithm, kid: alg }),
  ),
  createHmacKey(hmacSecret, { alg: 'HS256', kid: 'HS256' }),
]);
const algorithms = [...Object.keys(pairs), 'HS256'] as JwsAlgorithm[];
const verifier = createJwtVerifier({
  issuer: ISSUER,
  audience: AUDIENCE,
  keys,
  algorithms,
  now: () => NOW_MS,
  cache: false,
});

// Strings that look like tokens: three runs of base64url-ish characters, with the odd
// stray character, dot, padding or space.
const tokenish = fc
  .array(
    fc.oneof(
      fc.stringMatching(/^[A-Za-z0-9_-]{0,40}$/),
      fc.constantFrom('.', '=', ' ', '+', '/', '\u0000', 'eyJ'),
    ),
    {
      maxLength: 12,
    },
  )
  .map((parts) => parts.join(''));

// Claims the profile types; any other name may carry any JSON.
const REGISTERED = new Set(['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti', 'client_id', 'scope']);
const scopeToken = fc.stringMatching(/^[\x21\x23-\x5b\x5d-\x7e]{1,12}$/);

describe('properties', () => {
  it('parsers and the verifier never throw, on any input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), tokenish, fc.anything()), (input) => {
        const text = asText(input);
        decodeBase64Url(text);
        parseJwsHeader(text);
        parseStrictJson(text);
        parseCompactJws(input);
        const result = verifier.verify(input as string);
        assert.ok(!(result instanceof Promise));
        assert.equal(result.ok, false);
      }),
      { numRuns: 2000 },
    );
  });

  it('the verifier refuses values that are not strings, even ones String() cannot convert', () => {
    // fast-check found { toString: '' }: String() throws on it, so the test converted it first.
    for (const input of [
      { toString: '' },
      Object.create(null),
      Symbol('x'),
      42n,
      null,
      undefined,
      ['a.b.c'],
    ]) {
      assert.equal(parseCompactJws(input).ok, false);
      const result = verifier.verify(input as unknown as string);
      assert.ok(!(result instanceof Promise));
      assert.equal(result.ok, false);
    }
  });

  it('the verifier never throws on a real token with one character changed, and never accepts it', async () => {
    const token = await sign('ES256', { sub: 'u', client_id: 'c', jti: 'j' });
    fc.assert(
      fc.property(fc.nat({ max: token.length - 1 }), fc.integer({ min: 0, max: 127 }), (at, code) => {
        const mutated = token.slice(0, at) + String.fromCharCode(code) + token.slice(at + 1);
        if (mutated === token) return;
        const result = verifier.verify(mutated);
        assert.ok(!(result instanceof Promise));
        assert.equal(result.ok, false, mutated);
      }),
      { numRuns: 1000 },
    );
  });

  it('accepts every token jose signs within the profile, claims intact', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...algorithms),
        fc.record({
          sub: fc.string({ minLength: 1, maxLength: 30 }),
          client_id: fc.string({ minLength: 1, maxLength: 30 }),
          jti: fc.string({ minLength: 1, maxLength: 40 }),
          scope: fc.option(
            fc.array(scopeToken, { minLength: 1, maxLength: 5 }).map((tokens) => tokens.join(' ')),
            {
              nil: undefined,
            },
          ),
          extra: fc.dictionary(
            fc.string({ minLength: 1, maxLength: 8 }).filter((name) => !REGISTERED.has(name)),
            fc.jsonValue({ maxDepth: 3 }),
            { maxKeys: 4 },
          ),
        }),
        fc.integer({ min: -59, max: 3600 }),
        fc.oneof(
          fc.constant(AUDIENCE),
          fc.array(fc.webUrl(), { maxLength: 3 }).map((others) => [...others, AUDIENCE]),
        ),
        fc.constantFrom('at+jwt', 'application/at+jwt', 'AT+JWT'),
        async (alg, claims, expiresIn, aud, typ) => {
          const { extra, ...registered } = claims;
          const payload: Record<string, unknown> = { ...extra, ...registered, aud };
          if (registered.scope === undefined) delete payload.scope;
          const token = await sign(alg, payload, typ, NOW + expiresIn);
          const result = await verifier.verify(token);
          assert.ok(result.ok, result.ok ? '' : result.error.detail);
          assert.equal(result.value.subject, registered.sub);
          assert.equal(result.value.clientId, registered.client_id);
          assert.equal(result.value.tokenId, registered.jti);
          assert.deepEqual(
            result.value.scopes,
            registered.scope === undefined ? [] : registered.scope.split(' '),
          );
          assert.equal(result.value.expiresAt, NOW + expiresIn);
        },
      ),
      { numRuns: 150 },
    );
  });
});

function sign(
  alg: JwsAlgorithm,
  payload: Record<string, unknown>,
  typ = 'at+jwt',
  exp = NOW + 300,
): Promise<string> {
  const jwt = new SignJWT(payload)
    .setProtectedHeader({ alg, typ, kid: alg })
    .setIssuer(ISSUER)
    .setIssuedAt(NOW - 5)
    .setExpirationTime(exp);
  if (payload.aud === undefined) jwt.setAudience(AUDIENCE);
  const key = alg === 'HS256' ? hmacSecret : pairs[alg as keyof typeof pairs].privateKey;
  return jwt.sign(key);
}

/** Text for the string parsers from any value; `String()` throws on some objects. */
function asText(input: unknown): string {
  if (typeof input === 'string') return input;
  try {
    return String(input);
  } catch {
    return Object.prototype.toString.call(input);
  }
}
