import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashPassword, verifyPassword } from './passwords.js';

describe('hashPassword', () => {
  it('makes an argon2id PHC string with the OWASP parameters and a fresh salt', async () => {
    const first = await hashPassword('correct horse');
    const second = await hashPassword('correct horse');
    const match = /^\$argon2id\$v=19\$([^$]+)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/.exec(first);
    assert.ok(match, first);
    assert.deepEqual(new Set(match[1]?.split(',')), new Set(['m=19456', 't=2', 'p=1']));
    assert.notEqual(first, second);
    assert.ok(!first.includes('correct horse'));
  });
});

describe('verifyPassword', () => {
  it('accepts the password and nothing else, unchanged (no trimming, no normalisation)', async () => {
    const password = ' Pässwörd\t';
    const hash = await hashPassword(password);
    assert.equal(await verifyPassword(hash, password), true);
    for (const other of [
      'Pässwörd',
      ' pässwörd\t',
      ` Pässwörd\t\n`,
      password.normalize('NFD'),
      ' Ｐässwörd\t',
      '',
    ]) {
      assert.equal(await verifyPassword(hash, other), false, JSON.stringify(other));
    }
  });

  it('answers false, never throws, for a malformed hash', async () => {
    const real = await hashPassword('password1');
    for (const malformed of [
      '',
      'password1',
      '$argon2id$',
      '$argon2id$v=19$m=19456,t=2,p=1$abc',
      real.slice(0, -10),
      real.replace('$argon2id$', '$argon2x$'),
      '$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy',
    ]) {
      assert.equal(await verifyPassword(malformed, 'password1'), false, malformed);
    }
  });
});
