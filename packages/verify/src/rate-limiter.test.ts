import assert from 'node:assert/strict';
import { it } from 'node:test';
import { RateLimiter } from './rate-limiter.js';

it('allows the rate per minute, then says how long to wait, and refills over time', () => {
  let now = 0;
  const limiter = new RateLimiter(() => now);
  for (let i = 0; i < 3; i++) assert.equal(limiter.take('key', 3), 0);
  assert.equal(limiter.take('key', 3), 20, 'one request comes back every 20 s');
  assert.equal(limiter.take('other', 3), 0, 'each id has its own bucket');
  now = 20_000;
  assert.equal(limiter.take('key', 3), 0);
  assert.ok(limiter.take('key', 3) > 0);
  now = 200_000;
  for (let i = 0; i < 3; i++)
    assert.equal(limiter.take('key', 3), 0, 'a bucket never holds more than the rate');
  assert.ok(limiter.take('key', 3) > 0);
});
