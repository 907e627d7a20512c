import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import {
  API_KEY_PATTERN,
  apiKeyDisplayPrefix,
  apiKeyEnvironment,
  isWellFormedApiKey,
  mintApiKey,
} from './api-key.js';

it('mints keys of the documented shape, for each environment', () => {
  for (const env of ['live', 'test'] as const) {
    const key = mintApiKey(env);
    assert.match(key, new RegExp(`^tsk_${env}_[0-9A-Za-z]{49}$`));
    assert.equal(isWellFormedApiKey(key), true);
    assert.equal(apiKeyEnvironment(key), env);
    assert.equal(apiKeyDisplayPrefix(key), `${key.slice(0, 13)}…`);
  }
});

it('carries 256 random bits: keys never repeat and use the whole alphabet', () => {
  const keys = new Set(Array.from({ length: 500 }, () => mintApiKey('live')));
  assert.equal(keys.size, 500);
  const characters = new Set([...keys].flatMap((key) => [...key.slice(9, 52)]));
  assert.equal(characters.size, 62);
});

it('refuses any single-character change: the checksum or the shape catches it', () => {
  const key = mintApiKey('live');
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: key.length - 1 }),
      fc.constantFrom(...'0aZ_-x9Q'),
      (index, character) => {
        const changed = key.slice(0, index) + character + key.slice(index + 1);
        fc.pre(changed !== key);
        assert.equal(isWellFormedApiKey(changed), false);
      },
    ),
    { numRuns: 400 },
  );
});

it('refuses a key moved to another environment, truncated or extended', () => {
  const key = mintApiKey('live');
  assert.equal(isWellFormedApiKey(key.replace('tsk_live_', 'tsk_test_')), false);
  assert.equal(isWellFormedApiKey(key.slice(0, -1)), false);
  assert.equal(isWellFormedApiKey(`${key}0`), false);
  assert.equal(isWellFormedApiKey(` ${key}`), false);
  assert.equal(apiKeyEnvironment('tsk_live_nope'), null);
});

it('the scanner pattern finds keys in text and nothing in noise', () => {
  const keys = [mintApiKey('live'), mintApiKey('test')];
  const text = `config:\n  key=${keys[0]}\n"${keys[1]}",tsk_live_short tsk_prod_${'a'.repeat(49)}`;
  assert.deepEqual(text.match(API_KEY_PATTERN), keys);
});
