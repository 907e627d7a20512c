import assert from 'node:assert/strict';
import { validateHeaderValue } from 'node:http';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { formatChallenge } from './www-authenticate.js';

// RFC 9110 grammar for one challenge with auth-params (§11.2, §5.6.2, §5.6.4), written
// out here independently of the implementation.
const TCHAR = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const TOKEN = `[${TCHAR.replace(/[\\\]\-^]/g, '\\$&')}]+`;
const QUOTED_STRING = '"(?:[\\t \\x21\\x23-\\x5b\\x5d-\\x7e\\x80-\\xff]|\\\\[\\t \\x21-\\x7e\\x80-\\xff])*"';
const AUTH_PARAM = `(${TOKEN})[ \\t]*=[ \\t]*(${TOKEN}|${QUOTED_STRING})`;
const CHALLENGE = new RegExp(`^(${TOKEN})(?: +${AUTH_PARAM}(?:[ \\t]*,[ \\t]*${AUTH_PARAM})*)?$`);

/** Test-only parser of a single challenge, enough to check round trips. */
function parseChallenge(header: string): { scheme: string; params: Array<[string, string]> } {
  const whole = CHALLENGE.exec(header);
  assert.ok(whole, `not an RFC 9110 challenge: ${JSON.stringify(header)}`);
  const scheme = whole[1] ?? '';
  const params: Array<[string, string]> = [];
  const first = new RegExp(` +${AUTH_PARAM}`, 'y');
  const next = new RegExp(`[ \\t]*,[ \\t]*${AUTH_PARAM}`, 'y');
  let at = scheme.length;
  for (let sticky = first; at < header.length; sticky = next) {
    sticky.lastIndex = at;
    const match = sticky.exec(header);
    assert.ok(match, `unparsed rest: ${JSON.stringify(header.slice(at))}`);
    const [, name = '', raw = ''] = match;
    params.push([name, raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw]);
    at = sticky.lastIndex;
  }
  return { scheme, params };
}

const printableAscii = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
});
const tokenArb = fc.string({ unit: fc.constantFrom(...TCHAR), minLength: 1, maxLength: 10 });
const paramsArb = fc.dictionary(tokenArb, fc.option(printableAscii, { nil: undefined }), { maxKeys: 6 });
const anyCodeUnit = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code));

