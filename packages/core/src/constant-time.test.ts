import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { constantTimeEqual } from './constant-time.js';

const bytes = (...values: number[]) => Uint8Array.from(values);
// A tiny alphabet, so that equal and nearly equal pairs come up often.
const smallString = fc.string({ unit: fc.constantFrom('a', 'b', '\0', 'é', '🔑'), maxLength: 4 });
const smallBytes = fc.uint8Array({ min: 0, max: 2, maxLength: 4 });

describe('constantTimeEqual', () => {
  it('tells equal strings from different ones', () => {
    assert.equal(constantTimeEqual('s3cr3t', 's3cr3t'), true);
    assert.equal(constantTimeEqual('s3cr3t', 's3cr3T'), false);
    assert.equal(constantTimeEqual('', ''), true);
  });

  it('returns false for different lengths without throwing', () => {
    assert.equal(constantTimeEqual('abc', 'abcd'), false);
    assert.equal(constantTimeEqual('', 'a'), false);
    assert.equal(constantTimeEqual(bytes(1, 2), bytes(1, 2, 0)), false);
    assert.equal(constantTimeEqual('a\0', 'a'), false);
  });

  it('compares byte arrays, honouring the view of a larger buffer', () => {
    assert.equal(constantTimeEqual(bytes(0, 255, 7), bytes(0, 255, 7)), true);
    assert.equal(constantTimeEqual(bytes(0, 255, 7), bytes(0, 255, 8)), false);
    const view = Buffer.from('xxabcxx').subarray(2, 5);
    assert.equal(constantTimeEqual(view, 'abc'), true);
    assert.equal(constantTimeEqual(new Uint8Array(view.buffer, view.byteOffset, 3), bytes(97, 98, 99)), true);
  });

  it('compares a string with bytes as UTF-8', () => {
    assert.equal(constantTimeEqual('é', bytes(0xc3, 0xa9)), true);
    assert.equal(constantTimeEqual(bytes(0xc3, 0xa9), 'é'), true);
    assert.equal(constantTimeEqual('é', bytes(0xe9)), false);
    assert.equal(constantTimeEqual('🔑', new TextEncoder().encode('🔑')), true);
  });

  it('never equates a string holding a lone surrogate', () => {
    assert.equal(constantTimeEqual('\ud800', '\udc00'), false);
    assert.equal(constantTimeEqual('\ud800', '\ufffd'), false);
    assert.equal(constantTimeEqual('x\ud800', 'x\ud800'), false);
    assert.equal(constantTimeEqual('\ud800', bytes(0xef, 0xbf, 0xbd)), false);
    assert.equal(constantTimeEqual('\ud83d\udd11', '🔑'), true);
  });

  it('compares huge inputs', () => {
    const a = 'x'.repeat(5_000_000);
    assert.equal(constantTimeEqual(a, 'x'.repeat(5_000_000)), true);
    assert.equal(constantTimeEqual(a, `${'x'.repeat(4_999_999)}y`), false);
  });

  it('throws a TypeError for other types from untyped callers', () => {
    for (const value of [null, undefined, 42, new ArrayBuffer(1), new DataView(new ArrayBuffer(1)), ['a']]) {
      assert.throws(() => constantTimeEqual(value as unknown as string, 'a'), TypeError);
      assert.throws(() => constantTimeEqual('a', value as unknown as string), TypeError);
      assert.throws(() => constantTimeEqual('\ud800', value as unknown as string), TypeError);
    }
  });

  it('agrees with === on well-formed strings', () => {
    const wellFormed = fc.oneof(smallString, fc.string({ unit: 'binary' }));
    fc.assert(
      fc.property(wellFormed, wellFormed, (a, b) => {
        assert.equal(constantTimeEqual(a, b), a === b);
        assert.equal(constantTimeEqual(a, `${a}`), true);
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees with byte equality on byte arrays and mixed arguments', () => {
    const operand = fc.oneof(smallString, smallBytes, fc.uint8Array(), fc.string({ unit: 'binary' }));
    const utf8 = (value: string | Uint8Array) =>
      typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    fc.assert(
      fc.property(operand, operand, (a, b) => {
        const expected = Buffer.compare(utf8(a), utf8(b)) === 0;
        assert.equal(constantTimeEqual(a, b), expected);
        assert.equal(constantTimeEqual(b, a), expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects any single-byte difference', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (a, at, flip) => {
          const b = Uint8Array.from(a);
          const index = at % b.length;
          b[index] = (b[index] ?? 0) ^ flip;
          assert.equal(constantTimeEqual(a, b), false);
          assert.equal(constantTimeEqual(a, Uint8Array.from(a)), true);
        },
      ),
    );
  });
});
