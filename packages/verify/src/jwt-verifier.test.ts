import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { SignJWT } from 'jose';
import type { JwsAlgorithm } from './algorithms.js';
import { createJwtVerifier, type JwtVerifierOptions } from './jwt-verifier.js';
import { createInMemoryKeySource, type KeySource } from './key-source.js';
import { Rejection } from './rejection.js';
import { createHmacKey, createVerificationKey, type VerificationKey } from './verification-key.js';

const NOW_MS = 1_800_000_000_000;
const NOW = NOW_MS / 1000;
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const esKey = createVerificationKey(ec.publicKey, { alg: 'ES256', kid: 'k1' });

function sign(claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({ client_id: 'c1', jti: randomBytes(8).toString('hex'), scope: 'read', ...claims })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'k1', ...header })
    .setIssuer('https://as')
    .setAudience('api')
    .setSubject('u1')
    .setIssuedAt(NOW - 1)
    .setExpirationTime(NOW + 300)
    .sign(ec.privateKey);
}

/** A key source that counts lookups: a cache hit makes none. */
function counting(keys: readonly VerificationKey[] = [esKey]): KeySource & { calls: number } {
  const inner = createInMemoryKeySource(keys);
  const source = {
    calls: 0,
    resolve(kid: string | undefined, alg: JwsAlgorithm) {
      source.calls += 1;
      return inner.resolve(kid, alg);
    },
  };
  return source;
}

function verifier(options: Partial<JwtVerifierOptions> = {}) {
  return createJwtVerifier({
    issuer: 'https://as',
    audience: 'api',
    keys: counting(),
    now: () => NOW_MS,
    ...options,
  });
}

