import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  MAX_AUTHORIZATION_LENGTH,
  MAX_TOKEN68_LENGTH,
  parseAuthorization,
  parseBasicClientCredentials,
} from './authorization-header.js';

// The reference grammar is rebuilt here from the ABNF character lists of RFC 9110
// (§5.6.2 tchar, §11.2 token68), independently of the implementation's regex.
const ALPHA = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const DIGIT = '0123456789';
const TCHAR = `!#$%&'*+-.^_\`|~${DIGIT}${ALPHA}`;
const TOKEN68_CHAR = `${ALPHA}${DIGIT}-._~+/`;
const classOf = (chars: string) => `[${chars.replace(/[\\\]\-^]/g, '\\$&')}]`;
const REFERENCE = new RegExp(`^(${classOf(TCHAR)}+) +(${classOf(TOKEN68_CHAR)}+=*)$`);

function reference(value: string): { scheme: string; token68: string } | null {
  const match = REFERENCE.exec(value);
  if (match === null || value.length > MAX_AUTHORIZATION_LENGTH) return null;
  const [, scheme = '', token68 = ''] = match;
  if (token68.length > MAX_TOKEN68_LENGTH) return null;
  return { scheme: scheme.toLowerCase(), token68 };
}

const anyCodeUnit = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code));
const hostileChar = fc.constantFrom(
  ' ',
  '\t',
  '\r',
  '\n',
  '\0',
  '\x7f',
  '\x85',
  ',',
  '=',
  '"',
  ';',
  ':',
  '\\',
  'é',
  '\u212a', // KELVIN SIGN, lower-cases to ASCII 'k'
  '\u0130', // LATIN CAPITAL LETTER I WITH DOT ABOVE
  '\u2028',
  '\ud800',
  '\ufeff',
);
const schemeArb = fc.string({ unit: fc.constantFrom(...TCHAR), minLength: 1, maxLength: 12 });
const token68Arb = fc
  .tuple(
    fc.string({ unit: fc.constantFrom(...TOKEN68_CHAR), minLength: 1, maxLength: 40 }),
    fc.string({ unit: fc.constant('='), maxLength: 3 }),
  )
  .map(([body, padding]) => body + padding);
const wellFormed = fc
  .tuple(schemeArb, fc.string({ unit: fc.constant(' '), minLength: 1, maxLength: 3 }), token68Arb)
  .map((parts) => parts.join(''));
const mutated = fc
  .tuple(wellFormed, fc.nat(), fc.oneof(hostileChar, anyCodeUnit), fc.boolean())
  .map(([value, at, char, replace]) => {
    const index = at % (value.length + 1);
    return value.slice(0, index) + char + value.slice(replace ? index + 1 : index);
  });
const noise = fc.string({
  unit: fc.oneof(fc.constantFrom(...TCHAR, ...TOKEN68_CHAR), hostileChar),
  maxLength: 30,
});

const base64 = (text: string | Uint8Array) => Buffer.from(text).toString('base64');

