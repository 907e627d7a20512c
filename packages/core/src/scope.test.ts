import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { formatScope, parseScope } from './scope.js';

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), listed out here.
const SCOPE_CHARS = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)).filter(
  (char) => char !== '"' && char !== '\\',
);
const isScopeToken = (token: string) =>
  token !== '' && [...token].every((char) => SCOPE_CHARS.includes(char));

function reference(value: string): string[] | null {
  const tokens = value.split(' ');
  if (!tokens.every(isScopeToken)) return null;
  return tokens.filter((token, index) => tokens.indexOf(token) === index);
}

const anyCodeUnit = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code));
const tokenArb = fc.string({ unit: fc.constantFrom(...SCOPE_CHARS), minLength: 1, maxLength: 8 });
// Few distinct tokens, so duplicates come up often.
const repetitiveToken = fc.oneof(tokenArb, fc.constantFrom('openid', 'read', 'write'));

describe('parseScope', () => {
  it('parses RFC 6749 and OpenID Connect scopes', () => {
    assert.deepEqual(parseScope('read'), ['read']);
    assert.deepEqual(parseScope('openid profile email'), ['openid', 'profile', 'email']);
    assert.deepEqual(parseScope('https://api.example.com/read urn:x:y!#$%&()*+,-./:;<=>?@[]^_`{|}~'), [
      'https://api.example.com/read',
      'urn:x:y!#$%&()*+,-./:;<=>?@[]^_`{|}~',
    ]);
  });

  it('is case-sensitive', () => {
    assert.deepEqual(parseScope('Read read READ'), ['Read', 'read', 'READ']);
  });

  it('removes duplicates, keeping the order of first appearance', () => {
    assert.deepEqual(parseScope('b a b c a'), ['b', 'a', 'c']);
  });

  const rejected: Array<[string, string]> = [
    ['the empty string', ''],
    ['a single space', ' '],
    ['a leading space', ' read'],
    ['a trailing space', 'read '],
    ['a double space', 'read  write'],
    ['a tab separator', 'read\twrite'],
    ['a newline separator', 'read\nwrite'],
    ['CRLF', 'read\r\nwrite'],
    ['NUL', 'read\0'],
    ['DEL', 'read\x7f'],
    ['a double quote', 're"ad'],
    ['a backslash', 're\\ad'],
    ['non-ASCII', 'lecture écriture'],
    ['a no-break space separator', 'read\u00a0write'],
    ['an ideographic space separator', 'read\u3000write'],
    ['a lone surrogate', 'read\ud800'],
  ];
  for (const [name, value] of rejected) {
    it(`rejects ${name}`, () => assert.equal(parseScope(value), null));
  }

  it('returns null rather than throwing for a non-string from untyped callers', () => {
    assert.equal(parseScope(undefined as unknown as string), null);
    assert.equal(parseScope(['read'] as unknown as string), null);
  });

  it('handles a huge value', () => {
    const scopes = Array.from({ length: 100_000 }, (_, i) => `s${i % 1000}`);
    const parsed = parseScope(scopes.join(' '));
    assert.equal(parsed?.length, 1000);
    assert.equal(parseScope(`${'a'.repeat(1_000_000)}  a`), null);
  });

  it('accepts exactly what the RFC grammar accepts, with the same tokens', () => {
    const value = fc.oneof(
      fc.array(repetitiveToken, { minLength: 1, maxLength: 6 }).map((tokens) => tokens.join(' ')),
      fc.string({ unit: fc.oneof(fc.constantFrom(...SCOPE_CHARS, ' ', ' ', '"', '\\', '\t'), anyCodeUnit) }),
    );
    let accepted = 0;
    fc.assert(
      fc.property(value, (scope) => {
        const expected = reference(scope);
        if (expected !== null) accepted++;
        assert.deepEqual(parseScope(scope), expected);
      }),
      { numRuns: 3000 },
    );
    assert.ok(accepted > 1000, `only ${accepted} accepted samples`);
  });

  it('yields unique scope-tokens only', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', 'b', ' ', '"') }), (scope) => {
        const parsed = parseScope(scope);
        if (parsed === null) return;
        assert.equal(new Set(parsed).size, parsed.length);
        assert.ok(parsed.every(isScopeToken));
      }),
    );
  });
});

describe('formatScope', () => {
  it('joins with single spaces', () => {
    assert.equal(formatScope(['openid', 'profile']), 'openid profile');
    assert.equal(formatScope(new Set(['read'])), 'read');
  });

  it('removes duplicates, keeping the order of first appearance', () => {
    assert.equal(formatScope(['b', 'a', 'b']), 'b a');
  });

  it('accepts any iterable, consumed once', () => {
    function* scopes() {
      yield 'x';
      yield 'y';
    }
    assert.equal(formatScope(scopes()), 'x y');
  });

  it('gives the empty string for no scopes', () => {
    assert.equal(formatScope([]), '');
  });

  for (const bad of ['', 'read write', ' read', 'read\n', 'a\r\nb', 'a\0', 're"ad', 're\\ad', 'é', 'a\tb']) {
    it(`throws a TypeError for the scope ${JSON.stringify(bad)}`, () => {
      assert.throws(() => formatScope(['openid', bad]), TypeError);
    });
  }

  it('throws a TypeError for a non-string from untyped callers', () => {
    assert.throws(() => formatScope([42 as unknown as string]), TypeError);
  });

  it('round-trips: parse(format(tokens)) is tokens without duplicates', () => {
    fc.assert(
      fc.property(fc.array(repetitiveToken, { minLength: 1, maxLength: 10 }), (tokens) => {
        assert.deepEqual(parseScope(formatScope(tokens)), [...new Set(tokens)]);
      }),
    );
  });

  it('round-trips: format(parse(value)) is the value once duplicates are gone', () => {
    fc.assert(
      fc.property(fc.array(repetitiveToken, { minLength: 1, maxLength: 10 }), (tokens) => {
        const unique = [...new Set(tokens)].join(' ');
        assert.equal(formatScope(parseScope(tokens.join(' ')) ?? []), unique);
      }),
    );
  });

  it('throws for any token holding a character outside the scope-token set', () => {
    const outside = fc
      .oneof(anyCodeUnit, fc.constantFrom(' ', '"', '\\'))
      .filter((c) => !SCOPE_CHARS.includes(c));
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...SCOPE_CHARS) }), outside, (prefix, char) => {
        assert.throws(() => formatScope([prefix + char]), TypeError);
      }),
    );
  });
});