describe('formatChallenge', () => {
  it('formats the RFC 6750 §3 examples', () => {
    assert.equal(formatChallenge('Bearer', { realm: 'example' }), 'Bearer realm="example"');
    assert.equal(
      formatChallenge('Bearer', {
        realm: 'example',
        error: 'invalid_token',
        error_description: 'The access token expired',
      }),
      'Bearer realm="example", error="invalid_token", error_description="The access token expired"',
    );
  });

  it('formats the RFC 7617 examples', () => {
    assert.equal(formatChallenge('Basic', { realm: 'WallyWorld' }), 'Basic realm="WallyWorld"');
    assert.equal(
      formatChallenge('Basic', { realm: 'foo', charset: 'UTF-8' }),
      'Basic realm="foo", charset="UTF-8"',
    );
  });

  it('skips undefined values and keeps insertion order', () => {
    assert.equal(
      formatChallenge('Bearer', { scope: 'a b', realm: undefined, error: 'insufficient_scope' }),
      'Bearer scope="a b", error="insufficient_scope"',
    );
  });

  it('returns the bare scheme when there is no defined parameter', () => {
    assert.equal(formatChallenge('Bearer', {}), 'Bearer');
    assert.equal(formatChallenge('DPoP', { realm: undefined }), 'DPoP');
  });

  it('keeps empty values as an empty quoted-string', () => {
    assert.equal(formatChallenge('Bearer', { realm: '' }), 'Bearer realm=""');
  });

  it('backslash-escapes double quotes and backslashes', () => {
    assert.equal(formatChallenge('Bearer', { realm: 'a "b" \\ c' }), 'Bearer realm="a \\"b\\" \\\\ c"');
    assert.equal(formatChallenge('Bearer', { realm: '\\"' }), 'Bearer realm="\\\\\\""');
  });

  const hostileValues: Array<[string, string]> = [
    ['CRLF header injection', 'x\r\nSet-Cookie: a=b'],
    ['bare CR', 'x\ry'],
    ['bare LF', 'x\ny'],
    ['NUL', 'x\0'],
    ['tab', 'a\tb'],
    ['DEL', 'x\x7f'],
    ['C1 control', 'x\x85'],
    ['non-ASCII letter', 'café'],
    ['characters whose low byte is CR LF', 'x\u010d\u010aSet-Cookie: a=b'],
    ['line separator', 'x\u2028'],
    ['lone surrogate', 'x\ud800'],
    ['emoji', '🔑'],
  ];
  for (const [name, value] of hostileValues) {
    it(`throws a TypeError for a value with ${name}`, () => {
      assert.throws(() => formatChallenge('Bearer', { realm: 'ok', error_description: value }), TypeError);
    });
  }

  it('does not echo the bad value in the error message', () => {
    assert.throws(
      () => formatChallenge('Bearer', { error_description: 'secret-token\n' }),
      (error: unknown) => error instanceof TypeError && !error.message.includes('secret-token'),
    );
  });

  for (const name of ['', 'a b', 'a=b', 'a"', 'a,b', 'a\r\n', 'realm\0', 'é', 'a;b', '(a)']) {
    it(`throws a TypeError for the parameter name ${JSON.stringify(name)}`, () => {
      assert.throws(() => formatChallenge('Bearer', { [name]: 'v' }), TypeError);
    });
  }

  for (const scheme of ['', 'Bearer realm', 'Bearer\r\n', 'Bea"rer', ' Bearer', 'Bearer,', 'Bearér', '\0']) {
    it(`throws a TypeError for the scheme ${JSON.stringify(scheme)}`, () => {
      assert.throws(() => formatChallenge(scheme, {}), TypeError);
    });
  }

  it('throws a TypeError for a non-string value from untyped callers', () => {
    assert.throws(() => formatChallenge('Bearer', { realm: 42 as unknown as string }), TypeError);
    assert.throws(() => formatChallenge('Bearer', { realm: null as unknown as string }), TypeError);
  });

  it('round-trips through an RFC 9110 parser', () => {
    fc.assert(
      fc.property(tokenArb, paramsArb, (scheme, params) => {
        const header = formatChallenge(scheme, params);
        const defined = Object.entries(params).filter(
          (entry): entry is [string, string] => entry[1] !== undefined,
        );
        assert.deepEqual(parseChallenge(header), { scheme, params: defined });
      }),
      { numRuns: 1000 },
    );
  });

  it('always yields a value Node and fetch accept as a header', () => {
    fc.assert(
      fc.property(tokenArb, paramsArb, (scheme, params) => {
        const header = formatChallenge(scheme, params);
        validateHeaderValue('www-authenticate', header);
        assert.equal(new Headers({ 'www-authenticate': header }).get('www-authenticate'), header);
      }),
      { numRuns: 500 },
    );
  });

  it('either returns a valid challenge or throws a TypeError, on any input', () => {
    const anyText = fc.string({ unit: fc.oneof(anyCodeUnit, fc.constantFrom(...TCHAR, ' ', '"', '\\')) });
    const nameOrJunk = fc.oneof(tokenArb, anyText);
    const valueOrJunk = fc.option(fc.oneof(printableAscii, anyText), { nil: undefined });
    let formatted = 0;
    fc.assert(
      fc.property(nameOrJunk, fc.dictionary(nameOrJunk, valueOrJunk, { maxKeys: 4 }), (scheme, params) => {
        let header: string;
        try {
          header = formatChallenge(scheme, params);
        } catch (error) {
          assert.ok(error instanceof TypeError);
          return;
        }
        formatted++;
        assert.match(header, CHALLENGE);
        assert.doesNotMatch(header, /[^\x20-\x7e]/);
      }),
      { numRuns: 2000 },
    );
    assert.ok(formatted > 200, `only ${formatted} inputs were formatted`);
  });

  it('throws whenever a value holds a character outside printable ASCII', () => {
    const outside = fc
      .oneof(fc.integer({ min: 0, max: 0x1f }), fc.integer({ min: 0x7f, max: 0xffff }))
      .map((code) => String.fromCharCode(code));
    fc.assert(
      fc.property(printableAscii, outside, printableAscii, (before, char, after) => {
        assert.throws(
          () => formatChallenge('Bearer', { error_description: before + char + after }),
          TypeError,
        );
      }),
      { numRuns: 1000 },
    );
  });
});