describe('createJwtVerifier', () => {
  it('accepts a valid RFC 9068 token, synchronously when the key is in memory', async () => {
    const result = verifier().verify(await sign());
    assert.ok(!(result instanceof Promise));
    assert.ok(result.ok);
    assert.equal(result.value.subject, 'u1');
    assert.equal(result.value.clientId, 'c1');
    assert.deepEqual(result.value.scopes, ['read']);
  });

  it('accepts both typ spellings in any ASCII case', async () => {
    for (const typ of ['at+jwt', 'AT+JWT', 'application/at+jwt', 'Application/AT+JWT']) {
      const result = verifier().verify(await sign({}, { typ }));
      assert.ok(!(result instanceof Promise) && result.ok, typ);
    }
  });

  it('goes async only when the key source does', async () => {
    const pending = verifier({ keys: { resolve: async () => esKey } }).verify(await sign());
    assert.ok(pending instanceof Promise);
    assert.equal((await pending).ok, true);
  });

  it('takes HS256 only when listed, with a key bound to HS256', async () => {
    const secret = randomBytes(32);
    const keys = createInMemoryKeySource([createHmacKey(secret, { alg: 'HS256', kid: 'h' })]);
    const token = await new SignJWT({ client_id: 'c', jti: 'j' })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: 'h' })
      .setIssuer('https://as')
      .setAudience('api')
      .setSubject('u')
      .setIssuedAt(NOW)
      .setExpirationTime(NOW + 60)
      .sign(secret);
    const refused = await verifier({ keys }).verify(token);
    assert.ok(!refused.ok && refused.error.detail === Rejection.ALG_NOT_ALLOWED);
    const accepted = await verifier({ keys, algorithms: ['HS256'] }).verify(token);
    assert.ok(accepted.ok);
  });

  it('serves a repeated token from the cache, the same frozen result, until exp', async () => {
    let clock = NOW_MS;
    const keys = counting();
    const jwt = verifier({ keys, now: () => clock });
    const token = await sign();
    const first = jwt.verify(token);
    const second = jwt.verify(token);
    assert.equal(keys.calls, 1);
    assert.equal(first, second);
    assert.ok(Object.isFrozen(first));
    clock = (NOW + 300) * 1000; // exp: the entry is gone; the cold path still accepts within tolerance
    const late = await jwt.verify(token);
    assert.ok(late.ok);
    assert.equal(keys.calls, 2);
    jwt.verify(token);
    assert.equal(keys.calls, 3, 'a token past exp is not cached again');
    clock = (NOW + 360) * 1000;
    const expired = await jwt.verify(token);
    assert.ok(!expired.ok && expired.error.detail === Rejection.EXPIRED);
  });

  it('with the cache off, checks every time', async () => {
    const keys = counting();
    const jwt = verifier({ keys, cache: false });
    const token = await sign();
    jwt.verify(token);
    jwt.verify(token);
    assert.equal(keys.calls, 2);
  });

  it('keeps its cache within bounds, and clearCache empties it', async () => {
    const keys = counting();
    const jwt = verifier({ keys, cache: { maxEntries: 4 } });
    const tokens = await Promise.all(Array.from({ length: 12 }, () => sign()));
    for (const token of tokens) jwt.verify(token);
    const calls = keys.calls;
    jwt.verify(tokens[0] ?? '');
    assert.equal(keys.calls, calls + 1, 'the oldest token was evicted');
    jwt.verify(tokens[11] ?? '');
    assert.equal(keys.calls, calls + 1, 'the newest is still cached');
    jwt.clearCache();
    jwt.verify(tokens[11] ?? '');
    assert.equal(keys.calls, calls + 2);
  });

  it('refuses an empty payload, an unlisted alg and a wrong typ before looking up any key', async () => {
    const keys = counting();
    const jwt = verifier({ keys });
    const [header, , signature] = (await sign()).split('.');
    const empty = await jwt.verify(`${header}..${signature}`);
    assert.ok(!empty.ok && empty.error.detail === Rejection.PAYLOAD);
    const wrongTyp = await jwt.verify(await sign({}, { alg: 'ES256', typ: 'JWT' }));
    assert.ok(!wrongTyp.ok && wrongTyp.error.detail === Rejection.TYP);
    const unlisted = await verifier({ keys, algorithms: ['RS256'] }).verify(await sign());
    assert.ok(!unlisted.ok && unlisted.error.detail === Rejection.ALG_NOT_ALLOWED);
    assert.equal(keys.calls, 0);
  });

  it('does not cache refusals', async () => {
    const keys = counting();
    const jwt = verifier({ keys, audience: 'other' });
    const token = await sign();
    jwt.verify(token);
    jwt.verify(token);
    assert.equal(keys.calls, 2);
  });

  it('without a cache, gives each caller its own unfrozen result', async () => {
    const token = await sign();
    const jwt = verifier({ cache: false });
    const [first, second] = [jwt.verify(token), jwt.verify(token)];
    assert.ok(!(first instanceof Promise) && !(second instanceof Promise) && first.ok && second.ok);
    assert.notEqual(first.value, second.value);
    assert.equal(Object.isFrozen(first.value), false);
  });

  it('freezes the results it caches, all the way down', async () => {
    const result = verifier().verify(await sign({ cnf: { jkt: 'x' } }));
    assert.ok(!(result instanceof Promise) && result.ok);
    assert.throws(() => {
      (result.value.claims.cnf as { jkt: string }).jkt = 'y';
    }, TypeError);
    assert.throws(() => {
      (result.value.scopes as string[]).push('admin');
    }, TypeError);
  });

  it('checks its options once, loudly', () => {
    const keys = counting();
    const bad: Partial<JwtVerifierOptions>[] = [
      { issuer: '' },
      { issuer: 1 as unknown as string },
      { audience: '' },
      { audience: [] },
      { audience: ['api', ''] },
      { keys: {} as KeySource },
      { algorithms: [] },
      { algorithms: ['none' as JwsAlgorithm] },
      { algorithms: ['ES256', 'es256' as JwsAlgorithm] },
      { clockToleranceSeconds: -1 },
      { clockToleranceSeconds: 301 },
      { clockToleranceSeconds: Number.NaN },
      { maxTokenLength: 100 },
      { maxTokenLength: 1e6 },
      { maxTokenLength: 1000.5 },
      { cache: { maxEntries: 1 } },
      { cache: true as unknown as false },
      { now: 5 as unknown as () => number },
    ];
    for (const options of bad) {
      assert.throws(
        () => createJwtVerifier({ issuer: 'https://as', audience: 'api', keys, ...options }),
        TypeError,
        JSON.stringify(options),
      );
    }
    assert.throws(() => createJwtVerifier(undefined as unknown as JwtVerifierOptions), TypeError);
    assert.throws(() => verifier().revokeTokenId(5 as unknown as string, 1), TypeError);
  });
});
