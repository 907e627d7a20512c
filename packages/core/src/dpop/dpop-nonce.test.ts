import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DpopNonces } from './dpop-nonce.js';

const KEY = Buffer.alloc(32, 7);
const NOW = 1_700_000_000; // 200 s into its 300 s window
const WINDOW_START = Math.floor(NOW / 300) * 300;

function flipChar(text: string, index: number): string {
  const replacement = text[index] === 'A' ? 'B' : 'A';
  return text.slice(0, index) + replacement + text.slice(index + 1);
}

describe('DpopNonces', () => {
  it('issues 30 base64url characters, the same for the whole window', () => {
    const nonces = new DpopNonces(KEY);
    const nonce = nonces.current(NOW);
    assert.match(nonce, /^[A-Za-z0-9_-]{30}$/);
    assert.equal(nonces.current(WINDOW_START), nonce);
    assert.equal(nonces.current(WINDOW_START + 299.9), nonce);
    assert.notEqual(nonces.current(WINDOW_START + 300), nonce);
    assert.notEqual(nonces.current(WINDOW_START - 1), nonce);
  });

  it('accepts a nonce in its own window and the next, not two windows on', () => {
    const nonces = new DpopNonces(KEY);
    const nonce = nonces.current(WINDOW_START);
    assert.equal(nonces.isValid(nonce, WINDOW_START), true);
    assert.equal(nonces.isValid(nonce, WINDOW_START + 299), true);
    assert.equal(nonces.isValid(nonce, WINDOW_START + 300), true);
    assert.equal(nonces.isValid(nonce, WINDOW_START + 599), true);
    assert.equal(nonces.isValid(nonce, WINDOW_START + 600), false);
    assert.equal(nonces.isValid(nonce, WINDOW_START + 3000), false);
  });

  it('does not accept a nonce before its window', () => {
    const nonces = new DpopNonces(KEY);
    const nonce = nonces.current(WINDOW_START + 300);
    assert.equal(nonces.isValid(nonce, WINDOW_START + 299), false);
    assert.equal(nonces.isValid(nonce, WINDOW_START - 300), false);
  });

  it('honours a custom window length', () => {
    const nonces = new DpopNonces(KEY, 60);
    const nonce = nonces.current(600);
    assert.equal(nonces.current(659), nonce);
    assert.equal(nonces.isValid(nonce, 719), true);
    assert.equal(nonces.isValid(nonce, 720), false);
  });

  it('is accepted by another instance holding the same key, and refused under another key', () => {
    const key = randomBytes(32);
    const nonce = new DpopNonces(key).current(NOW);
    assert.equal(new DpopNonces(Buffer.from(key)).isValid(nonce, NOW), true);
    assert.equal(new DpopNonces(randomBytes(32)).isValid(nonce, NOW), false);
    const otherKey = Buffer.from(key);
    otherKey[31] = (otherKey[31] ?? 0) ^ 1;
    assert.equal(new DpopNonces(otherKey).isValid(nonce, NOW), false);
  });

  it('refuses a nonce with any character changed', () => {
    const nonces = new DpopNonces(KEY);
    const nonce = nonces.current(NOW);
    for (let i = 0; i < nonce.length; i++) {
      assert.equal(nonces.isValid(flipChar(nonce, i), NOW), false, `index ${i}`);
    }
  });

  it('refuses a nonce naming another window with a MAC copied from a valid one', () => {
    const nonces = new DpopNonces(KEY);
    const bytes = Buffer.from(nonces.current(NOW), 'base64url');
    bytes.writeUIntBE(Math.floor(NOW / 300) + 5, 0, 6);
    assert.equal(nonces.isValid(bytes.toString('base64url'), NOW + 1500), false);
  });

  it('refuses wrong lengths and non-strings', () => {
    const nonces = new DpopNonces(KEY);
    const nonce = nonces.current(NOW);
    assert.equal(nonces.isValid(nonce.slice(0, 29), NOW), false);
    assert.equal(nonces.isValid(`${nonce}A`, NOW), false);
    assert.equal(nonces.isValid(`${nonce}=`, NOW), false);
    assert.equal(nonces.isValid('', NOW), false);
    assert.equal(nonces.isValid(undefined, NOW), false);
    assert.equal(nonces.isValid(42 as unknown as string, NOW), false);
    assert.equal(nonces.isValid(`${nonce.slice(0, 29)}é`, NOW), false);
  });

  it('refuses arbitrary strings', () => {
    const nonces = new DpopNonces(KEY);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ minLength: 28, maxLength: 32 }),
          fc.string({
            unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'),
            minLength: 30,
            maxLength: 30,
          }),
        ),
        (text) => {
          assert.equal(nonces.isValid(text, NOW), false);
        },
      ),
    );
  });

  it('refuses a key shorter than 32 bytes', () => {
    assert.throws(() => new DpopNonces(new Uint8Array(31)), TypeError);
    assert.throws(() => new DpopNonces(new Uint8Array(0)), TypeError);
    assert.doesNotThrow(() => new DpopNonces(new Uint8Array(32)));
    assert.doesNotThrow(() => new DpopNonces(new Uint8Array(64)));
  });

  it('copies the key, so later changes to the caller’s buffer do not change it', () => {
    const key = Buffer.alloc(32, 9);
    const nonces = new DpopNonces(key);
    const nonce = nonces.current(NOW);
    key.fill(0);
    assert.equal(nonces.isValid(nonce, NOW), true);
  });

  // Bug: in the first window (now < windowSeconds) the previous window is -1, which
  // Buffer#writeUIntBE refuses with a RangeError, so isValid throws instead of answering.
  it('answers, without throwing, during the very first window', () => {
    const nonces = new DpopNonces(KEY);
    assert.equal(nonces.isValid(nonces.current(0), 0), true);
    assert.doesNotThrow(() => nonces.isValid('A'.repeat(30), 0));
    assert.equal(nonces.isValid('A'.repeat(30), 100), false);
  });
});
