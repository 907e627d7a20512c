import assert from 'node:assert/strict';
import { it } from 'node:test';
import { newIdentifier } from './identifiers.js';

it('gives distinct 128-bit identifiers across pool refills', () => {
  const ids = new Set<string>();
  for (let i = 0; i < 2000; i++) ids.add(newIdentifier('jti'));
  assert.equal(ids.size, 2000);
  for (const id of ids) assert.match(id, /^jti_[A-Za-z0-9_-]{22}$/);
});
