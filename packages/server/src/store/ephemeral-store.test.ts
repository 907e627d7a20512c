import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MemoryEphemeralStore } from './ephemeral-store.js';

/** A store on a clock the test moves, in milliseconds like Date.now. */
function storeWithClock(start = 1_700_000_000_000) {
  const clock = { now: start };
  return { clock, store: new MemoryEphemeralStore(() => clock.now) };
}

/**
 * How many keys the store holds. The sweep has no other observable effect than memory, so
 * this looks inside; `expiries` is the map the class keeps its keys in.
 */
function heldKeys(store: MemoryEphemeralStore): number {
  const inside = store as unknown as { expiries?: unknown };
  assert.ok(inside.expiries instanceof Map, 'MemoryEphemeralStore keeps its keys in `expiries`');
  return inside.expiries.size;
}

describe('MemoryEphemeralStore.setIfAbsent', () => {
  it('sets a key once, refuses it while it lives, and sets it again once its TTL has passed', async () => {
    const { clock, store } = storeWithClock();
    const start = clock.now;
    assert.equal(await store.setIfAbsent('jti:1', 30), true);
    assert.equal(await store.setIfAbsent('jti:1', 30), false);
    clock.now = start + 30_000 - 1;
    assert.equal(await store.setIfAbsent('jti:1', 30), false);
    clock.now = start + 30_000;
    assert.equal(await store.setIfAbsent('jti:1', 30), true);
    assert.equal(await store.setIfAbsent('jti:1', 30), false);
    clock.now = start + 60_000 - 1;
    assert.equal(await store.setIfAbsent('jti:1', 30), false, 'the second set starts a new TTL');
    clock.now = start + 60_000;
    assert.equal(await store.setIfAbsent('jti:1', 30), true);
  });

  it('does not extend a live key when it is refused', async () => {
    const { clock, store } = storeWithClock();
    const start = clock.now;
    await store.setIfAbsent('k', 10);
    clock.now = start + 5_000;
    assert.equal(await store.setIfAbsent('k', 3600), false);
    clock.now = start + 10_000;
    assert.equal(await store.setIfAbsent('k', 10), true);
  });

  it('keeps keys apart', async () => {
    const { store } = storeWithClock();
    assert.equal(await store.setIfAbsent('a', 60), true);
    assert.equal(await store.setIfAbsent('b', 60), true);
    assert.equal(await store.setIfAbsent('A', 60), true);
    assert.equal(await store.setIfAbsent('a ', 60), true);
    assert.equal(await store.setIfAbsent('a', 60), false);
  });

  it('answers like a map of expiry times, for any sequence of sets and clock moves', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            key: fc.constantFrom('a', 'b', 'c'),
            ttl: fc.integer({ min: 1, max: 5 }),
            wait: fc.nat(6_000),
          }),
          { maxLength: 40 },
        ),
        async (steps) => {
          const { clock, store } = storeWithClock();
          const model = new Map<string, number>();
          for (const { key, ttl, wait } of steps) {
            clock.now += wait;
            const expiry = model.get(key);
            const expected = expiry === undefined || expiry <= clock.now;
            if (expected) model.set(key, clock.now + ttl * 1000);
            assert.equal(await store.setIfAbsent(key, ttl), expected);
          }
        },
      ),
    );
  });

  it('sweeps expired keys as it is written (over 1024 writes), without losing live ones', async () => {
    const { clock, store } = storeWithClock();
    const start = clock.now;
    const short = Array.from({ length: 600 }, (_, i) => `short:${i}`);
    const live = Array.from({ length: 600 }, (_, i) => `live:${i}`);
    const fresh = Array.from({ length: 1100 }, (_, i) => `fresh:${i}`);
    for (const key of short) assert.equal(await store.setIfAbsent(key, 1), true);
    for (const key of live) assert.equal(await store.setIfAbsent(key, 2), true);

    // The short keys have expired; the live ones have one millisecond left.
    clock.now = start + 2_000 - 1;
    for (const key of fresh) assert.equal(await store.setIfAbsent(key, 60), true);
    assert.equal(heldKeys(store), live.length + fresh.length, 'the expired keys were swept');

    for (const key of live) assert.equal(await store.setIfAbsent(key, 2), false, key);
    for (const key of fresh) assert.equal(await store.setIfAbsent(key, 60), false, key);
    for (const key of short) assert.equal(await store.setIfAbsent(key, 1), true, key);

    clock.now = start + 2_000;
    for (const key of live) assert.equal(await store.setIfAbsent(key, 2), true, key);
  });

  it('holds no more than the live keys after a long run of writes', async () => {
    const { clock, store } = storeWithClock();
    for (let i = 0; i < 10_000; i++) {
      clock.now += 10;
      assert.equal(await store.setIfAbsent(`nonce:${i}`, 1), true);
    }
    // 1 s TTL at one write per 10 ms: about 100 keys live; a sweep every 1024 writes lets
    // no more than that plus 1024 pile up.
    assert.ok(heldKeys(store) <= 100 + 1024, `${heldKeys(store)} keys held`);
  });

  it('forgets everything on close', async () => {
    const { store } = storeWithClock();
    await store.setIfAbsent('k', 60);
    await store.close();
    assert.equal(await store.setIfAbsent('k', 60), true);
  });

  it('uses the wall clock by default', async () => {
    const store = new MemoryEphemeralStore();
    assert.equal(await store.setIfAbsent('k', 60), true);
    assert.equal(await store.setIfAbsent('k', 60), false);
  });
});
