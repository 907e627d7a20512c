import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { RevocationList } from './revocation-list.js';

const now = 1_800_000_000;
const token = (
  overrides: Partial<{ jti: string; clientId: string; subject: string; issuedAt: number }> = {},
) => ({
  jti: 'jti-1',
  clientId: 'client-1',
  subject: 'subject-1',
  issuedAt: now - 60,
  ...overrides,
});

it('denies a revoked jti until the entry expires, and nothing else', () => {
  const list = new RevocationList();
  list.apply({ kind: 'token', value: 'jti-1', revokedAt: now, expiresAt: now + 100 });
  assert.equal(list.isRevoked(token(), now), true);
  assert.equal(list.isRevoked(token({ jti: 'jti-2' }), now), false);
  assert.equal(list.isRevoked(token(), now + 100), false);
});

it('denies every token of a client or subject issued up to the revocation, not after', () => {
  for (const kind of ['client', 'subject'] as const) {
    const list = new RevocationList();
    const value = kind === 'client' ? 'client-1' : 'subject-1';
    list.apply({ kind, value, revokedAt: now, expiresAt: now + 1000 });
    assert.equal(list.isRevoked(token({ issuedAt: now }), now + 1), true, kind);
    assert.equal(list.isRevoked(token({ issuedAt: now - 500 }), now + 1), true, kind);
    assert.equal(list.isRevoked(token({ issuedAt: now + 1 }), now + 1), false, `${kind}: issued later`);
    assert.equal(list.isRevoked(token({ clientId: 'other', subject: 'other' }), now + 1), false, kind);
    assert.equal(list.isRevoked(token({ issuedAt: now }), now + 1000), false, `${kind}: expired entry`);
  }
});

it('keeps the latest revocation time when a client is revoked twice', () => {
  const list = new RevocationList();
  list.apply({ kind: 'client', value: 'client-1', revokedAt: now + 50, expiresAt: now + 1000 });
  list.apply({ kind: 'client', value: 'client-1', revokedAt: now, expiresAt: now + 900 });
  assert.equal(list.isRevoked(token({ issuedAt: now + 40 }), now + 60), true);
});

it('forgets expired entries when swept', () => {
  const list = new RevocationList();
  list.apply({ kind: 'token', value: 'a', revokedAt: now, expiresAt: now + 10 });
  list.apply({ kind: 'client', value: 'b', revokedAt: now, expiresAt: now + 10 });
  list.apply({ kind: 'subject', value: 'c', revokedAt: now, expiresAt: now + 20 });
  list.sweep(now + 10);
  assert.equal(list.size, 1);
});

it('applying entries in any order gives the same answers (property)', () => {
  const entry = fc.record({
    kind: fc.constantFrom('token' as const, 'client' as const, 'subject' as const),
    value: fc.constantFrom('jti-1', 'client-1', 'subject-1', 'x'),
    revokedAt: fc.integer({ min: now - 100, max: now + 100 }),
    expiresAt: fc.integer({ min: now, max: now + 200 }),
  });
  fc.assert(
    fc.property(
      fc.array(entry, { maxLength: 12 }),
      fc.integer({ min: now - 150, max: now + 150 }),
      (entries, issuedAt) => {
        const forward = new RevocationList();
        const backward = new RevocationList();
        for (const e of entries) forward.apply(e);
        for (const e of [...entries].reverse()) backward.apply(e);
        const probe = token({ issuedAt });
        assert.equal(forward.isRevoked(probe, now + 1), backward.isRevoked(probe, now + 1));
      },
    ),
  );
});
