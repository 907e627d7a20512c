import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { formatAmzDate, parseAmzDate } from './amz-date.js';

describe('X-Amz-Date', () => {
  it('formats and parses the basic ISO 8601 form of the AWS test suite', () => {
    const time = Date.UTC(2015, 7, 30, 12, 36, 0);
    assert.equal(formatAmzDate(time), '20150830T123600Z');
    assert.equal(parseAmzDate('20150830T123600Z'), time);
  });

  it('drops milliseconds instead of rounding them', () => {
    assert.equal(formatAmzDate(Date.UTC(2015, 7, 30, 12, 36, 0, 999)), '20150830T123600Z');
  });

  it('refuses every other spelling and dates that do not exist', () => {
    for (const value of [
      '2015-08-30T12:36:00Z',
      '20150830T123600',
      '20150830T123600z',
      '20150830t123600Z',
      '20150830T123600.000Z',
      '20150830T123600+0000',
      ' 20150830T123600Z',
      '20150230T000000Z',
      '20151301T000000Z',
      '20150830T240000Z',
      '20150830T236000Z',
      '20150830T235960Z',
      '２０150830T123600Z',
      '',
    ]) {
      assert.equal(parseAmzDate(value), null, value);
    }
    assert.equal(parseAmzDate(20150830), null);
    assert.equal(parseAmzDate(undefined), null);
  });

  it('round-trips every second from 1970 to 9999', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Date.UTC(9999, 11, 31, 23, 59, 59) / 1000 }), (seconds) => {
        assert.equal(parseAmzDate(formatAmzDate(seconds * 1000)), seconds * 1000);
      }),
    );
  });

  it('never throws while parsing', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (value) => {
        parseAmzDate(value);
      }),
    );
  });

  it('refuses to format times outside four-digit years', () => {
    assert.throws(() => formatAmzDate(Number.NaN), RangeError);
    assert.throws(() => formatAmzDate(Date.UTC(10000, 0, 1)), RangeError);
    assert.throws(() => formatAmzDate(Date.UTC(-1, 0, 1)), RangeError);
  });
});
