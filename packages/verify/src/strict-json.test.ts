import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { INVALID_JSON, parseStrictJson } from './strict-json.js';

const same = (text: string): void => {
  assert.equal(JSON.stringify(parseStrictJson(text)), JSON.stringify(JSON.parse(text)), text);
};

describe('parseStrictJson', () => {
  it('parses what JSON.parse parses', () => {
    for (const text of [
      '{}',
      '[]',
      '{"alg":"ES256","kid":"k1"}',
      ' { "a" : [ 1 , -2.5e3 , true , false , null , "x\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00" ] } ',
      '{\n\t"kid":"hs256-key",\r\n"alg":"HS256"}',
      '"text"',
      '0',
      '-0.5E+2',
    ]) {
      same(text);
    }
  });

  it('refuses a repeated member name, however it is spelled', () => {
    assert.equal(parseStrictJson('{"alg":"none","alg":"ES256"}'), INVALID_JSON);
    assert.equal(parseStrictJson('{"alg":"none","\\u0061lg":"ES256"}'), INVALID_JSON);
    assert.equal(parseStrictJson('{"a":{"b":1,"b":2}}'), INVALID_JSON);
    assert.equal(parseStrictJson('[{"b":1,"b":2}]'), INVALID_JSON);
    assert.deepEqual(JSON.stringify(parseStrictJson('[{"b":1},{"b":2}]')), '[{"b":1},{"b":2}]');
  });

  it('keeps __proto__ as a plain member, never a prototype', () => {
    const parsed = parseStrictJson('{"__proto__":{"polluted":true},"alg":"ES256"}') as Record<
      string,
      unknown
    >;
    assert.equal(Object.getPrototypeOf(parsed), null);
    assert.deepEqual(Object.keys(parsed), ['__proto__', 'alg']);
    assert.equal((parsed as { polluted?: unknown }).polluted, undefined);
    assert.equal(({} as { polluted?: unknown }).polluted, undefined);
  });

  it('refuses nesting deeper than the limit', () => {
    assert.notEqual(parseStrictJson(`${'['.repeat(16)}${']'.repeat(16)}`), INVALID_JSON);
    assert.equal(parseStrictJson(`${'['.repeat(17)}${']'.repeat(17)}`), INVALID_JSON);
    assert.equal(parseStrictJson(`${'{"a":'.repeat(17)}1${'}'.repeat(17)}`), INVALID_JSON);
    assert.equal(parseStrictJson(`${'['.repeat(100000)}`), INVALID_JSON);
    assert.notEqual(parseStrictJson(`${'['.repeat(40)}${']'.repeat(40)}`, 40), INVALID_JSON);
  });

  it('refuses everything RFC 8259 does not allow', () => {
    for (const text of [
      '',
      ' ',
      '{',
      '{"a":1,}',
      '[1,]',
      '{"a" 1}',
      "{'a':1}",
      '{a:1}',
      '01',
      '1.',
      '.5',
      '+1',
      '0x10',
      'NaN',
      'Infinity',
      '1e400',
      'tru',
      'nul',
      '"\u0000"',
      '"tab\there"',
      '"\\x41"',
      '"\\u12"',
      '"unterminated',
      '\ufeff{}',
      '{} {}',
      '{}x',
      '/* c */ {}',
      '{"a":1}\u00a0',
    ]) {
      assert.equal(parseStrictJson(text), INVALID_JSON, JSON.stringify(text));
    }
  });

  it('refuses lone surrogates, escaped or raw', () => {
    assert.equal(parseStrictJson('"\\ud800"'), INVALID_JSON);
    assert.equal(parseStrictJson('"\\udc00"'), INVALID_JSON);
    assert.equal(parseStrictJson('"\\ud800\\u0041"'), INVALID_JSON);
    assert.equal(parseStrictJson('"\ud800"'), INVALID_JSON);
    assert.equal(parseStrictJson('"\udc00x"'), INVALID_JSON);
    assert.equal(parseStrictJson('"\ud83d\ude00"'), '\ud83d\ude00');
  });

  it('agrees with JSON.parse on any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        const text = JSON.stringify(value);
        assert.equal(JSON.stringify(parseStrictJson(text, 100)), JSON.stringify(JSON.parse(text)));
      }),
    );
  });

  it('never throws, on any string', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.json()), (text) => {
        const parsed = parseStrictJson(text);
        if (parsed !== INVALID_JSON) JSON.parse(text);
      }),
    );
  });
});
