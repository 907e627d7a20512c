import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { RevocationEvent, TokenStore } from '../store/token-store.js';
import { FEED_SETTLE_SECONDS, RevocationFeed } from './revocation-feed.js';

const event = (seq: number, revokedAt: number) => ({
  seq,
  kind: 'token' as const,
  value: `jti-${seq}`,
  revokedAt,
  expiresAt: revokedAt + 900,
});

function feedOver(events: (RevocationEvent & { seq: number })[], now: number) {
  const store = {
    revocationsAfter: async (after: number) => events.filter((candidate) => candidate.seq > after),
  } as unknown as TokenStore;
  return new RevocationFeed(store, () => now);
}

it('moves the cursor only past events older than the settle window', async () => {
  const now = 10_000;
  const settled = now - FEED_SETTLE_SECONDS;
  const page = await feedOver([event(1, settled - 5), event(2, settled), event(3, settled + 1)], now).page(0);
  assert.deepEqual(
    page.events.map((candidate) => candidate.seq),
    [1, 2, 3],
  );
  assert.equal(page.next, 2);
});

it('keeps the cursor when nothing has settled', async () => {
  const page = await feedOver([event(7, 10_000)], 10_000).page(5);
  assert.equal(page.next, 5);
  assert.equal(page.events.length, 1);
});
