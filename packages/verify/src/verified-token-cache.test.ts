import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokenDenyList } from './token-deny-list.js';
import { VerifiedTokenCache } from './verified-token-cache.js';

describe('VerifiedTokenCache', () => {
  it('serves a token until its expiry and not a moment later', () => {
    const cache = new VerifiedTokenCache<string>(10);
    cache.set('t', 'v', 1000);
    assert.equal(cache.get('t', 999), 'v');
    assert.equal(cache.get('t', 1000), undefined);
    assert.equal(cache.get('t', 10), undefined, 'an expired entry is dropped');
    assert.equal(cache.size, 0);
  });

  it('stays within its bound and keeps what is used', () => {
    const cache = new VerifiedTokenCache<number>(10);
    for (let index = 0; index < 1000; index += 1) {
      cache.set(`t${index}`, index, 1e12);
      assert.equal(cache.get('t0', 0), 0, 'the token in use survives');
      assert.ok(cache.size <= 10, String(cache.size));
    }
    assert.equal(cache.get('t1', 0), undefined, 'an unused early token is gone');
    assert.equal(cache.get('t999', 0), 999);
  });

  it('deletes and clears', () => {
    const cache = new VerifiedTokenCache<number>(4);
    cache.set('a', 1, 1e12);
    cache.set('b', 2, 1e12);
    cache.delete('a');
    assert.equal(cache.get('a', 0), undefined);
    cache.clear();
    assert.equal(cache.get('b', 0), undefined);
  });

  it('refuses a bound below 2', () => {
    assert.throws(() => new VerifiedTokenCache(1), TypeError);
    assert.throws(() => new VerifiedTokenCache(2.5), TypeError);
  });
});

describe('TokenDenyList', () => {
  it('denies until the given time, then forgets', () => {
    const list = new TokenDenyList();
    assert.equal(list.has('j', 0), false);
    list.add('j', 1000);
    list.add('j', 500);
    assert.equal(list.has('j', 999), true, 'a shorter denial does not shorten a longer one');
    assert.equal(list.has('j', 1000), false);
    assert.equal(list.size, 0);
  });

  it('sweeps expired entries as it grows', () => {
    const list = new TokenDenyList();
    for (let index = 0; index < 3000; index += 1) list.add(`j${index}`, index < 2500 ? 10 : 1e12);
    list.sweep(100);
    assert.equal(list.size, 500);
  });
});
