import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ReplayCache } from './replay-cache.js';

it('refuses a value seen before until its expiry, then forgets it', () => {
  let now = 0;
  const cache = new ReplayCache(() => now, 1000);
  assert.equal(cache.seen('sig', 500), false);
  assert.equal(cache.seen('sig', 500), true);
  now = 500;
  assert.equal(cache.seen('sig', 900), false, 'expired: a new first sight');
});

it('sweeps expired values only when a sweep is due, keeping live ones', () => {
  let now = 0;
  const cache = new ReplayCache(() => now, 1000);
  for (let i = 0; i < 5000; i++) cache.seen(`old-${i}`, 100);
  cache.seen('live', 5000);
  now = 200;
  cache.seen('another', 5000);
  assert.equal(cache.size, 5002, 'no sweep before it is due');
  now = 1000;
  cache.seen('trigger', 5000);
  assert.equal(cache.size, 3, 'the due sweep removed every expired value');
  assert.equal(cache.seen('live', 6000), true);
});