describe('parseAuthorization', () => {
  it('parses the RFC 6750 §2.1 example and lower-cases the scheme', () => {
    assert.deepEqual(parseAuthorization('Bearer mF_9.B5f-4.1JqM'), {
      scheme: 'bearer',
      token68: 'mF_9.B5f-4.1JqM',
    });
    assert.deepEqual(parseAuthorization('BEARER abc'), { scheme: 'bearer', token68: 'abc' });
  });

  it('parses the RFC 7617 §2 Basic example and keeps the token68 verbatim', () => {
    assert.deepEqual(parseAuthorization('Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=='), {
      scheme: 'basic',
      token68: 'QWxhZGRpbjpvcGVuIHNlc2FtZQ==',
    });
  });

  it('accepts several spaces between scheme and token68 (1*SP)', () => {
    assert.deepEqual(parseAuthorization('DPoP   a.b.c'), { scheme: 'dpop', token68: 'a.b.c' });
  });

  it('accepts every token68 character and any amount of trailing padding', () => {
    assert.deepEqual(parseAuthorization(`X ${TOKEN68_CHAR}===`), {
      scheme: 'x',
      token68: `${TOKEN68_CHAR}===`,
    });
    assert.deepEqual(parseAuthorization(`${TCHAR} t`), { scheme: TCHAR.toLowerCase(), token68: 't' });
  });

  const rejected: Array<[string, string]> = [
    ['empty string', ''],
    ['scheme alone', 'Bearer'],
    ['scheme and space, empty token68', 'Bearer '],
    ['padding only', 'Bearer ==='],
    ['leading space', ' Bearer abc'],
    ['trailing space', 'Bearer abc '],
    ['tab separator', 'Bearer\tabc'],
    ['trailing tab', 'Bearer abc\t'],
    ['CRLF injection', 'Bearer abc\r\nX-Injected: 1'],
    ['bare LF', 'Bearer abc\n'],
    ['NUL in token', 'Bearer ab\0c'],
    ['NUL in scheme', 'Bea\0rer abc'],
    ['DEL', 'Bearer abc\x7f'],
    ['two tokens', 'Bearer abc def'],
    ['list of credentials (joined repeated header)', 'Bearer a, Basic b'],
    ['comma in token', 'Bearer a,b'],
    ['auth-param', 'Digest realm="x"'],
    ['auth-param with token value', 'Bearer a=b'],
    ['padding in the middle', 'Bearer ab=c'],
    ['quoted token', 'Bearer "abc"'],
    ['non-ASCII in token', 'Bearer abé'],
    ['non-ASCII scheme that lower-cases to ASCII', 'Bearer\u212a abc'],
    ['line separator', 'Bearer abc\u2028'],
    ['lone surrogate', 'Bearer abc\ud800'],
    ['byte order mark', '\ufeffBearer abc'],
    ['no scheme', ' abc'],
    ['colon in scheme', 'Bearer: abc'],
    ['base64url padding misuse', 'Bearer =abc'],
  ];
  for (const [name, value] of rejected) {
    it(`rejects ${name}`, () => assert.equal(parseAuthorization(value), null));
  }

  it('caps the token68 at MAX_TOKEN68_LENGTH, padding included', () => {
    assert.equal(MAX_TOKEN68_LENGTH, 8192);
    const atCap = `${'a'.repeat(MAX_TOKEN68_LENGTH - 2)}==`;
    assert.deepEqual(parseAuthorization(`Bearer ${atCap}`), { scheme: 'bearer', token68: atCap });
    assert.equal(parseAuthorization(`Bearer ${'a'.repeat(MAX_TOKEN68_LENGTH + 1)}`), null);
    assert.equal(parseAuthorization(`Bearer ${'a'.repeat(MAX_TOKEN68_LENGTH)}=`), null);
  });

  it('caps the whole value at MAX_AUTHORIZATION_LENGTH', () => {
    const spaces = ' '.repeat(MAX_AUTHORIZATION_LENGTH - 'Bearer'.length - 1);
    assert.deepEqual(parseAuthorization(`Bearer${spaces}a`), { scheme: 'bearer', token68: 'a' });
    assert.equal(parseAuthorization(`Bearer ${spaces}a`), null);
  });

  it('returns null rather than throwing for a non-string from untyped callers', () => {
    assert.equal(parseAuthorization(undefined as unknown as string), null);
    assert.equal(parseAuthorization(['Bearer abc'] as unknown as string), null);
  });

  it('accepts exactly the strings the reference grammar accepts, with the same parts', () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.oneof(wellFormed, mutated, noise, fc.string({ unit: 'binary' })), (value) => {
        const expected = reference(value);
        if (expected !== null) accepted++;
        assert.deepEqual(parseAuthorization(value), expected);
      }),
      { numRuns: 5000 },
    );
    // Guards against generators that only ever produce rejected strings.
    assert.ok(accepted > 500, `only ${accepted} accepted samples`);
  });

  it('never throws and never accepts a value with a character outside printable ASCII', () => {
    fc.assert(
      fc.property(fc.string({ unit: anyCodeUnit, maxLength: 60 }), (value) => {
        const parsed = parseAuthorization(value);
        if (parsed !== null) assert.match(value, /^[\x21-\x7e]+ +[\x21-\x7e]+$/);
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips scheme and token68', () => {
    fc.assert(
      fc.property(schemeArb, token68Arb, (scheme, token68) => {
        assert.deepEqual(parseAuthorization(`${scheme} ${token68}`), {
          scheme: scheme.toLowerCase(),
          token68,
        });
      }),
    );
  });
});

describe('parseBasicClientCredentials', () => {
  it('decodes the RFC 6749 §2.3.1 example', () => {
    assert.deepEqual(parseBasicClientCredentials('czZCaGRSa3F0Mzo3RmpmcDBaQnIxS3REUmJuZlZkbUl3'), {
      clientId: 's6BhdRkqt3',
      clientSecret: '7Fjfp0ZBr1KtDRbnfVdmIw',
    });
  });

  it('decodes the RFC 7617 examples (§2 and the UTF-8 one of §2.1)', () => {
    assert.deepEqual(parseBasicClientCredentials('QWxhZGRpbjpvcGVuIHNlc2FtZQ=='), {
      clientId: 'Aladdin',
      clientSecret: 'open sesame',
    });
    assert.deepEqual(parseBasicClientCredentials('dGVzdDoxMjPCow=='), {
      clientId: 'test',
      clientSecret: '123£',
    });
  });

  it('splits at the first colon only', () => {
    assert.deepEqual(parseBasicClientCredentials(base64('id:se:cr:et')), {
      clientId: 'id',
      clientSecret: 'se:cr:et',
    });
    assert.deepEqual(parseBasicClientCredentials(base64('a%3Ab:c')), { clientId: 'a:b', clientSecret: 'c' });
  });

  it('form-urlencoded-decodes both parts (+ is a space, %2B a plus)', () => {
    assert.deepEqual(parseBasicClientCredentials(base64('my+client:p%2Bw+d%25')), {
      clientId: 'my client',
      clientSecret: 'p+w d%',
    });
    assert.deepEqual(parseBasicClientCredentials(base64('%C3%BC%F0%9F%94%91:%E2%82%AC')), {
      clientId: 'ü🔑',
      clientSecret: '€',
    });
  });

  it('accepts raw UTF-8 that a client did not percent-encode', () => {
    assert.deepEqual(parseBasicClientCredentials(base64('ü:€')), { clientId: 'ü', clientSecret: '€' });
  });

  it('returns an empty secret as the empty string', () => {
    assert.deepEqual(parseBasicClientCredentials(base64('client:')), {
      clientId: 'client',
      clientSecret: '',
    });
  });

  it('keeps a byte order mark instead of silently dropping it', () => {
    assert.deepEqual(parseBasicClientCredentials(base64('\ufeffid:x')), {
      clientId: '\ufeffid',
      clientSecret: 'x',
    });
  });

  const rejectedText: Array<[string, string | Uint8Array]> = [
    ['no colon', 'client'],
    ['empty', ''],
    ['empty client id', ':secret'],
    ['client id empty after decoding', ':'],
    ['lone percent', 'id:%'],
    ['truncated escape', 'id%2:x'],
    ['non-hex escape', 'id:%G1'],
    ['escape of a truncated UTF-8 sequence', '%C3:x'],
    ['escape of an invalid UTF-8 byte', 'id:%FF'],
    ['escape of a UTF-16 surrogate', 'id:%ED%A0%80'],
    ['escape of an overlong slash', 'id:%C0%AF'],
    ['escaped NUL in id', 'id%00:x'],
    ['escaped LF in secret', 'id:se%0Acret'],
    ['escaped CRLF in id', 'id%0D%0A:x'],
    ['raw NUL', 'id\0:x'],
    ['raw tab', 'id:a\tb'],
    ['raw DEL', 'id:a\x7f'],
    ['escaped C1 control (NEL)', 'id:%C2%85'],
    ['invalid UTF-8', Uint8Array.of(0xff, 0x3a, 0x61)],
    ['overlong UTF-8', Uint8Array.of(0x61, 0x3a, 0xc0, 0xaf)],
    ['UTF-8 encoded surrogate', Uint8Array.of(0x61, 0x3a, 0xed, 0xa0, 0x80)],
    ['truncated UTF-8', Uint8Array.of(0x61, 0x3a, 0xe2, 0x82)],
  ];
  for (const [name, text] of rejectedText) {
    it(`rejects ${name}`, () => assert.equal(parseBasicClientCredentials(base64(text)), null));
  }

  const rejectedBase64: Array<[string, string]> = [
    ['missing padding', 'QWxhZGRpbjpvcGVuIHNlc2FtZQ'],
    ['extra padding', 'QWxhZGRpbjpvcGVuIHNlc2FtZQ==='],
    ['padding in the middle', 'QWxh=ZGRpbjpvcGVuIHNlc2FtZQ=='],
    ['non-zero spare bits', 'QWxhZGRpbjpvcGVuIHNlc2FtZR=='],
    ['non-zero spare bits, one pad', 'YTpiY2R='],
    ['non-zero spare bits, two pads', 'YTpiYx=='],
    [
      'base64url alphabet',
      base64(Uint8Array.of(0x61, 0x3a, 0xfb, 0xff))
        .replace('+', '-')
        .replace('/', '_'),
    ],
    ['inner space', 'QWxh ZGRpbjpvcGVuIHNlc2FtZQ=='],
    ['trailing newline', 'QWxhZGRpbjpvcGVuIHNlc2FtZQ==\n'],
    ['leading space', ' QWxhZGRpbjpvcGVuIHNlc2FtZQ=='],
    ['NUL', 'QWxhZGRp\0bjpvcGVuIHNlc2FtZQ=='],
    ['non-ASCII', 'QWxhZGRpbjpvcGVuIHNlc2FtZQé='],
    ['junk Buffer.from would skip', 'QWxh*ZGRpbjpvcGVuIHNlc2FtZQ=='],
    ['length not a multiple of four', 'YTpi='],
    ['padding only', '===='],
  ];
  for (const [name, token68] of rejectedBase64) {
    it(`rejects base64 with ${name}`, () => assert.equal(parseBasicClientCredentials(token68), null));
  }

  it('rejects a token68 over MAX_TOKEN68_LENGTH and accepts one at it', () => {
    const atCap = base64(`id:${'s'.repeat((MAX_TOKEN68_LENGTH / 4) * 3 - 3)}`);
    assert.equal(atCap.length, MAX_TOKEN68_LENGTH);
    assert.equal(parseBasicClientCredentials(atCap)?.clientId, 'id');
    const overCap = base64(`id:${'s'.repeat((MAX_TOKEN68_LENGTH / 4) * 3)}`);
    assert.equal(parseBasicClientCredentials(overCap), null);
    assert.equal(parseBasicClientCredentials(base64(`id:${'s'.repeat(10_000_000)}`)), null);
  });

  it('never throws, on any string or on the base64 of any bytes', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: anyCodeUnit }),
          fc.string({ unit: fc.constantFrom(...`${ALPHA}${DIGIT}+/=-_ %:\0`) }),
          fc.uint8Array({ maxLength: 64 }).map(base64),
        ),
        (token68) => {
          parseBasicClientCredentials(token68);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('accepts only canonical base64: the decoded bytes re-encode to the input', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...`${ALPHA}${DIGIT}+/=`, 'Og', 'YT'), maxLength: 24 }),
        (token68) => {
          if (parseBasicClientCredentials(token68) !== null) {
            assert.equal(Buffer.from(token68, 'base64').toString('base64'), token68);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('rejects every other spelling of the same bytes (spare bits set)', () => {
    const alphabet = `${ALPHA}${DIGIT}+/`;
    const text = fc
      .string({ unit: fc.constantFrom(...ALPHA, ...DIGIT, ' ', '.'), maxLength: 30 })
      .filter((secret) => secret.length % 3 !== 0);
    fc.assert(
      fc.property(text, fc.integer({ min: 1, max: 15 }), (secret, spare) => {
        const canonical = base64(`id:${secret}`);
        assert.deepEqual(parseBasicClientCredentials(canonical), { clientId: 'id', clientSecret: secret });
        // The last symbol before '==' carries 4 unused bits, before '=' 2.
        const padding = canonical.endsWith('==') ? 2 : 1;
        const bits = spare & (padding === 2 ? 0b1111 : 0b11);
        fc.pre(bits !== 0);
        const last = canonical.length - padding - 1;
        const symbol = alphabet.indexOf(canonical.charAt(last));
        const other = canonical.slice(0, last) + alphabet.charAt(symbol | bits) + canonical.slice(last + 1);
        assert.notEqual(other, canonical);
        assert.ok(Buffer.from(other, 'base64').equals(Buffer.from(canonical, 'base64')));
        assert.equal(parseBasicClientCredentials(other), null);
      }),
    );
  });

  const printable = fc.string({ unit: 'binary' }).filter((text) => !/\p{Cc}/u.test(text));
  const formEncode = (text: string) => encodeURIComponent(text).replaceAll('%20', '+');

  it('round-trips form-urlencoded credentials', () => {
    fc.assert(
      fc.property(
        printable.filter((id) => id !== ''),
        printable,
        (clientId, clientSecret) => {
          const token68 = base64(`${formEncode(clientId)}:${formEncode(clientSecret)}`);
          assert.deepEqual(parseBasicClientCredentials(token68), { clientId, clientSecret });
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('round-trips raw credentials that need no encoding', () => {
    const raw = printable.map((text) => text.replace(/[%+]/g, ''));
    fc.assert(
      fc.property(
        raw.map((id) => id.replaceAll(':', '')).filter((id) => id !== ''),
        raw,
        (clientId, clientSecret) => {
          assert.deepEqual(parseBasicClientCredentials(base64(`${clientId}:${clientSecret}`)), {
            clientId,
            clientSecret,
          });
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('rejects any credential containing a control character, however it is spelled', () => {
    const control = fc.oneof(
      fc.integer({ min: 0, max: 0x1f }),
      fc.constant(0x7f),
      fc.integer({ min: 0x80, max: 0x9f }),
    );
    fc.assert(
      fc.property(printable, control, fc.boolean(), fc.boolean(), (text, code, inSecret, encoded) => {
        const char = String.fromCharCode(code);
        const part = encoded ? formEncode(`${text}${char}`) : `${text.replace(/[%+:]/g, '')}${char}`;
        const decoded = inSecret ? `id:${part}` : `${part}:secret`;
        assert.equal(parseBasicClientCredentials(base64(decoded)), null);
      }),
      { numRuns: 1000 },
    );
  });
});
