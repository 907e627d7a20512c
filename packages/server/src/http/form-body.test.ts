import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, InvalidRequest } from '@tessera/core';
import fc from 'fast-check';
import { parseFormBody } from './form-body.js';

const HEX = '0123456789abcdefABCDEF';
/** Text a form field may hold: any Unicode, and the characters form encoding escapes. */
const text = fc.string({
  unit: fc.oneof(
    fc.constantFrom('%', '+', '&', '=', ' ', '#', ';', '\n', '%2'),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
  ),
  maxLength: 12,
});
const NOT_HEX = ['g', 'G', 'z', '%', '&', '=', ' ', '+', '-', '.', 'é', '🔑'];
/** A `%` followed by fewer than two hex digits, then a character that is not one. */
const malformedEscape = fc.oneof(
  fc.constantFrom(...NOT_HEX).map((c) => `%${c}`),
  fc.tuple(fc.constantFrom(...HEX), fc.constantFrom(...NOT_HEX)).map(([a, b]) => `%${a}${b}`),
);
/** A `%` cut short by the end of the body. */
const truncatedEscape = fc.oneof(
  fc.constant('%'),
  fc.constantFrom(...HEX).map((digit) => `%${digit}`),
);

/** What URLSearchParams makes of a string: lone surrogates become U+FFFD. */
const usv = (value: string) => Buffer.from(value, 'utf8').toString('utf8');

function assertRefused(body: string): void {
  assert.throws(
    () => parseFormBody(body),
    (error: unknown) => {
      assert.ok(error instanceof InvalidRequest, String(error));
      assert.equal(error.error, 'invalid_request');
      assert.equal(error.status, 400);
      assert.equal(error.code, ErrorCode.REQUEST_MALFORMED);
      return true;
    },
    JSON.stringify(body),
  );
}

describe('parseFormBody', () => {
  it('parses what URLSearchParams encodes back to the same entries, in order', () => {
    fc.assert(
      fc.property(fc.dictionary(text, text), (record) => {
        const parsed = parseFormBody(new URLSearchParams(record).toString());
        const expected = Object.entries(record).map(([k, v]) => [usv(k), usv(v)]);
        assert.deepEqual([...parsed.entries()], expected);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps repeated names, as the endpoints need to see them to refuse them', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(text, text), { maxLength: 6 }), (pairs) => {
        const parsed = parseFormBody(new URLSearchParams(pairs).toString());
        assert.deepEqual(
          [...parsed.entries()],
          pairs.map(([k, v]) => [usv(k), usv(v)]),
        );
      }),
    );
  });

  it('parses any body with well-formed escapes exactly as URLSearchParams does', () => {
    fc.assert(
      fc.property(text, (body) => {
        fc.pre(!/%(?![0-9A-Fa-f]{2})/.test(body));
        assert.deepEqual([...parseFormBody(body).entries()], [...new URLSearchParams(body).entries()]);
      }),
      { numRuns: 300 },
    );
  });

  it('decodes escapes, + as a space, and keeps empty names and values', () => {
    const parsed = parseFormBody(
      'grant_type=client_credentials&scope=read+write%20admin&a=&=b&c&%41%3d=%e2%82%ac',
    );
    assert.deepEqual(
      [...parsed.entries()],
      [
        ['grant_type', 'client_credentials'],
        ['scope', 'read write admin'],
        ['a', ''],
        ['', 'b'],
        ['c', ''],
        ['A=', '€'],
      ],
    );
    assert.deepEqual([...parseFormBody('').entries()], []);
  });

  it('refuses a malformed percent escape anywhere in the body with invalid_request', () => {
    fc.assert(
      fc.property(text, malformedEscape, text, (before, bad, after) => {
        assertRefused(`${before}${bad}${after}`);
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(text, truncatedEscape, (before, bad) => {
        assertRefused(`${before}${bad}`);
      }),
    );
    for (const body of [
      '%',
      'a=%',
      'a=%2',
      'a=%zz',
      'a=%2g',
      'a=%%41',
      'a=b%',
      '%4=1',
      'a=1&b=%x1&c=2',
      'a=%E2%82%',
    ]) {
      assertRefused(body);
    }
  });

  it('says nothing of the body in its error', () => {
    const secret = 'cs_live_s3cr3t';
    assert.throws(
      () => parseFormBody(`client_secret=${secret}%zz`),
      (error: unknown) => {
        assert.ok(error instanceof InvalidRequest);
        assert.ok(!`${error.message} ${error.description} ${error.detail}`.includes(secret));
        return true;
      },
    );
  });
});
