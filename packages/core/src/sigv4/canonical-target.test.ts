import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getCanonicalQuery, SignatureV4 } from '@smithy/signature-v4';
import aws4 from 'aws4';
import fc from 'fast-check';
import {
  canonicalPath,
  canonicalQuery,
  canonicalQueryPairs,
  pathIsItsOwnCanonicalForm,
  splitRequestTarget,
} from './canonical-target.js';

// Text encodeURIComponent can encode: no lone surrogate.
const LONE_SURROGATE = /\p{Cs}/u;

// getCanonicalPath is private in smithy's types but is the function its signer uses.
const smithy = new SignatureV4({
  credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' },
  region: 'local',
  service: 'billing',
  sha256: class {} as never,
}) as unknown as { getCanonicalPath(request: { path: string }): string };

// What aws4 puts on the path and query lines of its canonical request for a wire target.
function aws4Canonical(target: string): { path: string; query: string } {
  const signer = new aws4.RequestSigner(
    { host: 'h', path: target, service: 'billing', region: 'local' },
    {
      accessKeyId: 'AKID',
      secretAccessKey: 'secret',
    },
  );
  const [, path = '', query = ''] = signer.canonicalString().split('\n');
  return { path, query };
}

// Wire paths as clients produce them: segments of arbitrary text percent-encoded the way
// fetch and curl users do, sub-delimiters left raw now and then.
const segment = fc.oneof(
  fc
    .string({ unit: 'binary', minLength: 1, maxLength: 12 })
    .filter((text) => !LONE_SURROGATE.test(text))
    .map((text) => encodeURIComponent(text)),
  fc.string({ unit: fc.constantFrom(..."abcXYZ019-._~!$&'()*+,;=:@"), minLength: 1, maxLength: 8 }),
);
const wirePath = fc
  .tuple(fc.array(segment, { maxLength: 5 }), fc.boolean())
  .map(
    ([segments, trailingSlash]) => `/${segments.join('/')}${trailingSlash && segments.length > 0 ? '/' : ''}`,
  )
  .filter((path) => !path.split('/').some((part) => part === '.' || part === '..'));
const queryText = fc.string({ unit: 'binary', maxLength: 10 }).filter((text) => !LONE_SURROGATE.test(text));
const queryPairs = fc.array(fc.tuple(queryText, queryText), { maxLength: 5 });
const wireQuery = (pairs: ReadonlyArray<readonly [string, string]>) =>
  pairs.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join('&');

describe('splitRequestTarget', () => {
  it('splits at the first question mark and keeps both parts as sent', () => {
    assert.deepEqual(splitRequestTarget('/v1/charges?limit=10&a=b?c'), {
      path: '/v1/charges',
      query: 'limit=10&a=b?c',
    });
    assert.deepEqual(splitRequestTarget('/'), { path: '/', query: null });
    assert.deepEqual(splitRequestTarget('/a/?'), { path: '/a/', query: '' });
    assert.deepEqual(splitRequestTarget('/a%20b/c%2Fd/~x'), { path: '/a%20b/c%2Fd/~x', query: null });
  });

  it('refuses targets that normalisation would change or that are not plain ASCII', () => {
    for (const target of [
      '',
      '*',
      'http://example.com/',
      'v1/charges',
      '//',
      '/a//b',
      '//example//',
      '/./',
      '/./example',
      '/example/..',
      '/example1/example2/../..',
      '/a/./b',
      '/a/.',
      '/a b',
      '/a\tb',
      '/a#frag',
      '/é',
      '/%',
      '/%2',
      '/%zz',
      '/a?q=%',
      '/a?q=%G0',
      '/a\u0000',
      '/a\u007f',
    ]) {
      assert.equal(splitRequestTarget(target), null, JSON.stringify(target));
    }
    assert.equal(splitRequestTarget(`/${'a'.repeat(16384)}`), null);
    assert.equal(splitRequestTarget(42), null);
  });

  it('accepts encoded dots, which are not dot segments', () => {
    assert.deepEqual(splitRequestTarget('/%2E%2E/a'), { path: '/%2E%2E/a', query: null });
    assert.deepEqual(splitRequestTarget('/a/.../b'), { path: '/a/.../b', query: null });
  });

  it('never throws', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary' }),
          fc.string({ unit: 'binary' }).map((text) => `/${text}`),
        ),
        (target) => {
          const split = splitRequestTarget(target);
          if (split !== null) {
            canonicalPath(split.path);
            canonicalQuery(split.query);
          }
        },
      ),
    );
  });
});

