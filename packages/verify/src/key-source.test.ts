import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { KeySet } from './key-set.js';
import { createInMemoryKeySource } from './key-source.js';
import { createHmacKey, type VerificationKey } from './verification-key.js';

const hmac = (alg: 'HS256' | 'HS384', kid?: string): VerificationKey =>
  createHmacKey(randomBytes(48), { alg, kid });

describe('KeySet.select', () => {
  it('finds the key whose kid and alg both match', () => {
    const a = hmac('HS256', 'a');
    const a384 = hmac('HS384', 'a');
    const set = new KeySet([a, a384, hmac('HS256', 'b')]);
    assert.equal(set.select('a', 'HS256'), a);
    assert.equal(set.select('a', 'HS384'), a384);
    assert.equal(set.select('a', 'ES256'), undefined);
    assert.equal(set.select('c', 'HS256'), undefined);
  });

  it('without kid, answers only when one key has the alg', () => {
    const only = hmac('HS384', 'x');
    const set = new KeySet([hmac('HS256', 'a'), hmac('HS256', 'b'), only]);
    assert.equal(set.select(undefined, 'HS256'), undefined);
    assert.equal(set.select(undefined, 'HS384'), only);
  });

  it('answers nothing when two keys share kid and alg', () => {
    const set = new KeySet([hmac('HS256', 'a'), hmac('HS256', 'a')]);
    assert.equal(set.select('a', 'HS256'), undefined);
    assert.equal(set.hasDuplicates(), true);
    assert.equal(new KeySet([hmac('HS256', 'a'), hmac('HS384', 'a')]).hasDuplicates(), false);
  });

  it('does not reach into the prototype for a kid', () => {
    assert.equal(new KeySet([hmac('HS256', 'a')]).select('constructor', 'HS256'), undefined);
    assert.equal(new KeySet([hmac('HS256', 'a')]).select('__proto__', 'HS256'), undefined);
  });
});

describe('createInMemoryKeySource', () => {
  it('resolves synchronously and swaps keys on replace', () => {
    const first = hmac('HS256', 'k1');
    const second = hmac('HS256', 'k2');
    const source = createInMemoryKeySource([first]);
    assert.equal(source.resolve('k1', 'HS256'), first);
    source.replace([second]);
    assert.equal(source.resolve('k1', 'HS256'), undefined);
    assert.equal(source.resolve('k2', 'HS256'), second);
    assert.deepEqual(source.keys, [second]);
  });

  it('refuses keys tokens could not tell apart, and anything but VerificationKeys', () => {
    assert.throws(() => createInMemoryKeySource([hmac('HS256', 'k'), hmac('HS256', 'k')]), /kid and alg/);
    assert.throws(() => createInMemoryKeySource([hmac('HS256'), hmac('HS256')]), /kid and alg/);
    assert.throws(() => createInMemoryKeySource([hmac('HS256'), hmac('HS256', 'k')]), /kid and alg/);
    assert.throws(
      () => createInMemoryKeySource(['-----BEGIN PUBLIC KEY-----'] as unknown as VerificationKey[]),
      TypeError,
    );
    assert.throws(() => createInMemoryKeySource({} as unknown as VerificationKey[]), TypeError);
    const source = createInMemoryKeySource([]);
    assert.throws(() => source.replace([hmac('HS256', 'k'), hmac('HS256', 'k')]), TypeError);
  });
});
