import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { describeScope } from './scope-descriptions.js';

const KNOWN = ['openid', 'profile', 'email', 'offline_access'];

it('describes the standard scopes in plain words', () => {
  assert.equal(describeScope('openid'), 'Confirm who you are (your account identifier)');
  assert.equal(describeScope('profile'), 'See your name and username');
  assert.equal(describeScope('email'), 'See your email address');
  assert.equal(
    describeScope('offline_access'),
    'Keep access when you are not using it (until you revoke it)',
  );
});

it('names any other scope as it is, including names an object inherits', () => {
  for (const scope of ['read:orders', 'OpenID', 'email ', 'constructor', '__proto__', 'toString', '']) {
    assert.equal(describeScope(scope), `Use "${scope}"`);
  }
  fc.assert(
    fc.property(fc.string(), (scope) => {
      fc.pre(!KNOWN.includes(scope));
      assert.equal(describeScope(scope), `Use "${scope}"`);
    }),
  );
});
