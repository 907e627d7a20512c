import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { decodeBase64Url, encodeBase64Url } from './base64url.js';

describe('encodeBase64Url', () => {
  it('encodes without padding in the URL-safe alphabet', () => {
    assert.equal(encodeBase64Url(new Uint8Array([0xfb, 0xff])), '-_8');
    assert.equal(encodeBase64Url(new TextEncoder().encode('hi')), 'aGk');
    assert.equal(encodeBase64Url(new Uint8Array()), '');
  });

  it('respects the view of a larger buffer', () => {
    const backing = new Uint8Array([1, 2, 3, 4, 5]);
    assert.equal(encodeBase64Url(backing.subarray(1, 3)), encodeBase64Url(new Uint8Array([2, 3])));
  });

  it('round-trips random bytes of every length mod 3', () => {
    for (let length = 0; length < 64; length += 1) {
      const bytes = randomBytes(length);
      assert.deepEqual(decodeBase64Url(encodeBase64Url(bytes)), bytes);
    }
  });
});

describe('decodeBase64Url', () => {
  it('decodes canonical text, including the empty string', () => {
    assert.deepEqual(decodeBase64Url('aGk'), Buffer.from('hi'));
    assert.deepEqual(decodeBase64Url('-_8'), Buffer.from([0xfb, 0xff]));
    assert.deepEqual(decodeBase64Url(''), Buffer.alloc(0));
  });

  it('refuses padding', () => {
    assert.equal(decodeBase64Url('aGk='), null);
    assert.equal(decodeBase64Url('aA=='), null);
  });

  it('refuses the standard alphabet, whitespace and other characters', () => {
    for (const text of ['+_8A', '-/8A', 'aG k', ' aGk', 'aGk\n', 'aG!k', 'aGk\u0000', 'aGké']) {
      assert.equal(decodeBase64Url(text), null, JSON.stringify(text));
    }
  });

  it('refuses a length of 1 modulo 4', () => {
    assert.equal(decodeBase64Url('a'), null);
    assert.equal(decodeBase64Url('aGkaG'), null);
  });

  it('refuses non-zero unused bits (a second spelling of the same bytes)', () => {
    assert.equal(decodeBase64Url('aB'), null); // 2 chars: low 4 bits of 'B' are set
    assert.equal(decodeBase64Url('aR'), null);
    assert.deepEqual(decodeBase64Url('aQ'), Buffer.from([0x69]));
    assert.deepEqual(decodeBase64Url('aA'), Buffer.from([0x68]));
    assert.equal(decodeBase64Url('aGl'), null); // 3 chars: low 2 bits of 'l' are set
    assert.deepEqual(decodeBase64Url('aGk'), Buffer.from('hi'));
  });
});
