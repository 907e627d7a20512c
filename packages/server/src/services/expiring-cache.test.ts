import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ExpiringCache } from './expiring-cache.js';

it('returns entries until they expire', () => {
  let now = 100;
  const cache = new ExpiringCache<string, number>(10, () => now);
  cache.set('a', 1, 110);
  assert.equal(cache.get('a'), 1);
  now = 110;
  assert.equal(cache.get('a'), undefined);
  assert.equal(cache.size, 0);
});

it('evicts the oldest entry when full, and re-setting a key makes it the newest', () => {
  const cache = new ExpiringCache<string, number>(2, () => 0);
  cache.set('a', 1, 10);
  cache.set('b', 2, 10);
  cache.set('a', 3, 10);
  cache.set('c', 4, 10);
  assert.equal(cache.get('b'), undefined);
  assert.equal(cache.get('a'), 3);
  assert.equal(cache.get('c'), 4);
  assert.equal(cache.size, 2);
});

it('deletes and clears', () => {
  const cache = new ExpiringCache<string, number>(5, () => 0);
  cache.set('a', 1, 10);
  cache.set('b', 2, 10);
  cache.delete('a');
  assert.equal(cache.get('a'), undefined);
  cache.clear();
  assert.equal(cache.get('b'), undefined);
});
