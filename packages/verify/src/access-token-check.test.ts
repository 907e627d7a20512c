import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { looksLikeJws } from './access-token-check.js';

describe('looksLikeJws', () => {
  it('is true for exactly three dot-separated parts, the first two non-empty', () => {
    for (const token of ['a.b.c', 'a.b.', 'eyJ.eyJ.sig']) assert.equal(looksLikeJws(token), true, token);
    for (const token of ['', 'abc', 'a.b', '.b.c', 'a..c', 'a.b.c.d', 'a.b.c.', '..', 'tat_opaque']) {
      assert.equal(looksLikeJws(token), false, token);
    }
  });

  it('agrees with the pattern it stands for on any string of dots and letters', () => {
    const shape = /^[^.]+\.[^.]+\.[^.]*$/;
    fc.assert(
      fc.property(fc.stringMatching(/^[a.]{0,12}$/), (token) => {
        assert.equal(looksLikeJws(token), shape.test(token));
      }),
      { numRuns: 2000 },
    );
  });
});
