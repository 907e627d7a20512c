import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseDuration } from './duration.js';

const UNITS = { s: 1, m: 60, h: 3600, d: 86400 } as const;
const unit = fc.constantFrom(...(Object.keys(UNITS) as (keyof typeof UNITS)[]));
const count = fc.integer({ min: 0, max: 999_999_999 });

describe('parseDuration', () => {
  it('reads the examples of the contract', () => {
    assert.equal(parseDuration('30s'), 30);
    assert.equal(parseDuration('15m'), 15 * 60);
    assert.equal(parseDuration('24h'), 24 * 3600);
    assert.equal(parseDuration('30d'), 30 * 86400);
    assert.equal(parseDuration('0s'), 0);
  });

  it('turns <n><unit> into n times the unit in seconds, for every unit', () => {
    fc.assert(
      fc.property(count, unit, (n, u) => {
        assert.equal(parseDuration(`${n}${u}`), n * UNITS[u]);
      }),
    );
  });

  it('gives a safe integer for the largest durations it accepts', () => {
    fc.assert(
      fc.property(count, unit, (n, u) => {
        const seconds = parseDuration(`${n}${u}`);
        assert.ok(seconds !== null && Number.isSafeInteger(seconds));
      }),
    );
  });

  it('refuses negative and fractional numbers', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.nat(999), unit, (n, fraction, u) => {
        assert.equal(parseDuration(`-${n}${u}`), null);
        assert.equal(parseDuration(`${n}.${fraction}${u}`), null);
        assert.equal(parseDuration(`.${fraction}${u}`), null);
      }),
    );
  });

  it('refuses spaces anywhere, and uppercase units', () => {
    fc.assert(
      fc.property(
        count,
        unit,
        fc.constantFrom(' ', '\t', '\n', '\u00a0'),
        fc.nat(2),
        (n, u, space, where) => {
          const text = `${n}${u}`;
          const index = [0, String(n).length, text.length][where] ?? 0;
          assert.equal(parseDuration(`${text.slice(0, index)}${space}${text.slice(index)}`), null);
          assert.equal(parseDuration(`${n}${u.toUpperCase()}`), null);
        },
      ),
    );
  });

  it('refuses a number without a unit, a unit without a number, two units, and other units', () => {
    for (const text of [
      '',
      's',
      '30',
      '1w',
      '1y',
      '1ms',
      '1sec',
      '1min',
      '1hm',
      '1 s',
      's1',
      '1s1',
      '+1s',
      '1e3s',
      '0x1s',
      '١s',
    ]) {
      assert.equal(parseDuration(text), null, JSON.stringify(text));
    }
  });

  it('returns null, not a number, for any text that is not digits followed by one unit', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 12 }), (text) => {
        fc.pre(!/^[0-9]+[smhd]$/.test(text));
        assert.equal(parseDuration(text), null, JSON.stringify(text));
      }),
      { numRuns: 500 },
    );
  });
});