describe('canonicalPath', () => {
  it('encodes the wire path once more, each segment on its own', () => {
    assert.equal(canonicalPath('/'), '/');
    assert.equal(
      canonicalPath('/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'),
      '/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
    );
    assert.equal(canonicalPath('/example%20space/'), '/example%2520space/');
    assert.equal(canonicalPath('/a%2Fb'), '/a%252Fb');
    assert.equal(canonicalPath('/%E1%88%B4'), '/%25E1%2588%25B4');
    assert.equal(canonicalPath("/x:y@z/!$&'()*+,;="), '/x%3Ay%40z/%21%24%26%27%28%29%2A%2B%2C%3B%3D');
    assert.equal(canonicalPath('/a|b^c'), '/a%7Cb%5Ec');
  });

  it('agrees with @smithy/signature-v4 and aws4 on every wire path', () => {
    fc.assert(
      fc.property(wirePath, (path) => {
        fc.pre(splitRequestTarget(path) !== null);
        assert.equal(canonicalPath(path), smithy.getCanonicalPath({ path }));
        assert.equal(canonicalPath(path), aws4Canonical(path).path);
      }),
      { numRuns: 300 },
    );
  });
});

describe('pathIsItsOwnCanonicalForm', () => {
  it('allows escapes only of bytes that never stand raw in an accepted path', () => {
    assert.equal(pathIsItsOwnCanonicalForm('/v1/charges'), true);
    assert.equal(pathIsItsOwnCanonicalForm('/a%20b/%E2%82%AC/c%2Fd/%3F%23'), true);
    assert.equal(pathIsItsOwnCanonicalForm('/a:b'), true);
    for (const path of ['/a%2520b', '/%25', '/a%3Ab', '/a%2Bb', '/%41', '/%7E', '/%7C']) {
      assert.equal(pathIsItsOwnCanonicalForm(path), false, path);
    }
  });

  it('makes a raw path equal the canonical form of no other accepted path', () => {
    fc.assert(
      fc.property(wirePath, wirePath, (signed, other) => {
        fc.pre(signed !== other && splitRequestTarget(signed) !== null && splitRequestTarget(other) !== null);
        if (pathIsItsOwnCanonicalForm(signed)) assert.notEqual(canonicalPath(other), signed);
      }),
      { numRuns: 500 },
    );
    // The pair the rule exists for: curl 7 signs '/a%2520b' as is; that is the canonical
    // form of '/a%20b', so the raw form must not be tried.
    assert.equal(canonicalPath('/a%20b'), '/a%2520b');
    assert.equal(pathIsItsOwnCanonicalForm('/a%2520b'), false);
  });
});

describe('canonicalQuery', () => {
  it('sorts by encoded name, then by encoded value, and keeps repeats', () => {
    assert.equal(canonicalQuery('Param2=value2&Param1=value1'), 'Param1=value1&Param2=value2');
    assert.equal(canonicalQuery('Param1=value2&Param1=Value1'), 'Param1=Value1&Param1=value2');
    assert.equal(canonicalQuery('b=2&a=1&a=0&c'), 'a=0&a=1&b=2&c=');
    assert.equal(canonicalQuery('a=1&A=2&_=3&~=4&-=5'), '-=5&A=2&_=3&a=1&~=4');
  });

  it('decodes and encodes again, RFC 3986 style, with + as a space', () => {
    assert.equal(canonicalQuery('q=a%20b&p=x+y&z=%7e&s=%2B&k=v:w'), 'k=v%3Aw&p=x%20y&q=a%20b&s=%2B&z=~');
    assert.equal(canonicalQuery('%E1%88%B4=bar'), '%E1%88%B4=bar');
    assert.equal(canonicalQuery('bin=%ff%00'), 'bin=%FF%00');
    assert.equal(canonicalQuery("a=!'()*"), 'a=%21%27%28%29%2A');
  });

  it('gives empty values for names without "=", and skips empty components', () => {
    assert.equal(canonicalQuery('flag&b=&&a'), 'a=&b=&flag=');
    assert.equal(canonicalQuery('=x'), '=x');
    assert.equal(canonicalQuery(''), '');
    assert.equal(canonicalQuery(null), '');
    assert.deepEqual(canonicalQueryPairs('b&a=1'), [
      ['a', '1'],
      ['b', ''],
    ]);
  });

  it('agrees with @smithy/signature-v4 and aws4 on every query', () => {
    fc.assert(
      fc.property(queryPairs, (pairs) => {
        const query = wireQuery(pairs);
        const object: Record<string, string | string[]> = Object.create(null);
        for (const [name, value] of new URLSearchParams(query)) {
          const existing = Object.hasOwn(object, name) ? object[name] : undefined;
          object[name] = existing === undefined ? value : [existing, value].flat();
        }
        // smithy keeps an empty name; aws4 drops it (and never sends it). smithy collects
        // into a plain object, so a name "__proto__" comes out as "[object Object]".
        if (!Object.hasOwn(object, '__proto__')) {
          assert.equal(canonicalQuery(query), getCanonicalQuery({ query: object } as never));
        }
        // aws4 collects into a plain object too, and drops a "__proto__" name.
        const withoutEmptyNames = wireQuery(pairs.filter(([name]) => name !== '' && name !== '__proto__'));
        assert.equal(canonicalQuery(withoutEmptyNames), aws4Canonical(`/?${withoutEmptyNames}`).query);
      }),
      { numRuns: 300 },
    );
  });
});
